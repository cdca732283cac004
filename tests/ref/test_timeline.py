"""timeline.csv and trends.csv against counts recomputed from `tempora tokens`
and dates read by this test from the files' own 'date ...' headers.

Periods: every period from the first to the last dated one, zeros included;
week labels from Python's date.isocalendar(). ci: Garwood, 1/2 chi2.ppf(.025, 2k)
and 1/2 chi2.ppf(.975, 2k+2), scaled like per_million. Trends: Theil-Sen slope
(scipy.stats.theilslopes), tau-b (scipy.stats.kendalltau) and an own Mann-Kendall
(S, tie-corrected variance, continuity-corrected z, two-sided normal p), over
(period index, per_million) of the periods that have tokens.
"""
import datetime
import math
import os
import unittest
from collections import Counter
from fractions import Fraction

from scipy.stats import chi2, kendalltau, norm, theilslopes

import common as c

GRANS = ("year", "quarter", "month", "week", "day")


def parse_date(s):
    """(datetime.date of the first day, precision) of 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'."""
    parts = [int(x) for x in s.split("-")]
    prec = ("year", "month", "day")[len(parts) - 1]
    while len(parts) < 3:
        parts.append(1)
    return datetime.date(*parts), prec


def period_start(datestr, gran):
    """Start date of the period of gran holding the date, or None when the date is
    coarser than the period (imprecise)."""
    d, prec = parse_date(datestr)
    need = {"year": "year", "quarter": "month", "month": "month", "week": "day", "day": "day"}
    order = ("year", "month", "day")
    if order.index(prec) < order.index(need[gran]):
        return None
    if gran == "year":
        return datetime.date(d.year, 1, 1)
    if gran == "quarter":
        return datetime.date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)
    if gran == "month":
        return datetime.date(d.year, d.month, 1)
    if gran == "week":
        return d - datetime.timedelta(days=d.isocalendar()[2] - 1)
    return d


def next_start(s, gran):
    if gran == "year":
        return datetime.date(s.year + 1, 1, 1)
    if gran in ("quarter", "month"):
        step = 3 if gran == "quarter" else 1
        m = s.month - 1 + step
        return datetime.date(s.year + m // 12, m % 12 + 1, 1)
    return s + datetime.timedelta(days=7 if gran == "week" else 1)


def label(s, gran):
    if gran == "year":
        return f"{s.year:04d}"
    if gran == "quarter":
        return f"{s.year:04d}-Q{(s.month - 1) // 3 + 1}"
    if gran == "month":
        return f"{s.year:04d}-{s.month:02d}"
    if gran == "week":
        iy, iw, _ = s.isocalendar()
        return f"{iy:04d}-W{iw:02d}"
    return s.isoformat()


def count_term(segs, words):
    n = len(words)
    return sum(1 for g in c.ngrams_of(segs, n) if list(g) == words)


def expected_timeline(stream, paths, terms, gran):
    """[(label, start, period_tokens, {term: (count, docs)})] for every period."""
    docs = c.doc_segments(stream)
    buckets = {}
    for p in paths:
        d = c.header_date(p)
        if d is None:
            continue
        s = period_start(d, gran)
        if s is not None:
            buckets.setdefault(s, []).append(p)
    out = []
    s, last = min(buckets), max(buckets)
    while s <= last:
        members = buckets.get(s, [])
        pt = sum(len(seg) for p in members for seg in docs.get(p, []))
        per = {}
        for t in terms:
            counts = [count_term(docs.get(p, []), t.split(" ")) for p in members]
            per[t] = (sum(counts), sum(1 for k in counts if k > 0))
        out.append((label(s, gran), s, pt, per))
        s = next_start(s, gran)
    return out


def garwood(k):
    lo = 0.0 if k == 0 else chi2.ppf(0.025, 2 * k) / 2
    return lo, chi2.ppf(0.975, 2 * k + 2) / 2


def mann_kendall(y):
    """S, tie-corrected variance, continuity-corrected z, two-sided p. y holds exact
    Fractions so that ties and signs are decided exactly."""
    n = len(y)
    S = 0
    for i in range(n):
        for j in range(i + 1, n):
            S += (y[j] > y[i]) - (y[j] < y[i])
    ties = Counter(y).values()
    var = (n * (n - 1) * (2 * n + 5) - sum(t * (t - 1) * (2 * t + 5) for t in ties)) / 18
    if S > 0:
        z = (S - 1) / math.sqrt(var)
    elif S < 0:
        z = (S + 1) / math.sqrt(var)
    else:
        z = 0.0
    return S, var, z, 2 * norm.sf(abs(z))


class TimelineCase(unittest.TestCase):
    def check_long(self, got, want, terms, scale_ci=True):
        self.assertEqual(len(got), len(want) * len(terms))
        i = 0
        for lab, start, pt, per in want:
            for t in terms:
                g = got[i]
                i += 1
                k, nd = per[t]
                self.assertEqual((g["period"], g["period_start"], g["term"]),
                                 (lab, start.isoformat(), t))
                self.assertEqual(int(g["count"]), k, (lab, t))
                self.assertEqual(int(g["period_tokens"]), pt, (lab, t))
                self.assertEqual(int(g["docs"]), nd, (lab, t))
                if pt == 0:
                    self.assertEqual(k, 0)
                    continue
                scale = 1e6 / pt
                self.assertTrue(c.rel_close(g["per_million"], k * scale), (lab, t))
                lo, hi = garwood(k)
                self.assertTrue(c.rel_close(g["ci_low"], lo * scale), (lab, t, g["ci_low"], lo))
                self.assertTrue(c.rel_close(g["ci_high"], hi * scale),
                                (lab, t, g["ci_high"], hi * scale))

    def run_long(self, inputs, opts, terms, gran=None):
        paths = [p for i in inputs for p in c.walk_inputs(i)]
        stream = c.tokens(*inputs, *opts)
        args = ["timeline", *inputs, *opts, "--terms", ",".join(terms)]
        if gran:
            args += ["--period", gran]
        got = c.table(*args)
        want = expected_timeline(stream, paths, terms, gran or "month")
        self.check_long(got, want, terms)
        return got, want


class TestCorpus(TimelineCase):
    OPTS = ["--lang", "it"]
    TERMS = ["ia", "intelligenza artificiale", "inflazione", "siccità", "energia"]

    def test_monthly(self):
        got, want = self.run_long([c.CORPUS], self.OPTS, self.TERMS)
        self.assertEqual(want[0][0], "2024-01")
        self.assertEqual(want[-1][0], "2025-10")
        self.assertEqual(len(want), 22)
        # The multi-word term really has hits (adjacent, same segment).
        self.assertGreater(sum(w[3]["intelligenza artificiale"][0] for w in want), 10)

    def test_year_quarter(self):
        _, want = self.run_long([c.CORPUS], self.OPTS, self.TERMS, "year")
        self.assertEqual([w[0] for w in want], ["2024", "2025"])
        _, want = self.run_long([c.CORPUS], self.OPTS, self.TERMS, "quarter")
        self.assertEqual(want[0][0], "2024-Q1")
        self.assertEqual(want[-1][0], "2025-Q4")

    def test_week(self):
        # Only day-dated documents fit in weeks; empty weeks in between appear too.
        _, want = self.run_long([c.CORPUS], self.OPTS, ["ia", "siccità"], "week")
        for lab, start, _, _ in want:
            iy, iw, wd = start.isocalendar()
            self.assertEqual(wd, 1)
            self.assertEqual(lab, f"{iy:04d}-W{iw:02d}")
        labels = [w[0] for w in want]
        self.assertEqual(len(labels), len(set(labels)))

    def test_day(self):
        self.run_long([c.CORPUS], self.OPTS, ["ia"], "day")

    def test_wide(self):
        paths = c.walk_inputs(c.CORPUS)
        stream = c.tokens(c.CORPUS, *self.OPTS)
        want = expected_timeline(stream, paths, self.TERMS, "month")
        _, out, _ = c.run("timeline", c.CORPUS, *self.OPTS, "--wide", "--terms",
                          ",".join(self.TERMS))
        self.assertEqual(out.splitlines()[0], "period,period_tokens," + ",".join(
            f'"{t}"' if "," in t else t for t in self.TERMS))
        got = c.table("timeline", c.CORPUS, *self.OPTS, "--wide", "--terms", ",".join(self.TERMS))
        self.assertEqual(len(got), len(want))
        for g, (lab, _, pt, per) in zip(got, want):
            self.assertEqual(g["period"], lab)
            self.assertEqual(int(g["period_tokens"]), pt)
            for t in self.TERMS:
                self.assertTrue(c.rel_close(g[t], per[t][0] / pt * 1e6), (lab, t))

    def test_default_terms(self):
        # Whatever the --top 20 choice, its rows must be right and stopword-free.
        got = c.table("timeline", c.CORPUS, *self.OPTS)
        terms = list(dict.fromkeys(g["term"] for g in got))
        self.assertEqual(len(terms), 20)
        sw = c.stopword_set("it")
        self.assertFalse([t for t in terms if c.is_stop(t, sw)])
        want = expected_timeline(c.tokens(c.CORPUS, *self.OPTS), c.walk_inputs(c.CORPUS),
                                 terms, "month")
        self.check_long(got, want, terms)

    def test_trends(self):
        d = c.tmpdir()
        try:
            c.run("analyze", c.CORPUS, *self.OPTS, "--terms", ",".join(self.TERMS), "-o", d)
            trends = c.read_csv(os.path.join(d, "trends.csv"))
        finally:
            c.rmtree(d)
        want = expected_timeline(c.tokens(c.CORPUS, *self.OPTS), c.walk_inputs(c.CORPUS),
                                 self.TERMS, "month")
        check_trends(self, trends, want, self.TERMS)
        byterm = {r["term"]: r for r in trends}
        # docs/corpus.md plants a rising 'ia' and a fading 'inflazione'.
        self.assertEqual(byterm["ia"]["direction"], "rising")
        self.assertEqual(byterm["inflazione"]["direction"], "falling")


def check_trends(tc, trends, want, terms):
    tc.assertEqual(sorted(r["term"] for r in trends), sorted(terms))
    rows = []
    for r in trends:
        t = r["term"]
        pts = [(i, Fraction(per[t][0], pt)) for i, (_, _, pt, per) in enumerate(want) if pt > 0]
        x = [float(i) for i, _ in pts]
        yf = [v * 10 ** 6 for _, v in pts]
        y = [float(v) for v in yf]
        S, var, z, p = mann_kendall(yf)
        tc.assertEqual(int(r["periods"]), len(pts), t)
        tc.assertEqual(int(r["total"]), sum(per[t][0] for *_, per in want), t)
        slope = theilslopes(y, x).slope
        tc.assertTrue(c.rel_close(r["slope_per_period"], slope), (t, r["slope_per_period"], slope))
        tau = kendalltau(x, y).correlation
        tc.assertTrue(c.rel_close(r["tau"], tau), (t, r["tau"], tau))
        tc.assertTrue(c.rel_close(r["mk_z"], z), (t, r["mk_z"], z))
        tc.assertTrue(c.rel_close(r["p_value"], p, abs_=1e-300), (t, r["p_value"], p))
        direction = "flat" if p >= 0.05 else ("rising" if S > 0 else "falling")
        tc.assertEqual(r["direction"], direction, t)
        rows.append(p)
    # Sorted by p_value.
    tc.assertEqual([float(r["p_value"]) for r in trends],
                   sorted(float(r["p_value"]) for r in trends))


class TestSynthetic(TimelineCase):
    """23 monthly documents 2023-01 .. 2024-12 without 2023-07 (an empty period,
    which appears with zeros and is left out of the trend, x keeping its index).
    Document i (0-based month index): 'alpha' 1 + i + i*i//20 times (growing
    faster than linearly, so that the Theil-Sen slope depends on whether x keeps
    the period's own index across the gap: 17708.33 per period with x = index,
    18750 if the periods were renumbered 0..22), 'omega' 25-i times, 'beta' 3 or 4
    times alternating, 'kappa' twice, filler up to 120 tokens."""

    FILLER = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do".split()

    def setUp(self):
        files = {}
        for i in range(24):
            y, m = 2023 + i // 12, i % 12 + 1
            if (y, m) == (2023, 7):
                continue
            words = ["alpha"] * (1 + i + i * i // 20) + ["omega"] * (25 - i)
            words += ["beta"] * (3 + i % 2) + ["kappa"] * 2
            k = 0
            while len(words) < 120:
                words.append(self.FILLER[k % len(self.FILLER)])
                k += 1
            files[f"doc{i:02d}.txt"] = f"date {y}-{m:02d}\n" + " ".join(words) + ".\n"
        self.dir = c.write_files(c.tmpdir(), files)

    def tearDown(self):
        c.rmtree(self.dir)

    def test_timeline_and_trends(self):
        terms = ["alpha", "omega", "beta"]
        got, want = self.run_long([self.dir], ["--lang", "none"], terms)
        self.assertEqual(len(want), 24)
        gap = [w for w in want if w[0] == "2023-07"][0]
        self.assertEqual(gap[2], 0)
        gap_rows = [g for g in got if g["period"] == "2023-07"]
        self.assertEqual([g["count"] for g in gap_rows], ["0"] * 3)
        out = c.tmpdir()
        try:
            c.run("analyze", self.dir, "--lang", "none", "--terms", "alpha,omega,beta,kappa",
                  "-o", out)
            trends = c.read_csv(os.path.join(out, "trends.csv"))
        finally:
            c.rmtree(out)
        byterm = {r["term"]: r for r in trends}
        self.assertEqual(byterm["alpha"]["direction"], "rising")
        self.assertEqual(byterm["omega"]["direction"], "falling")
        self.assertEqual(byterm["beta"]["direction"], "flat")
        # kappa is the same in every period: no trend (S = 0, every value tied).
        self.assertEqual(byterm["kappa"]["direction"], "flat")
        self.assertEqual(float(byterm["kappa"]["slope_per_period"]), 0.0)
        check_trends(self, [r for r in trends if r["term"] != "kappa"], want, terms)
        # x is the period's index, gap kept (project decision), not a renumbering:
        # scipy.stats.theilslopes gives 2.125 alpha tokens per period, over 120 tokens.
        self.assertTrue(c.rel_close(byterm["alpha"]["slope_per_period"], 1e6 * 17 / 960),
                        byterm["alpha"]["slope_per_period"])


class TestHandMade(TimelineCase):
    """a.txt 'date 2024-01-03' 'intelligenza. artificiale intelligenza artificiale'
    b.txt 'date 2024-01-05' 'intelligenza, artificiale'
    Every document has day precision, so the default period is the day:
    2024-01-03 count 1 (the pair across '.' does not count), period_tokens 4, docs 1;
    2024-01-04 empty (0 tokens); 2024-01-05 count 0 (',' breaks), period_tokens 2."""

    def test_by_hand(self):
        d = c.write_files(c.tmpdir(), {
            "a.txt": "date 2024-01-03\nintelligenza. artificiale intelligenza artificiale\n",
            "b.txt": "date 2024-01-05\nintelligenza, artificiale\n"})
        try:
            got = c.table("timeline", "--lang", "none", "--terms", "intelligenza artificiale", d)
            self.assertEqual([(g["period"], g["count"], g["period_tokens"], g["docs"])
                              for g in got],
                             [("2024-01-03", "1", "4", "1"), ("2024-01-04", "0", "0", "0"),
                              ("2024-01-05", "0", "2", "0")])
            self.assertTrue(c.rel_close(got[0]["per_million"], 250000.0))
            # Garwood k = 1: chi2.ppf(.025, 2)/2 = -ln(.975) = 0.0253178,
            # chi2.ppf(.975, 4)/2 = 5.5716434; times 1e6/4.
            self.assertLess(abs(float(got[0]["ci_low"]) - 0.02531781 * 250000), 1e-2)
            self.assertLess(abs(float(got[0]["ci_high"]) - 5.5716434 * 250000), 1e-1)
            # k = 0: ci_high = chi2.ppf(.975, 2)/2 = -ln(.025) = 3.6888795, times 1e6/2.
            self.assertEqual(float(got[2]["ci_low"]), 0.0)
            self.assertLess(abs(float(got[2]["ci_high"]) - 3.6888795 * 500000), 1e-1)
            self.run_long([d], ["--lang", "none"], ["intelligenza artificiale", "artificiale"],
                          "day")
        finally:
            c.rmtree(d)

    def test_terms_are_normalized_like_tokens(self):
        # '--terms IA' means the token 'ia' (case-folded like the text).
        a = c.table("timeline", c.CORPUS, "--lang", "it", "--terms", "IA")
        b = c.table("timeline", c.CORPUS, "--lang", "it", "--terms", "ia")
        self.assertEqual([(g["period"], g["count"]) for g in a],
                         [(g["period"], g["count"]) for g in b])
        self.assertGreater(sum(int(g["count"]) for g in b), 0)


class TestPrecisionAndIsoWeeks(TimelineCase):
    """Dates on ISO-week boundaries and of mixed precision.
    2019-12-30 is the Monday of 2020-W01; 2020-12-31 and 2021-01-03 are in 2020-W53;
    2021-01-04 starts 2021-W01 (date.isocalendar()). 'date 2020' (year) and
    'date 2020-06' (month) are coarser than a week: left out and counted imprecise.
    The default period is the finest every dated document has: here the year."""

    FILES = {"a.txt": "date 2019-12-30\nalpha beta\n", "b.txt": "date 2020-12-31\nalpha\n",
             "c.txt": "date 2021-01-03\nalpha gamma\n", "d.txt": "date 2021-01-04\nbeta\n",
             "e.txt": "date 2020\nalpha alpha\n", "f.txt": "date 2020-06\nalpha\n"}

    def setUp(self):
        self.dir = c.write_files(c.tmpdir(), self.FILES)

    def tearDown(self):
        c.rmtree(self.dir)

    def test_weeks(self):
        _, want = self.run_long([self.dir], ["--lang", "none"], ["alpha", "beta"], "week")
        labels = [w[0] for w in want]
        self.assertEqual(labels[0], "2020-W01")
        self.assertEqual(labels[-1], "2021-W01")
        self.assertIn("2020-W53", labels)
        self.assertEqual(len(labels), 54)
        paths = c.walk_inputs(self.dir)
        imprecise = sum(1 for p in paths if period_start(c.header_date(p), "week") is None)
        self.assertEqual(imprecise, 2)
        summary = {r["metric"]: r["value"]
                   for r in c.table("summary", "--lang", "none", "--period", "week", self.dir)}
        self.assertEqual(int(summary["imprecise_documents"]), imprecise)
        self.assertEqual((summary["first_period"], summary["last_period"]),
                         (labels[0], labels[-1]))

    def test_quarter_month_year(self):
        self.run_long([self.dir], ["--lang", "none"], ["alpha", "beta"], "quarter")
        self.run_long([self.dir], ["--lang", "none"], ["alpha", "beta"], "month")
        self.run_long([self.dir], ["--lang", "none"], ["alpha", "beta"], "year")

    def test_default_is_year(self):
        got = c.table("timeline", "--lang", "none", "--terms", "alpha", self.dir)
        want = expected_timeline(c.tokens("--lang", "none", self.dir), c.walk_inputs(self.dir),
                                 ["alpha"], "year")
        self.check_long(got, want, ["alpha"])


class TestLargeCount(unittest.TestCase):
    """k = 1,000,000 in one period (GSL's chi-square quantiles fail near there):
    the text is 'x' a million times plus one 'y', so period_tokens = 1,000,001."""

    def test_ci_large_k(self):
        d = c.tmpdir()
        try:
            with open(os.path.join(d, "big.txt"), "w", encoding="utf-8") as f:
                f.write("date 2025-03\n")
                f.write("x " * 1000000)
                f.write("y\n")
            got = c.table("timeline", "--lang", "none", "--terms", "x", d)
        finally:
            c.rmtree(d)
        self.assertEqual(len(got), 1)
        g = got[0]
        k, pt = 1000000, 1000001
        self.assertEqual((int(g["count"]), int(g["period_tokens"])), (k, pt))
        lo, hi = garwood(k)
        scale = 1e6 / pt
        self.assertTrue(c.rel_close(g["ci_low"], lo * scale), (g["ci_low"], lo * scale))
        self.assertTrue(c.rel_close(g["ci_high"], hi * scale), (g["ci_high"], hi * scale))


@unittest.skipUnless(c.seeds_available(), "seeds folder absent")
class TestSeeds(TimelineCase):
    def test_one_period(self):
        got = c.table("timeline", c.SEEDS)
        self.assertEqual({g["period"] for g in got}, {"2025-01"})
        self.assertEqual({g["period_start"] for g in got}, {"2025-01-01"})
        terms = [g["term"] for g in got]
        want = expected_timeline(c.tokens(c.SEEDS), c.walk_inputs(c.SEEDS), terms, "month")
        self.assertEqual(len(want), 1)
        self.check_long(got, want, terms)
        summary = {r["metric"]: r["value"] for r in c.table("summary", c.SEEDS)}
        self.assertEqual(summary["undated_documents"], "1")


if __name__ == "__main__":
    unittest.main()
