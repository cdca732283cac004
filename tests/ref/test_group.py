"""--group-by against groups recomputed in Python from SPEC ("Reading the timelines").

A document's group: the --meta column FIELD when its row has a non-empty value,
else its own CSV cell or JSONL field FIELD (a string or a number; trimmed), else
"" (no value); for FIELD `dir`, the first-level sub-folder of an INPUT folder
the file lies under ("" directly in it). Tables list groups by name, bytewise;
each group's rows are computed over that group's documents alone (its tokens
N_g, its documents for doc_freq and DP). Every expected number comes from
`tempora tokens` and the fixture files, never from a report table (except the
tfidf check, which asks that the grouped table be the plain one's rows with the
document's group in front, in group order).
"""
import csv
import io
import json
import math
import os
import unittest
from collections import Counter, OrderedDict

from scipy.stats import chi2

import common as c

IT = c.stopword_set("it")

# folder corpus: dir groups a, b and "" (top.txt lies in news/ itself)
FILES = {
    "news/a/2024-01-a1.txt": "date 2024-01-10\nL'energia costa. Il gas sale, l'energia scende; gas e luce.",
    "news/a/2024-02-a2.txt": "date 2024-02-03\nSiccità al sud: acqua poca, acqua cara. Energia solare.",
    "news/a/sub/2024-03-a3.txt": "date 2024-03-21\nGas gas gas. Siccità e caldo, energia.",
    "news/b/2024-01-b1.txt": "date 2024-01-30\nElezioni europee: voto, voto e ancora voto.",
    "news/b/2024-03-b2.txt": "date 2024-03-02\nIl voto sull'energia: gas e nucleare.",
    "news/b/nodate.txt": "Una nota senza data sul voto e sul gas.",
    "news/top.txt": "date 2024-02-14\nEnergia e acqua, acqua e gas.",
}

# CSV rows: source column, one empty (group ""), one padded with blanks
CSV = (
    "id,date,source,text\n"
    "r1,2024-01-05,Corriere,\"Il gas e l'energia, ancora gas.\"\n"
    "r2,2024-01-20, Stampa ,\"Acqua e siccità: acqua.\"\n"
    "r3,2024-02-11,,\"Energia, gas, voto.\"\n"
    "r4,2024-02-28,Corriere,\"Siccità, siccità e caldo.\"\n"
    "r5,2024-03-09,Stampa,\"Voto europeo e gas.\"\n"
)
CSV_GROUPS = {"r1": "Corriere", "r2": "Stampa", "r3": "", "r4": "Corriere", "r5": "Stampa"}

# JSONL: a string, a number (its digits), null and a missing field are "", ...
JSONL = [
    {"id": "j1", "date": "2024-01-02", "source": "Corriere", "text": "Gas e acqua, gas."},
    {"id": "j2", "date": "2024-02-02", "source": 7, "text": "Energia pulita e voto."},
    {"id": "j3", "date": "2024-03-02", "source": None, "text": "Acqua, acqua, siccità."},
    {"id": "j4", "date": "2024-03-15", "text": "Il gas del voto."},
    {"id": "j5", "date": "2024-01-25", "source": "Stampa", "text": "Siccità e energia."},
]
JSONL_GROUPS = {"j1": "Corriere", "j2": "7", "j3": "", "j4": "", "j5": "Stampa"}

# --meta: overrides j3 and r1 (a non-empty cell wins); an empty cell says nothing
META = "id,date,source\nj3,,Messaggero\nr1,,Messaggero\nj1,,\n"
META_GROUPS = {"j3": "Messaggero", "r1": "Messaggero"}


def doc_dates(folder):
    """doc_id -> 'YYYY-MM' for every dated document of the fixture."""
    d = {}
    for name, text in FILES.items():
        if text.startswith("date "):
            d[os.path.join(folder, name)] = text[5:12]
    for line in CSV.splitlines()[1:]:
        d[line.split(",")[0]] = line.split(",")[1][:7]
    for o in JSONL:
        d[o["id"]] = o["date"][:7]
    return d


def stream_docs(stream):
    """OrderedDict doc_id -> [[tokens] per segment], in stream order."""
    return c.doc_segments(stream)


def grouped(docs, group_of):
    """OrderedDict group -> [doc_id], groups bytewise, documents in order."""
    g = OrderedDict()
    for name in sorted(set(group_of[d] for d in docs), key=c.bkey):
        g[name] = [d for d in docs if group_of[d] == name]
    return g


def expected_freq(docs, group_of, top=None):
    """[(group, rank, term, count, per_million, doc_freq, dp)] as SPEC's freq.csv
    computed within each group."""
    rows = []
    for g, ids in grouped(docs, group_of).items():
        per = {d: Counter(t for s in docs[d] for t in s) for d in ids}
        size = {d: sum(len(s) for s in docs[d]) for d in ids}
        N = sum(size.values())
        total = Counter()
        for cnt in per.values():
            total.update(cnt)
        terms = [t for t in total if not c.is_stop(t, IT)]
        terms.sort(key=lambda t: (-total[t], c.bkey(t)))
        for r, t in enumerate(terms[:top] if top else terms, 1):
            n = total[t]
            dp = 0.5 * math.fsum(abs(per[d][t] / n - size[d] / N) for d in ids)
            df = sum(1 for d in ids if per[d][t])
            rows.append((g, r, t, n, n / N * 1e6, df, dp))
    return rows


class GroupCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = c.tmpdir()
        c.write_files(cls.tmp, FILES)
        c.write_files(cls.tmp, {"rows.csv": CSV, "meta.csv": META,
                                "lines.jsonl": "".join(json.dumps(o, ensure_ascii=False) + "\n"
                                                       for o in JSONL)})
        cls.news = os.path.join(cls.tmp, "news")
        cls.csv = os.path.join(cls.tmp, "rows.csv")
        cls.jsonl = os.path.join(cls.tmp, "lines.jsonl")
        cls.meta = os.path.join(cls.tmp, "meta.csv")
        cls.dates = doc_dates(cls.tmp)

    @classmethod
    def tearDownClass(cls):
        c.rmtree(cls.tmp)

    def dir_groups(self, docs):
        g = {}
        for d in docs:
            rel = os.path.relpath(d, self.news).split(os.sep)
            g[d] = rel[0] if len(rel) > 1 else ""
        return g

    def field_groups(self, docs, meta=False):
        g = {}
        for d in docs:
            v = CSV_GROUPS.get(d, JSONL_GROUPS.get(d))
            if meta and META_GROUPS.get(d):
                v = META_GROUPS[d]
            g[d] = v if v is not None else ""
        return g

    def check_freq(self, got, want):
        self.assertEqual([(r["group"], r["term"]) for r in got], [(w[0], w[2]) for w in want])
        for g, w in zip(got, want):
            self.assertEqual(int(g["rank"]), w[1], w)
            self.assertEqual(int(g["count"]), w[3], w)
            self.assertTrue(c.rel_close(g["per_million"], w[4]), (g, w))
            self.assertEqual(int(g["doc_freq"]), w[5], w)
            self.assertTrue(c.rel_close(g["dp"], w[6]), (g, w))


class TestFreq(GroupCase):
    def test_dir(self):
        opts = ["--lang", "it"]
        docs = stream_docs(c.tokens(self.news, *opts))
        got = c.table("freq", "--group-by", "dir", *opts, self.news)
        want = expected_freq(docs, self.dir_groups(docs))
        self.assertEqual(sorted(set(w[0] for w in want), key=c.bkey), ["", "a", "b"])
        self.check_freq(got, want)

    def test_top_per_group(self):
        opts = ["--lang", "it"]
        docs = stream_docs(c.tokens(self.news, *opts))
        got = c.table("freq", "--group-by", "dir", "--top", "2", *opts, self.news)
        self.check_freq(got, expected_freq(docs, self.dir_groups(docs), top=2))

    def test_csv_and_jsonl_fields(self):
        opts = ["--lang", "it"]
        docs = stream_docs(c.tokens(self.csv, self.jsonl, *opts))
        got = c.table("freq", "--group-by", "source", *opts, self.csv, self.jsonl)
        want = expected_freq(docs, self.field_groups(docs))
        self.assertIn("7", [w[0] for w in want])
        self.check_freq(got, want)

    def test_meta_wins(self):
        opts = ["--lang", "it", "--meta", self.meta]
        docs = stream_docs(c.tokens(self.csv, self.jsonl, *opts))
        got = c.table("freq", "--group-by", "source", *opts, self.csv, self.jsonl)
        want = expected_freq(docs, self.field_groups(docs, meta=True))
        self.assertIn("Messaggero", [w[0] for w in want])
        self.check_freq(got, want)

    def test_ngrams(self):
        opts = ["--lang", "it"]
        stream = c.tokens(self.news, *opts)
        segs = c.doc_segments(stream)
        got = c.table("freq", "--group-by", "dir", "--ngram", "2", *opts, self.news)
        groups = self.dir_groups(segs)
        want = []
        for g, ids in grouped(segs, groups).items():
            N = sum(len(s) for d in ids for s in segs[d])
            total = Counter(" ".join(x) for d in ids for x in c.ngrams_of(segs[d], 2))
            terms = [t for t in total if not any(c.is_stop(w, IT) for w in t.split(" "))]
            terms.sort(key=lambda t: (-total[t], c.bkey(t)))
            want += [(g, t, total[t], total[t] / N * 1e6) for t in terms]
        self.assertEqual([(r["group"], r["term"], int(r["count"])) for r in got],
                         [(w[0], w[1], w[2]) for w in want])
        for r, w in zip(got, want):
            self.assertTrue(c.rel_close(r["per_million"], w[3]))


class TestTimeline(GroupCase):
    def expected(self, docs, groups, terms):
        """{(group, period, term): (count, period_tokens, docs)} over the months
        2024-01..2024-03 (the whole timeline) for the groups with a dated document."""
        out = {}
        periods = ["2024-01", "2024-02", "2024-03"]
        for g, ids in grouped(docs, groups).items():
            dated = [d for d in ids if d in self.dates]
            if not dated:
                continue
            for p in periods:
                inp = [d for d in dated if self.dates[d] == p]
                ptok = sum(len(s) for d in inp for s in docs[d])
                for t in terms:
                    words = t.split(" ")
                    per = [sum(1 for s in docs[d] for i in range(len(s) - len(words) + 1)
                               if s[i:i + len(words)] == words) for d in inp]
                    out[(g, p, t)] = (sum(per), ptok, sum(1 for k in per if k))
        return out

    def check(self, got, want):
        self.assertEqual(len(got), len(want))
        keys = [(r["group"], r["period"], r["term"]) for r in got]
        self.assertEqual(set(keys), set(want))
        # groups by name, then periods, then terms as listed
        order = sorted(keys, key=lambda k: (c.bkey(k[0]), k[1]))
        self.assertEqual([k[:2] for k in keys], [k[:2] for k in order])
        for r in got:
            k, p, d = want[(r["group"], r["period"], r["term"])]
            self.assertEqual((int(r["count"]), int(r["period_tokens"]), int(r["docs"])),
                             (k, p, d), r)
            if p:
                self.assertTrue(c.rel_close(r["per_million"], k / p * 1e6), r)

    def test_listed_terms_dir(self):
        terms = ["gas", "energia", "acqua cara"]
        opts = ["--lang", "it"]
        docs = stream_docs(c.tokens(self.news, *opts))
        got = c.table("timeline", "--group-by", "dir", "--terms", ",".join(terms),
                      "--period", "month", *opts, self.news)
        self.check(got, self.expected(docs, self.dir_groups(docs), terms))

    def test_top_terms_fields(self):
        opts = ["--lang", "it", "--meta", self.meta]
        inputs = [self.csv, self.jsonl]
        docs = stream_docs(c.tokens(*inputs, *opts))
        # the top 3 non-stopwords over every dated document, ties bytewise
        total = Counter(t for d in docs if d in self.dates for s in docs[d] for t in s
                        if not c.is_stop(t, IT))
        top = sorted(total, key=lambda t: (-total[t], c.bkey(t)))[:3]
        got = c.table("timeline", "--group-by", "source", "--top", "3", "--period", "month",
                      *opts, *inputs)
        self.assertEqual([r["term"] for r in got[:3]], top)
        self.check(got, self.expected(docs, self.field_groups(docs, meta=True), top))

    def test_trends_per_group(self):
        out = os.path.join(self.tmp, "out-trends")
        opts = ["--lang", "it"]
        docs = stream_docs(c.tokens(self.news, *opts))
        c.run("analyze", "--group-by", "dir", "--terms", "gas,energia", "--period", "month",
              *opts, self.news, "-o", out)
        trends = c.read_csv(os.path.join(out, "trends.csv"))
        want = self.expected(docs, self.dir_groups(docs), ["gas", "energia"])
        totals = Counter()
        for (g, _p, t), (k, _n, _d) in want.items():
            totals[(g, t)] += k
        self.assertEqual({(r["group"], r["term"]): int(r["total"]) for r in trends}, totals)
        self.assertEqual(list(trends[0].keys())[0], "group")
        svg = open(os.path.join(out, "timeline.svg"), encoding="utf-8").read()
        self.assertIn("dash: group", svg)


class TestSummaryTfidf(GroupCase):
    def test_summary(self):
        opts = ["--lang", "it"]
        docs = stream_docs(c.tokens(self.news, *opts))
        groups = self.dir_groups(docs)
        # a document without tokens would be missing from the stream: none here
        got = c.table("summary", "--group-by", "dir", "--period", "month", *opts, self.news)
        self.assertEqual(list(got[0].keys()), ["group", "metric", "value"])
        by = {(r["group"], r["metric"]): r["value"] for r in got}
        self.assertEqual(sorted(set(r["group"] for r in got), key=c.bkey), ["", "a", "b"])
        self.assertEqual([r["group"] for r in got],
                         sorted([r["group"] for r in got], key=c.bkey))
        for g, ids in grouped(docs, groups).items():
            toks = [t for d in ids for s in docs[d] for t in s]
            cnt = Counter(toks)
            dated = [self.dates[d] for d in ids if d in self.dates]
            self.assertEqual(int(by[(g, "documents")]), len(ids))
            self.assertEqual(int(by[(g, "dated_documents")]), len(dated))
            self.assertEqual(int(by[(g, "undated_documents")]), len(ids) - len(dated))
            self.assertEqual(int(by[(g, "tokens")]), len(toks))
            self.assertEqual(int(by[(g, "types")]), len(cnt))
            self.assertEqual(int(by[(g, "hapax_legomena")]),
                             sum(1 for v in cnt.values() if v == 1))
            self.assertTrue(c.rel_close(by[(g, "type_token_ratio")], len(cnt) / len(toks)))
            self.assertEqual(by[(g, "first_period")], min(dated))
            self.assertEqual(by[(g, "last_period")], max(dated))

    def test_tfidf_rows_by_group(self):
        opts = ["--lang", "it", "--meta", self.meta]
        inputs = [self.csv, self.jsonl]
        docs = stream_docs(c.tokens(*inputs, *opts))
        groups = self.field_groups(docs, meta=True)
        plain = c.table("tfidf", *opts, *inputs)
        got = c.table("tfidf", "--group-by", "source", *opts, *inputs)
        order = {d: i for i, d in enumerate(docs)}
        want = sorted(plain, key=lambda r: (c.bkey(groups[r["doc_id"]]), order[r["doc_id"]]))
        self.assertEqual([dict(r, group=groups[r["doc_id"]]) for r in want], got)


class TestTfidfManyGroups(unittest.TestCase):
    """Many groups (101) and --threads 3: each thread's rows kept, then written
    group by group, the same rows as the plain table's."""

    def test_many_groups(self):
        tmp = c.tmpdir()
        try:
            words = ["gas", "acqua", "voto", "luce", "treni", "scuola", "salari", "prezzi"]
            with open(os.path.join(tmp, "m.jsonl"), "w", encoding="utf-8") as f:
                for i in range(3000):
                    text = " ".join(words[(i * 3 + k * k) % 8] for k in range(5 + i % 9))
                    f.write(json.dumps({"id": "d%04d" % i, "src": "g%03d" % (i * 37 % 101),
                                        "text": text}) + "\n")
            path = os.path.join(tmp, "m.jsonl")
            groups = {"d%04d" % i: "g%03d" % (i * 37 % 101) for i in range(3000)}
            for threads in ("1", "3"):
                plain = c.table("tfidf", "--lang", "none", "--threads", threads, path)
                got = c.table("tfidf", "--lang", "none", "--threads", threads, "--group-by",
                              "src", path)
                order = {"d%04d" % i: i for i in range(3000)}
                want = sorted(plain, key=lambda r: (groups[r["doc_id"]], order[r["doc_id"]]))
                self.assertEqual([dict(r, group=groups[r["doc_id"]]) for r in want], got)
        finally:
            c.rmtree(tmp)


class TestSumsManyGroups(unittest.TestCase):
    """(group, term) counts with more groups x terms than a dense table holds
    (2,400 groups, a group per author, and some 6,000 terms): freq's and
    summary's groups against Python, for --threads 1 and 3; documents with no
    value are the group "", and most groups have no document in most months
    (trends over them: more (term, group) series than trends lists densely,
    so it finds the pairs first; each series' total and periods against
    Python, and the same table for every thread count)."""

    def test_many_groups(self):
        tmp = c.tmpdir()
        try:
            def word(n):  # a distinct alphabetic word of 4 to 6 letters
                w = ""
                for _ in range(3):
                    w += "bcdfglmnprstvz"[n % 14] + "aeiou"[n // 14 % 5]
                    n //= 70
                return w
            path = os.path.join(tmp, "a.jsonl")
            with open(path, "w", encoding="utf-8") as f:
                for i in range(3000):
                    toks = [word((i * 131 + k * k * 7) % 6000) for k in range(12 + i % 7)]
                    toks += [word(i % 5)] * (1 + i % 3)  # frequent words in every group
                    rec = {"id": "d%04d" % i, "date": "2023-%02d-01" % (1 + i % 12),
                           "text": " ".join(toks)}
                    if i % 5:
                        rec["author"] = "au%04d" % (i * 7919 % 2400)
                    f.write(json.dumps(rec) + "\n")
            docs = stream_docs(c.tokens(path, "--lang", "none"))
            src = {}
            with open(path, encoding="utf-8") as f:
                for line in f:
                    o = json.loads(line)
                    src[o["id"]] = o.get("author", "")
            groups = {d: src[d] for d in docs}
            self.assertGreater(len(set(groups.values())), 1500)
            want = []
            for g, ids in grouped(docs, groups).items():
                per = {d: Counter(t for s in docs[d] for t in s) for d in ids}
                size = {d: sum(len(s) for s in docs[d]) for d in ids}
                N = sum(size.values())
                total = Counter()
                for cnt in per.values():
                    total.update(cnt)
                terms = sorted(total, key=lambda t: (-total[t], c.bkey(t)))
                for r, t in enumerate(terms, 1):
                    n = total[t]
                    dp = 0.5 * math.fsum(abs(per[d][t] / n - size[d] / N) for d in ids)
                    df = sum(1 for d in ids if per[d][t])
                    want.append((g, r, t, n, n / N * 1e6, df, dp, len(total),
                                 sum(1 for v in total.values() if v == 1), N))
            outs = {}
            for threads in ("1", "3"):
                opts = ["--lang", "none", "--threads", threads, "--group-by", "author", path]
                got = c.table("freq", *opts)
                self.assertEqual([(r["group"], r["term"]) for r in got],
                                 [(w[0], w[2]) for w in want])
                for r, w in zip(got, want):
                    self.assertEqual((int(r["rank"]), int(r["count"]), int(r["doc_freq"])),
                                     (w[1], w[3], w[5]), w)
                    self.assertTrue(c.rel_close(r["per_million"], w[4]), (r, w))
                    self.assertTrue(c.rel_close(r["dp"], w[6]), (r, w))
                summ = {(r["group"], r["metric"]): r["value"]
                        for r in c.table("summary", *opts)}
                for w in want:
                    self.assertEqual(int(summ[(w[0], "types")]), w[7], w[0])
                    self.assertEqual(int(summ[(w[0], "hapax_legomena")]), w[8], w[0])
                    self.assertEqual(int(summ[(w[0], "tokens")]), w[9], w[0])
                _, outs[threads], _ = c.run("trends", "--min-count", "2", "--period", "month",
                                            *opts)
            self.assertEqual(outs["1"], outs["3"])
            # a series is tested when its total reaches --min-count and it
            # occurs in 3 months; periods: the months with the group's tokens
            month = {d: 1 + int(d[1:]) % 12 for d in docs}
            tested = {}
            for g, ids in grouped(docs, groups).items():
                total, months = Counter(), {}
                for d in ids:
                    for t in (t for s in docs[d] for t in s):
                        total[t] += 1
                        months.setdefault(t, set()).add(month[d])
                have = len({month[d] for d in ids if sum(len(s) for s in docs[d])})
                for t, n in total.items():
                    if n >= 2 and len(months[t]) >= 3:
                        tested[(g, t)] = (n, have)
            rows = list(csv.DictReader(io.StringIO(outs["1"])))
            self.assertGreater(len(rows), 500)
            self.assertEqual({(r["group"], r["term"]): (int(r["total"]), int(r["periods"]))
                              for r in rows}, tested)
        finally:
            c.rmtree(tmp)


class TestKeyness(GroupCase):
    def keyness(self, docs, groups, target, reference):
        a = Counter(t for d in docs if groups[d] == target for s in docs[d] for t in s)
        b = Counter(t for d in docs if groups[d] != target and (reference is None or
                                                                 groups[d] == reference)
                    for s in docs[d] for t in s)
        N1, N2 = sum(a.values()), sum(b.values())
        rows = []
        for t in set(a) | set(b):
            if c.is_stop(t, IT):
                continue
            x, y = a[t], b[t]
            E1, E2 = N1 * (x + y) / (N1 + N2), N2 * (x + y) / (N1 + N2)
            G = 2 * ((x * math.log(x / E1) if x else 0) + (y * math.log(y / E2) if y else 0))
            rows.append((t, x, y, G))
        rows.sort(key=lambda r: (-r[3], c.bkey(r[0])))
        return rows

    def check(self, got, want):
        self.assertEqual([(r["term"], int(r["count_target"]), int(r["count_reference"]))
                          for r in got], [w[:3] for w in want])
        for r, w in zip(got, want):
            self.assertTrue(c.rel_close(r["log_likelihood"], w[3], abs_=1e-9), (r, w))
            self.assertTrue(c.rel_close(r["p_value"], chi2.sf(w[3], 1), abs_=1e-9), (r, w))

    def test_target_and_reference_groups(self):
        opts = ["--lang", "it"]
        docs = stream_docs(c.tokens(self.news, *opts))
        got = c.table("keyness", "--group-by", "dir", "--target-group", "a",
                      "--reference-group", "b", *opts, self.news)
        self.check(got, self.keyness(docs, self.dir_groups(docs), "a", "b"))

    def test_group_against_the_rest(self):
        opts = ["--lang", "it", "--meta", self.meta]
        inputs = [self.csv, self.jsonl]
        docs = stream_docs(c.tokens(*inputs, *opts))
        got = c.table("keyness", "--group-by", "source", "--group", "Corriere", *opts, *inputs)
        self.check(got, self.keyness(docs, self.field_groups(docs, meta=True), "Corriere", None))

    def test_empty_group_name(self):
        # the documents with no value are the group "" and can be compared too
        opts = ["--lang", "it"]
        docs = stream_docs(c.tokens(self.news, *opts))
        got = c.table("keyness", "--group-by", "dir", "--group", "", *opts, self.news)
        self.check(got, self.keyness(docs, self.dir_groups(docs), "", None))


class TestThreads(unittest.TestCase):
    """Tables byte-identical for --threads 1, 2, 3: a JSONL over 1 MiB (cut into
    parts at line starts) and a folder of many files (cut into runs of files)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = c.tmpdir()
        words = ["gas", "energia", "acqua", "siccità", "voto", "europa", "caldo", "prezzi",
                 "luce", "treni", "scuola", "salari"]
        sources = ["Corriere", "Stampa", "Messaggero", "", "Giorno"]
        lines, files = [], {}
        for i in range(4000):
            text = " ".join(words[(i * 7 + k * k) % len(words)] for k in range(40 + i % 17))
            month = 1 + i % 12
            rec = {"id": "d%05d" % i, "date": "2023-%02d-%02d" % (month, 1 + i % 28),
                   "text": text + ". " + text}
            if i % 11:
                rec["source"] = sources[i % 5]
            lines.append(json.dumps(rec, ensure_ascii=False))
            if i < 300:
                files["dirs/%s/%04d.txt" % ("xyz"[i % 3], i)] = "date 2023-%02d\n%s" % (month, text)
        c.write_files(cls.tmp, {"big.jsonl": "\n".join(lines) + "\n", **files})
        cls.jsonl = os.path.join(cls.tmp, "big.jsonl")
        assert os.path.getsize(cls.jsonl) > 1 << 20

    @classmethod
    def tearDownClass(cls):
        c.rmtree(cls.tmp)

    def same_for_threads(self, *args):
        outs = []
        for t in (1, 2, 3):
            out = os.path.join(self.tmp, "out%d" % t)
            c.run("analyze", "--threads", str(t), *args, "-o", out)
            outs.append(out)
        for name in ("freq.csv", "tfidf.csv", "timeline.csv", "trends.csv", "summary.csv",
                     "keyness.csv", "timeline.svg"):
            first = open(os.path.join(outs[0], name), "rb").read()
            for o in outs[1:]:
                self.assertEqual(open(os.path.join(o, name), "rb").read(), first, (name, o))

    def test_jsonl_field(self):
        self.same_for_threads("--group-by", "source", "--group", "Stampa", "--lang", "it",
                              "--terms", "gas,acqua siccità", self.jsonl)

    def test_dir(self):
        self.same_for_threads("--group-by", "dir", "--target-group", "x", "--reference-group",
                              "y", "--lang", "it", os.path.join(self.tmp, "dirs"))


if __name__ == "__main__":
    unittest.main()
