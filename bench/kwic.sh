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
# freq. Best wall time of N runs (default 3) and MB/s. Target (reported, not
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

rate() { "$PY" -c "print(round($MB / $1))"; }

s=$(best "$TEMPORA" kwic --threads 1 --quiet --terms zzzq "$IN")
k=$(best "$TEMPORA" kwic --threads 1 --quiet --terms 'lord,son of man,begat*' "$IN")
f=$(best "$TEMPORA" freq --threads 1 --quiet "$IN")
echo "$MB MB, one thread, best of $RUNS:"
echo "  kwic search (no match):  $s s  $(rate "$s") MB/s (target >= 200)"
echo "  kwic lord,son of man,begat*: $k s  $(rate "$k") MB/s"
echo "  freq:                    $f s  $(rate "$f") MB/s"
