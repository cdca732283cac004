#!/bin/sh
# mpi.sh - tempora-mpi against tempora, byte for byte (SPEC Scale): every table of
# analyze, freq --ngram 2, colloc --window 3 and timeline --terms on 1, 3 and 4
# processes (mpirun --oversubscribe: more processes than cores), the states sent in
# chunks of 1,000 bytes (TEMPORA_MPI_CHUNK) so that every message path is taken; a
# rank that fails (--strict and an unparsable date) ends the job
# non-zero with its message and no table is written.
#
# Usage: TEMPORA=... TEMPORA_MPI=... sh tests/state/mpi.sh   (make mpi-tests)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/tempora-mpi-test.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
MPIRUN="mpirun --allow-run-as-root --oversubscribe"
export TEMPORA_MPI_CHUNK=1000 OMPI_MCA_btl_vader_single_copy_mechanism=none
fail=0
C=$ROOT/corpus
"$TEMPORA" analyze --quiet "$C" -o "$T/direct" || exit 1
for np in 1 3 4; do
    $MPIRUN -np $np "$TEMPORA_MPI" analyze --quiet "$C" -o "$T/mpi$np" || { echo "FAIL np $np: exit $?"; fail=1; }
    for f in "$T/direct"/*; do
        b=$(basename "$f")
        [ "$b" = manifest.csv ] && continue
        sh "$ROOT/tests/state/same_table.sh" "$f" "$T/mpi$np/$b" || { echo "FAIL np $np: $b differs"; fail=1; }
    done
    for args in "freq --ngram 2" "colloc --window 3" "timeline --terms energia,treni" "summary"; do
        # shellcheck disable=SC2086
        "$TEMPORA" $args --quiet "$C" -o "$T/d.csv"
        # shellcheck disable=SC2086
        $MPIRUN -np $np "$TEMPORA_MPI" $args --quiet "$C" -o "$T/m.csv" &&
            cmp -s "$T/d.csv" "$T/m.csv" || { echo "FAIL np $np: $args"; fail=1; }
    done
    echo "np $np: tables identical to tempora's"
done
# a failing rank: the file with a bad date (with --strict an error on the rank that reads it)
mkdir "$T/bad" && cp -r "$C"/* "$T/bad/" && printf 'date 2024-13-45\nbroken date\n' >"$T/bad/zz.txt"
$MPIRUN -np 3 "$TEMPORA_MPI" freq --strict --quiet "$T/bad" -o "$T/bad.csv" 2>"$T/err"
st=$?
if [ $st -eq 0 ] || [ -e "$T/bad.csv" ] || ! grep -q 'tempora: rank [0-9] of 3: .*zz.txt' "$T/err"; then
    echo "FAIL failing rank: exit $st, message: $(head -n 3 "$T/err")"
    fail=1
else
    echo "failing rank: exit $st, message named the rank and the file, no table"
fi
[ $fail -eq 0 ] && echo "mpi: all passed"
exit $fail
