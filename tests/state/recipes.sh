#!/bin/sh
# recipes.sh - the scale-out recipes of docs/scale-out.md, run as written: every
# ```sh block whose first comment is "# recipe: NAME" is extracted and run here
# (GNU parallel with --sshlogin : on this machine; the Slurm array job's script
# with SLURM_ARRAY_TASK_ID set by a loop, then the merge job's script; the daily
# increment), and the tables each writes are compared with one direct run,
# byte for byte (manifest aside).
#
# Usage: TEMPORA=/abs/build/release/tempora sh tests/state/recipes.sh
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/tempora-recipes.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
mkdir "$T/bin" && ln -s "$TEMPORA" "$T/bin/tempora"
PATH=$T/bin:$PATH
export PATH
fail=0
# extract NAME: the block's lines
awk -v dir="$T" '
    /^```sh/ { inb = 1; buf = ""; name = ""; next }
    /^```/ && inb { if (name != "") { f = dir "/" name ".sh"; printf "%s", buf > f; close(f) } inb = 0; next }
    inb { buf = buf $0 "\n"; if ($0 ~ /^# recipe: /) { name = $3 } }
' "$ROOT/docs/scale-out.md"
for r in parallel slurm-count slurm-merge daily; do
    [ -s "$T/$r.sh" ] || { echo "FAIL: no '# recipe: $r' block in docs/scale-out.md"; fail=1; }
done
[ $fail -eq 0 ] || exit 1
same() { # same DIR NAME
    for f in "$T/direct"/*; do
        b=$(basename "$f")
        [ "$b" = manifest.csv ] && continue
        sh "$ROOT/tests/state/same_table.sh" "$f" "$1/$b" || { echo "FAIL $2: $b differs from the direct run"; fail=1; return; }
    done
    echo "$2: tables identical to one run"
}
# the corpus without one day (it/2024-02-08*), which the daily recipe adds
mkdir -p "$T/corpus" "$T/new"
cp -r "$ROOT/corpus/en" "$ROOT/corpus/it" "$T/corpus/"
mv "$T/corpus/it/2024-02-08_energia-bollette.txt" "$T/new/"
export CORPUS="$T/corpus" HOSTS=: NEW="$T/new"
tempora analyze --quiet --lang it "$T/corpus" -o "$T/direct"
if command -v parallel >/dev/null; then
    (cd "$T" && STATES="$T/p" OUT="$T/out-parallel" sh "$T/parallel.sh") || fail=1
    same "$T/out-parallel" "GNU parallel --sshlogin :"
else
    echo "SKIP GNU parallel: not installed (make deps)"
fi
i=1
while [ $i -le 8 ]; do
    (cd "$T" && SLURM_ARRAY_TASK_ID=$i STATES="$T/s" sh "$T/slurm-count.sh") || fail=1
    i=$((i + 1))
done
(cd "$T" && STATES="$T/s" OUT="$T/out-slurm" sh "$T/slurm-merge.sh") || fail=1
same "$T/out-slurm" "Slurm array (SLURM_ARRAY_TASK_ID 1..8) + merge job"
# the daily increment onto the Slurm run's state: the direct run now has the day at the end
tempora analyze --quiet --lang it "$T/corpus" "$T/new" -o "$T/direct"
(cd "$T" && STATES="$T/s" OUT="$T/out-daily" sh "$T/daily.sh") || fail=1
same "$T/out-daily" "daily count + merge onto the archive's state"
[ $fail -eq 0 ] && echo "recipes: all passed"
exit $fail
