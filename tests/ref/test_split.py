"""A large file of one document per line, or a large file that is one
document, is counted in parts on several threads: every table must be
byte-identical to the one-thread run, ids (PATH:LINE) and dates included."""
import csv
import json
import os
import random
import re
import shutil
import subprocess
import unittest

from common import TEMPORA, run, tmpdir

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


class WorkStealing(unittest.TestCase):
    """A thread done with its part takes the end of another's: the part's
    end moves back to a document start while it is read. TEMPORA_STEAL_BYTES
    makes a small file steal (shares and steals of that many bytes) and
    reports the parts on standard error. Wherever the cuts fall, the tables,
    ids, warnings and errors are those of one thread."""

    STEAL = "16384"

    def setUp(self):
        self.dir = tmpdir()

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def stealing(self, *args):
        env = dict(os.environ, TEMPORA_STEAL_BYTES=self.STEAL)
        p = subprocess.run([TEMPORA, *args], capture_output=True, env=env)
        err = p.stderr.decode("utf-8")
        parts = [int(m.group(1)) for m in re.finditer(r"read in (\d+) parts on", err)]
        rest = "".join(line + "\n" for line in err.splitlines() if "parts on" not in line)
        return p.returncode, p.stdout.decode("utf-8"), rest, parts

    def same_as_one_thread(self, path, *opts):
        self.assertGreater(os.path.getsize(path), 1 << 20)  # large enough to split
        stolen = 0
        for cmd in (["freq"], ["tfidf", "--top", "3"], ["timeline", "--top", "5"],
                    ["colloc", "--min-count", "2"], ["summary"]):
            one = run(*cmd, *opts, "--threads", "1", path)[1]
            self.assertGreater(len(one.splitlines()), 1, cmd)
            for n in ("2", "3", "7"):
                rc, out, err, parts = self.stealing(*cmd, *opts, "--threads", n, path)
                self.assertEqual((rc, err), (0, ""), (cmd, n))
                self.assertEqual(out, one, (cmd, n))
                self.assertEqual(len(parts), 1, (cmd, n))
                stolen += parts[0] > int(n)
        # the parts outnumbered the threads somewhere: ends were moved back
        self.assertGreater(stolen, 0)

    def test_jsonl(self):
        path = os.path.join(self.dir, "rows.jsonl")
        make_lines(path, 30000, jsonl=True)
        self.same_as_one_thread(path)

    def test_doc_per_line(self):
        path = os.path.join(self.dir, "lines.txt")
        make_lines(path, 40000)
        self.same_as_one_thread(path, "--doc-per-line")

    def test_csv_with_quoted_line_feeds(self):
        # quoted fields hold line feeds and quotes: a cut must fall between rows
        src = os.path.join(self.dir, "rows.jsonl")
        make_lines(src, 30000, jsonl=True)
        path = os.path.join(self.dir, "rows.csv")
        with open(src, encoding="utf-8") as f, open(path, "w", newline="",
                                                    encoding="utf-8") as out:
            w = csv.writer(out)
            w.writerow(["id", "date", "text"])
            for i, line in enumerate(f):
                d = json.loads(line)
                text = d["text"] + ('\n"quoted" line, ' + d["text"] if i % 3 == 0 else "")
                w.writerow([d["id"], d["date"], text])
        self.same_as_one_thread(path)

    def test_folder(self):
        # 2,500 files (a folder this large is listed without looking at each
        # file) of uneven sizes, a sub-folder, hidden files; the threads take
        # the ends of each other's runs of files
        d = os.path.join(self.dir, "d")
        os.makedirs(os.path.join(d, "sub"))
        rnd = random.Random(5)
        for i in range(2500):
            words = " ".join(rnd.choice(WORDS) for _ in range(rnd.choice((3, 40, 400))))
            sub = "sub" if i % 250 == 0 else ""
            with open(os.path.join(d, sub, f"f{i:04d}.txt"), "w", encoding="utf-8") as f:
                f.write(f"date 2024-{1 + i % 12:02d}\n---\n{words}\n")
        with open(os.path.join(d, ".hidden.txt"), "w", encoding="utf-8") as f:
            f.write("hidden words\n")
        with open(os.path.join(d, "f1234.txt"), "wb") as f:
            f.write(b"\x00binary")  # a warning, in path order
        stolen = 0
        for cmd in (["freq"], ["tfidf", "--top", "3"], ["timeline", "--top", "5"]):
            rc1, one, err1 = run(*cmd, "--threads", "1", d, check=False)
            self.assertEqual(rc1, 0, err1)
            self.assertIn("f1234.txt: binary file", err1)
            self.assertGreater(len(one.splitlines()), 1, cmd)
            for n in ("2", "3", "7"):
                rc, out, err, parts = self.stealing(*cmd, "--threads", n, d)
                self.assertEqual((rc, out, err), (rc1, one, err1), (cmd, n))
                self.assertEqual(len(parts), 1, (cmd, n))
                stolen += parts[0] > int(n)
        self.assertGreater(stolen, 0)
        # the manifest's input_bytes: every file's size, though the folder
        # was listed without them
        total = sum(os.path.getsize(os.path.join(root, f))
                    for root, dirs, files in os.walk(d) for f in files if not f.startswith("."))
        for n in ("1", "3"):
            out = os.path.join(self.dir, "out" + n)
            run("analyze", "--threads", n, "-o", out, d)
            with open(os.path.join(out, "manifest.csv"), encoding="utf-8") as f:
                rows = dict(line.rstrip("\n").split(",", 1) for line in f)
            self.assertEqual(int(rows["input_bytes"]), total, n)
            # the binary file is skipped, not read
            self.assertEqual(int(rows["bytes_read"]), total - len(b"\x00binary"), n)

    def test_large_folder_path_order(self):
        # A folder this large is sorted by its names' first 8 bytes as a
        # number, strcmp only on a tie: the documents must still come in
        # bytewise order of the names (short names, shared prefixes of 8
        # bytes and more, bytes >= 0x80)
        d = os.path.join(self.dir, "order")
        os.makedirs(d)
        rnd = random.Random(9)
        stems = ["a", "ab", "abcdefgh", "abcdefghi", "abcdefghé", "été",
                 "日本", "Z", "z", "0", "~", "abcdefg"]
        names = set()
        while len(names) < 2300:
            names.add(rnd.choice(stems) + str(rnd.randint(0, 99999)) * rnd.randint(0, 1)
                      + rnd.choice(["", "x", "à", "-"]) + ".txt")
        for name in names:
            with open(os.path.join(d, name), "w", encoding="utf-8") as f:
                f.write("parola\n")
        want = [os.path.join(d, n) for n in sorted(names, key=os.fsencode)]
        for n in ("1", "3"):
            rows = run("tfidf", "--top", "1", "--threads", n, d)[1].splitlines()[1:]
            got = [next(csv.reader([row]))[0] for row in rows]
            self.assertEqual(got, want, n)

    def test_errors_and_warnings_in_file_order(self):
        path = os.path.join(self.dir, "bad.jsonl")
        make_lines(path, 30000, jsonl=True)
        with open(path, encoding="utf-8") as f:
            lines = f.readlines()
        for i in range(1000, 30000, 1500):
            d = json.loads(lines[i])
            d["date"] = "not a date"  # a warning, the document undated
            lines[i] = json.dumps(d) + "\n"
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(lines)
        rc1, out1, err1 = run("timeline", "--top", "3", "--threads", "1", path, check=False)
        self.assertEqual(rc1, 0, err1)
        self.assertIn(f"{path}:1001:", err1)
        for n in ("2", "3", "7"):
            self.assertEqual(self.stealing("timeline", "--top", "3", "--threads", n, path)[:3],
                             (rc1, out1, err1), n)
        # two invalid lines: the first in the file is the error, exit 1
        lines[24000] = '{"id": broken\n'
        lines[18000] = '{"id": also broken\n'
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(lines)
        rc1, out1, err1 = run("freq", "--threads", "1", path, check=False)
        self.assertEqual(rc1, 1)
        self.assertIn(f"{path}:18001: invalid JSON", err1)
        for n in ("2", "3", "7"):
            self.assertEqual(self.stealing("freq", "--threads", n, path)[:3], (rc1, out1, err1), n)


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
