#!/bin/sh
# state.sh - count states against direct runs (issue 12 targets; ratios in one run, on
# the same loaded machine):
#   1. count + analyze from the state vs a direct analyze (target <= 1.2x), and the shares
#      route: count --shard 1/2 and 2/2 + merge + analyze from the state;
#   2. incremental: count one day (1,000 documents) + merge into the archive's state +
#      analyze from it, vs a full analyze of archive + day (target <= 10%);
#   3. tempora-mpi on 2 processes vs tempora --threads 2 (target <= 1.2x, wall; CPU too)
#      on the archive + the day and on the archive alone, and the launch alone,
#      tables equal, PASS or FAIL, and each rank's phases;
#   4. merge of 8 states: peak RSS against reading the largest of them for colloc (its
#      vocabulary and pair table in memory; target <= 2x), and against the merge that
#      loads the states (merge --replace with nothing to replace).
# And the sizes: the archive's bytes, its state's bytes.
#
#     sh bench/state.sh [N] [mpi]     N documents (default 200000); --smoke: 20000;
#                                     mpi: the MPI part (3.) alone
#     ARCHIVE=FILE.jsonl sh bench/state.sh [N] [mpi]
#                                     that archive instead of a generated one (N
#                                     then only names it), e.g. the 1,000,000-document
#                                     bench/data/archive/news1000000.jsonl
#     RUNS=R                          best of R runs in the MPI part (default 5)
#
# The archive is bench/gen_archive.py's JSONL (seeded) from bench/data/it.txt when
# bench/run.sh built it, else from the texts of corpus/. Needs /usr/bin/time.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TP=$ROOT/build/release/tempora
MPI=$ROOT/build/release/tempora-mpi
N=${1:-200000}
[ "$N" = --smoke ] && N=20000
PART=${2:-all}
W=$(mktemp -d "${TMPDIR:-/tmp}/tempora-state-bench.XXXXXX") || exit 2
trap 'rm -rf "$W"' EXIT
PY=/usr/bin/python3
SRC=$ROOT/bench/data/it.txt
if [ ! -s "$SRC" ]; then
    SRC=$W/source.txt
    for i in 1 2 3 4 5 6 7 8; do cat "$ROOT"/corpus/*/*.txt; done >"$SRC"
fi
if [ -n "${ARCHIVE:-}" ]; then
    [ -r "$ARCHIVE" ] || { echo "ARCHIVE=$ARCHIVE: cannot read it"; exit 2; }
    ln -s "$(cd "$(dirname "$ARCHIVE")" && pwd)/$(basename "$ARCHIVE")" "$W/arch.jsonl" || exit 1
else
    $PY "$ROOT/bench/gen_archive.py" "$SRC" "$W/arch" "$N" jsonl >/dev/null || exit 1
fi
RUNS=${RUNS:-5}
$PY "$ROOT/bench/gen_archive.py" "$SRC" "$W/day0" 1000 jsonl >/dev/null || exit 1
sed 's/"id": *"a/"id":"day/' "$W/day0.jsonl" >"$W/day.jsonl" # ids of their own
# t NAME CMD...: wall seconds, peak RSS (KiB), user and system seconds into $W/NAME.t
t() {
    name=$1
    shift
    /usr/bin/time -f "%e %M %U %S" -o "$W/$name.t" "$@" >/dev/null 2>"$W/$name.err" ||
        { echo "FAILED: $*"; cat "$W/$name.err"; exit 1; }
}
s() { cut -d' ' -f1 "$W/$1.t"; }
m() { cut -d' ' -f2 "$W/$1.t"; }
c() { awk '{ printf "%.2f", $3 + $4 }' "$W/$1.t"; } # CPU seconds (user + system)
O="--quiet --lang it --threads 2"
if [ "$PART" != mpi ]; then
t direct "$TP" analyze $O "$W/arch.jsonl" -o "$W/direct"
t count "$TP" count $O "$W/arch.jsonl" -o "$W/arch.tpc"
t fromstate "$TP" analyze $O "$W/arch.tpc" -o "$W/st"
t share1 "$TP" count $O --shard 1/2 "$W/arch.jsonl" -o "$W/s1.tpc"
t share2 "$TP" count $O --shard 2/2 "$W/arch.jsonl" -o "$W/s2.tpc"
t merge2 "$TP" merge "$W/s1.tpc" "$W/s2.tpc" -o "$W/m.tpc"
t fromstate2 "$TP" analyze $O "$W/m.tpc" -o "$W/st2"
for f in "$W/direct"/*; do
    b=$(basename "$f")
    [ "$b" = manifest.csv ] && continue
    sh "$ROOT/tests/state/same_table.sh" "$f" "$W/st/$b" && sh "$ROOT/tests/state/same_table.sh" "$f" "$W/st2/$b" ||
        echo "WARNING: $b differs from the direct run"
done
# incremental: the archive's state is there; a day comes
t full "$TP" analyze $O "$W/arch.jsonl" "$W/day.jsonl" -o "$W/full"
t day "$TP" count $O "$W/day.jsonl" -o "$W/day.tpc"
t mergeday "$TP" merge "$W/arch.tpc" "$W/day.tpc" -o "$W/arch2.tpc"
t fromstate3 "$TP" analyze $O "$W/arch2.tpc" -o "$W/inc"
# merge of 8 states (shares of the archive)
for i in 1 2 3 4 5 6 7 8; do "$TP" count $O --shard $i/8 "$W/arch.jsonl" -o "$W/e$i.tpc"; done
t merge8 "$TP" merge "$W"/e1.tpc "$W"/e2.tpc "$W"/e3.tpc "$W"/e4.tpc "$W"/e5.tpc "$W"/e6.tpc \
    "$W"/e7.tpc "$W"/e8.tpc -o "$W/m8.tpc"
t merge8load "$TP" merge --replace "$W"/e1.tpc "$W"/e2.tpc "$W"/e3.tpc "$W"/e4.tpc "$W"/e5.tpc \
    "$W"/e6.tpc "$W"/e7.tpc "$W"/e8.tpc -o "$W/m8b.tpc"
cmp -s "$W/m8.tpc" "$W/m8b.tpc" || echo "WARNING: the streaming merge and the loading merge differ"
big=$(ls -S "$W"/e?.tpc | head -n 1)
t load1 "$TP" colloc --quiet --top 1 "$big" -o "$W/f1.csv"
t loadall "$TP" freq --quiet --top 1 "$W/arch.tpc" -o "$W/f1.csv"
ratio() { $PY -c "import sys; a=sum(map(float,sys.argv[2:])); b=float(sys.argv[1]); print('%.2f' % (a / b if b else 0))" "$@"; }
echo "archive: $N documents, $(wc -c <"$W/arch.jsonl") bytes; state: $(wc -c <"$W/arch.tpc") bytes ($(ratio "$(wc -c <"$W/arch.jsonl")" "$(wc -c <"$W/arch.tpc")")x the archive)"
echo "direct analyze: $(s direct) s; count $(s count) s + analyze from state $(s fromstate) s = $(ratio "$(s direct)" "$(s count)" "$(s fromstate)")x (target <= 1.2)"
echo "shares: count 1/2 $(s share1) s + 2/2 $(s share2) s + merge $(s merge2) s + analyze $(s fromstate2) s = $(ratio "$(s direct)" "$(s share1)" "$(s share2)" "$(s merge2)" "$(s fromstate2)")x"
echo "incremental: full analyze $(s full) s; count day $(s day) s + merge $(s mergeday) s + analyze $(s fromstate3) s = $(ratio "$(s full)" "$(s day)" "$(s mergeday)" "$(s fromstate3)")x (target <= 0.10)"
echo "  in CPU seconds: full $(c full); day $(c day) + merge $(c mergeday) + analyze $(c fromstate3) = $(ratio "$(c full)" "$(c day)" "$(c mergeday)" "$(c fromstate3)")x; count + analyze from state vs direct: $(ratio "$(c direct)" "$(c count)" "$(c fromstate)")x"
echo "merge of 8 states: $(s merge8) s, peak RSS $(m merge8) KiB = $(ratio "$(m load1)" "$(m merge8)")x reading the largest for colloc ($(m load1) KiB; target <= 2); loading them to merge: $(s merge8load) s, $(m merge8load) KiB; freq from the whole state $(m loadall) KiB"
fi
if [ -x "$MPI" ] && command -v mpirun >/dev/null; then
    # tempora-mpi on 2 processes (each on the thread of the core mpirun binds it to)
    # against tempora --threads 2: best of RUNS of the wall time and, apart, of the CPU
    # time (user + system of mpirun and its ranks), the runs alternating; then one
    # run more with TEMPORA_MPI_TIMES, each rank's phases (wall/CPU seconds). Two
    # inputs: the archive and the day (two files: tempora --threads 2 gives each
    # thread whole files, so it counts the archive on one thread), and the archive
    # alone (one file, cut between the 2 threads as between the 2 ranks: both
    # count on both cores)
    MPIRUN="mpirun --allow-run-as-root --oversubscribe -np 2"
    echo "MPI part: the archive $(wc -l <"$W/arch.jsonl") documents, $(wc -c <"$W/arch.jsonl") bytes${ARCHIVE:+ ($ARCHIVE)}; load average $(cut -d' ' -f1-3 /proc/loadavg)"
    # the fixed cost: launching 2 ranks that read nothing (mpirun and MPI_Init), with
    # tempora-mpi's one-node Open MPI settings and with Open MPI's own (TEMPORA_MPI_MCA)
    for k in $(seq 1 "$RUNS"); do
        /usr/bin/time -f "%e %U %S" -o "$W/launch.$k" $MPIRUN "$MPI" --version >/dev/null 2>&1
        TEMPORA_MPI_MCA=1 /usr/bin/time -f "%e %U %S" -o "$W/launch0.$k" $MPIRUN "$MPI" --version \
            >/dev/null 2>&1
    done
    for input in both alone; do
        if [ $input = both ]; then
            set -- "$W/arch.jsonl" "$W/day.jsonl"
        else
            set -- "$W/arch.jsonl"
        fi
        for k in $(seq 1 "$RUNS"); do
            /usr/bin/time -f "%e %U %S" -o "$W/thr2.$k" "$TP" freq $O "$@" -o "$W/a.csv" \
                >/dev/null 2>&1 || { echo "FAILED: tempora freq"; exit 1; }
            /usr/bin/time -f "%e %U %S" -o "$W/mpi2.$k" $MPIRUN "$MPI" freq --quiet --lang it "$@" \
                -o "$W/b.csv" >/dev/null 2>"$W/mpi2.err" ||
                { echo "FAILED: tempora-mpi freq"; cat "$W/mpi2.err"; exit 1; }
        done
        cmp -s "$W/a.csv" "$W/b.csv" && same=identical || same=DIFFERENT
        TEMPORA_MPI_TIMES=1 $MPIRUN "$MPI" freq --quiet --lang it "$@" -o "$W/b.csv" \
            2>"$W/phases" >/dev/null
        $PY - "$W" "$same" "$input" "$RUNS" <<'PY'
import statistics, sys
w, same, input, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def runs_of(name):
    return [list(map(float, open(f"{w}/{name}.{k}").read().split())) for k in range(1, runs + 1)]
def best(name):
    r = runs_of(name)
    return min(x[0] for x in r), min(x[1] + x[2] for x in r)
def median(name):
    r = runs_of(name)
    return statistics.median(x[0] for x in r), statistics.median(x[1] + x[2] for x in r)
tw, tc = best("thr2")
mw, mc = best("mpi2")
ok = mw <= 1.2 * tw and same == "identical"
what = "archive + day" if input == "both" else "archive alone"
print(f"{what}: tempora-mpi -np 2: wall {mw:.2f} s, CPU {mc:.2f} s; tempora --threads 2: wall "
      f"{tw:.2f} s, CPU {tc:.2f} s; ratio wall {mw / tw:.2f}x, CPU {mc / tc:.2f}x (best of {runs}; "
      f"target wall <= 1.2: {'PASS' if ok else 'FAIL'}), tables {same}")
tmw, tmc = median("thr2")
mmw, mmc = median("mpi2")
print(f"  medians: tempora-mpi wall {mmw:.2f} s, CPU {mmc:.2f} s; tempora --threads 2 wall "
      f"{tmw:.2f} s, CPU {tmc:.2f} s ({mmw / tmw:.2f}x, {mmc / tmc:.2f}x)")
if input == "both":
    lw, lc = best("launch")
    l0w, l0c = best("launch0")
    print(f"  launching 2 ranks (tempora-mpi --version): wall {lw:.2f} s, CPU {lc:.2f} s; with "
          f"Open MPI's own component choice (TEMPORA_MPI_MCA=1): wall {l0w:.2f} s, CPU {l0c:.2f} s")
PY
        sed 's/^/    /' "$W/phases"
    done
fi
