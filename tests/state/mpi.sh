#!/bin/sh
# mpi.sh - tempora-mpi against tempora, byte for byte (SPEC Scale): every table of
# analyze, freq --ngram 2, colloc --window 3 and timeline --terms on 1, 3 and 4
# processes (mpirun --oversubscribe: more processes than cores), the states sent in
# chunks of 1,000 bytes (TEMPORA_MPI_CHUNK) so that every message path is taken,
# and handed over by name between the ranks of this node (TEMPORA_MPI_CHUNK
# unset); one JSONL file cut between the ranks at line starts (2 and 3 ranks:
# shares that begin mid-line), and one large one-document text file (read whole
# by one rank, on the threads of the ranks with nothing to read); a rank that
# fails (--strict and an unparsable date) ends the job non-zero with its message,
# no table is written and no temporary file is left; and with TEMPORA_MPI_MCA=1
# (Open MPI's own components rather than tempora-mpi's one-node settings).
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
    before=$fail
    $MPIRUN -np $np "$TEMPORA_MPI" analyze --quiet "$C" -o "$T/mpi$np" || { echo "FAIL np $np: exit $?"; fail=$((fail + 1)); }
    for f in "$T/direct"/*; do
        b=$(basename "$f")
        [ "$b" = manifest.csv ] && continue
        sh "$ROOT/tests/state/same_table.sh" "$f" "$T/mpi$np/$b" || { echo "FAIL np $np: $b differs"; fail=$((fail + 1)); }
    done
    for args in "freq --ngram 2" "colloc --window 3" "timeline --terms energia,treni" "summary"; do
        # shellcheck disable=SC2086
        "$TEMPORA" $args --quiet "$C" -o "$T/d.csv"
        # shellcheck disable=SC2086
        $MPIRUN -np $np "$TEMPORA_MPI" $args --quiet "$C" -o "$T/m.csv" &&
            cmp -s "$T/d.csv" "$T/m.csv" || { echo "FAIL np $np: $args"; fail=$((fail + 1)); }
    done
    [ "$fail" = "$before" ] && echo "np $np: tables identical to tempora's"
done
# the same states handed over by name (ranks of one node)
$MPIRUN -np 3 env -u TEMPORA_MPI_CHUNK "$TEMPORA_MPI" analyze --quiet "$C" -o "$T/byname" ||
    { echo "FAIL by name: exit $?"; fail=$((fail + 1)); }
for f in "$T/direct"/*; do
    b=$(basename "$f")
    [ "$b" = manifest.csv ] && continue
    sh "$ROOT/tests/state/same_table.sh" "$f" "$T/byname/$b" || { echo "FAIL by name: $b differs"; fail=$((fail + 1)); }
done
# by name on 3 and 4 ranks: the states without their per-document lists, read from
# the senders' spill files (a rank passes on the files it took: 4 ranks), with
# --ngram 2 (n-gram lists), --window 3 (pairs), timeline --terms (listed terms
# need the lists' bytes: the whole state goes), summary (keeps no lists: the
# receiver leaves them); TEMPORA_MPI_COPY=1 (the lists
# copied into the state) and TEMPORA_MPI_PROC pointing where the files cannot be
# opened (the receiver refuses the lists, the sender writes the whole state)
before=$fail
for np in 3 4; do
    for how in "-u TEMPORA_MPI_CHUNK" "-u TEMPORA_MPI_CHUNK TEMPORA_MPI_COPY=1" \
        "-u TEMPORA_MPI_CHUNK TEMPORA_MPI_PROC=$T/noproc"; do
        for args in "freq --ngram 2" "colloc --window 3" "timeline --terms energia,treni" "tfidf" \
            "summary"; do
            # shellcheck disable=SC2086
            "$TEMPORA" $args --quiet "$C" -o "$T/d.csv"
            # shellcheck disable=SC2086
            $MPIRUN -np $np env $how "$TEMPORA_MPI" $args --quiet "$C" -o "$T/m.csv" &&
                cmp -s "$T/d.csv" "$T/m.csv" || { echo "FAIL np $np (env $how): $args"; fail=$((fail + 1)); }
        done
    done
done
[ "$fail" = "$before" ] && echo "by name, lists read where they lie, copied, or refused: tables identical to tempora's"
# Open MPI's own component choice (TEMPORA_MPI_MCA: none of tempora-mpi's one-node
# settings), states by name and in chunks: the same table
"$TEMPORA" freq --quiet "$C" -o "$T/own0.csv" || exit 1
before=$fail
for how in "-u TEMPORA_MPI_CHUNK" "TEMPORA_MPI_CHUNK=1000"; do
    # shellcheck disable=SC2086
    TEMPORA_MPI_MCA=1 $MPIRUN -np 2 env $how "$TEMPORA_MPI" freq --quiet "$C" -o "$T/own.csv" &&
        cmp -s "$T/own0.csv" "$T/own.csv" || { echo "FAIL TEMPORA_MPI_MCA=1 (env $how)"; fail=$((fail + 1)); }
done
[ "$fail" = "$before" ] && echo "Open MPI's own components (TEMPORA_MPI_MCA=1): the same table"
# one JSONL file of the corpus's lines (a document a line, dated; no id field, so a
# document's id is PATH:LINE and each part must number its lines), 3.4 MB: cut between
# the ranks, and with --threads 2 each rank's share cut again between its threads; the
# manifest's input counts are one process's (each rank once counted the file an input)
i=0
while [ $i -lt 42 ]; do
    awk -v r=$i '{ gsub(/\\/, "\\\\\\\\"); gsub(/"/, "\\\\\""); gsub(/\t/, " "); gsub(/\r/, "");
        if (length($0) < 20) next
        printf "{\"date\":\"20%02d-%02d-%02d\",\"text\":\"%s\"}\n", 10 + r % 15, 1 + NR % 12, 1 + NR % 28, $0 }' \
        "$C"/it/*.txt
    i=$((i + 1))
done >"$T/lines.jsonl"
"$TEMPORA" analyze --quiet --lang it "$T/lines.jsonl" -o "$T/jdirect" || exit 1
before=$fail
for np in 2 3; do
    for how in byname chunks threads; do
        set -- env -u TEMPORA_MPI_CHUNK "$TEMPORA_MPI" analyze
        [ $how = chunks ] && set -- env "$TEMPORA_MPI" analyze
        [ $how = threads ] && set -- env -u TEMPORA_MPI_CHUNK "$TEMPORA_MPI" analyze --threads 2
        $MPIRUN -np $np "$@" --quiet --lang it "$T/lines.jsonl" -o "$T/j$np$how" ||
            { echo "FAIL jsonl np $np $how: exit $?"; fail=$((fail + 1)); }
        for f in "$T/jdirect"/*; do
            b=$(basename "$f")
            [ "$b" = manifest.csv ] && continue
            sh "$ROOT/tests/state/same_table.sh" "$f" "$T/j$np$how/$b" ||
                { echo "FAIL jsonl np $np $how: $b differs"; fail=$((fail + 1)); }
        done
        # what the manifest counts of the input: one file (each share of it once
        # counted it), its bytes, documents and tokens
        for k in inputs input_bytes bytes_read documents tokens; do
            [ "$(grep "^$k," "$T/jdirect/manifest.csv")" = "$(grep "^$k," "$T/j$np$how/manifest.csv")" ] ||
                { echo "FAIL jsonl np $np $how: manifest $k: $(grep "^$k," "$T/j$np$how/manifest.csv")"; fail=$((fail + 1)); }
        done
    done
done
[ "$fail" = "$before" ] && echo "one JSONL file cut between 2 and 3 ranks (and their threads): tables identical to tempora's"
# one CSV with ids, every third id cell empty (PATH:ROW, the row's number in the whole
# file): cut between the ranks at row starts, a later rank numbers its rows after those
# before it (it once stopped at its first row without an id: documents lost, exit 0)
awk 'BEGIN { print "id,date,text" }
    length($0) >= 20 { gsub(/"/, ""); n++; printf "%s,2020-01-%02d,\"%s\"\n", (n % 3 ? "r" n : ""), 1 + n % 28, $0 }' \
    "$C"/it/*.txt "$C"/it/*.txt "$C"/it/*.txt >"$T/rows.csv"
"$TEMPORA" tfidf --quiet --lang it "$T/rows.csv" -o "$T/cdirect.csv" || exit 1
before=$fail
for np in 2 3; do
    $MPIRUN -np $np "$TEMPORA_MPI" tfidf --quiet --lang it "$T/rows.csv" -o "$T/c$np.csv" &&
        cmp -s "$T/cdirect.csv" "$T/c$np.csv" || { echo "FAIL csv with empty ids np $np"; fail=$((fail + 1)); }
done
[ "$fail" = "$before" ] && echo "one CSV with empty id cells cut between 2 and 3 ranks: tfidf identical to tempora's"
# one large one-document text file (over 4 MiB: counted in parts on threads)
i=0
while [ $i -lt 60 ]; do cat "$C"/it/*.txt; i=$((i + 1)); done >"$T/big.txt"
"$TEMPORA" analyze --quiet --lang it --threads 2 "$T/big.txt" -o "$T/bdirect" || exit 1
before=$fail
for np in 2 3; do
    $MPIRUN -np $np "$TEMPORA_MPI" analyze --quiet --lang it "$T/big.txt" -o "$T/b$np" ||
        { echo "FAIL big text np $np: exit $?"; fail=$((fail + 1)); }
    for f in "$T/bdirect"/*; do
        b=$(basename "$f")
        [ "$b" = manifest.csv ] && continue
        sh "$ROOT/tests/state/same_table.sh" "$f" "$T/b$np/$b" || { echo "FAIL big text np $np: $b differs"; fail=$((fail + 1)); }
    done
done
[ "$fail" = "$before" ] && echo "one large one-document file on 2 and 3 ranks: tables identical to tempora's"
# a failing rank: the file with a bad date (with --strict an error on the rank that reads it)
mkdir "$T/bad" && cp -r "$C"/* "$T/bad/" && printf 'date 2024-13-45\nbroken date\n' >"$T/bad/zz.txt"
mkdir "$T/tmp"
TMPDIR=$T/tmp $MPIRUN -np 3 "$TEMPORA_MPI" freq --strict --quiet "$T/bad" -o "$T/bad.csv" 2>"$T/err"
st=$?
if [ $st -eq 0 ] || [ -e "$T/bad.csv" ] || ! grep -q 'tempora: rank [0-9] of 3: .*zz.txt' "$T/err" ||
    [ -n "$(ls -A "$T/tmp")" ]; then
    ls -A "$T/tmp"
    echo "FAIL failing rank: exit $st, message: $(head -n 3 "$T/err")"
    fail=$((fail + 1))
else
    echo "failing rank: exit $st, message named the rank and the file, no table"
fi
# what a count state does not keep (document groups, the forms behind stems: tempora
# count refuses both) cannot reach rank 0 from the other ranks: on 2 ranks --group-by
# and --stem are refused with a message, no table (they once gave other tables than
# tempora's: the other ranks' documents in the group "", stems counted apart). Every
# rank finds the refusal; the first to abort ends the others, so the message may come
# from either rank.
before=$fail
for args in "freq --group-by dir" "summary --group-by dir" "freq --stem --lang it"; do
    rm -f "$T/refused.csv"
    # shellcheck disable=SC2086
    $MPIRUN -np 2 "$TEMPORA_MPI" $args --quiet "$C" -o "$T/refused.csv" 2>"$T/err"
    st=$?
    opt=$(echo "$args" | cut -d' ' -f2)
    if [ $st -eq 0 ] || [ -e "$T/refused.csv" ] || ! grep -q "tempora: rank [01] of 2: $opt: not with tempora-mpi" "$T/err"; then
        echo "FAIL $args on 2 ranks: exit $st, message: $(head -n 2 "$T/err")"
        fail=$((fail + 1))
    fi
done
# every rank reads --meta: a FIFO (which would feed one rank only) is refused on 2 ranks
# before any rank opens it (no writer is needed: it must not wait for one)
mkfifo "$T/meta.fifo"
rm -f "$T/refused.csv"
timeout 60 $MPIRUN -np 2 "$TEMPORA_MPI" summary --quiet "$C" --meta "$T/meta.fifo" -o "$T/refused.csv" 2>"$T/err"
st=$?
if [ $st -eq 0 ] || [ $st -eq 124 ] || [ -e "$T/refused.csv" ] || ! grep -q "tempora: rank [01] of 2: --meta: not a regular file" "$T/err"; then
    echo "FAIL --meta FIFO on 2 ranks: exit $st, message: $(head -n 2 "$T/err")"
    fail=$((fail + 1))
fi
# tokens and kwic write as they read, merge reads states whole: nothing to share, so
# on 2 ranks each rank would print the whole output (tokens and kwic to stdout came
# out twice): refused, nothing on stdout; on 1 rank the same output as tempora's
for args in "tokens" "kwic --terms the"; do
    cmd=$(echo "$args" | cut -d' ' -f1)
    # shellcheck disable=SC2086
    $MPIRUN -np 2 "$TEMPORA_MPI" $args "$C" >"$T/out2" 2>"$T/err"
    st=$?
    if [ $st -eq 0 ] || [ -s "$T/out2" ] || ! grep -q "tempora: rank [01] of 2: $cmd: not with tempora-mpi" "$T/err"; then
        echo "FAIL $cmd on 2 ranks: exit $st, $(wc -l <"$T/out2") lines out, message: $(head -n 2 "$T/err")"
        fail=$((fail + 1))
    fi
    # shellcheck disable=SC2086
    "$TEMPORA" $args "$C" >"$T/out0" && $MPIRUN -np 1 "$TEMPORA_MPI" $args "$C" >"$T/out1" &&
        [ -s "$T/out0" ] && cmp -s "$T/out0" "$T/out1" || { echo "FAIL $cmd on 1 rank"; fail=$((fail + 1)); }
done
# on 1 rank nothing is handed over: the same table as tempora's
"$TEMPORA" freq --group-by dir --quiet "$C" -o "$T/g0.csv" || exit 1
$MPIRUN -np 1 "$TEMPORA_MPI" freq --group-by dir --quiet "$C" -o "$T/g1.csv" &&
    cmp -s "$T/g0.csv" "$T/g1.csv" || { echo "FAIL freq --group-by dir on 1 rank"; fail=$((fail + 1)); }
[ "$fail" = "$before" ] && echo "--group-by, --stem, a FIFO --meta, tokens and kwic refused on 2 ranks, --group-by, tokens and kwic on 1 rank as tempora"
[ $fail -eq 0 ] && echo "mpi: all passed"
[ $fail -eq 0 ]
