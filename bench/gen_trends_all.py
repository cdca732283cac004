#!/usr/bin/python3
"""bench/gen_trends_all.py OUT.jsonl [TERMS] [MONTHS] - a JSONL corpus for
`tempora trends` at scale: TERMS distinct letter-only words (default 70,000),
each used about 40 times spread over MONTHS months (default 300, from
2000-01), ten documents a month, some words rising and some falling. Seeded:
the same file every time."""
import json
import random
import sys


def word(i):
    s = ""
    i += 26 * 26
    while i:
        s = chr(ord("a") + i % 26) + s
        i //= 26
    return "x" + s


def main():
    out = sys.argv[1]
    n_terms = int(sys.argv[2]) if len(sys.argv) > 2 else 70000
    months = int(sys.argv[3]) if len(sys.argv) > 3 else 300
    rng = random.Random(13)
    docs = [[] for _ in range(months * 10)]
    for t in range(n_terms):
        w = word(t)
        kind = t % 3  # 0 flat, 1 rising, 2 falling
        for _ in range(40):
            u = rng.random()
            if kind == 1:
                u = u ** 0.5
            elif kind == 2:
                u = 1 - u ** 0.5
            docs[min(int(u * len(docs)), len(docs) - 1)].append(w)
    with open(out, "w", encoding="utf-8") as f:
        for d, words in enumerate(docs):
            m = d // 10
            date = "%04d-%02d" % (2000 + m // 12, m % 12 + 1)
            rng.shuffle(words)
            f.write(json.dumps({"id": "d%d" % d, "date": date, "text": " ".join(words)}) + "\n")


main()
