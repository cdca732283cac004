"""`tempora tokens` against an independent Python reading of SPEC's token rules
(plus README's decisions: U+2010/U+2011 are written as '-', a soft hyphen inside
a word is ignored, tokens over 1024 bytes are dropped).

Every other reference test trusts tempora's token stream; this one checks the
stream itself on the seeds, corpus/ and a few hand-made lines: the tokens of
each document, and which consecutive tokens are adjacent (same seg). Segment
numbers themselves are not compared, only where the breaks fall.
"""
import os
import re
import unicodedata
import unittest

import common as c

HYPHENS = "\u002d\u2010\u2011"
APOSTROPHES = "'\u2019\u02bc"
BREAK_CHARS = set(".,;:!?\u2026\u2013\u2014()[]{}")
BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
APOCOPES = {"po", "mo", "be", "de"}


def is_word(ch):
    cat = unicodedata.category(ch)
    return cat[0] in "LM" or cat == "Nd"


def is_letter(ch):
    return unicodedata.category(ch)[0] == "L"


def is_digit(ch):
    return unicodedata.category(ch) == "Nd"


def strip_header(text):
    m = re.match(r"\A\s*date:?\s+\d{4}(?:-\d{2}(?:-\d{2})?)?(?=\s|\Z)", text, re.I)
    return text[m.end():] if m else text


def tokenize(text, lang="it", split_hyphens=False):
    """[(token, adjacent_to_previous)] by SPEC's Tokens rules 2-5."""
    text = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
    elide = lang in ("it", "fr")
    out = []
    n = len(text)
    i = 0
    last_end = None
    while i < n:
        if not is_word(text[i]) or text[i] in APOSTROPHES:
            i += 1
            continue
        start = i
        tok = []
        while i < n:
            ch = text[i]
            nxt = text[i + 1] if i + 1 < n else ""
            prev = text[i - 1] if i > start else ""
            if is_word(ch) and ch not in APOSTROPHES:   # U+02BC is a letter (Lm)
                tok.append(ch)
                i += 1
            elif ch in HYPHENS and not split_hyphens and prev and nxt and is_word(nxt) \
                    and is_word(prev):
                tok.append("-")
                i += 1
            elif ch == "\u00ad" and nxt and is_word(nxt):
                i += 1
            elif ch in ".," and prev and nxt and is_digit(prev) and is_digit(nxt):
                tok.append(ch)
                i += 1
            elif ch in APOSTROPHES and prev and nxt and is_letter(prev) and is_letter(nxt):
                tok.append("'")
                i += 1
                if elide:
                    break
            elif ch in APOSTROPHES and lang == "it" and "".join(tok) in APOCOPES \
                    and not (nxt and is_letter(nxt)):
                tok.append("'")
                i += 1
                break
            else:
                break
        gap = text[last_end:start] if last_end is not None else None
        adjacent = gap is not None and not (set(gap) & BREAK_CHARS) and not BLANK_LINE.search(gap)
        if len("".join(tok).encode("utf-8")) <= 1024:
            out.append(("".join(tok), adjacent))
            last_end = i
    return out


def tempora_pairs(stream):
    """{doc: [(token, adjacent_to_previous)]} from `tempora tokens`."""
    docs = {}
    prev = None
    for doc, seg, tok in stream:
        lst = docs.setdefault(doc, [])
        lst.append((tok, bool(lst) and prev == (doc, seg)))
        prev = (doc, seg)
    return docs


class TokensCase(unittest.TestCase):
    def compare(self, inputs, lang):
        got = tempora_pairs(c.tokens(*inputs, "--lang", lang))
        for p in (q for i in inputs for q in c.walk_inputs(i)):
            with open(p, encoding="utf-8") as f:
                want = tokenize(strip_header(f.read()), lang)
            g = got.get(p, [])
            gt = [t for t, _ in g]
            wt = [t for t, _ in want]
            if gt != wt:
                k = next(k for k in range(min(len(gt), len(wt)) + 1)
                         if k == min(len(gt), len(wt)) or gt[k] != wt[k])
                self.fail(f"{p}: token {k}: tempora {gt[k - 3:k + 4]} python {wt[k - 3:k + 4]}")
            for k, ((t, ga), (_, wa)) in enumerate(zip(g, want)):
                if ga != wa:
                    self.fail(f"{p}: adjacency before token {k} {t!r} ({gt[k - 2:k + 1]}): "
                              f"tempora {ga} python {wa}")


class TestHandMade(TokensCase):
    def test_rules(self):
        text = ("date 2025-01 L’Ucraina e dell’incontro: po’ di caffè, un po' più. "
                "Costa 1.500 euro (2,3%), il 42° anno – «citazione» “virgolette” e-mail\n\n"
                "nuovo paragrafo… fine; ok! sì? [a] {b}")
        d = c.write_files(c.tmpdir(), {"h.txt": text + "\n"})
        try:
            self.compare([d], "it")
            got = [t for _, _, t in c.tokens("--lang", "it", d)]
            self.assertEqual(got[:6], ["l'", "ucraina", "e", "dell'", "incontro", "po'"])
            self.assertIn("1.500", got)
            self.assertIn("2,3", got)
            self.assertIn("e-mail", got)
            self.assertNotIn("date", got)
        finally:
            c.rmtree(d)

    def test_hyphens_soft_hyphen_overlong(self):
        text = ("a\u2010b c\u2011d e-f g\u00adh " + "z" * 1025 + " dopo " + "y" * 1024
                + " fine\n")
        d = c.write_files(c.tmpdir(), {"s.txt": text})
        try:
            self.compare([d], "it")
            got = [t for _, _, t in c.tokens("--lang", "it", d)]
            self.assertEqual(got, ["a-b", "c-d", "e-f", "gh", "dopo", "y" * 1024, "fine"])
        finally:
            c.rmtree(d)

    def test_english_keeps_contractions(self):
        d = c.write_files(c.tmpdir(), {"e.txt": "Don't stop; it's the U.S. rock-n-roll\n"})
        try:
            self.compare([d], "en")
            got = [t for _, _, t in c.tokens("--lang", "en", d)]
            self.assertEqual(got, ["don't", "stop", "it's", "the", "u", "s", "rock-n-roll"])
        finally:
            c.rmtree(d)


@unittest.skipUnless(c.seeds_available(), "seeds folder absent")
class TestSeeds(TokensCase):
    def test_seeds(self):
        self.compare([c.SEEDS], "it")


class TestCorpus(TokensCase):
    def test_italian(self):
        self.compare([os.path.join(c.CORPUS, "it")], "it")

    def test_english(self):
        self.compare([os.path.join(c.CORPUS, "en")], "en")


if __name__ == "__main__":
    unittest.main()
