"""Peer for `tempora colloc`: NLTK's bigram collocation finder.

Tokens are the lowercased \\w+ runs of the whole file (NLTK gets a plain word
list: unlike tempora it does not break adjacency at punctuation and does not
drop stopword pairs). Pairs seen fewer than MIN_COUNT times are filtered out
as tempora's --min-count does, the rest scored with the log-likelihood ratio
(G2, tempora's default measure) and the top TOP written as CSV.

Usage: /usr/bin/python3 bench/py_nltk_colloc.py IN.txt OUT.csv [MIN_COUNT [TOP]]
"""

import csv
import re
import sys

from nltk.collocations import BigramCollocationFinder
from nltk.metrics import BigramAssocMeasures


def main():
    if len(sys.argv) not in (3, 4, 5):
        sys.exit("usage: py_nltk_colloc.py IN.txt OUT.csv [MIN_COUNT [TOP]]")
    src, dst = sys.argv[1], sys.argv[2]
    min_count = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    top = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    with open(src, encoding="utf-8", errors="replace") as f:
        words = re.findall(r"\w+", f.read().lower())
    finder = BigramCollocationFinder.from_words(words)
    finder.apply_freq_filter(min_count)
    scored = finder.score_ngrams(BigramAssocMeasures.likelihood_ratio)
    with open(dst, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["rank", "w1", "w2", "n12", "log_likelihood"])
        for rank, ((w1, w2), g2) in enumerate(scored[:top], 1):
            out.writerow([rank, w1, w2, finder.ngram_fd[(w1, w2)], "%.10g" % g2])


if __name__ == "__main__":
    main()
