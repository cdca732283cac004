"""Baseline for `tempora freq`: the word count a Python user would write first.

Reads the whole file, lowercases it, takes every run of \\w characters as a
word, counts with collections.Counter and writes rank,term,count,per_million
as CSV (most frequent first, ties by term), so the work is not skipped.

Usage: /usr/bin/python3 bench/py_counter.py IN.txt OUT.csv
"""

import collections
import csv
import re
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: py_counter.py IN.txt OUT.csv")
    src, dst = sys.argv[1], sys.argv[2]
    with open(src, encoding="utf-8", errors="replace") as f:
        text = f.read().lower()
    counts = collections.Counter(re.findall(r"\w+", text))
    total = sum(counts.values())
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    with open(dst, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["rank", "term", "count", "per_million"])
        for rank, (term, n) in enumerate(rows, 1):
            out.writerow([rank, term, n, "%.10g" % (n / total * 1e6)])


if __name__ == "__main__":
    main()
