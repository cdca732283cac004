"""A large file of one document per line is counted in parts on several
threads: every table must be byte-identical to the one-thread run, ids
(PATH:LINE) and dates included."""
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


if __name__ == "__main__":
    unittest.main()
