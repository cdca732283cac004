#!/bin/sh
# bench/group.sh - what --group-by costs: each report over a dated news archive
# with and without --group-by, the same inputs and --meta both times.
#
#   sh bench/group.sh              100,000 documents, best of 3 runs each
#   sh bench/group.sh --runs N     best of N
#   sh bench/group.sh --smoke      2,000 documents, one run, target not judged
#   N=200000 sh bench/group.sh     another size
#   CMDS="trends kwic" sh bench/group.sh   some of the commands
#
# The archive: bench/gen_archive.py (seeded) writes N documents of Italian prose
# (bench/data/it.txt, built as bench/run.sh builds it) dated 2000-2025 as JSONL
# into bench/data/group/ (git-ignored, reused), and this script a --meta file
# giving each document one of 12 sources (a newspaper name) in a column
# `source`. Timed, wall seconds (bench/timecmd.py) and CPU seconds (user +
# sys), best of the runs (plain and grouped taking turns), for freq, timeline,
# tfidf, summary, trends (--period month) and kwic (--terms governo): `tempora CMD
# --meta M --date-col date ARCHIVE`, then the same with `--group-by source`.
# Target, printed PASS/FAIL per command: the grouped run costs at most 1.2x the
# plain one's CPU seconds (CPU, not wall: on a machine other jobs share, wall
# time varies more between two runs than the difference measured; both ratios
# are printed). THREADS=N passes --threads N.
#
# Exit status: 1 when tempora fails; a missed target prints FAIL but does not
# change the exit status.

set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1

TEMPORA=${TEMPORA:-build/release/tempora}
PY=${PY:-/usr/bin/python3}
N=${N:-100000}
RUNS=3
SMOKE=0
TARGET=1.2
DATA=bench/data/group
THREAD_OPT=${THREADS:+--threads $THREADS}
CMDS=${CMDS:-freq timeline tfidf summary trends kwic}

while [ $# -gt 0 ]; do
    case $1 in
    --runs) shift; RUNS=${1:-3} ;;
    --smoke) SMOKE=1; RUNS=1; N=2000 ;;
    -h | --help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/group.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
mkdir -p "$DATA" || exit 1

. bench/italian.sh
need_it group
ARCH=$DATA/news$N
if [ ! -s "$ARCH.jsonl" ]; then
    echo "writing $ARCH.jsonl ($N documents)"
    "$PY" bench/gen_archive.py "$IT" "$ARCH" "$N" jsonl || exit 1
fi
META=$ARCH.meta.csv
if [ ! -s "$META" ]; then
    # ids a0000000... as gen_archive.py names them; a source by a fixed hash
    "$PY" - "$N" "$META" <<'PYEOF' || exit 1
import sys
n, path = int(sys.argv[1]), sys.argv[2]
names = ["Corriere", "Repubblica", "Stampa", "Messaggero", "Mattino", "Gazzettino",
         "Resto", "Nazione", "Giorno", "Tempo", "Unione", "Sicilia"]
with open(path, "w", encoding="utf-8") as f:
    f.write("id,date,source\n")
    for i in range(n):
        f.write("a%07d,,%s\n" % (i, names[(i * 2654435761 >> 7) % len(names)]))
PYEOF
fi

# once NAME CMD...: run CMD once; lowers W_NAME and C_NAME (wall, CPU seconds)
# to its times when they are below.
once() {
    name=$1
    key=$(echo "$name" | tr -c 'a-z0-9\n' '_')
    shift
    /usr/bin/time -f "%U %S" -o "$DATA/$name.cpu" "$PY" bench/timecmd.py "$DATA/$name.times" \
        "$DATA/$name.stdout" "$@" || { echo "bench/group.sh: $name failed: $*" >&2; exit 1; }
    eval "w=\${W_$key:-999999} c=\${C_$key:-999999}"
    w=$(awk -v m="$w" '{ print ($1 < m) ? $1 : m }' "$DATA/$name.times")
    c=$(awk -v m="$c" '{ v = $1 + $2; print (v < m) ? v : m }' "$DATA/$name.cpu")
    eval "W_$key=\$w C_$key=\$c"
}

cat "$ARCH.jsonl" >/dev/null # warm the page cache
echo "group: $N documents, $(wc -c <"$ARCH.jsonl") bytes of JSONL; best of $RUNS${THREADS:+; --threads $THREADS}"
printf '%-10s %9s %9s %7s %9s %9s %7s\n' command "wall" "grouped" ratio "cpu" "grouped" ratio
# the plain and the grouped run take turns, RUNS rounds, so that both see the
# machine as it is then (on a shared VM its speed drifts by 10-20% within
# minutes); the best of each
for cmd in $CMDS; do
    # what a command needs besides: trends by month (300 periods), kwic a term
    case $cmd in
    trends) more="--period month" ;;
    kwic) more="--terms governo" ;;
    *) more= ;;
    esac
    i=0
    while [ "$i" -lt "$RUNS" ]; do
        # shellcheck disable=SC2086
        once "$cmd" "$TEMPORA" "$cmd" $THREAD_OPT $more --quiet --meta "$META" --date-col date \
            -o "$DATA/$cmd.csv" "$ARCH.jsonl"
        # shellcheck disable=SC2086
        once "$cmd-g" "$TEMPORA" "$cmd" $THREAD_OPT $more --quiet --meta "$META" --date-col date \
            --group-by source -o "$DATA/$cmd-g.csv" "$ARCH.jsonl"
        i=$((i + 1))
    done
    eval "W0=\$W_$cmd C0=\$C_$cmd W1=\$W_${cmd}_g C1=\$C_${cmd}_g"
    wratio=$(awk -v a="$W1" -v b="$W0" 'BEGIN { printf "%.2f", a / b }')
    ratio=$(awk -v a="$C1" -v b="$C0" 'BEGIN { printf "%.2f", a / b }')
    printf '%-10s %9s %9s %7s %9s %9s %7s\n' "$cmd" "$W0" "$W1" "${wratio}x" "$C0" "$C1" "${ratio}x"
    eval "R_$cmd=\$ratio"
done
if [ "$SMOKE" = 1 ]; then
    echo "group: smoke run, target not judged"
    exit 0
fi
for cmd in $CMDS; do
    eval "r=\$R_$cmd"
    if awk -v r="$r" -v t="$TARGET" 'BEGIN { exit !(r <= t) }'; then v=PASS; else v=FAIL; fi
    echo "$v group-$cmd: --group-by costs ${r}x the CPU of the same $cmd without it (target <= ${TARGET}x)"
done
