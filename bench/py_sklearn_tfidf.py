"""Peer for `tempora tfidf --doc-per-line --top K`: scikit-learn's TfidfVectorizer.

Each non-empty line is a document (as with --doc-per-line). Weights are the
TfidfVectorizer defaults (raw tf, smooth idf, L2 norm), which are tempora's
defaults too; sklearn's built-in English stopword list stands in for
tempora's Snowball list, and one-letter words are kept like tempora does.
For every document the K highest-weighted terms (ties by term) are written as
doc_id,rank,term,tfidf.

Usage: /usr/bin/python3 bench/py_sklearn_tfidf.py IN.txt OUT.csv [K]
"""

import csv
import sys

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: py_sklearn_tfidf.py IN.txt OUT.csv [K]")
    src, dst = sys.argv[1], sys.argv[2]
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    ids, docs = [], []
    with open(src, encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            if line.strip():
                ids.append("%s:%d" % (src, lineno))
                docs.append(line)
    vec = TfidfVectorizer(token_pattern=r"(?u)\b\w+\b", stop_words="english")
    matrix = vec.fit_transform(docs).tocsr()
    terms = vec.get_feature_names_out()
    with open(dst, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["doc_id", "rank", "term", "tfidf"])
        for row, doc_id in enumerate(ids):
            lo, hi = matrix.indptr[row], matrix.indptr[row + 1]
            cols, vals = matrix.indices[lo:hi], matrix.data[lo:hi]
            # Column index order is term order, so lexsort gives ties by term.
            order = np.lexsort((cols, -vals))[:top]
            for rank, k in enumerate(order, 1):
                out.writerow([doc_id, rank, terms[cols[k]], "%.10g" % vals[k]])


if __name__ == "__main__":
    main()
