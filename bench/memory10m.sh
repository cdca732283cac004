#!/bin/sh
# bench/memory10m.sh - issue 11's memory target at ten million documents:
# `tempora analyze` (default period: day) on 10,000,000 dated JSONL documents
# must peak at 1 GiB of RSS or less.
#
#   sh bench/memory10m.sh            build the input if missing, run once
#   COPIES=5 sh bench/memory10m.sh   2,000,000 documents instead (quicker)
#
# The input (about 15 GB, git-ignored, never committed) is bench/archive.sh's
# 200,000-document JSONL (built first if missing) written COPIES times (50 by
# default), each copy's ids made unique ("a" + copy number + the id's digits),
# into bench/data/archive/news10m.jsonl. Needs about 16 GB of free disk and
# takes some minutes on two cores; the peak RSS is GNU time's
# "Maximum resident set size". Exit status 1 when tempora fails.

set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
TEMPORA=${TEMPORA:-build/release/tempora}
PY=${PY:-/usr/bin/python3}
COPIES=${COPIES:-50}
DATA=bench/data/archive
SRC=$DATA/news200000.jsonl
BIG=$DATA/news${COPIES}x.jsonl

[ -s "$SRC" ] || sh bench/archive.sh --runs 1 >/dev/null || exit 1
if [ ! -s "$BIG" ]; then
    echo "writing $BIG ($COPIES copies of $SRC)"
    "$PY" - "$SRC" "$BIG" "$COPIES" <<'PY' || exit 1
import sys
src, out, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = open(src, "rb").read().splitlines(keepends=True)
with open(out + ".part", "wb", buffering=1 << 24) as f:
    for k in range(copies):
        tag = b'"id": "a%02d' % k
        f.writelines(l.replace(b'"id": "a', tag, 1) for l in lines)
import os
os.replace(out + ".part", out)
PY
fi
docs=$(wc -l <"$BIG" | tr -d ' ')
out=$(mktemp -d) || exit 1
trap 'rm -rf "$out"' EXIT
/usr/bin/time -f "%M %e %U %S" -o "$out/time" "$TEMPORA" analyze --quiet --date-col date "$BIG" \
    -o "$out/tables" || { echo "bench/memory10m.sh: tempora failed" >&2; exit 1; }
read -r kb wall user sys <"$out/time"
limit=$((1024 * 1024))
[ "$docs" -ge 10000000 ] && verdict=$([ "$kb" -le "$limit" ] && echo PASS || echo FAIL) || verdict="(not judged below 10,000,000 documents)"
echo "analyze, $docs documents: peak RSS $((kb / 1024)) MB ($(echo "$kb $limit" | awk '{printf "%.3f", $1 / $2}') GiB), ${wall} s wall, ${user} s user, ${sys} s sys: $verdict (target <= 1 GiB)"
