"""kwic with --stem / --lemmas (a listed word matches every token of its
group) and terms of several words with prefix patterns among them
(`crisi idric*`: consecutive tokens of one segment, each the word or, with a
star, beginning with it), against a reference written here from the SPEC and
README, on the tokens of `tempora tokens` and Debian's python3-snowballstemmer.
"""
import os
import unittest
from collections import defaultdict

import common as c
from test_reading import LANG, csv_rows, docs_of, read_text, squash, token_spans


def listed_items(term):
    """A --terms entry as [(prefix?, token)]: its blank-separated words
    tokenized, a final star making the word's last token a prefix."""
    items = []
    for word in term.split():
        star = word.endswith("*")
        toks = [r["token"] for r in
                c.table("tokens", "-", *LANG, stdin=word.rstrip("*").encode())]
        items += [(star and i == len(toks) - 1, t) for i, t in enumerate(toks)]
    return items


def expected_kwic(path, terms, K, group=lambda t: t):
    """Rows: every span of consecutive tokens of one segment that a listed
    term matches (a word: the token's group is the word's; a prefix: the
    token as written begins with it), by position then length, once each."""
    stream = c.tokens(path, *LANG)
    by_doc = defaultdict(list)
    for doc, seg, tok in stream:
        by_doc[doc].append((seg, tok))
    listed = [listed_items(t) for t in terms]
    rows = []
    for doc, date in docs_of(path):
        toks = by_doc.get(doc, [])
        if not toks:
            continue
        text = read_text(doc)
        spans = token_spans(text, [t for _, t in toks])
        found = set()
        for i in range(len(toks)):
            for items in listed:
                n = len(items)
                if i + n > len(toks) or len({s for s, _ in toks[i:i + n]}) != 1:
                    continue
                if all(tok.startswith(w) if pre else group(tok) == group(w)
                       for (pre, w), (_, tok) in zip(items, toks[i:i + n])):
                    found.add((i, i + n - 1))
        for first, last in sorted(found):
            lf, rl = max(0, first - K), min(len(toks) - 1, last + K)
            left = squash(text[spans[lf][0]:spans[first - 1][1]]) if first > 0 else ""
            match = squash(text[spans[first][0]:spans[last][1]])
            right = squash(text[spans[last + 1][0]:spans[rl][1]]) if rl > last else ""
            rows.append([doc, date or "", str(first), left, match, right])
    return rows


def italian_group():
    import snowballstemmer
    st = snowballstemmer.stemmer("italian")
    sw = c.stopword_set("it")
    return lambda t: t if c.is_stop(t, sw) else st.stemWord(t)


class KwicTerms(unittest.TestCase):
    def check(self, terms, K, *opts, group=lambda t: t, path=c.CORPUS, least=3):
        _, out, _ = c.run("kwic", path, *LANG, "--terms", ",".join(terms), "--context", str(K),
                          *opts)
        got = csv_rows(out)
        self.assertEqual(got[0], ["doc_id", "date", "position", "left", "match", "right"])
        want = expected_kwic(path, terms, K, group)
        self.assertGreaterEqual(len(want), least)
        self.assertEqual(got[1:], want)
        return want

    def test_several_words_with_patterns(self):
        terms = ["energi* rinnovabil*", "prezzi dell*", "crisi idric*", "l'acqua", "siccit*"]
        want = self.check(terms, 3, least=20)
        # the patterns of several words match more than one form
        self.assertGreater(len({r[4].lower() for r in want if r[4].lower().startswith("energ")}),
                           1)
        # and without a star, as before: a word
        self.check(["energia rinnovabile"], 2, least=1)

    def test_stem(self):
        group = italian_group()
        want = self.check(["prezzi", "crisi idrica"], 4, "--stem", group=group, least=15)
        # every form of the group, not only the one listed
        self.assertGreaterEqual(len({r[4].lower() for r in want}), 2)
        self.check(["prezz* energetic*", "costo dell*"], 2, "--stem", group=group, least=1)

    def test_lemmas(self):
        d = c.tmpdir()
        try:
            lem = os.path.join(d, "lemmas.tsv")
            with open(lem, "w", encoding="utf-8") as f:
                f.write("prezzo\tprezzi,prezzo\nacqua\tacqua,acque\n")
            lemma = {"prezzi": "prezzo", "prezzo": "prezzo", "acque": "acqua", "acqua": "acqua"}
            self.check(["prezzo", "acque"], 3, "--lemmas", lem,
                       group=lambda t: lemma.get(t, t), least=10)
        finally:
            c.rmtree(d)

    def test_errors(self):
        # several words with a pattern are kwic's alone; the words of all such
        # terms together are at most 64
        rc, _, err = c.run("freq", c.CORPUS, "--terms", "crisi idric*", check=False)
        self.assertEqual(rc, 2)
        self.assertIn("kwic only", err)
        many = ",".join(f"a{i}* b{i}*" for i in range(33))
        rc, _, err = c.run("kwic", c.CORPUS, "--terms", many, check=False)
        self.assertEqual(rc, 2)
        self.assertIn("at most 64 words", err)


if __name__ == "__main__":
    unittest.main()
