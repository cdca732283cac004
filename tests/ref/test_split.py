"""A large file of one document per line, or a large file that is one
document, is counted in parts on several threads: every table must be
byte-identical to the one-thread run, ids (PATH:LINE) and dates included."""
import json
import os
import random
import shutil
import unittest

from common import run, tmpdir

WORDS = ("alfa beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi "
         "omicron pi rho sigma tau ypsilon phi chi psi omega").split()


def make_lines(path, n_lines, jsonl=False):
    rnd = random.Random(7)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n_lines):
            words = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(0, 40)))
            if i % 97 == 5:
                words += ". " + "città perché"
            date = f"2024-{1 + i % 12:02d}"
            if jsonl:
                f.write(json.dumps({"id": f"n{i}", "date": date, "text": words}) + "\n")
            elif i % 13 == 0:
                f.write("\n")  # a blank line: no document
            else:
                f.write(f"date {date} {words}\n")


class SplitFile(unittest.TestCase):
    def setUp(self):
        self.dir = tmpdir()

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def check(self, path, *opts):
        self.assertGreater(os.path.getsize(path), 1 << 20)  # large enough to split
        for cmd in (["freq"], ["tfidf", "--top", "3"], ["timeline", "--top", "5"],
                    ["colloc", "--min-count", "2"], ["summary"]):
            outs = [run(*cmd, *opts, "--threads", n, path)[1] for n in ("1", "2", "3")]
            self.assertGreater(len(outs[0].splitlines()), 1, cmd)
            self.assertEqual(outs[0], outs[1], cmd)
            self.assertEqual(outs[0], outs[2], cmd)

    def test_doc_per_line(self):
        path = os.path.join(self.dir, "lines.txt")
        make_lines(path, 40000)
        self.check(path, "--doc-per-line")
        # the ids name the right lines: line 2 is the second document
        tfidf = run("tfidf", "--doc-per-line", "--threads", "3", "--top", "1", path)[1]
        ids = [row.split(",", 1)[0] for row in tfidf.splitlines()[1:]]
        self.assertEqual(ids[0], f"{path}:2")
        self.assertEqual(ids[-1], f"{path}:40000")

    def test_jsonl(self):
        path = os.path.join(self.dir, "rows.jsonl")
        make_lines(path, 30000, jsonl=True)
        self.check(path)


# Line starts and ends that a cut after a line feed must get right: segment
# breaks before and after the cut, blank lines (a break), lines of blanks,
# hyphens and apostrophes at either side, digit separators, CRLF, non-ASCII
# words, a combining mark at a line start, U+2029 and overlong runs.
PIECES = ["alfa", "beta", "gamma", "città", "perché", "l'acqua", "po'", "dell'anno",
          "1.000", "3,5", "Novo-Ogarevo", "word-", "-lead", "'quoted'", "e\u0301",
          "\u0301x", "Straße", "ǅemal", ".", ",", ";", "!", "?", "...", "(", ")",
          "\u2029", "—", "x" * 1100]


def make_document(path, target_bytes, seed=11, bad_byte_at=None, blank=0.05):
    rnd = random.Random(seed)
    out = bytearray("date 2024-03\n---\n".encode())
    while len(out) < target_bytes:
        kind = rnd.random()
        if kind < blank:
            line = ""
        elif kind < blank + 0.03:
            line = rnd.choice([" ", "\t ", "  \t"])
        else:
            n = rnd.randint(1, 30)
            words = [rnd.choice(WORDS) if rnd.random() < 0.8 else rnd.choice(PIECES)
                     for _ in range(n)]
            line = (rnd.choice(["", " ", "  "]) + " ".join(words)
                    + rnd.choice(["", "", ".", " ;", "-", "'", " "]))
        out += line.encode() + (b"\r\n" if rnd.random() < 0.1 else b"\n")
        if bad_byte_at is not None and len(out) > bad_byte_at:
            out += b"caf\xe8\n"  # CP1252, not UTF-8
            bad_byte_at = None
    with open(path, "wb") as f:
        f.write(bytes(out))


class SplitDocument(unittest.TestCase):
    """One document of plain text, cut after line feeds for the threads."""

    def setUp(self):
        self.dir = tmpdir()

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def same_for_threads(self, path, cmd, threads=("2", "3", "5")):
        one = run(*cmd, "--threads", "1", path)[1]
        self.assertGreater(len(one.splitlines()), 1, cmd)
        for n in threads:
            self.assertEqual(one, run(*cmd, "--threads", n, path)[1], (cmd, n))
        return one

    def test_cut_before_blank_lines(self):
        # half the lines blank: most cuts fall just before one, where the
        # blank line is a segment break only if the part knows a line feed
        # came before it
        path = os.path.join(self.dir, "airy.txt")
        make_document(path, 5 << 20, seed=5, blank=0.5)
        self.same_for_threads(path, ["colloc", "--min-count", "1", "--top", "1000000"])

    def test_tables_do_not_depend_on_the_cut(self):
        path = os.path.join(self.dir, "book.txt")
        make_document(path, 6 << 20)
        for cmd in (["freq"], ["freq", "--ngram", "3"],
                    ["colloc", "--min-count", "1", "--top", "1000000"],
                    ["colloc", "--window", "3", "--min-count", "1", "--top", "1000000"],
                    ["timeline", "--terms", "alfa beta gamma,città,l'acqua,beta alfa"],
                    ["tfidf", "--top", "20"], ["summary"]):
            self.same_for_threads(path, cmd)
        # and it stayed one dated document
        summary = dict(line.split(",", 1) for line in
                       run("summary", "--threads", "3", path)[1].splitlines()[1:])
        self.assertEqual(summary["documents"], "1")
        self.assertEqual(summary["dated_documents"], "1")
        tfidf = run("tfidf", "--threads", "3", "--top", "1", path)[1].splitlines()
        self.assertEqual(tfidf[1].split(",")[0], path)
        # the document really was counted in parts
        out = os.path.join(self.dir, "out")
        run("analyze", "--threads", "3", "-o", out, path)
        with open(os.path.join(out, "manifest.csv"), encoding="utf-8") as f:
            self.assertIn("\nthreads_used,3\n", f.read())

    def test_keyness_sides_in_parts(self):
        target = os.path.join(self.dir, "target.txt")
        reference = os.path.join(self.dir, "reference.txt")
        make_document(target, 5 << 20, seed=1)
        make_document(reference, 5 << 20, seed=2)
        outs = [run("keyness", "--threads", n, "--target", target, "--reference", reference,
                    "--top", "1000000")[1] for n in ("1", "2", "4")]
        self.assertEqual(outs[0], outs[1])
        self.assertEqual(outs[0], outs[2])

    def test_cp1252_part_makes_the_whole_document_cp1252(self):
        # Under --encoding auto one non-UTF-8 byte anywhere decodes the whole
        # document as CP1252, however it is cut.
        path = os.path.join(self.dir, "mixed.txt")
        make_document(path, 5 << 20, bad_byte_at=4 << 20)
        one = self.same_for_threads(path, ["freq"])
        self.assertIn(",cafè,1,", one)
        self.assertIn(",cittã,", one)  # UTF-8 "à" as CP1252: "Ã" and a no-break space


if __name__ == "__main__":
    unittest.main()
