"""keyness.csv against SPEC's 2-cell log-likelihood recomputed from `tempora tokens`.

G^2 = 2(a ln(a/E1) + b ln(b/E2)), E1 = N1(a+b)/(N1+N2), E2 = N2(a+b)/(N1+N2)
(0 ln 0 = 0); p = scipy.stats.chi2.sf(G^2, 1); q = Benjamini-Hochberg (own
implementation, common.bh) over every candidate term (non-stopword, a+b > 0);
log_ratio = log2(((a+.5)/N1)/((b+.5)/N2)); percent_diff empty when b = 0.
"""
import math
import os
import unittest
from collections import Counter

import numpy
from scipy.special import log_ndtr
from scipy.stats import chi2

import common as c


def g2(a, b, N1, N2):
    E1 = N1 * (a + b) / (N1 + N2)
    E2 = N2 * (a + b) / (N1 + N2)
    return 2 * ((a * math.log(a / E1) if a else 0.0) + (b * math.log(b / E2) if b else 0.0))


def expected_keyness(target_tokens, reference_tokens, sw):
    ca, cb = Counter(target_tokens), Counter(reference_tokens)
    N1, N2 = len(target_tokens), len(reference_tokens)
    terms = [t for t in set(ca) | set(cb) if not c.is_stop(t, sw)]
    rows = {}
    for t in terms:
        a, b = ca[t], cb[t]
        G = g2(a, b, N1, N2)
        rows[t] = {
            "count_target": a, "count_reference": b,
            "per_million_target": a / N1 * 1e6, "per_million_reference": b / N2 * 1e6,
            "log_likelihood": G,
            "log_ratio": math.log2(((a + 0.5) / N1) / ((b + 0.5) / N2)),
            "percent_diff": None if b == 0 else (a / N1 - b / N2) * 100 / (b / N2),
            "direction": "target" if a / N1 > b / N2 else "reference",
            "tie": a / N1 == b / N2 or a * N2 == b * N1,
        }
    # p and log10 p for every term at once (scipy ufuncs; same as chi2.sf(G, 1) and
    # common.log10_chi2_sf_1(G) one by one).
    G = numpy.array([rows[t]["log_likelihood"] for t in terms])
    ps = chi2.sf(G, 1)
    l10 = (math.log(2.0) + log_ndtr(-numpy.sqrt(G))) / math.log(10.0)
    for t, p, lp in zip(terms, ps, l10):
        rows[t]["p_value"] = float(p)
        rows[t]["log10_p"] = float(lp)
    qs = c.bh([rows[t]["p_value"] for t in terms])
    for t, q in zip(terms, qs):
        rows[t]["q_value"] = q
    return rows


class KeynessCase(unittest.TestCase):
    FLOATS = ("per_million_target", "per_million_reference", "log_likelihood", "log10_p",
              "log_ratio")

    def check(self, got, want, top=None):
        n = len(want) if top is None else min(top, len(want))
        self.assertEqual(len(got), n)
        self.assertGreater(n, 0)
        seen = set()
        prev = None
        for i, g in enumerate(got, 1):
            t = g["term"]
            self.assertIn(t, want)
            self.assertNotIn(t, seen)
            seen.add(t)
            w = want[t]
            self.assertEqual(int(g["rank"]), i)
            self.assertEqual(int(g["count_target"]), w["count_target"], t)
            self.assertEqual(int(g["count_reference"]), w["count_reference"], t)
            for col in self.FLOATS:
                self.assertTrue(c.rel_close(g[col], w[col]), (t, col, g[col], w[col]))
            for col in ("p_value", "q_value"):
                self.assertTrue(c.rel_close(g[col], w[col], abs_=1e-300), (t, col, g[col], w[col]))
            if w["percent_diff"] is None:
                self.assertEqual(g["percent_diff"], "", t)
            else:
                self.assertTrue(c.rel_close(g["percent_diff"], w["percent_diff"], abs_=1e-9),
                                (t, g["percent_diff"], w["percent_diff"]))
            if not w["tie"]:
                self.assertEqual(g["direction"], w["direction"], t)
            # Sorted by G^2 descending, ties (to 1e-12) by term bytewise.
            cur = (w["log_likelihood"], c.bkey(t))
            if prev is not None:
                if c.rel_close(prev[0], cur[0], rel=1e-12):
                    self.assertLess(prev[1], cur[1], ("tie order", t))
                else:
                    self.assertGreater(prev[0], cur[0], ("G2 order", t))
            prev = cur
        if top is None:
            self.assertEqual(seen, set(want))


class TestHandMade(KeynessCase):
    """t.txt 'alpha alpha alpha beta gamma'            N1 = 5
    r.txt 'alpha beta beta beta beta gamma delta'    N2 = 7
    alpha a=3 b=1: E1 = 5*4/12 = 1.666667, E2 = 2.333333
           G2 = 2(3 ln 1.8 + ln(3/7)) = 2(1.763360 - 0.847298) = 1.832124
    delta a=0 b=1: G2 = 2 ln(12/7) = 1.077993
    beta  a=1 b=4: G2 = 2(ln(1/2.083333) + 4 ln(4/2.916667)) = 2(-0.733969 + 1.263412) = 1.058885
    gamma a=1 b=1: G2 = 2(ln 1.2 + ln(6/7)) = 2(0.182322 - 0.154151) = 0.056342
    p (chi2 1 d.f.): alpha .175877, delta .299147, beta .303470, gamma .812374
    BH, m = 4: gamma .812374; beta min(.812374, .303470*4/3 = .404626) = .404626;
      delta min(.404626, .299147*2) = .404626; alpha min(.404626, .175877*4) = .404626
    log_ratio alpha = log2((3.5/5)/(1.5/7)) = log2(3.266667) = 1.707819
    percent_diff alpha = (3/5 - 1/7)*100/(1/7) = 320; gamma 40; beta -65; delta -100.
    """

    HAND = [("alpha", 3, 1, 1.832124, 0.404626, 1.707819, 320.0, "target"),
            ("delta", 0, 1, 1.077993, 0.404626, None, -100.0, "reference"),
            ("beta", 1, 4, 1.058885, 0.404626, None, -65.0, "reference"),
            ("gamma", 1, 1, 0.056342, 0.812374, None, 40.0, "target")]

    def setUp(self):
        self.dir = c.write_files(c.tmpdir(), {
            "t.txt": "alpha alpha alpha beta gamma\n",
            "r.txt": "alpha beta beta beta beta gamma delta\n",
            "empty.txt": "... !\n",
        })
        self.t = os.path.join(self.dir, "t.txt")
        self.r = os.path.join(self.dir, "r.txt")

    def tearDown(self):
        c.rmtree(self.dir)

    def test_by_hand(self):
        got = c.table("keyness", "--lang", "none", "--target", self.t, "--reference", self.r)
        self.assertEqual([g["term"] for g in got], [h[0] for h in self.HAND])
        for g, (t, a, b, G, q, lr, pd, direction) in zip(got, self.HAND):
            self.assertEqual((int(g["count_target"]), int(g["count_reference"])), (a, b))
            self.assertLess(abs(float(g["log_likelihood"]) - G), 1e-6, t)
            self.assertLess(abs(float(g["q_value"]) - q), 1e-6, t)
            if lr is not None:
                self.assertLess(abs(float(g["log_ratio"]) - lr), 1e-6, t)
            self.assertLess(abs(float(g["percent_diff"]) - pd), 1e-9, t)
            self.assertEqual(g["direction"], direction)

    def test_recomputed(self):
        want = expected_keyness(["alpha"] * 3 + ["beta", "gamma"],
                                ["alpha"] + ["beta"] * 4 + ["gamma", "delta"], frozenset())
        got = c.table("keyness", "--lang", "none", "--target", self.t, "--reference", self.r)
        self.check(got, want)

    def test_b_zero_percent_diff_empty(self):
        # Swap sides: delta has b = 0 now.
        got = c.table("keyness", "--lang", "none", "--target", self.r, "--reference", self.t)
        delta = [g for g in got if g["term"] == "delta"][0]
        self.assertEqual(delta["percent_diff"], "")
        self.assertEqual(delta["direction"], "target")

    def test_equal_rates(self):
        # docs/formulas.md: equal rates give G2 = 0, p = 1, direction 'reference'.
        # 'x y' against 'x y x y': a/N1 = 1/2 = b/N2 for both terms; percent_diff 0.
        t = os.path.join(self.dir, "eq_t.txt")
        r = os.path.join(self.dir, "eq_r.txt")
        c.write_files(self.dir, {"eq_t.txt": "x y\n", "eq_r.txt": "x y x y\n"})
        got = c.table("keyness", "--lang", "none", "--target", t, "--reference", r)
        self.assertEqual([g["term"] for g in got], ["x", "y"])
        for g in got:
            self.assertEqual(float(g["log_likelihood"]), 0.0)
            self.assertEqual(float(g["p_value"]), 1.0)
            self.assertEqual(float(g["log10_p"]), 0.0)
            self.assertEqual(float(g["percent_diff"]), 0.0)
            self.assertEqual(g["direction"], "reference")

    def test_empty_side_is_usage_error(self):
        e = os.path.join(self.dir, "empty.txt")
        for args in (["--target", e, "--reference", self.r], ["--target", self.t, "--reference", e]):
            rc, out, err = c.run("keyness", "--lang", "none", *args, check=False)
            self.assertEqual(rc, 2, args)
            self.assertTrue(err.strip(), "no message on stderr")
            self.assertIn("tempora", err)


def side_tokens(inputs, opts):
    return [t for _, _, t in c.tokens(*inputs, *opts)]


@unittest.skipUnless(c.seeds_available(), "seeds folder absent")
class TestSeeds(KeynessCase):
    def setUp(self):
        names = sorted(os.listdir(c.SEEDS))
        self.a = os.path.join(c.SEEDS, names[0])
        self.b = os.path.join(c.SEEDS, names[1])

    def test_target_vs_reference(self):
        # Language forced so that both sides and the token runs use one profile.
        opts = ["--lang", "it"]
        want = expected_keyness(side_tokens([self.a], opts), side_tokens([self.b], opts),
                                c.stopword_set("it"))
        got = c.table("keyness", *opts, "--target", self.a, "--reference", self.b)
        self.check(got, want)

    def test_top_keeps_q_over_all_candidates(self):
        opts = ["--lang", "it"]
        want = expected_keyness(side_tokens([self.a], opts), side_tokens([self.b], opts),
                                c.stopword_set("it"))
        got = c.table("keyness", *opts, "--target", self.a, "--reference", self.b, "--top", "5")
        self.check(got, want, top=5)


@unittest.skipUnless(os.path.isdir("/usr/share/common-licenses"), "no licences")
class TestLicenses(KeynessCase):
    """Real English texts: GPL-3 + LGPL-3 against GPL-2 + LGPL-2.1 (several inputs a side)."""

    def test_gpl3_vs_gpl2(self):
        d = "/usr/share/common-licenses"
        a = [os.path.join(d, n) for n in ("GPL-3", "LGPL-3")]
        b = [os.path.join(d, n) for n in ("GPL-2", "LGPL-2.1")]
        if not all(os.path.isfile(p) for p in a + b):
            self.skipTest("licence files missing")
        opts = ["--lang", "en"]
        want = expected_keyness(side_tokens(a, opts), side_tokens(b, opts), c.stopword_set("en"))
        got = c.table("keyness", *opts, "--target", *a, "--reference", *b)
        self.check(got, want)


class TestPeriod(KeynessCase):
    OPTS = ["--lang", "it"]

    def period_case(self, label, in_period, need_day=False):
        """in_period(date string) -> bool. With need_day (week/day labels) only
        documents dated to the day can be placed: README says the reference is
        every other dated document precise enough to be placed."""
        stream = c.tokens(c.CORPUS, *self.OPTS)
        per_doc = c.doc_tokens(stream)
        target, reference = [], []
        ntarget = 0
        for p in c.walk_inputs(c.CORPUS):
            d = c.header_date(p)
            if d is None or (need_day and len(d) < 10):
                continue
            if in_period(d):
                target += per_doc.get(p, [])
                ntarget += 1
            else:
                reference += per_doc.get(p, [])
        self.assertGreater(ntarget, 0)
        want = expected_keyness(target, reference, c.stopword_set("it"))
        got = c.table("keyness", *self.OPTS, "--period", label, c.CORPUS)
        self.check(got, want)

    def test_month(self):
        self.period_case("2025-10", lambda d: d.startswith("2025-10"))

    def test_year(self):
        self.period_case("2024", lambda d: d.startswith("2024"))

    def test_quarter(self):
        self.period_case("2024-Q3", lambda d: d[:7] in ("2024-07", "2024-08", "2024-09"))

    def test_iso_week(self):
        import datetime

        def in_week(d):
            iy, iw, _ = datetime.date.fromisoformat(d).isocalendar()
            return (iy, iw) == (2024, 29)
        # 2024-07-18 (a Thursday) is in 2024-W29 by date.isocalendar().
        self.period_case("2024-W29", in_week, need_day=True)

    def test_day(self):
        self.period_case("2025-10-02", lambda d: d == "2025-10-02", need_day=True)

    def test_empty_period_is_usage_error(self):
        rc, _, err = c.run("keyness", *self.OPTS, "--period", "2023-01", c.CORPUS, check=False)
        self.assertEqual(rc, 2)
        self.assertTrue(err.strip())


if __name__ == "__main__":
    unittest.main()
