"""trends.csv on a long daily timeline: 10,000 days (1990-01-01 on), one
generated document a day except every 101st day (an empty period, left out of
the trend with x keeping its index), against scipy and a Mann-Kendall from its
definition in numpy.

Each document is made of plain lowercase words separated by spaces, so this
test counts the tokens itself. per_million = count / period_tokens * 1e6 in
doubles, as the SPEC's formula reads; x = the day's index from the first day.
Slope: the median of every pairwise slope (y_j - y_i) / (x_j - x_i), the mean
of the two middle ones when their number is even, from its definition in numpy
(np.partition over all 49 million slopes) for every term, and
scipy.stats.theilslopes (which takes np.median of the same slopes) for one term,
the two agreeing; compared exactly: the same doubles give the same median.
tau: scipy.stats.kendalltau (tau-b). Mann-Kendall: S as the sum of the pairs'
signs, the variance with the tie correction, continuity-corrected z, two-sided
normal p. Terms: one rising, one falling, one without trend, and a rare one that
is zero on most days (heavy ties). timeline.csv's per_million is checked to be the
same doubles.
"""
import datetime
import json
import math
import os
import random
import unittest
from collections import Counter

import numpy as np
from scipy.stats import kendalltau, norm, theilslopes

import common as c

DAYS = 10000
FILLER = ["lorem", "ipsum", "dolor", "sitamet", "consec", "adipis", "elitsed", "tempor"]


def median_slope(x, y):
    """The Theil-Sen slope from its definition: every pairwise slope, then the
    middle one (or the mean of the two middle ones)."""
    n = len(y)
    slopes = np.empty(n * (n - 1) // 2)
    at = 0
    for i in range(n - 1):
        m = n - 1 - i
        slopes[at:at + m] = (y[i + 1:] - y[i]) / (x[i + 1:] - x[i])
        at += m
    k1, k2 = (len(slopes) - 1) // 2, len(slopes) // 2
    part = np.partition(slopes, [k1, k2])
    return part[k1] if k1 == k2 else (part[k1] + part[k2]) / 2


def mann_kendall(y):
    n = len(y)
    s = 0
    for i in range(n - 1):
        s += int(np.sign(y[i + 1:] - y[i]).sum())
    ties = Counter(y.tolist()).values()
    var = (n * (n - 1) * (2 * n + 5) - sum(t * (t - 1) * (2 * t + 5) for t in ties)) / 18
    if s > 0:
        z = (s - 1) / math.sqrt(var)
    elif s < 0:
        z = (s + 1) / math.sqrt(var)
    else:
        z = 0.0
    return s, z, 2 * norm.sf(abs(z))


class TestLongDaily(unittest.TestCase):
    TERMS = ["upward", "downward", "steady", "rarely"]

    def setUp(self):
        rng = random.Random(10000)
        self.dir = c.tmpdir()
        self.path = os.path.join(self.dir, "days.jsonl")
        self.counts = []  # per day: None (no document) or (tokens, Counter)
        d0 = datetime.date(1990, 1, 1)
        with open(self.path, "w", encoding="utf-8") as f:
            for d in range(DAYS):
                if d % 101 == 50:
                    self.counts.append(None)
                    continue
                frac = d / DAYS
                words = [rng.choice(FILLER) for _ in range(rng.randint(10, 30))]
                words += ["upward"] * (rng.random() < 0.2 + 0.6 * frac)
                words += ["upward"] * (rng.random() < 0.3 * frac)
                words += ["downward"] * (rng.random() < 0.8 - 0.6 * frac)
                words += ["steady"] * rng.randint(0, 2)
                words += ["rarely"] * (rng.random() < 0.03)
                rng.shuffle(words)
                date = (d0 + datetime.timedelta(days=d)).isoformat()
                f.write(json.dumps({"date": date, "text": " ".join(words)}) + "\n")
                self.counts.append((len(words), Counter(words)))

    def tearDown(self):
        c.rmtree(self.dir)

    def test_trends_match_scipy(self):
        out = os.path.join(self.dir, "out")
        c.run("analyze", "--lang", "none", "--period", "day", "--terms", ",".join(self.TERMS),
              self.path, "-o", out)
        trends = {r["term"]: r for r in c.read_csv(os.path.join(out, "trends.csv"))}
        self.assertEqual(sorted(trends), sorted(self.TERMS))
        for term in self.TERMS:
            r = trends[term]
            pts = [(d, k[1][term] / k[0] * 1e6) for d, k in enumerate(self.counts) if k]
            x = np.array([float(d) for d, _ in pts])
            y = np.array([v for _, v in pts])
            self.assertEqual(int(r["periods"]), len(pts), term)
            self.assertEqual(int(r["total"]), sum(k[1][term] for k in self.counts if k), term)
            slope = median_slope(x, y)
            if term == "upward":  # scipy's own (17 s and 3 GB at this size: once)
                self.assertEqual(theilslopes(y, x).slope, slope)
            # the exact median: equal doubles, written with enough digits to read back
            self.assertEqual(float(r["slope_per_period"]), slope, (term, r["slope_per_period"]))
            tau = kendalltau(x, y).correlation
            self.assertTrue(c.rel_close(r["tau"], tau), (term, r["tau"], tau))
            s, z, p = mann_kendall(y)
            self.assertTrue(c.rel_close(r["mk_z"], z), (term, r["mk_z"], z))
            self.assertTrue(c.rel_close(r["p_value"], p, abs_=1e-300), (term, r["p_value"], p))
            direction = "flat" if p >= 0.05 else ("rising" if s > 0 else "falling")
            self.assertEqual(r["direction"], direction, term)
        # timeline.csv prints the values the trends are over: per_million and its
        # interval's bounds are count / period_tokens * 1e6 in doubles, as the SPEC reads
        # (a scale 1e6 / period_tokens multiplied in differs in the last bit now and then)
        seen = 0
        for r in c.read_csv(os.path.join(out, "timeline.csv")):
            if r["term"] in self.TERMS and int(r["period_tokens"]):
                k, t = int(r["count"]), int(r["period_tokens"])
                self.assertEqual(float(r["per_million"]), k / t * 1e6, r)
                seen += 1
        self.assertEqual(seen, len(self.TERMS) * sum(1 for k in self.counts if k))
        self.assertEqual(trends["upward"]["direction"], "rising")
        self.assertEqual(trends["downward"]["direction"], "falling")
        self.assertEqual(float(trends["rarely"]["slope_per_period"]), 0.0)


if __name__ == "__main__":
    unittest.main()
