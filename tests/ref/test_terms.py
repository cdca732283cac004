"""timeline.csv for many listed terms (--terms, repeated, and --terms-file)
against counts this test computes itself, from the SPEC's rules, on a corpus
it generates.

The corpus: lowercase ASCII words of two syllables and the punctuation
`. , ;` (SPEC Tokens 3 and 5: a token is a run of letters; each of these marks
breaks adjacency; a line feed does not), one document per file with a
`date YYYY-MM-DD` header, plus one document of about 5 MB that tempora cuts
into parts on several threads, so terms span the cuts. The terms: 400 single
words, 2-word and 3-word terms, the overlapping `a b`, `b a`, `a b a` kind
among them, a few that never occur, and terms listed twice (once in upper
case): those are one series, where first listed. A term counts where its
words are adjacent tokens of one segment; overlapping occurrences all count.
Checked for every (period, term): count, period_tokens and docs, on 1, 2 and
3 threads, and the same table whether the terms come from --terms or a file.
"""
import csv
import io
import os
import random
import re
import unittest
from collections import Counter, defaultdict

import common as c

SYL = ["ka", "lo", "mi", "ne", "tu", "ra", "si", "po"]
WORDS = [a + b for a in SYL for b in SYL]  # 64 words


def gen_text(rng, n_words):
    """Zipf-ish words with a break mark after about one word in seven."""
    weights = [1.0 / (r + 1) for r in range(len(WORDS))]
    out = []
    for w in rng.choices(WORDS, weights, k=n_words):
        out.append(w)
        r = rng.random()
        out.append(rng.choice([". ", ", ", "; "]) if r < 0.14 else ("\n" if r < 0.2 else " "))
    return "".join(out)


def segments(text):
    """The document's segments: lists of tokens (SPEC Tokens 3 and 5)."""
    return [s.split() for s in re.split(r"[.,;]", text)]


def ngram_counts(segs, lengths):
    """Every n-gram of the given lengths within a segment, counted."""
    got = Counter()
    for s in segs:
        for n in lengths:
            for i in range(len(s) - n + 1):
                got[tuple(s[i:i + n])] += 1
    return got


class TermsTimeline(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        rng = random.Random(7)
        cls.dir = c.tmpdir()
        cls.docs = []  # (path, month, text)
        for i in range(60):
            month = f"2024-{1 + i % 6:02d}"
            text = gen_text(rng, rng.randint(20, 400))
            path = os.path.join(cls.dir, f"d{i:03d}.txt")
            cls.docs.append((path, month, text))
        big = gen_text(rng, 900_000)  # about 5 MB: cut into parts on 2 and 3 threads
        cls.docs.append((os.path.join(cls.dir, "big.txt"), "2024-04", big))
        for path, month, text in cls.docs:
            with open(path, "w", encoding="utf-8") as f:
                f.write(f"date {month}-15 {text}\n")
        assert os.path.getsize(cls.docs[-1][0]) > 4 << 20

        # the terms: observed 1-, 2- and 3-grams, overlapping ones, absent ones
        seen = [Counter(), Counter(), Counter()]
        for _, _, text in cls.docs[:20]:
            for s in segments(text):
                for n in (1, 2, 3):
                    for i in range(len(s) - n + 1):
                        seen[n - 1][" ".join(s[i:i + n])] += 1
        terms = [t for t, _ in seen[0].most_common(40)]
        terms += [t for t, _ in seen[1].most_common(250)]
        terms += [t for t, _ in seen[2].most_common(100)]
        terms += ["kaka lolo kaka", "kaka lolo", "lolo kaka", "kaka kaka kaka",
                  "zzz", "kaka zzz", "mimi nene tutu rara sisi popo kaka lolo"]
        rng.shuffle(terms)
        cls.listed = terms[:200] + [terms[3].upper(), terms[10]] + terms[200:]
        cls.want_terms = list(dict.fromkeys(tuple(t.lower().split()) for t in cls.listed))

    def expected(self):
        """{(month, term tuple): (count, docs)} and {month: tokens}."""
        got = defaultdict(lambda: [0, 0])
        tokens = Counter()
        lengths = sorted({len(t) for t in self.want_terms})
        for _, month, text in self.docs:
            segs = segments(text)
            tokens[month] += sum(len(s) for s in segs)
            grams = ngram_counts(segs, lengths)
            for t in self.want_terms:
                n = grams[t]
                if n:
                    got[(month, t)][0] += n
                    got[(month, t)][1] += 1
        return got, tokens

    def run_timeline(self, *opts):
        paths = [p for p, _, _ in self.docs]
        _, out, _ = c.run("timeline", "--lang", "en", "--period", "month", *opts, *paths)
        return out

    def test_counts_on_any_threads(self):
        want, tokens = self.expected()
        months = [f"2024-{m:02d}" for m in range(1, 7)]
        half = len(self.listed) // 2
        args = ["--terms", ",".join(self.listed[:half]), "--terms", ",".join(self.listed[half:])]
        outs = []
        for threads in ("1", "2", "3"):
            out = self.run_timeline("--threads", threads, *args)
            outs.append(out)
            rows = list(csv.DictReader(io.StringIO(out)))
            self.assertEqual(len(rows), len(months) * len(self.want_terms))
            i = 0
            for m in months:
                for t in self.want_terms:
                    r = rows[i]
                    i += 1
                    self.assertEqual(r["period"], m)
                    self.assertEqual(r["term"], " ".join(t))
                    cnt, docs = want.get((m, t), (0, 0))
                    self.assertEqual((int(r["count"]), int(r["docs"])), (cnt, docs),
                                     f"{m} '{' '.join(t)}' on {threads} threads")
                    self.assertEqual(int(r["period_tokens"]), tokens[m])
        self.assertEqual(outs[0], outs[1])
        self.assertEqual(outs[0], outs[2])

    def test_one_document_cut_on_threads(self):
        """The 5 MB document alone is cut into parts, one a thread: the terms
        that span a cut are counted by the merge."""
        path, month, text = self.docs[-1]
        grams = ngram_counts(segments(text), sorted({len(t) for t in self.want_terms}))
        outs = []
        for threads in ("1", "2", "3"):
            _, out, _ = c.run("timeline", "--lang", "en", "--threads", threads, "--terms",
                              ",".join(self.listed), path)
            outs.append(out)
            rows = list(csv.DictReader(io.StringIO(out)))
            self.assertEqual([r["term"] for r in rows], [" ".join(t) for t in self.want_terms])
            for r, t in zip(rows, self.want_terms):
                self.assertEqual(r["period"], "2024-04-15")
                self.assertEqual(int(r["count"]), grams[t], f"'{r['term']}' on {threads} threads")
        self.assertEqual(outs[0], outs[1])
        self.assertEqual(outs[0], outs[2])

    def test_terms_file_same_table(self):
        half = len(self.listed) // 2
        path = os.path.join(self.dir, "terms.txt")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write("\ufeff# the second half of the list\n\n")
            for i, t in enumerate(self.listed[half:]):
                f.write(("  " if i % 3 == 0 else "") + t + ("\r\n" if i % 2 else "\n"))
                if i % 50 == 0:
                    f.write("   # a comment\n\n")
        a = self.run_timeline("--threads", "2", "--terms", ",".join(self.listed))
        b = self.run_timeline("--threads", "2", "--terms", ",".join(self.listed[:half]),
                              "--terms-file", path)
        self.assertEqual(a, b)


if __name__ == "__main__":
    unittest.main()
