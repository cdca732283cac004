"""The formats archives come in (SPEC "The formats archives come in";
docs/inputs.md): .json documents, dates in file and folder names, archives
and single compressed files. Expected values come from this file's own
reading of the rules, never from one of tempora's tables:

- a State-of-the-Union-like folder (speeches named 1790_..._n.txt and .json
  files with year/name/party/text, short texts of our own): the yearly
  timeline's counts recomputed from the texts (plain lower-case ASCII words,
  so splitting on non-letters is the tokenizer);
- --date-from-name: a Python implementation of the documented rules against
  the dates tempora gives many generated paths;
- archives: every table of `analyze` on a .zip, .tar, .tar.gz, .tar.xz,
  .tar.bz2 and .tar.zst (members stored out of path order) byte-identical to
  the same files unpacked in a folder, once the doc ids are mapped;
- .zst, .xz, .bz2 files: the same tables as the plain file.
"""
import bz2
import csv
import datetime
import io
import lzma
import os
import random
import re
import shutil
import subprocess
import tarfile
import unittest
import zipfile
from collections import Counter, defaultdict

import common as c

WORDS = ("union liberty commerce treaty army navy peace revenue tariff "
         "congress citizens duty freedom labor industry railroad").split()


def words(text):
    return re.findall(r"[a-z]+", text.lower())


# --- the documented --date-from-name rules, written again -----------------

def _valid(y, m, d):
    try:
        datetime.date(y, m, d)
        return True
    except ValueError:
        return False


def component_date(s):
    """(prec, (y, m, d)) of one path component: the first YYYY-MM-DD, else
    YYYYMMDD (1000-2999), else YYYY-MM, else a delimited year (1000-2999)."""
    for m in re.finditer(r"(?<!\d)(?=(\d{4})-(\d{2})-(\d{2})(?!\d))", s):
        y, mo, d = map(int, m.groups())
        if y >= 1 and _valid(y, mo, d):
            return 3, (y, mo, d)
    for m in re.finditer(r"(?<!\d)(?=(\d{4})(\d{2})(\d{2})(?!\d))", s):
        y, mo, d = map(int, m.groups())
        if 1000 <= y <= 2999 and _valid(y, mo, d):
            return 3, (y, mo, d)
    for m in re.finditer(r"(?<!\d)(?=(\d{4})-(\d{2})(?!\d))", s):
        y, mo = map(int, m.groups())
        if y >= 1 and 1 <= mo <= 12:
            return 2, (y, mo, 0)
    for m in re.finditer(r"(?:^|(?<=[_\-. /]))(\d{4})(?=$|[_\-. /])", s):
        y = int(m.group(1))
        if 1000 <= y <= 2999:
            return 1, (y, 0, 0)
    return 0, None


def path_date(rel):
    """The date of a path relative to its INPUT: the most precise, of equal
    ones the nearest to the file name; folders chain as YYYY/MM/DD."""
    comps = [p for p in rel.split("/") if p]
    best = (0, None)
    for k in range(len(comps) - 1, -1, -1):
        cand = component_date(comps[k])
        if cand[0] > best[0]:
            best = cand
        if k == len(comps) - 1:
            continue
        m = re.fullmatch(r"(\d{4})(?:-(\d{2}))?", comps[k])
        if not m:
            continue
        y = int(m.group(1))
        if m.group(2) is None:
            if not 1000 <= y <= 2999:
                continue
            prec, mo, d, j = 1, 0, 0, k + 1
        else:
            mo = int(m.group(2))
            if not (y >= 1 and 1 <= mo <= 12):
                continue
            prec, d, j = 2, 0, k + 1
        if prec == 1 and j + 1 < len(comps) and re.fullmatch(r"\d{2}", comps[j]) \
                and 1 <= int(comps[j]) <= 12:
            prec, mo, j = 2, int(comps[j]), j + 1
        if prec == 2 and j + 1 < len(comps) and re.fullmatch(r"\d{2}", comps[j]) \
                and _valid(y, mo, int(comps[j])) and int(comps[j]) >= 1:
            prec, d = 3, int(comps[j])
        if prec > best[0]:
            best = (prec, (y, mo, d))
    if not best[0]:
        return ""
    y, mo, d = best[1]
    return ("%04d" % y, "%04d-%02d" % (y, mo), "%04d-%02d-%02d" % (y, mo, d))[best[0] - 1]


def doc_dates(*args):
    """{doc_id: date} from `tempora tfidf --top 1` (one row per document with
    a token; every document here has one)."""
    rows = c.table("tfidf", "--no-stopwords", "--top", "1", *args)
    return {r["doc_id"]: r["date"] for r in rows}


class StateOfTheUnion(unittest.TestCase):
    def test_yearly_timeline(self):
        tmp = c.tmpdir()
        try:
            rng = random.Random(1790)
            folder = os.path.join(tmp, "sotu")
            os.mkdir(folder)
            texts = {}  # year -> list of texts
            presidents = ["george_washington", "john_adams", "thomas_jefferson"]
            for i, year in enumerate(range(1790, 1802)):
                text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 60)))
                name = "%d_%s_%s.txt" % (year, presidents[i % 3], "nw"[i % 2])
                with open(os.path.join(folder, name), "w") as f:
                    f.write(text + "\n")
                texts.setdefault(year, []).append(text)
                if year % 3 == 0:  # a .json of the same speech data kind
                    jt = " ".join(rng.choice(WORDS) for _ in range(15))
                    doc = {"year": year, "name": presidents[i % 3], "party": "F",
                           "text": jt}
                    with open(os.path.join(folder, "speech_%d.json" % i), "w") as f:
                        import json
                        json.dump(doc, f)
                    texts[year].append(jt)
            terms = "union,liberty,peace"
            rows = c.table("timeline", "--date-from-name", "--no-stopwords", "--terms",
                           terms, folder)
            got = {(r["period"], r["term"]): (int(r["count"]), int(r["period_tokens"]))
                   for r in rows}
            for year in range(1790, 1802):
                toks = [w for t in texts[year] for w in words(t)]
                cnt = Counter(toks)
                for term in terms.split(","):
                    self.assertEqual(got[(str(year), term)], (cnt[term], len(toks)),
                                     (year, term))
            self.assertEqual(len(got), 12 * 3)
            # year-only dates: --period month leaves every document out
            # (counted as imprecise), as for any date coarser than the period
            s = {r["metric"]: r["value"] for r in c.table(
                "summary", "--date-from-name", "--period", "month", folder)}
            n_docs = sum(len(v) for v in texts.values())
            self.assertEqual(s["imprecise_documents"], str(n_docs))
        finally:
            c.rmtree(tmp)


class DatesFromNames(unittest.TestCase):
    def test_generated_paths(self):
        tmp = c.tmpdir()
        try:
            rng = random.Random(7)
            bits = ["1790", "2024", "0999", "3000", "20240229", "20230229", "2024-01",
                    "2024-13", "2024-01-15", "2023-02-29", "01", "15", "12", "31", "x",
                    "report", "v2", "12024", "1999_", "_2001", "n", "a-2010.b", "1850 x"]
            root = os.path.join(tmp, "in")
            expected = {}
            for i in range(300):
                depth = rng.randint(0, 3)
                folders = []
                for _ in range(depth):
                    folders.append(rng.choice(bits) + (rng.choice(["", "x", "-1"])
                                                        if rng.random() < 0.2 else ""))
                name = "".join(rng.choice(bits + ["_", "-", "."])
                               for _ in range(rng.randint(1, 3)))
                name = "%s_%d.txt" % (name, i) if rng.random() < 0.5 else "%s.txt" % name
                rel = "/".join(folders + [name])
                path = os.path.join(root, rel)
                if os.path.exists(path) or os.path.isdir(path):
                    continue
                try:
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                except (FileExistsError, NotADirectoryError):
                    continue
                with open(path, "w") as f:
                    f.write("word%d\n" % i)
                expected["in/" + rel] = path_date(rel)
            os.chdir(tmp)
            got = doc_dates("--date-from-name", "in")
            self.assertGreater(len(got), 200)
            for doc, date in sorted(got.items()):
                self.assertEqual(date, expected[doc], doc)
            # the sample holds every precision and undated paths
            self.assertEqual({len(d) for d in got.values()}, {0, 4, 7, 10})
        finally:
            os.chdir(c.ROOT)
            c.rmtree(tmp)


def _fixture_files(rng):
    """A small corpus of every format, with nested folders and hidden files."""
    files = {}
    for i in range(12):
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 40)))
        files["%s/%02d_%d.txt" % (rng.choice(["a", "b/c", "2024/03"]), i, 2000 + i)] = \
            "date 2024-0%d-1%d\n%s\n" % (1 + i % 9, i % 10, text)
    files["rows.csv"] = "id,date,text\nr1,2024-05-01,union peace\nr2,,\"army, navy\"\n"
    files["lines.jsonl"] = '{"text": "treaty liberty", "date": "2024-06"}\n{"text": "duty"}\n'
    files["docs.json"] = '[{"text": "railroad labor", "year": 2024}, {"text": "tariff"}]'
    files["latin.txt"] = "caff\xe8 perch\xe9 union\n"  # CP1252 bytes below
    files["big.txt"] = " ".join(rng.choice(WORDS) for _ in range(200000))  # over 1 MiB
    files[".hidden.txt"] = "hidden words never counted"
    files["d/.git/x.txt"] = "never counted either"
    return files


def _write(folder, files):
    for rel, text in files.items():
        p = os.path.join(folder, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        data = text.encode("cp1252") if rel == "latin.txt" else text.encode("utf-8")
        with open(p, "wb") as f:
            f.write(data)


def _tables(outdir, id_map):
    res = {}
    for name in sorted(os.listdir(outdir)):
        if name in ("manifest.csv",):
            continue
        with open(os.path.join(outdir, name), "rb") as f:
            data = f.read()
        if name == "report.html":
            # report.html embeds the manifest (command line, inputs): compared without it
            data = re.sub(rb'"manifest":\{[^}]*\}', b"", data)
        for a, b in id_map:
            data = data.replace(a, b)
        res[name] = data
    return res


class Archives(unittest.TestCase):
    def test_archives_equal_folder(self):
        tmp = c.tmpdir()
        try:
            os.chdir(tmp)
            rng = random.Random(14)
            files = _fixture_files(rng)
            _write("corpus", files)
            members = sorted(f for f in files)
            rng.shuffle(members)  # stored out of path order
            with zipfile.ZipFile("c.zip", "w", zipfile.ZIP_DEFLATED) as z:
                for m in members:
                    z.write(os.path.join("corpus", m), m)
            for mode, ext in (("w", "tar"), ("w:gz", "tar.gz"), ("w:xz", "tar.xz"),
                              ("w:bz2", "tar.bz2")):
                with tarfile.open("c." + ext, mode) as t:
                    for m in members:
                        t.add(os.path.join("corpus", m), "./" + m if ext == "tar" else m)
            subprocess.run(["zstd", "-q", "-f", "c.tar", "-o", "c.tar.zst"], check=True)
            opts = ["--window", "2", "--min-count", "1", "--period", "month"]
            c.run("analyze", *opts, "corpus", "-o", "out_folder")
            ref = _tables("out_folder", [])
            self.assertTrue(ref["freq.csv"].count(b"\n") > 10)
            self.assertNotIn(b"hidden", ref["freq.csv"])
            for arch in ("c.zip", "c.tar", "c.tar.gz", "c.tar.xz", "c.tar.bz2", "c.tar.zst"):
                with self.subTest(arch=arch):
                    out = "out_" + arch.replace(".", "_")
                    c.run("analyze", *opts, arch, "-o", out)
                    got = _tables(out, [(arch.encode() + b":", b"corpus/")])
                    self.assertEqual(sorted(got), sorted(ref))
                    for name in ref:
                        self.assertEqual(got[name], ref[name], (arch, name))
                    # and on several threads
                    c.run("analyze", *opts, "--threads", "2", arch, "-o", out + "_t2")
                    got2 = _tables(out + "_t2", [(arch.encode() + b":", b"corpus/")])
                    self.assertEqual(got2, got)
        finally:
            os.chdir(c.ROOT)
            c.rmtree(tmp)

    def test_single_compressed_files(self):
        tmp = c.tmpdir()
        try:
            os.chdir(tmp)
            rng = random.Random(3)
            text = " ".join(rng.choice(WORDS) for _ in range(400000)).encode()
            with open("s.txt", "wb") as f:
                f.write(text)
            with open("s.txt.xz", "wb") as f:
                f.write(lzma.compress(text))
            with open("s.txt.bz2", "wb") as f:
                f.write(bz2.compress(text))
            subprocess.run(["zstd", "-q", "-f", "s.txt", "-o", "s.txt.zst"], check=True)
            with open("r.csv", "w") as f:
                f.write("text,date\nunion peace,2024\nliberty,2025\n")
            subprocess.run(["zstd", "-q", "-f", "r.csv", "-o", "r.csv.zst"], check=True)
            ref = c.table("freq", "s.txt")
            counts = Counter(words(text.decode()))
            self.assertEqual({r["term"]: int(r["count"]) for r in ref},
                             {k: v for k, v in counts.items()})
            for f in ("s.txt.xz", "s.txt.bz2", "s.txt.zst"):
                self.assertEqual(c.table("freq", f), ref, f)
            self.assertEqual(c.table("timeline", "--terms", "union", "r.csv.zst"),
                             c.table("timeline", "--terms", "union", "r.csv"))
        finally:
            os.chdir(c.ROOT)
            c.rmtree(tmp)


if __name__ == "__main__":
    unittest.main()
