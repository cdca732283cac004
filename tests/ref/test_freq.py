"""freq.csv against a frequency list recomputed in Python from `tempora tokens`.

Every expected number here comes from tempora's token stream (or from the hand
computation in a comment), never from one of its report tables.
"""
import math
import os
import unittest
from collections import Counter

import common as c


def expected_freq(stream, sw, n=1, min_length=0):
    """Rows SPEC wants for freq: {term: (count, per_million, doc_freq, dp)}, in
    report order (count desc, term bytewise). N = every token; DP over every
    document (a document where the term is absent contributes s_i)."""
    N = len(stream)
    docs = c.doc_segments(stream)
    sizes = {d: sum(len(s) for s in segs) for d, segs in docs.items()}
    per_doc = {d: Counter(" ".join(g) for g in c.ngrams_of(segs, n)) for d, segs in docs.items()}
    total = Counter()
    for cnt in per_doc.values():
        total.update(cnt)
    rows = []
    for term, count in total.items():
        words = term.split(" ")
        if any(c.is_stop(w, sw) for w in words):
            continue
        if n == 1 and len(term) < min_length:
            continue
        dp = 0.5 * math.fsum(abs(per_doc[d][term] / count - sizes[d] / N) for d in docs)
        df = sum(1 for d in docs if per_doc[d][term] > 0)
        rows.append((term, count, count / N * 1e6, df, dp))
    rows.sort(key=lambda r: (-r[1], c.bkey(r[0])))
    return rows


class FreqCase(unittest.TestCase):
    def check(self, got, want):
        self.assertEqual([r["term"] for r in got], [w[0] for w in want],
                         "reported terms / order differ from the recomputed list")
        for i, (g, w) in enumerate(zip(got, want), 1):
            term, count, pm, df, dp = w
            self.assertEqual(int(g["rank"]), i, term)
            self.assertEqual(int(g["count"]), count, term)
            self.assertTrue(c.rel_close(g["per_million"], pm), (term, g["per_million"], pm))
            self.assertEqual(int(g["doc_freq"]), df, term)
            self.assertTrue(c.rel_close(g["dp"], dp), (term, g["dp"], dp))

    def run_case(self, inputs, opts, sw, n=1, min_length=0):
        stream = c.tokens(*inputs, *opts)
        args = ["freq", *inputs, *opts]
        if n != 1:
            args += ["--ngram", str(n)]
        if min_length:
            args += ["--min-length", str(min_length)]
        got = c.table(*args)
        want = expected_freq(stream, sw, n, min_length)
        self.assertGreater(len(want), 0)
        self.check(got, want)
        return got, want


class TestHandMade(FreqCase):
    """Three small documents plus an empty one, no stopwords (--lang none).

    a.txt "alpha beta alpha"             3 tokens  s = 3/10 = 0.3
    b.txt "alpha gamma"                  2 tokens  s = 0.2
    c.txt "beta beta gamma delta gamma"  5 tokens  s = 0.5
    d.txt "..."                          0 tokens  s = 0 (changes nothing)
    N = 10.
    alpha: 3, v = (2/3, 1/3, 0): |v-s| = 0.36667 + 0.13333 + 0.5     = 1.0 -> DP 0.5
    beta:  3, v = (1/3, 0, 2/3): |v-s| = 0.03333 + 0.2 + 0.16667     = 0.4 -> DP 0.2
    gamma: 3, v = (0, 1/3, 2/3): |v-s| = 0.3 + 0.13333 + 0.16667     = 0.6 -> DP 0.3
    delta: 1, v = (0, 0, 1):     |v-s| = 0.3 + 0.2 + 0.5             = 1.0 -> DP 0.5
    per_million = count / 10 * 1e6; ties (count 3) bytewise: alpha, beta, gamma.
    """

    HAND = [("alpha", 3, 300000.0, 2, 0.5), ("beta", 3, 300000.0, 2, 0.2),
            ("gamma", 3, 300000.0, 2, 0.3), ("delta", 1, 100000.0, 1, 0.5)]

    def setUp(self):
        self.dir = c.write_files(c.tmpdir(), {
            "a.txt": "alpha beta alpha\n",
            "b.txt": "alpha gamma\n",
            "c.txt": "beta beta gamma delta gamma\n",
            "d.txt": "...\n",
        })

    def tearDown(self):
        c.rmtree(self.dir)

    def test_hand_computed_dp(self):
        got = c.table("freq", "--lang", "none", self.dir)
        self.check(got, self.HAND)

    def test_recomputed_matches_hand(self):
        # The Python recomputation itself agrees with the hand computation.
        stream = c.tokens("--lang", "none", self.dir)
        want = expected_freq(stream, frozenset())
        self.assertEqual([w[0] for w in want], [h[0] for h in self.HAND])
        for w, h in zip(want, self.HAND):
            self.assertEqual(w[1], h[1])
            self.assertEqual(w[3], h[3])
            self.assertTrue(c.rel_close(w[4], h[4]), (w, h))

    def test_top(self):
        got = c.table("freq", "--lang", "none", "--top", "2", self.dir)
        self.check(got, self.HAND[:2])


class TestNgramsHandMade(FreqCase):
    """Segments: '.' ',' and a blank line break adjacency; so does a document end.

    x.txt: "alpha beta gamma. beta gamma, delta\n\nalpha beta"
      segments [alpha beta gamma] [beta gamma] [delta] [alpha beta]
    y.txt: "gamma alpha beta"   (a new document: no pair 'beta gamma' across files)
    bigrams: alpha beta 3, beta gamma 2, gamma alpha 1   N = 8 + 3 = 11
    trigrams: alpha beta gamma 1, gamma alpha beta 1
    with the extra stopword 'gamma' (--stopwords): only 'alpha beta' is left.
    """

    def setUp(self):
        self.dir = c.write_files(c.tmpdir(), {
            "x.txt": "alpha beta gamma. beta gamma, delta\n\nalpha beta\n",
            "y.txt": "gamma alpha beta\n",
            "stop.txt": "gamma\n",
        })
        self.inputs = [os.path.join(self.dir, "x.txt"), os.path.join(self.dir, "y.txt")]

    def tearDown(self):
        c.rmtree(self.dir)

    def test_bigrams_by_hand(self):
        got = c.table("freq", "--lang", "none", "--ngram", "2", *self.inputs)
        self.assertEqual([(r["term"], int(r["count"])) for r in got],
                         [("alpha beta", 3), ("beta gamma", 2), ("gamma alpha", 1)])
        self.assertTrue(c.rel_close(got[0]["per_million"], 3 / 11 * 1e6))

    def test_trigrams_by_hand(self):
        got = c.table("freq", "--lang", "none", "--ngram", "3", *self.inputs)
        self.assertEqual([(r["term"], int(r["count"])) for r in got],
                         [("alpha beta gamma", 1), ("gamma alpha beta", 1)])

    def test_bigram_stopword_any_word(self):
        sw_file = os.path.join(self.dir, "stop.txt")
        got = c.table("freq", "--lang", "none", "--stopwords", sw_file, "--ngram", "2",
                      *self.inputs)
        self.assertEqual([(r["term"], int(r["count"])) for r in got], [("alpha beta", 3)])
        # N still counts the stopword tokens: 3 / 11.
        self.assertTrue(c.rel_close(got[0]["per_million"], 3 / 11 * 1e6))

    def test_recomputed(self):
        for n in (2, 3):
            self.run_case(self.inputs, ["--lang", "none"], frozenset(), n=n)


class TestMinLengthHandMade(FreqCase):
    """--min-length counts characters (code points), not bytes: 'città' has 5
    characters and 6 bytes, so --min-length 6 drops it; 'abcdef' (6) stays.
    N (per_million) still counts the dropped tokens: 4 tokens -> 250000 each."""

    def test_code_points(self):
        d = c.write_files(c.tmpdir(), {"m.txt": "città abcde abcdef abcdefg\n"})
        try:
            got = c.table("freq", "--lang", "none", "--min-length", "6", d)
            self.assertEqual(sorted(r["term"] for r in got), ["abcdef", "abcdefg"])
            for r in got:
                self.assertTrue(c.rel_close(r["per_million"], 250000.0))
        finally:
            c.rmtree(d)


@unittest.skipUnless(c.seeds_available(), "seeds folder absent")
class TestSeeds(FreqCase):
    # Default settings: --lang auto must pick Italian on the seeds.
    def test_unigrams(self):
        self.run_case([c.SEEDS], [], c.stopword_set("it"))

    def test_bigrams(self):
        self.run_case([c.SEEDS], [], c.stopword_set("it"), n=2)

    def test_trigrams(self):
        self.run_case([c.SEEDS], [], c.stopword_set("it"), n=3)

    def test_min_length(self):
        self.run_case([c.SEEDS], [], c.stopword_set("it"), min_length=6)

    def test_no_stopwords(self):
        self.run_case([c.SEEDS], ["--no-stopwords"], frozenset())

    def test_stopwords_counted_in_N(self):
        stream = c.tokens(c.SEEDS)
        sw = c.stopword_set("it")
        n_stop = sum(1 for _, _, t in stream if c.is_stop(t, sw))
        self.assertGreater(n_stop, 0)
        got = c.table("freq", c.SEEDS)
        top = got[0]
        self.assertTrue(c.rel_close(top["per_million"], int(top["count"]) / len(stream) * 1e6))


class TestCorpus(FreqCase):
    OPTS = ["--lang", "it"]

    def test_unigrams(self):
        self.run_case([c.CORPUS], self.OPTS, c.stopword_set("it"))

    def test_bigrams(self):
        self.run_case([c.CORPUS], self.OPTS, c.stopword_set("it"), n=2)

    def test_trigrams(self):
        self.run_case([c.CORPUS], self.OPTS, c.stopword_set("it"), n=3)

    def test_min_length(self):
        self.run_case([c.CORPUS], self.OPTS, c.stopword_set("it"), min_length=5)

    def test_auto_mixed_languages(self):
        # README: --lang auto picks Italian here and adds the list of any other
        # language whose own words (not in the Italian list) are >= 1% of the
        # sample (the whole corpus, < 1 MiB). Shares computed here: only English.
        toks = [t for _, _, t in c.tokens(c.CORPUS, *self.OPTS)]
        it = c.stopword_set("it")
        sw = set(it)
        for lang in ("en", "fr", "es", "de", "pt"):
            own = c.stopword_set(lang) - it
            share = sum(1 for t in toks if c.is_stop(t, own) and not c.is_stop(t, it)) / len(toks)
            self.assertFalse(0.008 < share < 0.012, (lang, share))  # not a borderline case
            if share >= 0.01:
                sw |= c.stopword_set(lang)
        self.assertIn("the", sw)
        # README: then each document gets its language from its first words;
        # one in the corpus's language (Italian) keeps the lists above, one in
        # another language has its own list only
        from test_doclang import doc_language, doc_text, lists
        by_lang = lists()
        stop_of = {}
        for p in c.walk_inputs(c.CORPUS):
            lang, _ = doc_language(doc_text(p), by_lang, "it")
            stop_of[p] = frozenset(sw) if lang == "it" else by_lang[lang]
        self.assertEqual(sum(1 for v in stop_of.values() if v == by_lang["en"]), 6)
        # a stopword of its document stands as a marker no table reports
        stream = [(d, seg, "\x00" if c.is_stop(t, stop_of[d]) else t)
                  for d, seg, t in c.tokens(c.CORPUS)]
        got = c.table("freq", c.CORPUS)
        want = expected_freq(stream, frozenset({"\x00"}))
        self.assertIn("ai", [w[0] for w in want])  # "AI" in the English articles
        self.check(got, want)

    def test_english_subset(self):
        en = os.path.join(c.CORPUS, "en")
        self.run_case([en], ["--lang", "en"], c.stopword_set("en"))
        self.run_case([en], ["--lang", "en"], c.stopword_set("en"), n=2)


LICENSES = "/usr/share/common-licenses"


def license_files():
    if not os.path.isdir(LICENSES):
        return []
    return [os.path.join(LICENSES, n) for n in sorted(os.listdir(LICENSES), key=c.bkey)
            if not n.startswith(".") and os.path.isfile(os.path.join(LICENSES, n))
            and not os.path.islink(os.path.join(LICENSES, n))]


@unittest.skipUnless(license_files(), "no /usr/share/common-licenses")
class TestLicenses(FreqCase):
    """A real English corpus: each Debian licence text is one document."""

    def test_unigrams_bigrams(self):
        sw = c.stopword_set("en")
        self.run_case(license_files(), ["--lang", "en"], sw)
        self.run_case(license_files(), ["--lang", "en"], sw, n=2)

    def test_long_ngrams_no_stopwords(self):
        self.run_case(license_files(), ["--lang", "en", "--no-stopwords"], frozenset(), n=8)


class TestDpExact(unittest.TestCase):
    """Gries' DP is a ratio of integers: scaled by f*N, each document holding
    the term adds |c_d*N - f*n_d| and the others f*n_d. Over 5,000 documents
    (enough for the report to share them among threads) of words drawn from a
    skewed vocabulary, every DP is that ratio rounded to a double (at most one
    unit in the last place off, the long double division's second rounding),
    and the table is the same byte for byte on 1, 2 and 3 threads."""

    def setUp(self):
        import json
        import random
        rng = random.Random(20261206)
        vocab = ["w%03d" % i for i in range(400)]
        weights = [1 / (i + 1) for i in range(len(vocab))]
        self.dir = c.tmpdir()
        self.path = os.path.join(self.dir, "docs.jsonl")
        with open(self.path, "w", encoding="utf-8") as f:
            for d in range(5000):
                n = rng.choice([1, 2, 3, 7, 20, 45, 120])
                words = rng.choices(vocab, weights, k=n)
                f.write(json.dumps({"id": "d%d" % d, "src": "b" if d % 3 == 0 else "a",
                                    "text": " ".join(words)}) + "\n")

    def tearDown(self):
        c.rmtree(self.dir)

    def test_dp_is_the_exact_ratio_on_any_thread_count(self):
        from fractions import Fraction
        outs = [c.run("freq", "--lang", "none", "--threads", str(t), self.path)[1]
                for t in (1, 2, 3)]
        self.assertEqual(outs[0], outs[1])
        self.assertEqual(outs[0], outs[2])
        docs = c.doc_tokens(c.tokens("--lang", "none", self.path))
        self.assertEqual(len(docs), 5000)
        N = sum(len(t) for t in docs.values())
        per = [(len(t), Counter(t)) for t in docs.values()]
        total = Counter()
        for _, cnt in per:
            total.update(cnt)
        got = c.table("freq", "--lang", "none", self.path)
        self.assertEqual(len(got), len(total))
        for r in got:
            term, f = r["term"], total[r["term"]]
            self.assertEqual(int(r["count"]), f, term)
            s, occ = 0, 0
            for n, cnt in per:
                if term in cnt:
                    s += abs(cnt[term] * N - f * n)
                    occ += n
            exact = float(Fraction(s + f * (N - occ), 2 * f * N))
            self.assertLessEqual(abs(float(r["dp"]) - exact), math.ulp(exact), (term, r["dp"], exact))

    def test_grouped_dp_is_the_exact_ratio_within_each_group(self):
        from fractions import Fraction
        outs = [c.run("freq", "--lang", "none", "--group-by", "src", "--threads", str(t),
                      self.path)[1] for t in (1, 3)]
        self.assertEqual(outs[0], outs[1])
        docs = c.doc_tokens(c.tokens("--lang", "none", self.path))
        groups = {"a": [], "b": []}
        for doc_id, toks in docs.items():
            groups["b" if int(doc_id[1:]) % 3 == 0 else "a"].append((len(toks), Counter(toks)))
        got = c.table("freq", "--lang", "none", "--group-by", "src", self.path)
        self.assertEqual({r["group"] for r in got}, {"a", "b"})
        for r in got:
            per = groups[r["group"]]
            N = sum(n for n, _ in per)
            f = sum(cnt[r["term"]] for _, cnt in per)
            self.assertEqual(int(r["count"]), f, r)
            s, occ = 0, 0
            for n, cnt in per:
                if r["term"] in cnt:
                    s += abs(cnt[r["term"]] * N - f * n)
                    occ += n
            exact = float(Fraction(s + f * (N - occ), 2 * f * N))
            self.assertLessEqual(abs(float(r["dp"]) - exact), math.ulp(exact), (r, exact))


if __name__ == "__main__":
    unittest.main()
