#!/bin/sh
# bench/kwic.sh - how fast `tempora kwic` searches, against `tempora freq`.
#
#   sh bench/kwic.sh [--runs N]
#
# On ~100 MB of plain English text (25 copies of the King James Bible,
# bench/data/kjv.txt from bench/run.sh, written once to bench/data/kwic-kjv.txt)
# times, on one thread: kwic for a term that does not occur (the search
# alone: the tokenizer with byte offsets and the filter), kwic for common
# terms (`lord,son of man,begat*`: ~200,000 rows with their contexts), and
# freq. Best wall and best CPU (user + sys) time of N runs (default 3), and
# MB/s (CPU time is steadier on a busy machine). Target (reported, not
# asserted): the search >= 200 MB/s.

set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1

TEMPORA=${TEMPORA:-build/release/tempora}
PY=${PY:-/usr/bin/python3}
DATA=bench/data
IN=$DATA/kwic-kjv.txt
RUNS=3

while [ $# -gt 0 ]; do
    case $1 in
    --runs) shift; RUNS=${1:-3} ;;
    -h | --help) sed -n '2,/^$/p' "$0" | sed -e '/^$/d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/kwic.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
case $RUNS in '' | *[!0-9]* | 0) echo "bench/kwic.sh: --runs needs a positive number" >&2; exit 2 ;; esac

mkdir -p "$DATA" || exit 1
if [ ! -s "$IN" ]; then
    if [ ! -s "$DATA/kjv.txt" ]; then
        echo "bench/kwic.sh: $DATA/kjv.txt is missing: run sh bench/run.sh once first" >&2
        exit 1
    fi
    i=0
    while [ $i -lt 25 ]; do cat "$DATA/kjv.txt"; i=$((i + 1)); done >"$IN.tmp" && mv "$IN.tmp" "$IN" || exit 1
fi
MB=$("$PY" -c "import os; print(os.path.getsize('$IN') / 1e6)")

# best wall and best CPU (user + sys) seconds of RUNS runs of a command
best() {
    bw=
    bc=
    i=0
    while [ $i -lt "$RUNS" ]; do
        /usr/bin/time -f "%e %U %S" -o "$DATA/.kwic-time" "$@" >/dev/null || { echo "failed: $*" >&2; exit 1; }
        w=$(cut -d' ' -f1 "$DATA/.kwic-time")
        c=$("$PY" -c "a = open('$DATA/.kwic-time').read().split(); print(round(float(a[1]) + float(a[2]), 3))")
        if [ -z "$bw" ] || "$PY" -c "import sys; sys.exit(0 if $w < $bw else 1)"; then bw=$w; fi
        if [ -z "$bc" ] || "$PY" -c "import sys; sys.exit(0 if $c < $bc else 1)"; then bc=$c; fi
        i=$((i + 1))
    done
    rm -f "$DATA/.kwic-time"
    echo "$bw $bc"
}

rate() { "$PY" -c "print(round($MB / $1))"; }

line() {
    set -- $2 "$1"
    printf '  %-32s wall %6s s %5s MB/s   CPU %6s s %5s MB/s\n' "$3" "$1" "$(rate "$1")" "$2" "$(rate "$2")"
}

echo "$MB MB, one thread, best of $RUNS (target: the search >= 200 MB/s):"
line "kwic search (no match)" "$(best "$TEMPORA" kwic --threads 1 --quiet --terms zzzq "$IN")"
line "kwic lord,son of man,begat*" "$(best "$TEMPORA" kwic --threads 1 --quiet --terms 'lord,son of man,begat*' "$IN")"
line "freq" "$(best "$TEMPORA" freq --threads 1 --quiet "$IN")"
