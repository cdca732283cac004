#!/usr/bin/python3
"""tempora.xlsx (analyze --xlsx) and -o FILE.xlsx, read back with openpyxl.

Every cell against the CSV table of the same run, as Python's csv module
reads it: text equal as text; a CSV cell that reads as a number is a number
cell equal to it, exactly (the sheet holds the CSV's digits, and the
chart_data sheet the shortest digits of the same doubles, docs/report.md);
`date` and `period_start` are
date cells with a date format; the header row frozen, the autofilter over the
whole sheet, columns wide enough for their text; the timeline sheet's chart
(in the zip: openpyxl drops charts when it loads) with at most 8 series, the
first 8 terms; the row cut with a `notes` sheet (TEMPORA_XLSX_MAX_ROWS, for
tests only); rows written on several threads in order; the CSV tables
byte-identical with and without --xlsx.
"""
import csv
import datetime
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TEMPORA = os.environ.get("TEMPORA", os.path.join(ROOT, "build/release/tempora"))
CORPUS = os.path.join(ROOT, "corpus")

try:
    import openpyxl
    from openpyxl.utils import column_index_from_string, get_column_letter
    MISSING = None
except ImportError as e:
    MISSING = f"python3-openpyxl is not installed ({e})"

TABLES = ["freq", "tfidf", "collocations", "timeline", "trends", "summary", "manifest"]
# columns whose cells are text even when they read as numbers (a term "2024")
TEXT_COLS = {"term", "w1", "w2", "doc_id", "period", "key", "metric", "direction", "token"}
# the manifest's values: numbers where tempora counted something, text where it
# repeats an option as given (--top 20)
MIXED_COLS = {"value@manifest"}
DATE_COLS = {"date", "period_start"}


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def as_number(s):
    try:
        return float(s)
    except ValueError:
        return None


def as_date(s):
    for fmt, form in (("%Y-%m-%d", "yyyy-mm-dd"), ("%Y-%m", "yyyy-mm"), ("%Y", "yyyy")):
        try:
            return datetime.datetime.strptime(s, fmt), form
        except ValueError:
            pass
    return None, None


def report_data(path):
    """The JSON report.html embeds, as the page reads it."""
    with open(path, encoding="utf-8") as f:
        html = f.read()
    start = html.index('<script type="application/json" id="tempora-data">')
    start = html.index(">", start) + 1
    return json.loads(html[start:html.index("</script>", start)])


def run(args, env=None, cwd=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([TEMPORA, *args, "--quiet"], check=True, env=e, cwd=cwd,
                          stdout=subprocess.PIPE).stdout


@unittest.skipIf(MISSING, MISSING or "")
class Workbook(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tempora-xlsx-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def check_sheet(self, ws, rows, table, max_rows=1048576):
        header, body = rows[0], rows[1:]
        shown = body[:max_rows - 1]
        got = list(ws.iter_rows(values_only=True))
        self.assertEqual(list(got[0][:len(header)]), header, table)
        self.assertEqual(len(got) - 1, len(shown), f"{table}: rows")
        for r, (want, have) in enumerate(zip(shown, got[1:]), start=2):
            for c, (s, v) in enumerate(zip(want, have)):
                name = header[c]
                where = f"{table}!{get_column_letter(c + 1)}{r} ({name}={s!r}, cell {v!r})"
                if s == "":
                    self.assertIsNone(v, where)
                elif name in DATE_COLS:
                    d, form = as_date(s)
                    self.assertIsInstance(v, datetime.datetime, where)
                    self.assertEqual(v, d, where)
                    self.assertEqual(ws.cell(r, c + 1).number_format, form, where)
                elif name in TEXT_COLS or as_number(s) is None or (
                        f"{name}@{table}" in MIXED_COLS and isinstance(v, str)):
                    self.assertEqual(v, s, where)
                else:
                    self.assertIsInstance(v, (int, float), where)
                    self.assertNotIsInstance(v, bool, where)
                    self.assertEqual(float(v), float(s), where)
        self.assertEqual(ws.freeze_panes, "A2", table)
        last = get_column_letter(len(header))
        self.assertEqual(ws.auto_filter.ref, f"A1:{last}{len(shown) + 1}", table)
        for c, name in enumerate(header):
            longest = max([len(row[c]) for row in shown if c < len(row)] + [len(name)])
            width = ws.column_dimensions[get_column_letter(c + 1)].width
            self.assertGreaterEqual(width, min(longest, 60), f"{table}: width of {name}")

    def chart_xml(self, path):
        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist() if re.match(r"xl/charts/chart\d+\.xml$", n)]
            return [z.read(n).decode() for n in names]

    def test_analyze_workbook(self):
        plain = os.path.join(self.tmp, "plain")
        out = os.path.join(self.tmp, "out")
        run(["analyze", CORPUS, "-o", plain])
        run(["analyze", CORPUS, "-o", out, "--xlsx"])
        path = os.path.join(out, "tempora.xlsx")
        self.assertFalse(os.path.exists(os.path.join(plain, "tempora.xlsx")))
        for t in TABLES[:-1]:
            with open(os.path.join(plain, t + ".csv"), "rb") as a, open(os.path.join(out, t + ".csv"), "rb") as b:
                self.assertEqual(a.read(), b.read(), f"{t}.csv changed by --xlsx")
        wb = openpyxl.load_workbook(path)
        self.assertEqual(wb.sheetnames[:len(TABLES)], TABLES)
        self.assertNotIn("notes", wb.sheetnames)
        for t in TABLES:
            self.check_sheet(wb[t], read_csv(os.path.join(out, t + ".csv")), t)
        # the chart: at most 8 series, the timeline's first 8 terms, read from chart_data
        rows = read_csv(os.path.join(out, "timeline.csv"))
        terms = []
        for r in rows[1:]:
            if r[2] not in terms:
                terms.append(r[2])
        charts = self.chart_xml(path)
        self.assertEqual(len(charts), 1)
        n_ser = charts[0].count("<c:ser>")
        self.assertEqual(n_ser, min(8, len(terms)))
        self.assertIn("<c:lineChart>", charts[0])
        cd = list(wb["chart_data"].iter_rows(values_only=True))
        self.assertEqual(list(cd[0][1:]), terms[:8])
        pm = {(r[0], r[2]): r[5] for r in rows[1:]}
        for line in cd[1:]:
            for t, v in zip(terms[:8], line[1:]):
                s = pm[(line[0], t)]
                self.assertEqual(v, None if s == "" else float(s))
        # the chart's drawing hangs on the timeline sheet
        with zipfile.ZipFile(path) as z:
            idx = TABLES.index("timeline") + 1
            rels = z.read(f"xl/worksheets/_rels/sheet{idx}.xml.rels").decode()
            self.assertIn("drawing", rels)

    def test_row_cut_notes(self):
        out = os.path.join(self.tmp, "cut")
        run(["analyze", CORPUS, "-o", out, "--xlsx"], env={"TEMPORA_XLSX_MAX_ROWS": "50"})
        wb = openpyxl.load_workbook(os.path.join(out, "tempora.xlsx"))
        self.assertIn("notes", wb.sheetnames)
        notes = {r[0]: r[1] for r in wb["notes"].iter_rows(min_row=2, values_only=True)}
        freq = read_csv(os.path.join(out, "freq.csv"))
        self.assertGreater(len(freq) - 1, 49)
        self.assertIn("freq", notes)
        self.assertIn(f"has {len(freq) - 1} rows", notes["freq"])
        self.assertIn("first 49", notes["freq"])
        self.assertNotIn("summary", notes)  # 21 rows: not cut
        for t in TABLES:
            self.check_sheet(wb[t], read_csv(os.path.join(out, t + ".csv")), t, max_rows=50)

    def test_one_table_commands(self):
        for cmd, extra, sheet in (("freq", [], "freq"), ("colloc", ["--min-count", "2"], "collocations"),
                                  ("summary", [], "summary"), ("timeline", ["--wide"], "timeline"),
                                  ("tokens", [CORPUS + "/en"], "tokens")):
            inputs = [] if cmd == "tokens" else [CORPUS]
            with self.subTest(cmd=cmd):
                csv_path = os.path.join(self.tmp, f"{cmd}.csv")
                x_path = os.path.join(self.tmp, f"{cmd}.XLSX" if cmd == "summary" else f"{cmd}.xlsx")
                run([cmd, *inputs, *extra, "-o", csv_path])
                run([cmd, *inputs, *extra, "-o", x_path])
                wb = openpyxl.load_workbook(x_path)
                self.assertEqual(wb.sheetnames, [sheet])
                self.check_sheet(wb[sheet], read_csv(csv_path), sheet)
                if cmd == "timeline":  # --wide: the chart reads the sheet's own columns
                    charts = self.chart_xml(x_path)
                    self.assertEqual(len(charts), 1)
                    header = read_csv(csv_path)[0]
                    self.assertEqual(charts[0].count("<c:ser>"), min(8, len(header) - 2))
                    self.assertIn("timeline!$C$2", charts[0])
        leftovers = [n for n in os.listdir(self.tmp) if n.startswith(".")]
        self.assertEqual(leftovers, [])

    def test_threads_rows_in_order(self):
        # enough documents that tfidf writes its rows on several threads
        src = os.path.join(self.tmp, "many.txt")
        with open(src, "w", encoding="utf-8") as f:
            for i in range(5000):
                f.write(f"parola{i % 97} altra{i % 13} \"quoted, {i}\" terzo{i % 7} =x{i % 5}\n")
        for excel in ([], ["--excel"]):
            with self.subTest(excel=excel):
                a = os.path.join(self.tmp, "t1" + "".join(excel))
                b = os.path.join(self.tmp, "t4" + "".join(excel))
                run(["analyze", "--doc-per-line", "--threads", "1", src, "-o", a, *excel])
                run(["analyze", "--doc-per-line", "--threads", "4", src, "-o", b, "--xlsx", *excel])
                with open(os.path.join(a, "tfidf.csv"), "rb") as x, open(os.path.join(b, "tfidf.csv"), "rb") as y:
                    self.assertEqual(x.read(), y.read())
            # report.html: the same tables from 1 and 4 threads (the manifest
            # says how many threads, so it differs)
            data = [report_data(os.path.join(d, "report.html")) for d in (a, b)]
            for d in data:
                del d["tables"]["manifest"]
            self.assertEqual(data[0], data[1])
            self.assertEqual(data[0]["tables"]["tfidf"]["total"], len(read_csv(os.path.join(a, "tfidf.csv"))) - 1)
            self.assertEqual(data[0]["tables"]["tfidf"]["kept"], 3000)
        rows = read_csv(os.path.join(self.tmp, "t4", "tfidf.csv"))
        self.assertGreater(len(rows), 5000)
        wb = openpyxl.load_workbook(os.path.join(self.tmp, "t4", "tempora.xlsx"))
        self.check_sheet(wb["tfidf"], rows, "tfidf")

    def test_rows_past_cut(self):
        # TF-IDF rows that other threads write past the sheet's cut reach the
        # workbook as a count, not as cells, and those that may be before it
        # are kept as records and written by the main thread (docs/report.md):
        # the CSV and report.html are those of one thread without --xlsx, the
        # sheet holds the CSV's first rows and its note counts every row of the
        # table. With one row a document and a cut of one row, report.html's
        # 3,000 rows come from the other threads' parts past the cut.
        src = os.path.join(self.tmp, "cut.txt")
        with open(src, "w", encoding="utf-8") as f:
            for i in range(6000):
                f.write(f"parola{i % 97} altra{i % 13} \"quoted, {i}\" terzo{i % 7} =x{i % 5} q{i}\n")
        a = os.path.join(self.tmp, "c1")
        run(["analyze", "--doc-per-line", "--threads", "1", src, "-o", a])
        rows = read_csv(os.path.join(a, "tfidf.csv"))
        self.assertGreater(len(rows), 20000)
        want = report_data(os.path.join(a, "report.html"))
        del want["tables"]["manifest"]
        one = os.path.join(self.tmp, "one.txt")
        with open(one, "w", encoding="utf-8") as f:
            for i in range(4000):
                f.write(f"parola{i % 50}\n")
        a1 = os.path.join(self.tmp, "o1")
        run(["analyze", "--doc-per-line", "--threads", "1", one, "-o", a1])
        self.assertEqual(len(read_csv(os.path.join(a1, "tfidf.csv"))), 4001)
        want1 = report_data(os.path.join(a1, "report.html"))
        del want1["tables"]["manifest"]
        self.assertEqual(want1["tables"]["tfidf"]["kept"], 3000)
        for src, a, want, threads, cut in ((src, a, want, "2", "1000"), (src, a, want, "4", "1000"),
                                           (src, a, want, "4", "9000"), (src, a, want, "3", "30000"),
                                           (one, a1, want1, "4", "2")):
            rows = read_csv(os.path.join(a, "tfidf.csv"))
            with self.subTest(src=src, threads=threads, cut=cut):
                b = os.path.join(self.tmp, f"c{threads}-{cut}")
                run(["analyze", "--doc-per-line", "--threads", threads, src, "-o", b, "--xlsx"],
                    env={"TEMPORA_XLSX_MAX_ROWS": cut})
                with open(os.path.join(a, "tfidf.csv"), "rb") as x, open(os.path.join(b, "tfidf.csv"), "rb") as y:
                    self.assertEqual(x.read(), y.read())
                got = report_data(os.path.join(b, "report.html"))
                del got["tables"]["manifest"]
                self.assertEqual(got, want)
                wb = openpyxl.load_workbook(os.path.join(b, "tempora.xlsx"), read_only=True)
                n = min(int(cut), len(rows))
                self.check_sheet_values(wb["tfidf"], rows, n)
                notes = {r[0]: r[1] for r in wb["notes"].iter_rows(min_row=2, values_only=True)}
                if n < len(rows):
                    self.assertIn(f"has {len(rows) - 1} rows", notes["tfidf"])
                    self.assertIn(f"first {n - 1} ", notes["tfidf"])
                else:
                    self.assertNotIn("tfidf", notes)

    def test_spooled_parts(self):
        # a TF-IDF part of a second thread larger than a memory part holds
        # (4 MiB: the rest goes to a temporary spool): the CSV is the one
        # thread's without --xlsx, byte for byte, and the sheet's rows are the
        # CSV's, in order. The sheet's cut (150,000 rows) is past the first
        # thread's 100,000 rows, so the second thread keeps at least 50,000
        # rows as records for the main thread, and writes the rest as CSV
        src = os.path.join(self.tmp, "big.txt")
        with open(src, "w", encoding="utf-8") as f:
            for i in range(20000):
                f.write(" ".join(f"w{j}x{(i * 7 + j * 13) % 997}" for j in range(12)) + "\n")
        a = os.path.join(self.tmp, "one")
        b = os.path.join(self.tmp, "two")
        run(["analyze", "--doc-per-line", "--threads", "1", src, "-o", a])
        run(["analyze", "--doc-per-line", "--threads", "2", src, "-o", b, "--xlsx"],
            env={"TEMPORA_XLSX_MAX_ROWS": "150000"})
        with open(os.path.join(a, "tfidf.csv"), "rb") as x, open(os.path.join(b, "tfidf.csv"), "rb") as y:
            data = x.read()
            self.assertGreater(len(data), 9 << 20)
            self.assertEqual(data, y.read())
        wb = openpyxl.load_workbook(os.path.join(b, "tempora.xlsx"), read_only=True)
        self.check_sheet_values(wb["tfidf"], read_csv(os.path.join(b, "tfidf.csv")), 150000)

    def check_sheet_values(self, ws, rows, max_rows):
        """The cells only (a read-only workbook has no widths or filter)."""
        got = list(ws.iter_rows(values_only=True))
        self.assertEqual(len(got), max_rows)
        for r, (want, have) in enumerate(zip(rows, got), start=1):
            for c, (s, v) in enumerate(zip(want, have)):
                if r == 1 or rows[0][c] in TEXT_COLS or as_number(s) is None:
                    self.assertEqual(v, s if s != "" else None, (r, c))
                else:
                    self.assertEqual(float(v), float(s), (r, c))

    def test_hostile_strings(self):
        # document ids with XML metacharacters, a CDATA end, control
        # characters, the non-characters U+FFFE and U+FFFF (XML holds
        # neither), a literal _xHHHH_, edge whitespace: the sheet XML stays
        # well-formed and each cell reads back as the CSV's text written the
        # way docs/report.md says (see expected_text)
        ids = ["<b>&amp;</b>", "]]>", "a\x01b\x1fc", "tab\tnl\ncr\r", "\ufffe\uffff",
               "_x0041_", "__x00zz_", " lead", "trail ", "\"q\" 'a'", "\u00e8\u4e2d\U0001f600",
               "x" * 40000]
        src = os.path.join(self.tmp, "hostile.jsonl")
        with open(src, "w", encoding="utf-8") as f:
            for i, d in enumerate(ids):
                f.write(json.dumps({"id": d, "text": f"parola{i} comune altra{i} comune", "date": "2024-01-0" + str(i % 9 + 1)}) + "\n")
        out = os.path.join(self.tmp, "hostile")
        run(["analyze", src, "-o", out, "--xlsx"])
        path = os.path.join(out, "tempora.xlsx")
        with zipfile.ZipFile(path) as z:
            self.assertIsNone(z.testzip())
        wb = openpyxl.load_workbook(path)
        rows = read_csv(os.path.join(out, "tfidf.csv"))
        got = list(wb["tfidf"].iter_rows(values_only=True))
        col = rows[0].index("doc_id")
        seen = set()
        for want, have in zip(rows[1:], got[1:]):
            self.assertEqual(have[col], expected_text(want[col]), repr(want[col]))
            seen.add(want[col])
        self.assertEqual(len(seen), len(ids))
        self.assertIn("notes", wb.sheetnames)  # the 40,000-character id was cut
        notes = [r[1] for r in wb["notes"].iter_rows(min_row=2, values_only=True) if r[0] == "tfidf"]
        self.assertTrue(any("32767" in n for n in notes), notes)

    def test_zip64(self):
        # zip64 records (written when an entry or an offset passes 4 GiB;
        # TEMPORA_XLSX_ZIP64=1 writes them for every entry, for this test)
        out = os.path.join(self.tmp, "z64")
        run(["analyze", CORPUS, "-o", out, "--xlsx"], env={"TEMPORA_XLSX_ZIP64": "1"})
        path = os.path.join(out, "tempora.xlsx")
        with open(path, "rb") as f:
            data = f.read()
        self.assertIn(b"PK\x06\x06", data)  # the zip64 end of central directory
        self.assertIn(b"PK\x06\x07", data)  # and its locator
        with zipfile.ZipFile(path) as z:
            self.assertIsNone(z.testzip())
        wb = openpyxl.load_workbook(path)
        for t in TABLES:
            self.check_sheet(wb[t], read_csv(os.path.join(out, t + ".csv")), t)

    def test_sheet_xml(self):
        # the sheets' XML as OOXML wants it: well-formed, <dimension> over the
        # table, rows in order with r attributes, each cell's r in its row;
        # a table cell has an r only after an empty cell (without one it is
        # the next column, ECMA-376 18.3.1.4), and the cells cover the CSV's
        # non-empty fields exactly
        import xml.etree.ElementTree as ET
        out = os.path.join(self.tmp, "xml")
        run(["analyze", CORPUS, "-o", out, "--xlsx"])
        ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
        with zipfile.ZipFile(os.path.join(out, "tempora.xlsx")) as z:
            for i, t in enumerate(TABLES, start=1):
                rows = read_csv(os.path.join(out, t + ".csv"))
                root = ET.fromstring(z.read(f"xl/worksheets/sheet{i}.xml"))
                last = get_column_letter(len(rows[0]))
                self.assertEqual(root.find(ns + "dimension").get("ref"), f"A1:{last}{len(rows)}", t)
                prev = 0
                for row in root.find(ns + "sheetData"):
                    r = int(row.get("r"))
                    self.assertEqual(r, prev + 1, t)
                    prev = r
                    col = 0  # 1-based column of the last cell
                    filled = []
                    for c in row:
                        ref = c.get("r")
                        if ref is None:
                            self.assertGreater(r, 1, t)  # the header (libxlsxwriter's) has them
                            col += 1
                        else:
                            m = re.fullmatch(r"([A-Z]+)" + str(r), ref)
                            self.assertTrue(m, (t, ref))
                            new = column_index_from_string(m.group(1))
                            self.assertGreater(new, col, (t, ref))
                            # after a written cell an r is only needed past an empty one
                            if r > 1 and col:
                                self.assertGreater(new, col + 1, (t, ref))
                            col = new
                        filled.append(col)
                    want = [i + 1 for i, v in enumerate(rows[r - 1]) if v != ""]
                    self.assertEqual(filled, want, (t, r))
                self.assertEqual(prev, len(rows), t)


def expected_text(s):
    """A CSV text cell as openpyxl reads it back: the characters XML cannot
    hold as OOXML's _xHHHH_ escape (control characters but tab and newline,
    U+FFFE, U+FFFF), a literal _xHHHH_ with its '_' escaped (_x005F_), at
    most 32,767 characters."""
    out = []
    for i, ch in enumerate(s[:32767]):
        o = ord(ch)
        if (o < 0x20 and ch not in "\t\n") or o in (0xFFFE, 0xFFFF):
            out.append("_x%04X_" % o)
        elif ch == "_" and re.match(r"_x[0-9A-Fa-f]{4}_", s[i:]):
            out.append("_x005F_")
        else:
            out.append(ch)
    return "".join(out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
