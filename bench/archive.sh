#!/bin/sh
# bench/archive.sh - a dated news archive as JSON Lines, CSV, a folder and
# gzip: is `tempora freq` on it as fast as the tokenizer allows?
#
#   sh bench/archive.sh              200,000 documents, best of 3 rounds
#   sh bench/archive.sh --runs N     best of N rounds
#   sh bench/archive.sh --smoke      2,000 documents, one run, targets not judged; installs
#                                    nothing and skips when there is no Italian text
#   N=1000000 sh bench/archive.sh    another size
#   TEMPORA_OLD=old/tempora sh bench/archive.sh   also time another binary, and
#                                    check its tables are the same bytes
#
# The archive: bench/gen_archive.py (seeded) writes N documents of Italian prose
# (bench/data/it.txt, built as bench/run.sh builds it) dated 2000-2025 as JSONL
# ("id", "date", "title", "text"; about 1.2 KB of text each) and the same texts as
# one plain file, the same as CSV, as a folder of one file a document and as
# one .jsonl.gz, into bench/data/archive/ (git-ignored, reused). Timed in
# rounds, every command once a round (so a drift of the machine's speed slows
# the commands compared alike), one-thread commands pinned to one CPU, the
# same for all (PIN=K chooses it, PIN= none); wall seconds (bench/timecmd.py)
# and CPU seconds (user + sys), best of the rounds:
# `tempora freq --date-col date` on the JSONL, the CSV, the folder and the .gz
# (all cores), `wc -w` on the JSONL and the CSV, and `tempora freq` on the plain
# file, and `tempora freq --threads 1` and `wc -w` (LC_ALL=C.UTF-8) on the plain
# file. Targets, printed PASS/FAIL:
#   - JSONL and CSV freq at least 1.5x as fast as `wc -w` on the same file (wall);
#   - JSONL and CSV freq's cost per byte at most 1.5x the plain file's (wall);
#   - the folder's at most 2x the plain file's (wall);
#   - `tempora freq --threads 1` on the plain file at least 1.6x as fast as
#     `wc -w` on it (wall; issue 11's Italian target, which it measured on the
#     archive's texts: bench/run.sh also judges it on it20.txt, 20 MB, where
#     start-up and the 40,000-row table are a third of the run);
#   - `tempora analyze --date-col date` (default period: day) on the JSONL at most
#     2.5x freq on it (wall), its peak RSS at most 256 MiB at 200,000 documents or
#     fewer, and at 1,000,000 documents at most 6 s per 1.2 GB of JSONL (issue 11:
#     "on the 1.2 GB JSONL: <= 6 s"; this generator's million documents take 1.5 GB,
#     so the limit is scaled to the file's bytes);
#   - `tempora tfidf --threads 1 --top 10` on the JSONL at least 15x as fast as
#     scikit-learn's TfidfVectorizer (bench/py_sklearn_tfidf.py, same weights, top
#     10 a document) given the simpler input, the texts one a line (ARCH.lines,
#     made once); both best of the rounds (wall), except that past 200,000
#     documents sklearn runs in the middle round only (a million take it two
#     minutes or more);
# the .gz is timed, not judged. The tables of every form must be the same bytes.
# THREADS=N passes --threads N.
#
# Exit status: 1 when tempora fails, or the two binaries' tables differ; a missed
# target prints FAIL but does not change the exit status.

set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1

TEMPORA=${TEMPORA:-build/release/tempora}
TEMPORA_OLD=${TEMPORA_OLD:-}
PY=${PY:-/usr/bin/python3}
N=${N:-200000}
RUNS=3
SMOKE=0
TARGET=1.5
DATA=bench/data/archive
THREAD_OPT=${THREADS:+--threads $THREADS}

while [ $# -gt 0 ]; do
    case $1 in
    --runs) shift; RUNS=${1:-3} ;;
    --smoke) SMOKE=1; RUNS=1; N=2000 ;;
    -h | --help) sed -n '2,47p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/archive.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
mkdir -p "$DATA" || exit 1

# ---------------------------------------------------------------- the archive

. bench/italian.sh
need_it archive
ARCH=$DATA/news$N
if [ ! -s "$ARCH.jsonl" ] || [ ! -s "$ARCH.txt" ] || [ ! -s "$ARCH.csv" ] || [ ! -d "$ARCH.d" ]; then
    echo "writing $ARCH.jsonl, .csv, .txt and .d/ ($N documents)"
    rm -rf "$ARCH.d"
    "$PY" bench/gen_archive.py "$IT" "$ARCH" "$N" jsonl,csv,txt,dir || exit 1
fi
[ -s "$ARCH.jsonl.gz" ] || gzip -1 -c "$ARCH.jsonl" >"$ARCH.jsonl.gz" || exit 1

# ---------------------------------------------------------------- the runs

# Every command runs once a round, RUNS rounds (interleaved: a machine whose
# speed drifts over minutes slows the commands compared alike), and keeps
# its best. job NAME CMD...: one run of CMD, folded into NAME's best wall and
# CPU seconds and largest peak RSS (KiB: the command's own, as GNU time
# reports the largest of the processes it waited for), kept in $DATA/NAME.best.
# result NAME: sets WALL, CPU and RSS from it.
job() {
    name=$1
    shift
    /usr/bin/time -f "%U %S %M" -o "$DATA/$name.cpu" "$PY" bench/timecmd.py "$DATA/$name.times" \
        "$DATA/$name.stdout" "$@" || { echo "bench/archive.sh: $name failed: $*" >&2; exit 1; }
    if [ "$ROUND" -eq 1 ]; then echo "999999 999999 0" >"$DATA/$name.best"; fi
    awk -v t="$(cat "$DATA/$name.times")" '{ split(t, w, " ") }
        FNR == NR { bw = $1; bc = $2; br = $3; next }
        { c = $1 + $2; printf "%s %s %s\n", (w[1] < bw) ? w[1] : bw, (c < bc) ? c : bc,
          ($3 > br) ? $3 : br }' "$DATA/$name.best" "$DATA/$name.cpu" >"$DATA/$name.best.new" &&
        mv "$DATA/$name.best.new" "$DATA/$name.best" || exit 1
}
result() {
    # shellcheck disable=SC2046 # "WALL CPU RSS" split on purpose
    set -- $(cat "$DATA/$1.best")
    WALL=$1
    CPU=$2
    RSS=$3
}

# ONE: the prefix that pins a one-thread command (wc, tempora --threads 1,
# scikit-learn) to one CPU
. bench/pin.sh

row() { printf '%-26s %8s %8s\n' "$1" "$2" "$3"; }

JB=$(wc -c <"$ARCH.jsonl")
TB=$(wc -c <"$ARCH.txt")
CB=$(wc -c <"$ARCH.csv")
DB=$(find "$ARCH.d/" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
cat "$ARCH.jsonl" "$ARCH.txt" "$ARCH.csv" "$ARCH.jsonl.gz" >/dev/null # warm the page cache
find "$ARCH.d/" -type f -exec cat {} + >/dev/null
echo "archive: $N documents, JSONL $JB bytes, plain $TB bytes; best of $RUNS${THREADS:+; --threads $THREADS}${ONE:+; one-thread commands on CPU $PIN}"
# tfidf on one thread against scikit-learn (skipped without sklearn), which
# reads the texts one a line
HAVE_SK=0
"$PY" -c "import sklearn" 2>/dev/null && HAVE_SK=1
if [ "$HAVE_SK" = 1 ] && [ ! -s "$ARCH.lines" ]; then
    "$PY" -c 'import json, sys
with open(sys.argv[1], encoding="utf-8") as f, open(sys.argv[2], "w", encoding="utf-8") as o:
    for line in f:
        o.write(" ".join(json.loads(line)["text"].split()) + "\n")' "$ARCH.jsonl" "$ARCH.lines" ||
        exit 1
fi
ROUND=1
while [ "$ROUND" -le "$RUNS" ]; do
    # shellcheck disable=SC2086
    job jsonl "$TEMPORA" freq $THREAD_OPT --quiet --date-col date -o "$DATA/jsonl.csv" "$ARCH.jsonl"
    # shellcheck disable=SC2086
    job wc $ONE wc -w "$ARCH.jsonl"
    # shellcheck disable=SC2086
    job analyze "$TEMPORA" analyze $THREAD_OPT --quiet --date-col date -o "$DATA/analyze" "$ARCH.jsonl"
    # shellcheck disable=SC2086
    job plain "$TEMPORA" freq $THREAD_OPT --quiet -o "$DATA/plain.csv" "$ARCH.txt"
    # shellcheck disable=SC2086
    job plain1 $ONE "$TEMPORA" freq --threads 1 --quiet -o "$DATA/plain1.csv" "$ARCH.txt"
    # shellcheck disable=SC2086
    job wcplain $ONE env LC_ALL=C.UTF-8 wc -w "$ARCH.txt"
    # shellcheck disable=SC2086
    job csv "$TEMPORA" freq $THREAD_OPT --quiet --date-col date -o "$DATA/csv.csv" "$ARCH.csv"
    # shellcheck disable=SC2086
    job wccsv $ONE wc -w "$ARCH.csv"
    # shellcheck disable=SC2086
    job dir "$TEMPORA" freq $THREAD_OPT --quiet -o "$DATA/dir.csv" "$ARCH.d"
    # shellcheck disable=SC2086
    job gz "$TEMPORA" freq $THREAD_OPT --quiet --date-col date -o "$DATA/gz.csv" "$ARCH.jsonl.gz"
    if [ "$HAVE_SK" = 1 ]; then
        # shellcheck disable=SC2086
        job tfidf1 $ONE "$TEMPORA" tfidf --threads 1 --quiet --top 10 --date-col date \
            -o "$DATA/tfidf1.csv" "$ARCH.jsonl"
        # scikit-learn in every round, as every other command: one timing of
        # its own swung the ratio (23 s, then 36.6 s in a run of 12-07);
        # past 200,000 documents (two minutes a run) in the middle round only
        if [ "$N" -le 200000 ] || [ "$ROUND" -eq $(((RUNS + 1) / 2)) ]; then
            SAVED_ROUND=$ROUND
            [ "$N" -le 200000 ] || ROUND=1 # its only round is its first
            # shellcheck disable=SC2086
            job sktfidf $ONE "$PY" bench/py_sklearn_tfidf.py "$ARCH.lines" "$DATA/sk_tfidf.csv" 10
            ROUND=$SAVED_ROUND
        fi
    fi
    if [ -n "$TEMPORA_OLD" ]; then
        # shellcheck disable=SC2086
        job old "$TEMPORA_OLD" freq $THREAD_OPT --quiet --date-col date -o "$DATA/old.csv" \
            "$ARCH.jsonl"
    fi
    ROUND=$((ROUND + 1))
done

row "" "wall s" "cpu s"
result jsonl
WJ=$WALL
CJ=$CPU
row "tempora freq JSONL" "$WALL" "$CPU"
result analyze
WA=$WALL
RA=$RSS
row "tempora analyze JSONL" "$WALL" "$CPU"
result plain
WP=$WALL
CP=$CPU
row "tempora freq plain" "$WALL" "$CPU"
result plain1
WP1=$WALL
row "tempora freq plain, 1 thr" "$WALL" "$CPU"
result wcplain
WWP=$WALL
row "wc -w plain" "$WALL" "$CPU"
result wc
WW=$WALL
row "wc -w JSONL" "$WALL" "$CPU"
result csv
WC=$WALL
CC=$CPU
row "tempora freq CSV" "$WALL" "$CPU"
result wccsv
WWC=$WALL
row "wc -w CSV" "$WALL" "$CPU"
result dir
WD=$WALL
CD=$CPU
row "tempora freq folder" "$WALL" "$CPU"
result gz
row "tempora freq .jsonl.gz" "$WALL" "$CPU"
for f in csv dir gz; do
    cmp -s "$DATA/jsonl.csv" "$DATA/$f.csv" ||
        { echo "bench/archive.sh: freq on the $f form differs from the JSONL's" >&2; exit 1; }
done
cmp -s "$DATA/plain.csv" "$DATA/plain1.csv" ||
    { echo "bench/archive.sh: freq on the plain file differs on one thread" >&2; exit 1; }
if [ "$HAVE_SK" = 1 ]; then
    result tfidf1
    WT=$WALL
    row "tempora tfidf --threads 1" "$WALL" "$CPU"
    result sktfidf
    WS=$WALL
    row "sklearn TfidfVectorizer" "$WALL" "$CPU"
fi
if [ -n "$TEMPORA_OLD" ]; then
    result old
    row "old tempora freq JSONL" "$WALL" "$CPU"
    echo "old / new (JSONL, wall): $(awk -v a="$WALL" -v b="$WJ" 'BEGIN { printf "%.2f", a / b }')x"
    cmp -s "$DATA/old.csv" "$DATA/jsonl.csv" ||
        { echo "bench/archive.sh: the two binaries' freq tables differ" >&2; exit 1; }
fi

# CPU seconds (user + sys) per byte against the plain file's: on a shared
# machine steadier than wall times; printed, not judged
echo "cpu per byte / plain's: JSONL $(awk -v a="$CJ" -v ab="$JB" -v p="$CP" -v pb="$TB" \
    'BEGIN { printf "%.2f", (a / ab) / (p / pb) }')x, CSV $(awk -v a="$CC" -v ab="$CB" -v p="$CP" \
    -v pb="$TB" 'BEGIN { printf "%.2f", (a / ab) / (p / pb) }')x, folder $(awk -v a="$CD" \
    -v ab="$DB" -v p="$CP" -v pb="$TB" 'BEGIN { printf "%.2f", (a / ab) / (p / pb) }')x"
if [ "$SMOKE" = 1 ]; then
    echo "archive: smoke run, targets not judged"
    exit 0
fi
speed=$(awk -v w="$WW" -v j="$WJ" 'BEGIN { printf "%.2f", w / j }')
perbyte=$(awk -v j="$WJ" -v jb="$JB" -v p="$WP" -v pb="$TB" 'BEGIN { printf "%.2f", (j / jb) / (p / pb) }')
if awk -v r="$speed" -v t="$TARGET" 'BEGIN { exit !(r >= t) }'; then v=PASS; else v=FAIL; fi
echo "$v archive-wc: JSONL freq is ${speed}x as fast as wc -w (target >= ${TARGET}x)"
if awk -v r="$perbyte" -v t="$TARGET" 'BEGIN { exit !(r <= t) }'; then v=PASS; else v=FAIL; fi
echo "$v archive-plain: JSONL freq costs ${perbyte}x the plain file per byte (target <= ${TARGET}x)"
speed=$(awk -v w="$WWC" -v j="$WC" 'BEGIN { printf "%.2f", w / j }')
perbyte=$(awk -v j="$WC" -v jb="$CB" -v p="$WP" -v pb="$TB" 'BEGIN { printf "%.2f", (j / jb) / (p / pb) }')
if awk -v r="$speed" -v t="$TARGET" 'BEGIN { exit !(r >= t) }'; then v=PASS; else v=FAIL; fi
echo "$v archive-csv-wc: CSV freq is ${speed}x as fast as wc -w (target >= ${TARGET}x)"
if awk -v r="$perbyte" -v t="$TARGET" 'BEGIN { exit !(r <= t) }'; then v=PASS; else v=FAIL; fi
echo "$v archive-csv-plain: CSV freq costs ${perbyte}x the plain file per byte (target <= ${TARGET}x)"
perbyte=$(awk -v j="$WD" -v jb="$DB" -v p="$WP" -v pb="$TB" 'BEGIN { printf "%.2f", (j / jb) / (p / pb) }')
if awk -v r="$perbyte" 'BEGIN { exit !(r <= 2) }'; then v=PASS; else v=FAIL; fi
echo "$v archive-folder: the folder costs ${perbyte}x the plain file per byte (target <= 2x)"
speed=$(awk -v w="$WWP" -v p="$WP1" 'BEGIN { printf "%.2f", w / p }')
if awk -v r="$speed" 'BEGIN { exit !(r >= 1.6) }'; then v=PASS; else v=FAIL; fi
echo "$v archive-italian-1t: freq --threads 1 on the plain Italian text is ${speed}x as fast as wc -w (target >= 1.6x)"
ratio=$(awk -v a="$WA" -v j="$WJ" 'BEGIN { printf "%.2f", a / j }')
if awk -v r="$ratio" 'BEGIN { exit !(r <= 2.5) }'; then v=PASS; else v=FAIL; fi
echo "$v archive-analyze: analyze on the JSONL takes ${ratio}x freq on it (${WA} s; target <= 2.5x)"
if [ "$HAVE_SK" = 1 ]; then
    ratio=$(awk -v s="$WS" -v t="$WT" 'BEGIN { printf "%.1f", s / t }')
    if awk -v r="$ratio" 'BEGIN { exit !(r >= 15) }'; then v=PASS; else v=FAIL; fi
    echo "$v archive-tfidf-sklearn: tfidf on one thread is ${ratio}x as fast as scikit-learn (target >= 15x)"
else
    echo "SKIP archive-tfidf-sklearn: scikit-learn is not installed (make deps)"
fi
if [ "$N" -le 200000 ]; then
    if [ "$RA" -le $((256 * 1024)) ]; then v=PASS; else v=FAIL; fi
    echo "$v archive-analyze-rss: analyze's peak RSS $((RA / 1024)) MiB at $N documents (target <= 256 MiB)"
fi
if [ "$N" -eq 1000000 ]; then
    limit=$(awk -v b="$JB" 'BEGIN { printf "%.2f", 6 * b / 1.2e9 }')
    if awk -v a="$WA" -v l="$limit" 'BEGIN { exit !(a <= l) }'; then v=PASS; else v=FAIL; fi
    echo "$v archive-analyze-1m: analyze on $JB bytes of JSONL in ${WA} s (target <= 6 s per 1.2 GB: ${limit} s)"
fi
