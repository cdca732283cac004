#!/bin/sh
# The output-format tests: tempora.xlsx read back with openpyxl
# (test_xlsx.py) and report.html in headless Chromium (test_report.py).
# Usage: TEMPORA=build/release/tempora sh tests/browser/run.sh [test_*.py...]
# Ends with 'N passed, N failed' (and the skipped, with why); exit 1 on a failure.
# A test skips only when its package is missing (python3-openpyxl, chromium,
# chromium-driver, python3-selenium); Chromium that is there but does not start fails.
here=$(cd "$(dirname "$0")" && pwd)
PY=${PY:-/usr/bin/python3}
export TEMPORA=${TEMPORA:-$here/../../build/release/tempora}
[ $# -gt 0 ] || set -- test_xlsx.py test_report.py
passed=0 failed=0 skipped=0 names=
for t in "$@"; do
    log=$(mktemp)
    "$PY" "$here/$t" >"$log" 2>&1
    rc=$?
    n=$(grep -c ' \.\.\. ok$' "$log")
    s=$(grep -c ' \.\.\. skipped' "$log")
    passed=$((passed + n))
    skipped=$((skipped + s))
    grep ' \.\.\. skipped' "$log" | sed 's/^/SKIP /'
    if [ $rc -ne 0 ]; then
        cat "$log"
        failed=$((failed + 1))
        names="$names $t"
    else
        echo "ok   $t ($n passed, $s skipped)"
    fi
    rm -f "$log"
done
[ -z "$names" ] || echo "failed:$names"
line="$passed passed, $failed failed"
[ $skipped -eq 0 ] || line="$line, $skipped skipped"
echo "$line"
[ $failed -eq 0 ]
