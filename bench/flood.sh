#!/bin/sh
# bench/flood.sh - hash flooding: tempora's time on 8-letter tokens crafted to
# collide in the term table's slots under the old, unkeyed hash, against its
# time on as many random 8-letter tokens (bench/flood_gen.c makes both).
#
#   sh bench/flood.sh             200,000 tokens (1.8 MB), best of 3 runs each
#   sh bench/flood.sh --smoke     100,000 tokens, best of 5 (bench/run.sh --smoke runs it)
#   sh bench/flood.sh -n N --runs R
#
# Times `freq` with --threads 1 and with --threads 2 (each thread's table, then
# the merge): the best CPU seconds (user + system) of the runs. TEMPORA is the
# binary (default build/release/tempora); TEMPORA_OLD, when set, is a second
# binary measured in the same run (say, one from before the keyed hash:
# 200,000 crafted tokens took it 71 times as long as random ones). The ratio is
# crafted / random, the larger of the two thread counts; PASS when at most 2
# (the keyed hash makes the crafted tokens as random ones). Exit status 1 when
# TEMPORA fails or FAILs (TEMPORA_OLD's result is only printed).

set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1

TEMPORA=${TEMPORA:-build/release/tempora}
PY=${PY:-/usr/bin/python3}
CC=${CC:-cc}
N=200000
RUNS=3
LIMIT=2

while [ $# -gt 0 ]; do
    case $1 in
    --smoke) N=100000; RUNS=5 ;;
    -n) shift; N=${1:-} ;;
    --runs) shift; RUNS=${1:-} ;;
    -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/flood.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
for v in "$N" "$RUNS"; do
    case $v in '' | *[!0-9]* | 0) echo "bench/flood.sh: -n and --runs need a positive number" >&2; exit 2 ;; esac
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/tempora-flood.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

"$CC" -O2 -o "$TMP/flood_gen" bench/flood_gen.c || exit 1
"$TMP/flood_gen" crafted "$N" > "$TMP/crafted.txt" || exit 1
"$TMP/flood_gen" random "$N" > "$TMP/random.txt" || exit 1
echo "flood: $N crafted and $N random 8-letter tokens ($(wc -c < "$TMP/crafted.txt") bytes each)"

# best BIN INPUT THREADS: the best CPU seconds (user + system, all threads) of
# RUNS runs of freq. CPU time, not wall time: the machine may be shared, and
# other processes stretch the wall time of a run, not its CPU time.
best() {
    "$PY" - "$RUNS" "$TMP/out.csv" "$1" freq --threads "$3" "$2" <<'PY'
import resource, subprocess, sys
runs, out, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
best = None
for _ in range(runs):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out, "wb") as f:
        if subprocess.call(cmd, stdout=f) != 0:
            sys.exit(1)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    s = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    best = s if best is None else min(best, s)
print("%.3f" % best)
PY
    [ -s "$TMP/out.csv" ]
}

# measure NAME BIN: prints its lines; returns 1 when a run failed or the ratio is over LIMIT
measure() {
    worst=0
    for t in 1 2; do
        rs=$(best "$2" "$TMP/random.txt" "$t") || { echo "flood: $1 failed on random tokens"; return 1; }
        cs=$(best "$2" "$TMP/crafted.txt" "$t") || { echo "flood: $1 failed on crafted tokens"; return 1; }
        ratio=$(awk -v c="$cs" -v r="$rs" 'BEGIN { printf "%.2f", c / (r > 0.001 ? r : 0.001) }')
        echo "flood: $1 --threads $t: CPU random ${rs}s, crafted ${cs}s, ratio $ratio"
        worst=$(awk -v a="$ratio" -v b="$worst" 'BEGIN { print (a > b ? a : b) }')
    done
    if awk -v a="$worst" -v l="$LIMIT" 'BEGIN { exit !(a <= l) }'; then
        echo "PASS flood $1: crafted/random $worst <= $LIMIT"
    else
        echo "FAIL flood $1: crafted/random $worst > $LIMIT"
        return 1
    fi
}

if [ -n "${TEMPORA_OLD:-}" ]; then
    measure "$TEMPORA_OLD" "$TEMPORA_OLD"
fi
measure "$TEMPORA" "$TEMPORA"
