"""SPEC "Reading the timelines": kwic, --from/--to, prefix patterns `pre*`,
--ngram in timeline/keyness/tfidf, and `tempora trends` with q-values, each
against a reference written here from the SPEC.

Tokens come from `tempora tokens` (the tokenizer has its own tests); what is
checked is everything built on them. kwic's spans are found independently:
each token is located in the raw text by a normalized search (NFC, case
folded, typographic apostrophes as "'"), left to right.
"""
import csv
import datetime
import io
import math
import os
import unicodedata
import unittest
from collections import Counter, defaultdict
from fractions import Fraction

from scipy.stats import chi2, kendalltau, theilslopes

import common as c
from test_timeline import expected_timeline, label, mann_kendall, period_start

LANG = ("--lang", "it")


def docs_of(path):
    """[(doc_id, date or None)] of a corpus folder, in input order."""
    return [(p, c.header_date(p)) for p in c.walk_inputs(path)]


def read_text(path):
    """A text document's text as the reader gives it: without its date header."""
    with open(path, encoding="utf-8") as f:
        t = f.read()
    m = c._DATE_HEADER.match(t)
    if m:
        t = t[m.end():]
        # the header's whitespace separator is not part of the text
        if t[:1] in (" ", "\t", "\n"):
            t = t[1:]
    return t


def norm_chars(text):
    """(normalized string, index of the original character of each of its chars)."""
    out, where = [], []
    for i, ch in enumerate(text):
        if ch in "\u2019\u02bc":
            ch = "'"
        elif ch in "\u2010\u2011":
            ch = "-"
        elif ch == "\u00ad":
            continue
        n = unicodedata.normalize("NFC", ch).casefold()
        for x in n:
            out.append(x)
            where.append(i)
    return "".join(out), where


def token_spans(text, toks):
    """[(start, end)] character spans of toks found left to right in text."""
    norm, where = norm_chars(text)
    spans, at = [], 0
    for t in toks:
        k = norm.find(t, at)
        if k < 0:
            raise AssertionError(f"token {t!r} not found after {at}")
        spans.append((where[k], where[k + len(t) - 1] + 1))
        at = k + len(t)
    return spans


def squash(s):
    """Whitespace runs as one space (SPEC: line breaks as spaces)."""
    out, sp = [], False
    for ch in s:
        if ch.isspace():
            if not sp:
                out.append(" ")
            sp = True
        else:
            out.append(ch)
            sp = False
    return "".join(out)


def expected_kwic(path, terms, K):
    """kwic rows of the SPEC: every occurrence of a listed term (words in one
    segment, or a token beginning with a pattern's prefix), by position then
    length, once per span."""
    stream = c.tokens(path, *LANG)
    by_doc = defaultdict(list)
    for doc, seg, tok in stream:
        by_doc[doc].append((seg, tok))
    listed = []
    for t in terms:
        if t.endswith("*"):
            listed.append(("prefix", t[:-1]))
        else:
            toks = [r["token"] for r in c.table("tokens", "-", *LANG, stdin=t.encode())]
            listed.append(("words", toks))
    rows = []
    for doc, date in docs_of(path):
        toks = by_doc.get(doc, [])
        if not toks:
            continue
        text = read_text(doc)
        spans = token_spans(text, [t for _, t in toks])
        found = set()
        for i in range(len(toks)):
            for kind, what in listed:
                if kind == "prefix":
                    if toks[i][1].startswith(what):
                        found.add((i, i))
                else:
                    n = len(what)
                    if i + n <= len(toks) and [t for _, t in toks[i:i + n]] == what and \
                            len({s for s, _ in toks[i:i + n]}) == 1:
                        found.add((i, i + n - 1))
        for first, last in sorted(found):
            lf, rl = max(0, first - K), min(len(toks) - 1, last + K)
            left = squash(text[spans[lf][0]:spans[first - 1][1]]) if first > 0 else ""
            match = squash(text[spans[first][0]:spans[last][1]])
            right = squash(text[spans[last + 1][0]:spans[rl][1]]) if rl > last else ""
            rows.append([doc, date or "", str(first), left, match, right])
    return rows


def csv_rows(out):
    return list(csv.reader(io.StringIO(out)))


class Kwic(unittest.TestCase):
    TERMS = ["siccità", "energ*", "intelligenza artificiale", "crisi", "l'acqua"]

    def test_rows_against_reference(self):
        for K in (8, 3, 0):
            _, out, _ = c.run("kwic", c.CORPUS, *LANG, "--terms", ",".join(self.TERMS),
                              "--context", str(K))
            got = csv_rows(out)
            self.assertEqual(got[0], ["doc_id", "date", "position", "left", "match", "right"])
            want = expected_kwic(c.CORPUS, self.TERMS, K)
            self.assertGreater(len(want), 30)
            self.assertEqual(got[1:], want, f"context {K}")

    def test_sample_is_reproducible_subset(self):
        args = ("kwic", c.CORPUS, *LANG, "--terms", "energ*,a*,siccità", "--sample", "9")
        _, full, _ = c.run("kwic", c.CORPUS, *LANG, "--terms", "energ*,a*,siccità")
        full = csv_rows(full)[1:]
        outs = [csv_rows(c.run(*args, "--threads", t)[1])[1:] for t in ("1", "2", "1")]
        self.assertEqual(outs[0], outs[1])
        self.assertEqual(outs[0], outs[2])
        self.assertEqual(len(outs[0]), 9)
        # a subset of every row, in the same (document) order
        pos = [full.index(r) for r in outs[0]]
        self.assertEqual(pos, sorted(pos))
        other = csv_rows(c.run(*args, "--seed", "7")[1])[1:]
        self.assertEqual(len(other), 9)
        self.assertNotEqual(other, outs[0])
        # more than there are: every row
        many = csv_rows(c.run("kwic", c.CORPUS, *LANG, "--terms", "siccità",
                              "--sample", "100000")[1])[1:]
        self.assertEqual(many, [r for r in full if r[4].lower() == "siccità"])

    def test_group_by(self):
        """--group-by dir: each row gains its document's group in front; the
        rows, their order and --sample's choice are those without it."""
        terms = ",".join(self.TERMS)
        _, out, _ = c.run("kwic", c.CORPUS, *LANG, "--terms", terms, "--group-by", "dir")
        got = csv_rows(out)
        self.assertEqual(got[0], ["group", "doc_id", "date", "position", "left", "match",
                                  "right"])
        want = [[dir_group(r[0])] + r for r in expected_kwic(c.CORPUS, self.TERMS, 8)]
        self.assertEqual({r[0] for r in want}, {"en", "it"})
        self.assertEqual(got[1:], want)
        plain = csv_rows(c.run("kwic", c.CORPUS, *LANG, "--terms", terms, "--sample", "7")[1])
        grouped = csv_rows(c.run("kwic", c.CORPUS, *LANG, "--terms", terms, "--sample", "7",
                                 "--group-by", "dir")[1])
        self.assertEqual([r[1:] for r in grouped[1:]], plain[1:])
        self.assertEqual([r[0] for r in grouped[1:]], [dir_group(r[0]) for r in plain[1:]])

    def test_group_by_unknown_field(self):
        rc, _, err = c.run("kwic", c.CORPUS, *LANG, "--terms", "crisi", "--group-by", "nope",
                           check=False)
        self.assertEqual(rc, 1)
        self.assertIn("--group-by nope: no document has a value", err)

    def test_from_to(self):
        _, out, _ = c.run("kwic", c.CORPUS, *LANG, "--terms", "energ*", "--from", "2024-03",
                          "--to", "2024")
        got = csv_rows(out)[1:]
        want = [r for r in expected_kwic(c.CORPUS, ["energ*"], 8)
                if r[1] and "2024-03" <= r[1][:7] <= "2024-12"]
        self.assertEqual(got, want)


def in_range(date, lo, hi):
    """SPEC --from/--to: a document's date (its first day) in [lo's first day,
    hi's last day]; undated documents are out."""
    if date is None:
        return False
    d = datetime.date(*[int(x) for x in (date.split("-") + ["1", "1"])[:3]])
    first = datetime.date(*[int(x) for x in (lo.split("-") + ["1", "1"])[:3]])
    hp = [int(x) for x in hi.split("-")]
    if len(hp) == 1:
        last = datetime.date(hp[0], 12, 31)
    elif len(hp) == 2:
        nxt = datetime.date(hp[0] + hp[1] // 12, hp[1] % 12 + 1, 1)
        last = nxt - datetime.timedelta(days=1)
    else:
        last = datetime.date(*hp)
    return first <= d <= last


class FromTo(unittest.TestCase):
    def test_freq_and_summary(self):
        docs = docs_of(c.CORPUS)
        stream = c.tokens(c.CORPUS, *LANG)
        sw = c.stopword_set("it")
        for lo, hi in (("2024-03", "2024"), ("2025", "2025-06-15"), ("2024-01-15", "2024-01-15")):
            keep = {d for d, date in docs if in_range(date, lo, hi)}
            counts = Counter(t for d, _, t in stream if d in keep)
            want = {t: n for t, n in counts.items() if not c.is_stop(t, sw)}
            rows = c.table("freq", c.CORPUS, *LANG, "--from", lo, "--to", hi)
            self.assertEqual({r["term"]: int(r["count"]) for r in rows}, want, (lo, hi))
            for threads in ("1", "2"):
                summ = {r["metric"]: r["value"] for r in
                        c.table("summary", c.CORPUS, *LANG, "--from", lo, "--to", hi,
                                "--threads", threads)}
                self.assertEqual(int(summ["documents"]), len(keep))
                self.assertEqual(int(summ["out_of_range"]), len(docs) - len(keep))
                self.assertEqual(int(summ["tokens"]), sum(counts.values()))

    def test_bad_range_is_usage_error(self):
        rc, _, err = c.run("freq", c.CORPUS, "--from", "2025", "--to", "2024", check=False)
        self.assertEqual(rc, 2)
        rc, _, err = c.run("freq", c.CORPUS, "--from", "2025-13", check=False)
        self.assertEqual(rc, 2)
        self.assertIn("--from", err)


class Patterns(unittest.TestCase):
    def test_timeline_sums_every_term_with_the_prefix(self):
        stream = c.tokens(c.CORPUS, *LANG)
        paths = c.walk_inputs(c.CORPUS)
        rows = c.table("timeline", c.CORPUS, *LANG, "--terms", "energ*,inflazione,prezz*",
                       "--period", "quarter")
        words = {t for _, _, t in stream}
        for pat in ("energ", "prezz"):
            matched = sorted(w for w in words if w.startswith(pat))
            self.assertGreater(len(matched), 1)
            per = expected_timeline(stream, paths, matched, "quarter")
            got = [r for r in rows if r["term"] == pat + "*"]
            self.assertEqual(len(got), len(per))
            for r, (lab, _, pt, counts) in zip(got, per):
                self.assertEqual(r["period"], lab)
                self.assertEqual(int(r["count"]), sum(counts[w][0] for w in matched))
                self.assertEqual(int(r["period_tokens"]), pt)
        # docs: documents with at least one of the matched terms
        docs = c.doc_tokens(stream)
        want_docs = Counter()
        for p in paths:
            d = c.header_date(p)
            if d and any(t.startswith("energ") for t in docs.get(p, [])):
                want_docs[label(period_start(d, "quarter"), "quarter")] += 1
        for r in rows:
            if r["term"] == "energ*":
                self.assertEqual(int(r["docs"]), want_docs[r["period"]], r["period"])

    def test_freq_lists_what_a_pattern_matched(self):
        stream = c.tokens(c.CORPUS, *LANG)
        counts = Counter(t for _, _, t in stream)
        rows = c.table("freq", c.CORPUS, *LANG, "--terms", "energ*,di,inflazione")
        want = {t: n for t, n in counts.items() if t.startswith("energ")}
        want["di"] = counts["di"]  # listed: shown although a stopword
        want["inflazione"] = counts["inflazione"]
        self.assertEqual({r["term"]: int(r["count"]) for r in rows}, want)

    def test_pattern_of_several_words_is_an_error(self):
        rc, _, err = c.run("timeline", c.CORPUS, "--terms", "crisi idric*", check=False)
        self.assertEqual(rc, 2)
        self.assertIn("pattern", err)


def ngram_counts(stream, n, keep=None):
    """Counter of n-grams (joined by one space) of the documents in keep (all: None)."""
    by = c.doc_segments(stream)
    out = Counter()
    for doc, segs in by.items():
        if keep is None or doc in keep:
            out.update(" ".join(g) for g in c.ngrams_of(segs, n))
    return out


def reportable(gram, sw):
    return not any(c.is_stop(w, sw) for w in gram.split(" "))


class Ngrams(unittest.TestCase):
    def test_timeline_top_bigrams(self):
        stream = c.tokens(c.CORPUS, *LANG)
        sw = c.stopword_set("it")
        dated = {p for p in c.walk_inputs(c.CORPUS) if c.header_date(p)}
        counts = ngram_counts(stream, 2, dated)
        top = sorted((g for g in counts if reportable(g, sw)),
                     key=lambda g: (-counts[g], c.bkey(g)))[:4]
        rows = c.table("timeline", c.CORPUS, *LANG, "--ngram", "2", "--top", "4",
                       "--period", "year")
        self.assertEqual(list(dict.fromkeys(r["term"] for r in rows)), top)
        per = expected_timeline(stream, c.walk_inputs(c.CORPUS), top, "year")
        want = [(lab, t, cnt[t][0], cnt[t][1]) for lab, _, _, cnt in per for t in top]
        got = [(r["period"], r["term"], int(r["count"]), int(r["docs"])) for r in rows]
        self.assertEqual(got, want)

    def test_keyness_bigrams(self):
        it = c.tokens(os.path.join(c.CORPUS, "it"), *LANG)
        en = c.tokens(os.path.join(c.CORPUS, "en"), *LANG)
        sw = c.stopword_set("it")
        a, b = ngram_counts(it, 2), ngram_counts(en, 2)
        N1, N2 = len(it), len(en)
        rows = c.table("keyness", *LANG, "--ngram", "2", "--target",
                       os.path.join(c.CORPUS, "it"), "--reference", os.path.join(c.CORPUS, "en"))
        want = {g for g in set(a) | set(b) if reportable(g, sw)}
        self.assertEqual({r["term"] for r in rows}, want)
        for r in rows[:50]:
            x, y = a[r["term"]], b[r["term"]]
            self.assertEqual((int(r["count_target"]), int(r["count_reference"])), (x, y))
            e1, e2 = N1 * (x + y) / (N1 + N2), N2 * (x + y) / (N1 + N2)
            g2 = 2 * ((x * math.log(x / e1) if x else 0) + (y * math.log(y / e2) if y else 0))
            self.assertTrue(c.rel_close(r["log_likelihood"], g2, abs_=1e-9), r)
            self.assertTrue(c.rel_close(r["p_value"], chi2.sf(g2, 1), abs_=1e-300), r)

    def test_tfidf_bigrams(self):
        path = os.path.join(c.CORPUS, "it")
        stream = c.tokens(path, *LANG)
        sw = c.stopword_set("it")
        by = c.doc_segments(stream)
        docs = c.walk_inputs(path)
        D = len(docs)
        per = {d: Counter(" ".join(g) for g in c.ngrams_of(by.get(d, []), 2)) for d in docs}
        df = Counter(g for d in docs for g in per[d])
        rows = c.table("tfidf", path, *LANG, "--ngram", "2", "--top", "3")
        got = defaultdict(list)
        for r in rows:
            got[r["doc_id"]].append(r)
        for d in docs:
            w = {g: n * (math.log((1 + D) / (1 + df[g])) + 1)
                 for g, n in per[d].items() if reportable(g, sw)}
            norm = math.sqrt(sum(v * v for v in w.values()))
            want = sorted(w, key=lambda g: (-w[g], c.bkey(g)))[:3]
            self.assertEqual([r["term"] for r in got[d]], want, d)
            for r in got[d]:
                self.assertTrue(c.rel_close(r["tfidf"], w[r["term"]] / norm), r)
                self.assertEqual(int(r["df"]), df[r["term"]])

    def test_option_not_used_is_usage_error(self):
        for cmd, opt in (("summary", "--ngram"), ("tokens", "--ngram"), ("kwic", "--ngram"),
                         ("trends", "--wide"), ("freq", "--context"), ("timeline", "--sample")):
            rc, _, err = c.run(cmd, c.CORPUS, opt, "2", "--terms", "x", check=False) \
                if cmd == "kwic" else c.run(cmd, c.CORPUS, opt, "2", check=False)
            self.assertEqual(rc, 2, (cmd, opt))
            self.assertIn("not an option", err)


def expected_trends(stream, paths, min_count):
    """{term: trend} of SPEC's `tempora trends` over the documents paths (their
    tokens in stream): every non-stopword term with a total >= min_count seen
    in at least 3 months, its per-million series tested over the months with
    tokens (a month without is a gap, not renumbered away)."""
    sw = c.stopword_set("it")
    words = sorted({t for _, _, t in stream if not c.is_stop(t, sw)}, key=c.bkey)
    per = expected_timeline(stream, paths, words, "month")
    tested = {}
    for w in words:
        total = sum(cnt[w][0] for *_, cnt in per)
        seen = sum(1 for *_, cnt in per if cnt[w][0] > 0)
        if total < min_count or seen < 3:
            continue
        pts = [(i, Fraction(cnt[w][0], pt)) for i, (_, _, pt, cnt) in enumerate(per) if pt]
        yf = [v * 10 ** 6 for _, v in pts]
        S, _, z, p = mann_kendall(yf)
        x, y = [float(i) for i, _ in pts], [float(v) for v in yf]
        tested[w] = dict(periods=len(pts), total=total, p=p, z=z,
                         tau=kendalltau(x, y).correlation, slope=theilslopes(y, x).slope,
                         direction="flat" if p >= 0.05 else ("rising" if S > 0 else "falling"))
    return tested


def dir_group(doc):
    """--group-by dir over c.CORPUS: the document's first-level folder."""
    rel = os.path.relpath(doc, c.CORPUS).split(os.sep)
    return rel[0] if len(rel) > 1 else ""


class Trends(unittest.TestCase):
    def check_row(self, r, t, q):
        self.assertEqual(int(r["periods"]), t["periods"])
        self.assertEqual(int(r["total"]), t["total"])
        self.assertTrue(c.rel_close(r["p_value"], t["p"], abs_=1e-300), r)
        self.assertTrue(c.rel_close(r["mk_z"], t["z"]), r)
        self.assertTrue(c.rel_close(r["tau"], t["tau"]), r)
        self.assertTrue(c.rel_close(r["slope_per_period"], t["slope"]), r)
        self.assertTrue(c.rel_close(r["q_value"], q), r)
        self.assertEqual(r["direction"], t["direction"])

    def check(self, min_count, opts):
        stream = c.tokens(c.CORPUS, *LANG)
        tested = expected_trends(stream, c.walk_inputs(c.CORPUS), min_count)
        names = list(tested)
        q = dict(zip(names, c.bh([tested[w]["p"] for w in names])))
        rows = c.table("trends", c.CORPUS, *LANG, "--period", "month", *opts)
        self.assertEqual(sorted(r["term"] for r in rows), sorted(names))
        self.assertGreater(len(rows), 10)
        for r in rows:
            self.check_row(r, tested[r["term"]], q[r["term"]])
        keys = [(float(r["p_value"]), c.bkey(r["term"])) for r in rows]
        self.assertEqual(keys, sorted(keys))
        return rows

    def test_default_min_count(self):
        rows = self.check(10, ())
        byterm = {r["term"]: r for r in rows}
        self.assertEqual(byterm["ia"]["direction"], "rising")

    def test_min_count_and_threads(self):
        a = self.check(5, ("--min-count", "5", "--threads", "1"))
        b = c.table("trends", c.CORPUS, *LANG, "--period", "month", "--min-count", "5",
                    "--threads", "2")
        self.assertEqual(a, b)

    def test_group_by_dir(self):
        """One test per (group, term): each group's series over its own
        documents' tokens by month; q-values over every tested series; sorted by
        p_value, then group, then term."""
        stream = c.tokens(c.CORPUS, *LANG)
        paths = c.walk_inputs(c.CORPUS)
        tested = {}
        for g in sorted({dir_group(p) for p in paths}, key=c.bkey):
            mine = [p for p in paths if dir_group(p) == g]
            sub = [x for x in stream if x[0] in set(mine)]
            if not any(c.header_date(p) for p in mine):
                continue
            for w, t in expected_trends(sub, mine, 4).items():
                tested[(g, w)] = t
        keys = list(tested)
        q = dict(zip(keys, c.bh([tested[k]["p"] for k in keys])))
        rows = c.table("trends", c.CORPUS, *LANG, "--period", "month", "--min-count", "4",
                       "--group-by", "dir")
        self.assertEqual(list(rows[0].keys())[:2], ["group", "term"])
        self.assertEqual(sorted((r["group"], r["term"]) for r in rows), sorted(keys))
        self.assertEqual({r["group"] for r in rows}, {"en", "it"})
        self.assertGreater(len(rows), 10)
        for r in rows:
            self.check_row(r, tested[(r["group"], r["term"])], q[(r["group"], r["term"])])
        order = [(float(r["p_value"]), c.bkey(r["group"]), c.bkey(r["term"])) for r in rows]
        self.assertEqual(order, sorted(order))
        again = c.table("trends", c.CORPUS, *LANG, "--period", "month", "--min-count", "4",
                        "--group-by", "dir", "--threads", "2")
        self.assertEqual(again, rows)


if __name__ == "__main__":
    unittest.main()


class StemAndLemmas(unittest.TestCase):
    """--stem against Debian's python3-snowballstemmer (the same Snowball
    algorithms); --lemmas against a lemma list written here."""

    def expected_groups(self, path, mapping):
        stream = c.tokens(path, *LANG)
        sw = c.stopword_set("it")
        forms = Counter(t for _, _, t in stream)
        groups, members = Counter(), defaultdict(Counter)
        for t, n in forms.items():
            g = t if c.is_stop(t, sw) else mapping(t)
            groups[g] += n
            members[g][t] += n
        return groups, members, sw

    def test_stem_freq(self):
        import snowballstemmer
        st = snowballstemmer.stemmer("italian")
        path = os.path.join(c.CORPUS, "it")
        groups, members, sw = self.expected_groups(path, st.stemWord)
        want = {}
        for g, n in groups.items():
            name = sorted(members[g].items(), key=lambda kv: (-kv[1], c.bkey(kv[0])))[0][0]
            if not c.is_stop(name, sw) and not c.is_stop(g, sw):
                want[name] = n
        for threads in ("1", "2"):
            rows = c.table("freq", path, *LANG, "--stem", "--threads", threads)
            self.assertEqual({r["term"]: int(r["count"]) for r in rows}, want)
        # some groups really join several forms
        self.assertGreater(sum(1 for g in groups if len(members[g]) > 1), 20)

    def test_stem_listed_terms(self):
        import snowballstemmer
        st = snowballstemmer.stemmer("italian")
        stream = c.tokens(c.CORPUS, *LANG)
        n = sum(1 for _, _, t in stream if st.stemWord(t) == st.stemWord("prezzi"))
        rows = c.table("timeline", c.CORPUS, *LANG, "--stem", "--terms", "prezzi",
                       "--period", "year")
        dated = {p for p in c.walk_inputs(c.CORPUS) if c.header_date(p)}
        n_dated = sum(1 for d, _, t in stream if d in dated and st.stemWord(t) ==
                      st.stemWord("prezzi"))
        self.assertGreater(n, n_dated - 1)
        self.assertEqual(sum(int(r["count"]) for r in rows), n_dated)

    def test_lemmas(self):
        d = c.tmpdir()
        try:
            lem = os.path.join(d, "lemmas.tsv")
            with open(lem, "w", encoding="utf-8") as f:
                f.write("# a comment\nacqua\tacqua,acque\nprezzo\tprezzi, prezzo\n\n")
            lemma = {"acque": "acqua", "acqua": "acqua", "prezzi": "prezzo", "prezzo": "prezzo"}
            path = os.path.join(c.CORPUS, "it")
            groups, _, sw = self.expected_groups(path, lambda t: lemma.get(t, t))
            want = {g: n for g, n in groups.items() if not c.is_stop(g, sw)}
            rows = c.table("freq", path, *LANG, "--lemmas", lem)
            self.assertEqual({r["term"]: int(r["count"]) for r in rows}, want)
            bad = os.path.join(d, "bad.tsv")
            with open(bad, "w", encoding="utf-8") as f:
                f.write("acqua\tacque\nprezzo prezzi\n")
            rc, _, err = c.run("freq", path, "--lemmas", bad, check=False)
            self.assertEqual(rc, 1)
            self.assertIn(bad + ":2:", err)
        finally:
            c.rmtree(d)
