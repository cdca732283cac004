"""--lang auto on a corpus that mixes languages: each document's own
stopwords (and stemmer), against a reference written here from the SPEC and
README ("Tokens"): the corpus's language from the sample's stopword hits, the
lists added for the other languages, each document's language from its first
60 tokens, and every count made with the list of the document's language.

The corpus is generated here (Italian, English and French articles, and
short English notes that take the corpus's language), in plain words without
apostrophes or digits, so the tokens are computed here too: lower-cased runs
of letters, a sentence's full stop breaking adjacency.
"""
import math
import os
import random
import re
import unittest
from collections import Counter, defaultdict

import common as c

IT_STOP = ["di", "che", "il", "la", "per", "non", "una", "come", "ai", "del", "della", "sono",
           "con", "ma", "anche", "più"]
IT_WORDS = ["crisi", "idrica", "governo", "siccità", "acqua", "regione", "agricoltori", "prezzi",
            "energia", "città", "sindaco", "piogge", "estate", "campi", "raccolto", "over"]
EN_STOP = ["the", "of", "and", "to", "in", "is", "that", "it", "was", "for", "over", "with"]
EN_WORDS = ["come", "water", "drought", "crisis", "farmers", "prices", "city", "summer", "ai",
            "rain", "fields", "harvest", "mayor", "governo", "die", "son"]
FR_STOP = ["le", "les", "des", "est", "et", "pour", "dans", "qui", "une", "sur", "pas", "au"]
FR_WORDS = ["eau", "crise", "sécheresse", "prix", "ville", "été", "pluie", "champs", "come",
            "agriculteurs", "récolte", "maire", "governo", "crisi"]

WORD = re.compile(r"\w+")


def sentence(rng, stop, words, n):
    ws = [rng.choice(stop) if rng.random() < 0.45 else rng.choice(words) for _ in range(n)]
    return " ".join(ws).capitalize() + "."


def article(rng, stop, words, n_words, fixed=""):
    out, left = [fixed] if fixed else [], n_words
    while left > 0:
        k = min(left, rng.randint(5, 12))
        out.append(sentence(rng, stop, words, k))
        left -= k
    return " ".join(out)


def make_corpus(folder):
    rng = random.Random(13)
    files = {}
    for i in range(24):
        fixed = "La crisi di governo è come la crisi idrica." if i % 3 == 0 else ""
        files[f"it{i:02d}.txt"] = (f"date 2024-{i % 12 + 1:02d}-10\n" +
                                   article(rng, IT_STOP, IT_WORDS, rng.randint(70, 140), fixed))
    for i in range(6):
        # read first: a stopword twice in the batch that counts it first
        files[f"a_en{i:02d}.txt"] = (f"date 2024-{i * 2 + 1:02d}-11\n" +
                                     article(rng, EN_STOP, EN_WORDS, rng.randint(70, 120)))
    for i in range(4):
        files[f"fr{i:02d}.txt"] = (f"date 2024-{i * 3 + 1:02d}-12\n" +
                                   article(rng, FR_STOP, FR_WORDS, rng.randint(70, 120),
                                           "La crisi di governo."))
    for i in range(3):  # under 50 words: the corpus's language
        files[f"note{i}.txt"] = (f"date 2024-{i + 4:02d}-13\n" +
                                 article(rng, EN_STOP, EN_WORDS, 30))
    c.write_files(folder, files)
    return folder


def doc_text(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return text.split("\n", 1)[1] if c.header_date(path) else text


def doc_segments(text):
    """Tokens by sentence: lower-cased runs of letters; '.' breaks adjacency."""
    return [[w.lower() for w in WORD.findall(s)] for s in text.split(".")]


AUTO = ["it", "en", "fr", "es", "de", "pt"]  # the order ties are broken in


def lists():
    return {lang: c.stopword_set(lang) for lang in AUTO}


def corpus_language(paths, sw):
    """README: the language with the most stopword hits in the sample (here the
    whole corpus, under 1 MiB), and the lists of the other languages whose own
    words (not on its list) are at least 1% of the sampled tokens."""
    toks = [t for p in paths for seg in doc_segments(doc_text(p)) for t in seg]
    hits = {lang: sum(1 for t in toks if t in sw[lang]) for lang in AUTO}
    best = max(AUTO, key=lambda lang: (hits[lang], -AUTO.index(lang)))
    extra = [lang for lang in AUTO if lang != best and
             sum(1 for t in toks if t in sw[lang] and t not in sw[best]) * 100 >= len(toks)]
    return best, extra


def doc_language(text, sw, corpus_lang):
    """README: from the first 60 tokens (here: lower-cased runs of letters, the
    corpus having no apostrophes, digits or hyphens; every document is under
    4 KiB), the language whose stopwords are most frequent; fewer than 50
    tokens, or no stopword, gives the corpus's language (not decided: None
    second); a tie goes to the corpus's language, else to the first in it,
    en, fr, es, de, pt. Returns (language, decided)."""
    assert len(text.encode("utf-8")) <= 4096
    words = [t for seg in doc_segments(text) for t in seg][:60]
    if len(words) < 50:
        return corpus_lang, False
    hits = {lang: sum(1 for w in words if w in sw[lang]) for lang in AUTO}
    top = max(hits.values())
    if top == 0:
        return corpus_lang, False
    tied = [lang for lang in AUTO if hits[lang] == top]
    return (corpus_lang if corpus_lang in tied else tied[0]), True


class Reference:
    def __init__(self, folder):
        self.sw = lists()
        self.paths = c.walk_inputs(folder)
        self.lang, self.extra = corpus_language(self.paths, self.sw)
        # a document in the corpus's language (found in its words or by
        # default) keeps the corpus's lists: its language's and the ones
        # added for the others; one in another language has its own
        self.corpus_sw = frozenset().union(*(self.sw[lang] for lang in [self.lang, *self.extra]))
        self.segs, self.doc_lang, self.decided = {}, {}, {}
        for p in self.paths:
            text = doc_text(p)
            self.segs[p] = doc_segments(text)
            self.doc_lang[p], self.decided[p] = doc_language(text, self.sw, self.lang)
        self.N = sum(len(s) for segs in self.segs.values() for s in segs)

    def stop(self, p, word):
        lang = self.doc_lang[p]
        return word in (self.corpus_sw if lang == self.lang else self.sw[lang])

    def per_doc(self, n, mapping=None):
        """{doc: Counter of reportable n-grams}: none of the words a stopword
        of the document's language (mapping: the word each token counts as)."""
        out = {}
        for p, segs in self.segs.items():
            cnt = Counter()
            for s in segs:
                for i in range(len(s) - n + 1):
                    g = s[i:i + n]
                    if any(self.stop(p, w) for w in g):
                        continue
                    cnt[" ".join(mapping(p, w) if mapping else w for w in g)] += 1
            out[p] = cnt
        return out

    def freq(self, n=1, mapping=None):
        per = self.per_doc(n, mapping)
        sizes = {p: sum(len(s) for s in segs) for p, segs in self.segs.items()}
        total = Counter()
        for cnt in per.values():
            total.update(cnt)
        rows = {}
        for term, count in total.items():
            dp = 0.5 * math.fsum(abs(per[p][term] / count - sizes[p] / self.N) for p in per)
            df = sum(1 for p in per if per[p][term])
            rows[term] = (count, df, dp)
        return rows


class DocLanguage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = c.tmpdir()
        cls.folder = make_corpus(os.path.join(cls.dir, "mixed"))
        cls.ref = Reference(cls.folder)

    @classmethod
    def tearDownClass(cls):
        c.rmtree(cls.dir)

    def test_setting(self):
        # the corpus really mixes languages, and the documents' languages differ
        ref = self.ref
        self.assertEqual(ref.lang, "it")
        self.assertIn("en", ref.extra)
        langs = Counter(ref.doc_lang.values())
        self.assertGreaterEqual(langs["en"], 6)
        self.assertGreaterEqual(langs["fr"], 4)
        for i in range(3):  # short notes: the corpus's language, not decided
            note = os.path.join(self.folder, f"note{i}.txt")
            self.assertEqual((ref.doc_lang[note], ref.decided[note]), ("it", False))
        out = os.path.join(self.dir, "a")
        c.run("analyze", self.folder, "-o", out)
        rows = {r["key"]: r["value"] for r in c.read_csv(os.path.join(out, "manifest.csv"))}
        for lang, n in langs.items():
            self.assertEqual(int(rows[f"documents_lang_{lang}"]), n, lang)
        # the tokens are the ones computed here
        stream = c.tokens(self.folder)
        self.assertEqual([t for _, _, t in stream],
                         [t for p in ref.paths for s in ref.segs[p] for t in s])

    def check_freq(self, got, want):
        self.assertEqual({r["term"] for r in got}, set(want))
        order = [(-int(r["count"]), c.bkey(r["term"])) for r in got]
        self.assertEqual(order, sorted(order))
        for r in got:
            count, df, dp = want[r["term"]]
            self.assertEqual(int(r["count"]), count, r["term"])
            self.assertEqual(int(r["doc_freq"]), df, r["term"])
            self.assertTrue(c.rel_close(r["dp"], dp), (r["term"], r["dp"], dp))
            self.assertTrue(c.rel_close(r["per_million"], count / self.ref.N * 1e6))

    def test_freq(self):
        want = self.ref.freq()
        # English "come" and "ai" are reported (Italian stopwords: on the
        # corpus's lists, not on the English list); the Italian articles keep
        # the corpus's lists, English "over" among them
        self.assertIn("come", want)
        self.assertIn("ai", want)
        self.assertNotIn("over", want)
        # the short notes keep the corpus's lists (Italian and English)
        self.assertNotIn("the", want)
        self.assertNotIn("il", want)
        for threads in ("1", "2"):
            self.check_freq(c.table("freq", self.folder, "--threads", threads), want)

    def test_bigrams(self):
        want = self.ref.freq(2)
        for threads in ("1", "2"):
            self.check_freq(c.table("freq", self.folder, "--ngram", "2", "--threads", threads),
                            want)

    def test_summary_counts_every_word_once(self):
        ref = self.ref
        forms = Counter(t for segs in ref.segs.values() for s in segs for t in s)
        rows = {r["metric"]: r["value"] for r in c.table("summary", self.folder)}
        self.assertEqual(int(rows["tokens"]), ref.N)
        self.assertEqual(int(rows["types"]), len(forms))
        self.assertEqual(int(rows["hapax_legomena"]), sum(1 for n in forms.values() if n == 1))

    def test_listed_terms_count_every_occurrence(self):
        # a listed term counts where its words stand, stopwords of the
        # document's language or not: "crisi di governo" has "di" (Italian)
        ref = self.ref
        want = Counter()
        for p, segs in ref.segs.items():
            for s in segs:
                for i in range(len(s)):
                    if s[i:i + 3] == ["crisi", "di", "governo"]:
                        want["crisi di governo"] += 1
                    if s[i] == "come":
                        want["come"] += 1
                    if s[i] == "il":
                        want["il"] += 1
        self.assertGreater(want["crisi di governo"], 10)
        for threads in ("1", "2"):
            rows = c.table("timeline", self.folder, "--terms", "crisi di governo,come,il",
                           "--period", "year", "--threads", threads)
            got = Counter()
            for r in rows:
                got[r["term"]] += int(r["count"])
            self.assertEqual(got, want)

    def test_tfidf_terms_by_document(self):
        per = self.ref.per_doc(1)
        rows = c.table("tfidf", self.folder, "--top", "1000")
        got = defaultdict(dict)
        for r in rows:
            got[r["doc_id"]][r["term"]] = int(r["count"])
        for p, cnt in per.items():
            self.assertEqual(got[p], dict(cnt), p)

    def test_collocations(self):
        # adjacent pairs (window 1) of two words that are not stopwords of
        # their document's language; n1, n2: the words' reportable counts
        per = self.ref.per_doc(2)
        uni = self.ref.freq()
        pairs = Counter()
        for cnt in per.values():
            pairs.update(cnt)
        rows = c.table("colloc", self.folder, "--min-count", "1", "--top", "100000")
        got = {(r["w1"] + " " + r["w2"]): r for r in rows}
        self.assertEqual(set(got), set(pairs))
        for k, r in got.items():
            self.assertEqual(int(r["n12"]), pairs[k], k)
            w1, w2 = k.split(" ")
            self.assertEqual(int(r["n1"]), uni[w1][0], k)
            self.assertEqual(int(r["n2"]), uni[w2][0], k)

    def test_single_language_unchanged(self):
        # --lang it: one list for every document, as before
        it = self.ref.sw["it"]
        rows = c.table("freq", self.folder, "--lang", "it")
        self.assertNotIn("di", {r["term"] for r in rows})
        self.assertIn("the", {r["term"] for r in rows})
        self.assertNotIn("come", {r["term"] for r in rows})
        self.assertTrue(all(r["term"] not in it for r in rows))

    def test_stem_by_document_language(self):
        import snowballstemmer
        ref = self.ref
        stemmers = {lang: snowballstemmer.stemmer(c.STOPWORD_FILES[lang]) for lang in AUTO}

        def group(p, w):
            return stemmers[ref.doc_lang[p]].stemWord(w)

        want_groups = Counter()
        forms = defaultdict(Counter)
        for p, segs in ref.segs.items():
            for s in segs:
                for w in s:
                    # a stopword is never mapped; a stem that is one is left out
                    if ref.stop(p, w) or ref.stop(p, group(p, w)):
                        continue
                    want_groups[group(p, w)] += 1
                    forms[group(p, w)][w] += 1
        # groups of two languages may share their most frequent form (Italian
        # "governo" -> "govern", English "governo" stays): two rows
        want = []
        for g, n in want_groups.items():
            name = sorted(forms[g].items(), key=lambda kv: (-kv[1], c.bkey(kv[0])))[0][0]
            want.append((name, n))
        # different languages stem differently: English "prices" -> "price",
        # French "prix" stays; Italian "prezzi" -> "prezz"
        self.assertNotEqual(stemmers["en"].stemWord("prices"), stemmers["it"].stemWord("prices"))
        for threads in ("1", "2"):
            rows = c.table("freq", self.folder, "--stem", "--threads", threads)
            got = [(r["term"], int(r["count"])) for r in rows]
            self.maxDiff = None
            self.assertEqual(sorted(got), sorted(want))


if __name__ == "__main__":
    unittest.main()
