#!/bin/sh
# bench/trends.sh - what trends cost on a long daily timeline.
#
#   sh bench/trends.sh [--runs N]
#
# Times `tempora analyze --period day` against `--period year` on a generated
# 30-year corpus of 200,000 short dated documents (bench/gen_dated.py, written
# once to bench/data/dated30.jsonl). By day the timeline has ~11,000 periods and
# trends.csv computes its statistics over all of them; by year, 30. Best wall
# and best CPU (user + sys) time of N runs (default 3), the two alternating so
# that load hits both alike. Target (reported, not asserted): day <= 1.5 x year
# in wall time; the CPU ratio is printed beside it (steadier on a busy machine).
# TEMPORA_BASE=path times a second binary the same way (before/after a change).

set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1

TEMPORA=${TEMPORA:-build/release/tempora}
PY=${PY:-/usr/bin/python3}
DATA=bench/data
IN=$DATA/dated30.jsonl
OUT=$DATA/out-trends
RUNS=3

while [ $# -gt 0 ]; do
    case $1 in
    --runs) shift; RUNS=${1:-3} ;;
    -h | --help) sed -n '2,/^$/p' "$0" | sed -e '/^$/d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/trends.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
case $RUNS in '' | *[!0-9]* | 0) echo "bench/trends.sh: --runs needs a positive number" >&2; exit 2 ;; esac

mkdir -p "$DATA" "$OUT" || exit 1
if [ ! -s "$IN" ]; then
    echo "writing $IN (200,000 documents over 30 years)"
    "$PY" bench/gen_dated.py "$IN.tmp" 200000 30 && mv "$IN.tmp" "$IN" || exit 1
fi
cat "$IN" > /dev/null

# run_once BINARY PERIOD: one analyze run; prints "WALL CPU" seconds (CPU = user + sys).
run_once() {
    rm -rf "$OUT/$2"
    /usr/bin/time -f '%e %U %S' -o "$OUT/.time" \
        "$1" analyze --quiet --lang none --period "$2" "$IN" -o "$OUT/$2" > /dev/null || return 1
    tail -n 1 "$OUT/.time" | awk '{ printf "%s %.2f\n", $1, $2 + $3 }'
}

# min2 "W C" "W C": the smaller of each
min2() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "") { print b; exit }
    split(a, x, " "); split(b, y, " ")
    printf "%s %s\n", (y[1] < x[1] ? y[1] : x[1]), (y[2] < x[2] ? y[2] : x[2]) }'; }

bench_binary() {
    bin=$1 year='' day='' r=0
    while [ "$r" -lt "$RUNS" ]; do
        t=$(run_once "$bin" year) || { echo "bench: $bin analyze --period year failed" >&2; return 1; }
        year=$(min2 "$year" "$t")
        t=$(run_once "$bin" day) || { echo "bench: $bin analyze --period day failed" >&2; return 1; }
        day=$(min2 "$day" "$t")
        r=$((r + 1))
    done
    periods=$(sed -n 2p "$OUT/day/trends.csv" | cut -d, -f2)
    awk -v b="$bin" -v y="$year" -v d="$day" -v p="${periods:-0}" 'BEGIN {
        split(y, Y, " "); split(d, D, " ")
        printf "%s\n", b
        printf "  analyze --period year %8.2f s wall %8.2f s CPU\n", Y[1], Y[2]
        printf "  analyze --period day  %8.2f s wall %8.2f s CPU  (%d periods in trends.csv)\n", D[1], D[2], p
        printf "%s  analyze --period day <= 1.5x --period year (%.2fx wall, %.2fx CPU)\n",
               D[1] <= 1.5 * Y[1] ? "PASS" : "FAIL", D[1] / Y[1], D[2] / Y[2]
    }'
}

echo "machine: $(nproc) cores; best of $RUNS; input $IN ($(wc -c < "$IN") bytes)"
bench_binary "$TEMPORA" || exit 1
if [ -n "${TEMPORA_BASE:-}" ]; then
    bench_binary "$TEMPORA_BASE" || exit 1
fi
exit 0
