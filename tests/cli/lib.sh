# lib.sh - helpers for the case scripts in tests/cli/cases/*/cmd (`. "$LIB"`).

# metrics FILE NAME...: the summary.csv rows for NAME..., in the order asked
# (order-independent of the file), `NAME,<missing>` for an absent metric.
metrics() {
    _f=$1
    shift
    for _m in "$@"; do
        grep "^$_m," "$_f" || echo "$_m,<missing>"
    done
}

# try LABEL CMD...: run CMD with stdout in LABEL.out and stderr in LABEL.err
# and print `LABEL: exit N`.
try() {
    _l=$1
    shift
    "$@" >"$_l.out" 2>"$_l.err"
    echo "$_l: exit $?"
}

# has FILE STRING...: print `FILE has STRING` or `FILE LACKS STRING` for each.
has() {
    _f=$1
    shift
    for _s in "$@"; do
        if grep -qF -e "$_s" "$_f"; then
            echo "$_f has $_s"
        else
            echo "$_f LACKS $_s"
        fi
    done
}

# dates FILE: doc_id,date of each document in a tfidf table (first row of each).
dates() {
    cut -d, -f1,2 "$1" | uniq
}
