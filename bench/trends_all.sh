#!/bin/sh
# bench/trends_all.sh - what `tempora trends` costs at scale.
#
#   sh bench/trends_all.sh [--runs N]
#
# Times `tempora trends --period month` on a generated corpus of 70,000 terms
# over 300 months (bench/gen_trends_all.py, written once to
# bench/data/trends_all.jsonl, ~20 MB), and `tempora freq` on the same file
# for comparison. Best wall and best CPU (user + sys) time of N runs (default
# 3). Target (reported, not asserted): trends <= 2 s.

set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1

TEMPORA=${TEMPORA:-build/release/tempora}
PY=${PY:-/usr/bin/python3}
DATA=bench/data
IN=$DATA/trends_all.jsonl
RUNS=3

while [ $# -gt 0 ]; do
    case $1 in
    --runs) shift; RUNS=${1:-3} ;;
    -h | --help) sed -n '2,/^$/p' "$0" | sed -e '/^$/d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/trends_all.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
case $RUNS in '' | *[!0-9]* | 0) echo "bench/trends_all.sh: --runs needs a positive number" >&2; exit 2 ;; esac

mkdir -p "$DATA" || exit 1
if [ ! -s "$IN" ]; then
    echo "writing $IN (70,000 terms over 300 months)"
    "$PY" bench/gen_trends_all.py "$IN.tmp" 70000 300 && mv "$IN.tmp" "$IN" || exit 1
fi

# best wall and best CPU (user + sys) seconds of RUNS runs of a command
best() {
    bw=
    bc=
    i=0
    while [ $i -lt "$RUNS" ]; do
        /usr/bin/time -f "%e %U %S" -o "$DATA/.trends-time" "$@" >/dev/null || { echo "failed: $*" >&2; exit 1; }
        w=$(cut -d' ' -f1 "$DATA/.trends-time")
        c=$("$PY" -c "a = open('$DATA/.trends-time').read().split(); print(round(float(a[1]) + float(a[2]), 3))")
        if [ -z "$bw" ] || "$PY" -c "import sys; sys.exit(0 if $w < $bw else 1)"; then bw=$w; fi
        if [ -z "$bc" ] || "$PY" -c "import sys; sys.exit(0 if $c < $bc else 1)"; then bc=$c; fi
        i=$((i + 1))
    done
    rm -f "$DATA/.trends-time"
    echo "wall $bw s, CPU $bc s"
}

rows=$("$TEMPORA" trends --period month --quiet "$IN" | wc -l)
echo "trends: $((rows - 1)) terms tested; best of $RUNS (target <= 2 s wall):"
echo "  tempora trends:               $(best "$TEMPORA" trends --period month --quiet "$IN")"
echo "  tempora trends --threads 1:   $(best "$TEMPORA" trends --period month --quiet --threads 1 "$IN")"
echo "  tempora freq (same file):     $(best "$TEMPORA" freq --quiet "$IN")"
