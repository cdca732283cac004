"""tfidf.csv against scikit-learn's TfidfVectorizer fed with tempora's own tokens.

The analyzer is the identity on each document's token list (tokens of
`tempora tokens`, minus stopwords unless --no-stopwords), so only the weighting
is compared: tf, df, idf and the normalized tfidf of every reported row, to a
relative 1e-9, and the top-K selection (tfidf desc, then term bytewise).
D counts every document, including those with no token.
"""
import math
import os
import unittest

from sklearn.feature_extraction.text import TfidfVectorizer

import common as c

LICENSES = "/usr/share/common-licenses"

# tempora option -> TfidfVectorizer keyword arguments.
MODES = {
    "default": ([], {}),
    "tf_log": (["--tf", "log"], {"sublinear_tf": True}),
    "tf_bool": (["--tf", "bool"], {"binary": True}),
    "idf_plain": (["--idf", "plain"], {"smooth_idf": False}),
    "idf_none": (["--idf", "none"], {"use_idf": False}),
    "norm_l1": (["--norm", "l1"], {"norm": "l1"}),
    "norm_none": (["--norm", "none"], {"norm": None}),
}


def tf_weight(count, kw):
    if kw.get("sublinear_tf"):
        return 1.0 + math.log(count)
    if kw.get("binary"):
        return 1.0
    return float(count)


def license_files():
    if not os.path.isdir(LICENSES):
        return []
    names = sorted(os.listdir(LICENSES), key=c.bkey)
    return [os.path.join(LICENSES, n) for n in names
            if not n.startswith(".") and not os.path.islink(os.path.join(LICENSES, n))
            and os.path.isfile(os.path.join(LICENSES, n))]


class TfidfCase(unittest.TestCase):
    def compare(self, inputs, opts, sw, mode="default", top=10, min_length=0, docs_dates=None):
        """docs_dates: [(doc_id, date)] of every document when the inputs are not
        one-document text files (CSV rows, --doc-per-line)."""
        t_opts, sk_kw = MODES[mode]
        if docs_dates is None:
            paths = [p for i in inputs for p in c.walk_inputs(i)]
            dates = {p: c.header_date(p) or "" for p in paths}
        else:
            paths = [d for d, _ in docs_dates]
            dates = dict(docs_dates)
        stream = c.tokens(*inputs, *opts)
        per_doc = c.doc_tokens(stream)
        self.assertTrue(set(per_doc) <= set(paths), "token doc ids are not the input paths")
        docs = [[t for t in per_doc.get(p, []) if not c.is_stop(t, sw)] for p in paths]
        vec = TfidfVectorizer(analyzer=lambda d: d, lowercase=False, **sk_kw)
        X = vec.fit_transform(docs).tocsr()
        vocab = vec.vocabulary_
        names = vec.get_feature_names_out()
        df = (X > 0).sum(axis=0).A1
        idf = vec.idf_ if sk_kw.get("use_idf", True) else None

        args = ["tfidf", *inputs, *opts, *t_opts, "--top", str(top)]
        if min_length:
            args += ["--min-length", str(min_length)]
        got = c.table(*args)
        by_doc = {}
        for r in got:
            by_doc.setdefault(r["doc_id"], []).append(r)
        self.assertTrue(set(by_doc) <= set(paths))
        nrows = 0
        for i, p in enumerate(paths):
            row = X.getrow(i)
            counts = {}
            for t in docs[i]:
                counts[t] = counts.get(t, 0) + 1
            cand = [(names[j], float(v)) for j, v in zip(row.indices, row.data)
                    if len(names[j]) >= min_length]
            cand.sort(key=lambda tv: (-tv[1], c.bkey(tv[0])))
            want = cand[:top]
            rows = by_doc.get(p, [])
            self.assertEqual(len(rows), len(want), p)
            date = dates[p]
            for k, (r, (term, val)) in enumerate(zip(rows, want), 1):
                self.assertEqual(int(r["rank"]), k, (p, term))
                self.assertEqual(r["date"], date, p)
                if r["term"] != term:
                    # Only acceptable inside a floating-point tie.
                    self.assertTrue(c.rel_close(float(r["tfidf"]), val, rel=1e-12),
                                    (p, k, r["term"], term))
                    term = r["term"]
                j = vocab[term]
                cnt = counts[term]
                self.assertEqual(int(r["count"]), cnt, (p, term))
                self.assertTrue(c.rel_close(r["tf"], tf_weight(cnt, sk_kw)), (p, term, r["tf"]))
                self.assertEqual(int(r["df"]), int(df[j]), (p, term))
                want_idf = float(idf[j]) if idf is not None else 1.0
                self.assertTrue(c.rel_close(r["idf"], want_idf), (p, term, r["idf"], want_idf))
                self.assertTrue(c.rel_close(r["tfidf"], X[i, j]), (p, term, r["tfidf"], X[i, j]))
                nrows += 1
        self.assertGreater(nrows, 0)
        return got


@unittest.skipUnless(c.seeds_available(), "seeds folder absent")
class TestSeeds(TfidfCase):
    SW = c.stopword_set("it")

    def test_modes(self):
        for mode in MODES:
            with self.subTest(mode=mode):
                self.compare([c.SEEDS], [], self.SW, mode)

    def test_no_stopwords(self):
        self.compare([c.SEEDS], ["--no-stopwords"], frozenset())

    def test_min_length_keeps_norm(self):
        # Terms shorter than 7 are not reported but stay in the L2 norm.
        self.compare([c.SEEDS], [], self.SW, top=15, min_length=7)

    def test_all_terms(self):
        self.compare([c.SEEDS], [], self.SW, top=100000)


class TestCorpus(TfidfCase):
    SW = c.stopword_set("it")
    OPTS = ["--lang", "it"]

    def test_modes(self):
        for mode in MODES:
            with self.subTest(mode=mode):
                self.compare([c.CORPUS], self.OPTS, self.SW, mode)

    def test_no_stopwords(self):
        self.compare([c.CORPUS], self.OPTS + ["--no-stopwords"], frozenset(), top=25)

    def test_min_length(self):
        self.compare([c.CORPUS], self.OPTS, self.SW, min_length=8)


class TestEmptyDocumentsCountInD(TfidfCase):
    """Two empty documents raise D: with docs 'a b', 'a', '', '' (D = 4),
    idf(a) = ln(5/3) + 1 = 1.5108256, idf(b) = ln(5/2) + 1 = 1.9162907;
    doc 1 L2: a = 1.5108256 / sqrt(1.5108256^2 + 1.9162907^2) = 0.6191303."""

    def test_hand(self):
        d = c.write_files(c.tmpdir(), {"1.txt": "a b\n", "2.txt": "a\n", "3.txt": "\n",
                                       "4.txt": "...\n"})
        try:
            got = c.table("tfidf", "--lang", "none", d)
            r = [x for x in got if x["doc_id"].endswith("1.txt") and x["term"] == "a"][0]
            self.assertTrue(abs(float(r["idf"]) - 1.5108256) < 1e-7, r)
            self.assertTrue(abs(float(r["tfidf"]) - 0.6191303) < 1e-7, r)
            self.compare([d], ["--lang", "none"], frozenset())
        finally:
            c.rmtree(d)


class TestRowDocuments(TfidfCase):
    """Documents that are CSV rows or lines: D counts every row, including one
    whose text is empty (read here with Python's csv module), and every
    non-empty line with --doc-per-line (ids PATH:LINE)."""

    def test_csv_rows(self):
        import csv
        text = ("id,date,text\nr1,2024-01-02,alpha beta\nr2,2024-01,alpha\nr3,2024-02-03,\n"
                'r4,,"gamma, alpha\nbeta alpha"\nr5,2024-03,"beta, beta gamma"\n')
        d = c.write_files(c.tmpdir(), {"d.csv": text})
        try:
            path = os.path.join(d, "d.csv")
            with open(path, newline="", encoding="utf-8") as f:
                rows = [(r["id"], r["date"]) for r in csv.DictReader(f)]
            self.assertEqual(len(rows), 5)
            for mode in MODES:
                with self.subTest(mode=mode):
                    self.compare([path], ["--lang", "none"], frozenset(), mode, docs_dates=rows)
        finally:
            c.rmtree(d)

    def test_doc_per_line(self):
        text = "uno due\n\ntre uno\n   \nquattro uno due\ncinque\n"
        d = c.write_files(c.tmpdir(), {"l.txt": text})
        try:
            path = os.path.join(d, "l.txt")
            docs = [(f"{path}:{k}", "") for k, line in enumerate(text.split("\n"), 1)
                    if line.strip()]
            self.assertEqual(len(docs), 4)
            self.compare([path], ["--lang", "none", "--doc-per-line"], frozenset(),
                         docs_dates=docs)
        finally:
            c.rmtree(d)


class TestTies(unittest.TestCase):
    """A document's top K when many of its terms tie in weight: terms of the
    same count and document frequency weigh exactly the same in any
    implementation, so which of them make the cut is decided by name alone
    (SPEC: tfidf descending, then term bytewise). Written by hand here: 40
    documents, one a line, each of 3 terms seen twice in it and in one other
    document (df 2), 30 terms of its own seen once (df 1, all tied, in an
    order that is not their name order), and one term of every document seen
    3 times (df 40). The rows of --top K are also the first K of --top K + 1,
    for K on both sides of 32 (tempora ranks a top of at most 32 rows by a
    shorter way than a larger one)."""

    D = 40

    def corpus(self):
        import random
        rnd = random.Random(11)
        letters = "bcdfglmnprstvz"
        used = set()

        def word():
            while True:
                w = "".join(rnd.choice(letters) + rnd.choice("aeiou") for _ in range(3))
                if w not in used:
                    used.add(w)
                    return w
        pairs = [word() for _ in range(3 * self.D // 2 * 2)]
        docs = []
        for i in range(self.D):
            own = [word() for _ in range(30)]
            # df-2 terms: doc i shares pairs[3i..3i+2] with doc i^1
            shared = pairs[3 * (i // 2 * 2):3 * (i // 2 * 2) + 3]
            toks = own + shared * 2 + ["tutti"] * 3
            rnd.shuffle(toks)
            docs.append(toks)
        return docs

    def expected(self, docs, top):
        """[(term, tfidf)] of each document, from the SPEC's formulas."""
        D = len(docs)
        df = {}
        for toks in docs:
            for t in set(toks):
                df[t] = df.get(t, 0) + 1
        out = []
        for toks in docs:
            counts = {}
            for t in toks:
                counts[t] = counts.get(t, 0) + 1
            w = {t: n * (math.log((1 + D) / (1 + df[t])) + 1) for t, n in counts.items()}
            norm = math.sqrt(sum(v * v for v in w.values()))
            rows = sorted(((t, v / norm) for t, v in w.items()), key=lambda r: (-r[1], bkey(r[0])))
            out.append(rows[:top])
        return out

    def test_cut_among_ties(self):
        docs = self.corpus()
        d = c.write_files(c.tmpdir(), {"t.txt": "".join(" ".join(t) + "\n" for t in docs)})
        try:
            path = os.path.join(d, "t.txt")
            got_by_top = {}
            for top in (1, 3, 4, 5, 10, 31, 32, 33, 34):
                for threads in ("1", "2"):
                    got = c.table("tfidf", "--lang", "none", "--doc-per-line", "--threads", threads,
                                  "--top", str(top), path)
                    by_doc = {}
                    for r in got:
                        by_doc.setdefault(r["doc_id"], []).append((r["term"], float(r["tfidf"])))
                    want = self.expected(docs, top)
                    for i, rows in enumerate(want):
                        have = by_doc.get(f"{path}:{i + 1}", [])
                        self.assertEqual([t for t, _ in have], [t for t, _ in rows],
                                         (top, threads, i))
                        for (_, a), (_, b) in zip(have, rows):
                            self.assertTrue(c.rel_close(a, b), (top, i, a, b))
                    got_by_top[(top, threads)] = by_doc
            # the 30 tied terms of a document are cut by name at K = 4, 5, 10, 31
            self.assertEqual(len(got_by_top[(10, "1")][f"{path}:1"]), 10)
            for top in (31, 32, 33):
                for doc, rows in got_by_top[(top, "1")].items():
                    self.assertEqual(rows, got_by_top[(top + 1, "1")][doc][:top], (top, doc))
        finally:
            c.rmtree(d)


def bkey(s):
    return s.encode("utf-8")


@unittest.skipUnless(license_files(), "no /usr/share/common-licenses")
class TestLicenses(TfidfCase):
    """A real English corpus: each Debian licence text is one document."""
    SW = c.stopword_set("en")

    def test_default(self):
        self.compare(license_files(), ["--lang", "en"], self.SW)

    def test_sublinear_plain_l1(self):
        self.compare(license_files(), ["--lang", "en"], self.SW, "tf_log")
        self.compare(license_files(), ["--lang", "en"], self.SW, "idf_plain")
        self.compare(license_files(), ["--lang", "en"], self.SW, "norm_l1")

    def test_no_stopwords(self):
        self.compare(license_files(), ["--lang", "en", "--no-stopwords"], frozenset(), top=20)


if __name__ == "__main__":
    unittest.main()
