"""Run one command and record its wall time and peak memory, for bench/run.sh.

Wall time: the clock starts just before the fork and stops when the child is
reaped, so the interpreter's own start-up is not counted, to the millisecond
(/usr/bin/time's %e only resolves 10 ms, coarse for runs of a tenth of a second).
Peak RSS comes from /usr/bin/time %M run between us and the command: our own
ru_maxrss would be useless, since Linux carries the parent's ~10 MB of
Python resident set into the child's high-water mark at fork+exec, while
GNU time's own footprint is ~1.5 MB. Without /usr/bin/time the RSS is 0 (unknown).

Usage: /usr/bin/python3 bench/timecmd.py TIMES_FILE STDOUT_FILE CMD [ARG...]
writes "SECONDS PEAK_RSS_KIB" to TIMES_FILE and exits with the command's status.
"""

import os
import subprocess
import sys
import time

GNU_TIME = "/usr/bin/time"


def main():
    if len(sys.argv) < 4:
        sys.exit("usage: timecmd.py TIMES_FILE STDOUT_FILE CMD [ARG...]")
    times_path, stdout_path, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
    rss_path = times_path + ".rss"
    if os.access(GNU_TIME, os.X_OK):
        cmd = [GNU_TIME, "-f", "%M", "-o", rss_path] + cmd
    with open(stdout_path, "wb") as sink:
        start = time.perf_counter()
        try:
            rc = subprocess.call(cmd, stdout=sink)
        except OSError as e:
            print("timecmd.py: %s: %s" % (cmd[0], e.strerror), file=sys.stderr)
            return 127
        elapsed = time.perf_counter() - start
    rss = 0
    if cmd[0] == GNU_TIME:
        with open(rss_path) as f:
            # After a failure GNU time writes "Command exited ..." before the number.
            lines = f.read().split()
        rss = int(lines[-1]) if lines and lines[-1].isdigit() else 0
        os.remove(rss_path)
    with open(times_path, "w") as f:
        f.write("%.4f %d\n" % (elapsed, rss))
    return rc if rc >= 0 else 128 - rc


if __name__ == "__main__":
    sys.exit(main())
