"""Peer for `tempora freq`: scikit-learn's CountVectorizer on the same file.

The whole file is ONE document (as it is for tempora freq, which treats a
.txt file as one document). token_pattern is widened to \\b\\w+\\b so that
one-letter words are counted like tempora and the Counter baseline do
(sklearn's default drops them). Writes rank,term,count as CSV.

Usage: /usr/bin/python3 bench/py_sklearn_count.py IN.txt OUT.csv
"""

import csv
import sys

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: py_sklearn_count.py IN.txt OUT.csv")
    src, dst = sys.argv[1], sys.argv[2]
    with open(src, encoding="utf-8", errors="replace") as f:
        text = f.read()
    vec = CountVectorizer(token_pattern=r"(?u)\b\w+\b", lowercase=True)
    matrix = vec.fit_transform([text])
    terms = vec.get_feature_names_out()
    counts = np.asarray(matrix.sum(axis=0)).ravel()
    # Vocabulary is sorted by term, so a stable sort on -count breaks ties by term.
    order = np.argsort(-counts, kind="stable")
    with open(dst, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["rank", "term", "count"])
        for rank, i in enumerate(order, 1):
            out.writerow([rank, terms[i], int(counts[i])])


if __name__ == "__main__":
    main()
