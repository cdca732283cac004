#!/usr/bin/env python3
"""Write a dated corpus for timing trends: N short documents (default 200,000)
as JSON Lines, one per line with a 'date' (YYYY-MM-DD) and a 'text', their
days spread evenly at random over YEARS years (default 30) from 1995-01-01.

Words come from a Zipf-like vocabulary of 5,000 made-up words; a few of them
rise or fall over the years so that trends.csv has something to find. The
seed is fixed: the same arguments give the same file.

    python3 bench/gen_dated.py OUT.jsonl [N] [YEARS]
"""
import datetime
import json
import random
import sys


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200000
    years = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    rng = random.Random(20261205)
    start = datetime.date(1995, 1, 1)
    days = (datetime.date(1995 + years, 1, 1) - start).days
    syll = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "do", "gu"]
    vocab = []
    while len(vocab) < 5000:
        w = "".join(rng.choice(syll) for _ in range(rng.randint(2, 4)))
        if w not in vocab:
            vocab.append(w)
    weights = [1.0 / (r + 1) for r in range(len(vocab))]
    rising, falling = vocab[3], vocab[5]
    with open(out, "w", encoding="utf-8") as f:
        for _ in range(n):
            d = rng.randrange(days)
            frac = d / days
            words = rng.choices(vocab, weights, k=rng.randint(15, 40))
            if rng.random() < frac:
                words.append(rising)
            if rng.random() < 1.0 - frac:
                words.append(falling)
            date = (start + datetime.timedelta(days=d)).isoformat()
            f.write(json.dumps({"date": date, "text": " ".join(words)}) + "\n")


if __name__ == "__main__":
    main()
