#!/usr/bin/python3
"""Reference tests: tempora's tables against independent implementations.

Runs every tests/ref/test_*.py with unittest. The binary under test is
$TEMPORA (default: build/release/tempora); the seed articles are read from
../shared/seeds when that folder exists. Ends with 'N passed, N failed'.
"""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    sys.path.insert(0, HERE)
    pattern = sys.argv[1] if len(sys.argv) > 1 else "test_*.py"
    suite = unittest.defaultTestLoader.discover(HERE, pattern=pattern, top_level_dir=HERE)
    result = unittest.TextTestRunner(verbosity=1, stream=sys.stdout).run(suite)
    # a test with failing subTests is reported once per subTest: count tests
    failed_ids = {t.id() for t, _ in result.failures + result.errors}
    failed = len(failed_ids)
    passed = max(result.testsRun - failed - len(result.skipped), 0)
    line = f"{passed} passed, {failed} failed"
    if result.skipped:
        line += f", {len(result.skipped)} skipped"
    print(line)
    return 1 if failed or result.testsRun == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
