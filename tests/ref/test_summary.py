"""summary.csv against metrics recomputed from `tempora tokens` and the raw files.

zipf_exponent = -slope of least squares of ln count on ln rank (ranks 1..V, count
descending) over all types; heaps_k/heaps_beta from least squares of ln V(n) on
ln n at n = 1, 2, 4, ..., (powers of two up to N) and N, with V(n) the number of
distinct types among the first n tokens of the stream. Both fits use numpy.polyfit.
"""
import math
import os
import unittest
from collections import Counter

import common as c


def expected_summary(stream, paths):
    N = len(stream)
    counts = Counter(t for _, _, t in stream)
    V = len(counts)
    dates = [c.header_date(p) for p in paths]
    dated = [d for d in dates if d]
    want = {
        "documents": len(paths),
        "dated_documents": len(dated),
        "undated_documents": len(paths) - len(dated),
        "tokens": N,
        "types": V,
        "type_token_ratio": V / N,
        "hapax_legomena": sum(1 for v in counts.values() if v == 1),
        "mean_document_tokens": N / len(paths),
    }
    # Zipf: ln count on ln rank; the order inside a tie does not change the fit.
    freqs = sorted(counts.values(), reverse=True)
    slope, _ = c.ols([math.log(r) for r in range(1, V + 1)], [math.log(f) for f in freqs])
    want["zipf_exponent"] = -slope
    # Heaps: checkpoints 1, 2, 4, ... <= N, plus N.
    checks = []
    n = 1
    while n <= N:
        checks.append(n)
        n *= 2
    if checks[-1] != N:
        checks.append(N)
    seen, vn, i = set(), [], 0
    for k in checks:
        while i < k:
            seen.add(stream[i][2])
            i += 1
        vn.append(len(seen))
    beta, intercept = c.ols([math.log(k) for k in checks], [math.log(v) for v in vn])
    want["heaps_beta"] = beta
    want["heaps_k"] = math.exp(intercept)
    return want, dated


class SummaryCase(unittest.TestCase):
    INT_KEYS = ("documents", "dated_documents", "undated_documents", "tokens", "types",
                "hapax_legomena")

    def check(self, inputs, opts=()):
        paths = [p for i in inputs for p in c.walk_inputs(i)]
        stream = c.tokens(*inputs, *opts)
        got = {r["metric"]: r["value"] for r in c.table("summary", *inputs, *opts)}
        want, dated = expected_summary(stream, paths)
        for k, v in want.items():
            self.assertIn(k, got)
            if k in self.INT_KEYS:
                self.assertEqual(int(got[k]), v, k)
            else:
                self.assertTrue(c.rel_close(got[k], v), (k, got[k], v))
        return got, dated


class TestCorpus(SummaryCase):
    def test_all_metrics(self):
        got, dated = self.check([c.CORPUS])
        # docs/corpus.md: 53 documents, 49 dated, 4 undated, 2024-01 .. 2025-10.
        self.assertEqual(int(got["documents"]), 53)
        self.assertEqual(int(got["dated_documents"]), 49)
        self.assertEqual(int(got["undated_documents"]), 4)
        self.assertEqual(got["first_period"], min(d[:7] for d in dated))
        self.assertEqual(got["last_period"], max(d[:7] for d in dated))
        self.assertEqual((got["first_period"], got["last_period"]), ("2024-01", "2025-10"))
        self.assertEqual(int(got["imprecise_documents"]), 0)
        for k in ("invalid_utf8", "cp1252_documents", "skipped_inputs"):
            self.assertEqual(int(got[k]), 0, k)

    def test_english_subset(self):
        self.check([os.path.join(c.CORPUS, "en")], ["--lang", "en"])


@unittest.skipUnless(c.seeds_available(), "seeds folder absent")
class TestSeeds(SummaryCase):
    def test_all_metrics(self):
        got, dated = self.check([c.SEEDS])
        self.assertEqual(int(got["documents"]), 2)
        self.assertEqual(int(got["undated_documents"]), 1)
        self.assertEqual(dated, ["2025-01"])
        self.assertEqual(got["first_period"], "2025-01")
        self.assertEqual(got["last_period"], "2025-01")


class TestHandMade(SummaryCase):
    """5 tokens 'a b a c a' + an empty document.
    types 3, hapax 2 (b, c), ttr 0.6, mean_document_tokens 5/2 = 2.5.
    Zipf: counts (3, 1, 1) at ranks 1..3; Heaps checkpoints n = 1, 2, 4, 5 with
    V = 1, 2, 3, 3."""

    def test_small(self):
        d = c.write_files(c.tmpdir(), {"a.txt": "a b a c a\n", "b.txt": "\n"})
        try:
            got, _ = self.check([d], ["--lang", "none"])
            self.assertEqual(int(got["types"]), 3)
            self.assertEqual(int(got["hapax_legomena"]), 2)
            self.assertTrue(c.rel_close(got["mean_document_tokens"], 2.5))
            # Hand: x = ln 1, ln 2, ln 3 = (0, .693147, 1.098612), y = (ln 3, 0, 0);
            # slope = Sxy/Sxx with xbar = .597253, ybar = .366204:
            # Sxy = (-.597253)(.732408) + (.095894)(-.366204) + (.501359)(-.366204)
            #     = -.437430 - .035117 - .183600 = -.656147
            # Sxx = .356711 + .009196 + .251361 = .617268 -> zipf = 1.06299 (rounded)
            self.assertTrue(abs(float(got["zipf_exponent"]) - 1.06299) < 1e-5,
                            got["zipf_exponent"])
        finally:
            c.rmtree(d)

    def test_heaps_checkpoints(self):
        # N = 8 (a power of two: checkpoints 1, 2, 4, 8, N not repeated) and
        # N = 9 (checkpoints 1, 2, 4, 8, 9).
        # N = 8 'a b a c d a b e': V(1,2,4,8) = 1, 2, 3, 5.
        for text in ("a b a c d a b e", "a b a c d a b e a"):
            d = c.write_files(c.tmpdir(), {"h.txt": text + "\n"})
            try:
                self.check([d], ["--lang", "none"])
            finally:
                c.rmtree(d)


class TestThreads(unittest.TestCase):
    """Results are byte-identical whatever --threads."""

    def test_identical(self):
        for cmd in (["freq"], ["freq", "--ngram", "2"], ["tfidf"], ["colloc"], ["summary"],
                    ["timeline"], ["keyness", "--period", "2025-10"]):
            outs = {c.run(*cmd, "--lang", "it", "--threads", n, c.CORPUS)[1]
                    for n in ("1", "2", "7")}
            self.assertEqual(len(outs), 1, cmd)


if __name__ == "__main__":
    unittest.main()
