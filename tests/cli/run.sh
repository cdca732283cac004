#!/bin/sh
# run.sh - tempora's command-line regression tests (after zstd's cli-tests and
# Miller's reg_test).
#
# Each folder tests/cli/cases/NAME/ is one case: `cmd` is a sh script run in a
# fresh empty folder, and the files beside it say what must come out:
#   exit         expected exit status of cmd (default 0)
#   stdout       exact expected standard output
#   stderr       exact expected standard error
#   stdout.grep  lines that must each appear in standard output (fixed strings)
#   stderr.grep  lines that must each appear in standard error (fixed strings)
# A case whose first output line is `SKIP` (or `SKIP: why`) is counted as skipped.
# A sanitizer report (ASan, UBSan, TSan) from any tempora run inside a case
# fails that case.
#
# Usage: TEMPORA=/abs/path/to/tempora sh tests/cli/run.sh [NAME-PATTERN...]
# Environment given to cmd: TEMPORA, DATA (tests/data), SEEDS (../shared/seeds,
# may not exist), CASE (the case folder), LIB (helpers: `. "$LIB"`),
# PY (/usr/bin/python3), TEMPORA_BIG
# (1: run the slow large-input cases; default 1 unless TEMPORA is an ASan build).
# Ends with `N passed, N failed[, N skipped]`; exits 1 if any case failed.

set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CASES=$ROOT/tests/cli/cases

if [ -z "${TEMPORA:-}" ]; then
    echo "run.sh: set TEMPORA to the tempora binary (absolute path)" >&2
    exit 2
fi
case $TEMPORA in
/*) ;;
*) TEMPORA=$(pwd)/$TEMPORA ;;
esac
if [ ! -x "$TEMPORA" ]; then
    echo "run.sh: $TEMPORA is not an executable file" >&2
    exit 2
fi

DATA=$ROOT/tests/data
SEEDS=$ROOT/../shared/seeds
if [ -d "$SEEDS" ]; then
    SEEDS=$(cd "$SEEDS" && pwd)
fi
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# The large-input case takes minutes under ASan or TSan: run it only on other
# builds unless TEMPORA_BIG says otherwise.
if [ -z "${TEMPORA_BIG:-}" ]; then
    if grep -q -e __asan_init -e __tsan_init "$TEMPORA" 2>/dev/null; then
        TEMPORA_BIG=0
    else
        TEMPORA_BIG=1
    fi
fi

# Byte-wise sort and tr in the case scripts; tempora itself must not care.
LC_ALL=C
LIB=$ROOT/tests/cli/lib.sh
export LC_ALL TEMPORA DATA SEEDS PY TEMPORA_BIG LIB

RUN=$(mktemp -d "${TMPDIR:-/tmp}/tempora-cli.XXXXXX") || exit 2
trap 'rm -rf "$RUN"' EXIT
trap 'exit 130' INT TERM

ASAN_BASE=${ASAN_OPTIONS:-}
UBSAN_BASE=${UBSAN_OPTIONS:-}
TSAN_BASE=${TSAN_OPTIONS:-}
CASE_TIMEOUT=${TEMPORA_CASE_TIMEOUT:-600}

passed=0
failed=0
skipped=0
failed_names=

# Print the first 60 lines of a diff (or of a file) indented, for a failure.
show() {
    sed -n '1,60p' | sed 's/^/    /'
}

# selected NAME: true when no pattern was given or NAME contains one of them.
selected() {
    [ $# -eq 1 ] && return 0
    name=$1
    shift
    for p in "$@"; do
        case $name in
        *"$p"*) return 0 ;;
        esac
    done
    return 1
}

for dir in "$CASES"/*/; do
    dir=${dir%/}
    name=${dir##*/}
    [ -f "$dir/cmd" ] || continue
    selected "$name" "$@" || continue

    res=$RUN/$name
    mkdir -p "$res/wd" "$res/san"
    start=$(date +%s)
    (
        cd "$res/wd" || exit 99
        CASE=$dir
        ASAN_OPTIONS="${ASAN_BASE:+$ASAN_BASE:}log_path=$res/san/asan"
        UBSAN_OPTIONS="${UBSAN_BASE:+$UBSAN_BASE:}log_path=$res/san/ubsan"
        TSAN_OPTIONS="${TSAN_BASE:+$TSAN_BASE:}log_path=$res/san/tsan"
        export CASE ASAN_OPTIONS UBSAN_OPTIONS TSAN_OPTIONS
        exec timeout "$CASE_TIMEOUT" sh "$dir/cmd"
    ) >"$res/stdout" 2>"$res/stderr" </dev/null
    rc=$?
    secs=$(($(date +%s) - start))

    if head -n 1 "$res/stdout" | grep -q '^SKIP'; then
        skipped=$((skipped + 1))
        echo "skip $name ($(head -n 1 "$res/stdout"))"
        continue
    fi

    why=
    want_rc=0
    [ -f "$dir/exit" ] && want_rc=$(tr -d ' \n' <"$dir/exit")
    if [ "$rc" = 124 ]; then
        why="$why
  timed out after ${CASE_TIMEOUT}s"
    elif [ "$rc" != "$want_rc" ]; then
        why="$why
  exit status $rc, expected $want_rc"
    fi
    for s in stdout stderr; do
        if [ -f "$dir/$s" ] && ! cmp -s "$dir/$s" "$res/$s"; then
            why="$why
  $s differs (- expected, + actual):
$(diff -u "$dir/$s" "$res/$s" | sed 1,2d | show)"
        fi
        if [ -f "$dir/$s.grep" ]; then
            while IFS= read -r line || [ -n "$line" ]; do
                [ -n "$line" ] || continue
                if ! grep -qF -e "$line" "$res/$s"; then
                    why="$why
  $s lacks the line: $line"
                fi
            done <"$dir/$s.grep"
        fi
    done
    for f in "$res"/san/*; do
        [ -f "$f" ] || continue
        why="$why
  sanitizer report $(basename "$f"):
$(show <"$f")"
    done

    if [ -z "$why" ]; then
        passed=$((passed + 1))
        echo "ok   $name (${secs}s)"
    else
        failed=$((failed + 1))
        failed_names="$failed_names $name"
        echo "FAIL $name (${secs}s)$why"
        if [ ! -f "$dir/stdout" ] && [ -s "$res/stdout" ]; then
            echo "  stdout was:"
            show <"$res/stdout"
        fi
        if [ ! -f "$dir/stderr" ] && [ -s "$res/stderr" ]; then
            echo "  stderr was:"
            show <"$res/stderr"
        fi
    fi
done

[ -n "$failed_names" ] && echo "failed:$failed_names"
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
