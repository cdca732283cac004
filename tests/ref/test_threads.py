"""--threads: every table is byte-identical whatever the number of threads."""
import os
import unittest

from common import CORPUS, run, tmpdir


class Threads(unittest.TestCase):
    def test_analyze_identical_for_1_2_3_threads(self):
        outs = []
        for n in (1, 2, 3):
            d = tmpdir()
            run("analyze", CORPUS, "--quiet", "--threads", str(n), "-o", d)
            outs.append(d)
        names = sorted(os.listdir(outs[0]))
        self.assertIn("freq.csv", names)
        for d in outs[1:]:
            self.assertEqual(sorted(os.listdir(d)), names)
            for name in names:
                if name == "manifest.csv":
                    continue
                with open(os.path.join(outs[0], name), "rb") as a, \
                        open(os.path.join(d, name), "rb") as b:
                    self.assertEqual(a.read(), b.read(), f"{name} differs with {d}")

    def test_freq_ngrams_identical(self):
        one = run("freq", "--ngram", "2", "--threads", "1", CORPUS)[1]
        two = run("freq", "--ngram", "2", "--threads", "2", CORPUS)[1]
        self.assertEqual(one, two)
        self.assertGreater(len(one.splitlines()), 100)


if __name__ == "__main__":
    unittest.main()
