"""collocations.csv against NLTK's BigramCollocationFinder and SPEC's formulas.

Pairs are counted over tempora's own token stream with segment breaks respected:
the finder is built with BigramCollocationFinder.from_documents(segments), which
pads each segment so that no pair crosses it (checked below against a plain
Python count), and whose word_fd.N() is the total token count N.

NLTK's BigramAssocMeasures likelihood_ratio (G^2), pmi, student_t (t_score),
chi_sq (Pearson X^2), dice and raw_freq are first checked to equal SPEC's
formulas (TestNltkMatchesSpec); the other columns (expected, z_score, mi3,
log_dice, p_value, log10_p, fisher_p) and every --window K > 1 measure are
computed with the SPEC formula in Python/scipy. NLTK's own window mode scales
n12 by 1/(window-1) (Church & Hanks) and so does not match SPEC there.
"""
import math
import os
import unittest
from collections import Counter

from nltk.collocations import BigramAssocMeasures, BigramCollocationFinder
from scipy.stats import chi2, fisher_exact, hypergeom

import common as c

BAM = BigramAssocMeasures


def spec_measures(n12, n1, n2, N, K=1):
    """SPEC's columns for one pair; with --window K the 2x2 table is over N*K slots."""
    E = n1 * n2 * K / N
    obs = [n12, n1 * K - n12, n2 * K - n12, N * K - n1 * K - n2 * K + n12]
    rows = [n1 * K, N * K - n1 * K]
    cols = [n2 * K, N * K - n2 * K]
    T = N * K
    exp = [rows[0] * cols[0] / T, rows[0] * cols[1] / T, rows[1] * cols[0] / T,
           rows[1] * cols[1] / T]
    g2 = 2 * math.fsum(o * math.log(o / e) for o, e in zip(obs, exp) if o > 0)
    x2 = math.fsum((o - e) ** 2 / e for o, e in zip(obs, exp))
    dice = 2 * n12 / (n1 + n2)
    return {
        "expected": E,
        "pmi": math.log2(n12 / E),
        "t_score": (n12 - E) / math.sqrt(n12),
        "z_score": (n12 - E) / math.sqrt(E),
        "log_likelihood": g2,
        "chi2": x2,
        "p_value": float(chi2.sf(g2, 1)),
        "log10_p": c.log10_chi2_sf_1(g2),
        "dice": dice,
        "log_dice": 14 + math.log2(dice),
        "mi3": math.log2(n12 ** 3 / E),
        "count": n12,
    }


def nltk_measures(finder, w1, w2):
    return {
        "log_likelihood": finder.score_ngram(BAM.likelihood_ratio, w1, w2),
        "pmi": finder.score_ngram(BAM.pmi, w1, w2),
        "t_score": finder.score_ngram(BAM.student_t, w1, w2),
        "chi2": finder.score_ngram(BAM.chi_sq, w1, w2),
        "dice": finder.score_ngram(BAM.dice, w1, w2),
    }


def window_pairs(segs, K):
    pairs = Counter()
    for s in segs:
        for i in range(len(s)):
            for j in range(i + 1, min(i + K, len(s) - 1) + 1):
                pairs[(s[i], s[j])] += 1
    return pairs


def tie_sorted(items, value, tiekey):
    """Sort by value descending; values equal to a relative 1e-12 (mathematically
    equal, computed differently) are one tie, ordered by tiekey."""
    items = sorted(items, key=value, reverse=True)
    out, group = [], []
    for it in items:
        if group and not c.rel_close(value(group[0]), value(it), rel=1e-12, abs_=0):
            out.extend(sorted(group, key=tiekey))
            group = []
        group.append(it)
    out.extend(sorted(group, key=tiekey))
    return out


def p_close(a, b):
    """p-values: relative agreement only (an absolute floor would hide tiny p)."""
    return c.rel_close(a, b, abs_=1e-300)


class CollocCase(unittest.TestCase):
    def expected_rows(self, stream, sw, K=1, min_count=3, measure="log_likelihood", top=1000):
        segs = c.segments(stream)
        N = len(stream)
        uni = Counter(t for _, _, t in stream)
        if K == 1:
            finder = BigramCollocationFinder.from_documents(segs)
            self.assertEqual(finder.word_fd.N(), N)
            pairs = Counter(dict(finder.ngram_fd))
            self.assertEqual(pairs, window_pairs(segs, 1), "NLTK pairs cross a segment")
        else:
            finder = None
            pairs = window_pairs(segs, K)
        rows = []
        for (w1, w2), n12 in pairs.items():
            if n12 < min_count or c.is_stop(w1, sw) or c.is_stop(w2, sw):
                continue
            m = spec_measures(n12, uni[w1], uni[w2], N, K)
            if finder is not None:
                for k, v in nltk_measures(finder, w1, w2).items():
                    self.assertTrue(c.rel_close(v, m[k]), (k, w1, w2, v, m[k]))
                m.update(nltk_measures(finder, w1, w2))
            rows.append(((w1, w2), n12, uni[w1], uni[w2], m))
        rows = tie_sorted(rows, lambda r: r[4][measure], lambda r: (c.bkey(r[0][0]),
                                                                     c.bkey(r[0][1])))
        return rows[:top], N, finder

    def compare(self, inputs, opts, sw, K=1, min_count=3, measure="log_likelihood", top=1000,
                fisher=False):
        stream = c.tokens(*inputs, *opts)
        want, N, _ = self.expected_rows(stream, sw, K, min_count, measure, top)
        args = ["colloc", *inputs, *opts, "--min-count", str(min_count), "--measure", measure,
                "--top", str(top)]
        if K != 1:
            args += ["--window", str(K)]
        if fisher:
            args.append("--fisher")
        got = c.table(*args)
        self.assertEqual(len(got), len(want), "number of rows")
        self.assertGreater(len(got), 0)
        for i, (g, w) in enumerate(zip(got, want), 1):
            (w1, w2), n12, n1, n2, m = w
            if (g["w1"], g["w2"]) != (w1, w2):
                # A different pair at this rank is only acceptable in a tie.
                col = "n12" if measure == "count" else measure
                self.assertTrue(c.rel_close(g[col], m[measure], rel=1e-12),
                                (i, g["w1"], g["w2"], w1, w2))
                w1, w2 = g["w1"], g["w2"]
                match = [x for x in want if x[0] == (w1, w2)]
                self.assertEqual(len(match), 1, (w1, w2))
                _, n12, n1, n2, m = match[0]
            key = (w1, w2)
            self.assertEqual(int(g["rank"]), i)
            self.assertEqual((int(g["n12"]), int(g["n1"]), int(g["n2"]), int(g["N"])),
                             (n12, n1, n2, N), key)
            for col in ("expected", "pmi", "t_score", "z_score", "log_likelihood", "chi2",
                        "log10_p", "dice", "log_dice", "mi3"):
                self.assertTrue(c.rel_close(g[col], m[col]), (key, col, g[col], m[col]))
            self.assertTrue(p_close(g["p_value"], m["p_value"]), (key, g["p_value"], m["p_value"]))
            if fisher:
                o11, o12, o21 = n12, n1 * K - n12, n2 * K - n12
                o22 = N * K - n1 * K - n2 * K + n12
                # P(X >= n12), X hypergeometric: N*K slots, n1*K drawn, n2*K marked.
                fp = float(hypergeom.sf(n12 - 1, N * K, n1 * K, n2 * K))
                if i <= 10:
                    # The same tail from scipy's Fisher test (slow: first rows only).
                    fe = fisher_exact([[o11, o12], [o21, o22]], alternative="greater")[1]
                    self.assertTrue(p_close(fp, fe), (key, fp, fe))
                self.assertTrue(p_close(g["fisher_p"], fp), (key, g["fisher_p"], fp))
        # Ordering of the table itself: measure desc, then (w1, w2) bytewise.
        col = "n12" if measure == "count" else measure
        keys = [(float(g[col]), c.bkey(g["w1"]), c.bkey(g["w2"])) for g in got]
        for a, b in zip(keys, keys[1:]):
            if c.rel_close(a[0], b[0], rel=1e-12, abs_=0):
                self.assertLess(a[1:], b[1:], "tie not broken by (w1, w2) bytewise")
            else:
                self.assertGreater(a[0], b[0], "not sorted by the measure")
        return got


class TestNltkMatchesSpec(unittest.TestCase):
    """Which NLTK measures are SPEC's formulas (so that they can be used above)."""

    CASES = [(3, 3, 3, 12773), (40, 40, 41, 12773), (5, 120, 60, 5000), (2, 900, 800, 3000),
             (7, 18, 21, 1292)]

    def test_measures(self):
        for n12, n1, n2, N in self.CASES:
            m = spec_measures(n12, n1, n2, N)
            marg = (n12, (n1, n2), N)
            self.assertTrue(c.rel_close(BAM.likelihood_ratio(*marg), m["log_likelihood"]))
            self.assertTrue(c.rel_close(BAM.pmi(*marg), m["pmi"]))
            self.assertTrue(c.rel_close(BAM.student_t(*marg), m["t_score"]))
            self.assertTrue(c.rel_close(BAM.chi_sq(*marg), m["chi2"]))
            self.assertTrue(c.rel_close(BAM.dice(*marg), m["dice"]))
            self.assertTrue(c.rel_close(BAM.raw_freq(*marg) * N, n12))

    def test_log10_p_formula(self):
        # log_ndtr form == scipy's chi2.logsf where the latter is finite ...
        for g2 in (0.5, 3.84, 50.0, 700.0, 1400.0):
            self.assertTrue(c.rel_close(c.log10_chi2_sf_1(g2), chi2.logsf(g2, 1) / math.log(10)))
        # ... and stays finite where p underflows (chi2.logsf gives -inf there).
        self.assertTrue(math.isinf(chi2.logsf(1e5, 1)))
        self.assertTrue(math.isfinite(c.log10_chi2_sf_1(1e5)))


class TestHandMade(CollocCase):
    """x.txt 'new york is big. new york, new york is new york'
      segments [new york is big] [new york] [new york is new york]: 11 tokens
    y.txt 'york new': 2 tokens, N = 13.
    (new, york): 1 + 1 + 2 = 4 (none across '.' or ','); (york, new) only the 1 in y.txt
    (not 'york' ending x.txt + 'york' of y.txt, nor 'york, new' across the comma).
    n(new) = 5, n(york) = 5. E = 5*5/13 = 1.923077; pmi = log2(4/1.923077) = 1.056584;
    dice = 2*4/(5+5) = 0.8."""

    def setUp(self):
        self.dir = c.write_files(c.tmpdir(), {
            "x.txt": "new york is big. new york, new york is new york\n",
            "y.txt": "york new\n",
        })

    def tearDown(self):
        c.rmtree(self.dir)

    def test_hand(self):
        got = c.table("colloc", "--lang", "none", "--min-count", "1", self.dir)
        row = {(g["w1"], g["w2"]): g for g in got}
        ny = row[("new", "york")]
        self.assertEqual((int(ny["n12"]), int(ny["n1"]), int(ny["n2"]), int(ny["N"])),
                         (4, 5, 5, 13))
        self.assertTrue(abs(float(ny["expected"]) - 25 / 13) < 1e-12)
        self.assertTrue(abs(float(ny["pmi"]) - math.log2(4 / (25 / 13))) < 1e-12)
        self.assertTrue(abs(float(ny["dice"]) - 0.8) < 1e-12)
        self.assertEqual(int(row[("york", "new")]["n12"]), 1)  # only the one in y.txt

    def test_recomputed(self):
        for K in (1, 2, 3):
            self.compare([self.dir], ["--lang", "none"], frozenset(), K=K, min_count=1)


@unittest.skipUnless(c.seeds_available(), "seeds folder absent")
class TestSeeds(CollocCase):
    SW = c.stopword_set("it")

    def test_default(self):
        self.compare([c.SEEDS], [], self.SW)

    def test_min_count_2_fisher(self):
        self.compare([c.SEEDS], [], self.SW, min_count=2, fisher=True)

    def test_no_stopwords(self):
        self.compare([c.SEEDS], ["--no-stopwords"], frozenset(), min_count=2)

    def test_windows(self):
        for K in (2, 3):
            with self.subTest(window=K):
                # fisher_p over the N*K slot table (docs/formulas.md).
                self.compare([c.SEEDS], [], self.SW, K=K, min_count=2, fisher=True)


class TestCorpus(CollocCase):
    SW = c.stopword_set("it")
    OPTS = ["--lang", "it"]

    def test_default(self):
        self.compare([c.CORPUS], self.OPTS, self.SW)

    def test_measures(self):
        for measure in ("pmi", "t_score", "z_score", "chi2", "dice", "log_dice", "mi3",
                        "count"):
            with self.subTest(measure=measure):
                self.compare([c.CORPUS], self.OPTS, self.SW, measure=measure, top=50)

    def test_min_count_top(self):
        self.compare([c.CORPUS], self.OPTS, self.SW, min_count=2, top=40, measure="pmi")
        self.compare([c.CORPUS], self.OPTS, self.SW, min_count=5)

    def test_fisher(self):
        self.compare([c.CORPUS], self.OPTS, self.SW, min_count=2, fisher=True)

    def test_windows(self):
        for K in (2, 3):
            with self.subTest(window=K):
                self.compare([c.CORPUS], self.OPTS, self.SW, K=K)

    def test_window_counts_vs_nltk(self):
        # NLTK's windowed finder over padded segments counts the same raw pairs.
        stream = c.tokens(c.CORPUS, *self.OPTS)
        segs = c.segments(stream)
        for K in (2, 3):
            words = BigramCollocationFinder._build_new_documents(segs, K + 1, pad_right=True)
            finder = BigramCollocationFinder.from_words(words, window_size=K + 1)
            self.assertEqual(Counter(dict(finder.ngram_fd)), window_pairs(segs, K))


@unittest.skipUnless(os.path.isdir("/usr/share/common-licenses"), "no licences")
class TestLicenses(CollocCase):
    """A real English corpus: each Debian licence text is one document."""

    def files(self):
        d = "/usr/share/common-licenses"
        return [os.path.join(d, n) for n in sorted(os.listdir(d), key=c.bkey)
                if os.path.isfile(os.path.join(d, n)) and not os.path.islink(os.path.join(d, n))]

    def test_default_fisher(self):
        self.compare(self.files(), ["--lang", "en"], c.stopword_set("en"))
        self.compare(self.files(), ["--lang", "en"], c.stopword_set("en"), fisher=True, top=300)

    def test_window_mi3(self):
        self.compare(self.files(), ["--lang", "en"], c.stopword_set("en"), K=4, measure="mi3",
                     top=200)


class TestHugeG2(CollocCase):
    """G^2 in the thousands: p underflows to 0, log10_p must stay finite."""

    def test_log10_p_finite(self):
        def word(i):
            s = ""
            for _ in range(3):
                s += chr(ord("a") + i % 26)
                i //= 26
            return "q" + s
        text = " ".join(f"foo bar. {word(i)} {word(i + 7)}." for i in range(600))
        d = c.write_files(c.tmpdir(), {"big.txt": text + "\n"})
        try:
            got = self.compare([d], ["--lang", "none"], frozenset(), min_count=500)
            top = got[0]
            self.assertEqual((top["w1"], top["w2"]), ("foo", "bar"))
            self.assertGreater(float(top["log_likelihood"]), 2000)
            self.assertTrue(math.isfinite(float(top["log10_p"])))
            self.assertLess(float(top["log10_p"]), -300)
        finally:
            c.rmtree(d)


if __name__ == "__main__":
    unittest.main()
