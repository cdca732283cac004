#!/bin/sh
# bench/trends_all.sh - what `tempora trends` costs at scale.
#
#   sh bench/trends_all.sh [--runs N]
#
# Times `tempora trends --period month` on a generated corpus of 70,000 terms
# over 300 months (bench/gen_trends_all.py, written once to
# bench/data/trends_all.jsonl, ~20 MB), and `tempora freq` on the same file
# for comparison. Best wall time of N runs (default 3). Target (reported, not
# asserted): trends <= 2 s.

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

best() {
    b=
    i=0
    while [ $i -lt "$RUNS" ]; do
        t0=$("$PY" -c 'import time; print(time.monotonic())')
        "$@" >/dev/null || { echo "failed: $*" >&2; exit 1; }
        t1=$("$PY" -c 'import time; print(time.monotonic())')
        t=$("$PY" -c "print(round($t1 - $t0, 3))")
        if [ -z "$b" ] || "$PY" -c "import sys; sys.exit(0 if $t < $b else 1)"; then b=$t; fi
        i=$((i + 1))
    done
    echo "$b"
}

rows=$("$TEMPORA" trends --period month --quiet "$IN" | wc -l)
tr=$(best "$TEMPORA" trends --period month --quiet "$IN")
fr=$(best "$TEMPORA" freq --quiet "$IN")
echo "trends: $((rows - 1)) terms tested, best of $RUNS: ${tr} s (target <= 2 s); freq on the same file: ${fr} s"
