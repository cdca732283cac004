#!/usr/bin/python3
"""report.html in a real browser (headless Chromium through selenium).

`analyze corpus/` and `analyze` of a corpus with hostile names, each report
opened from file:// with no network: no console error, one timeline series
per term of timeline.csv (as Python's csv module reads it), the legend's
hover text equal to timeline.csv's per_million cells (the cursor set by a
real mouse move and through the chart's API), zoom on a period range, a term
toggled off and on, the hostile names shown as text with no alert run, the
file under 2 MB. A screenshot goes to $ARTIFACTS (default
build/test-artifacts/report.png).

Chromium that is installed but does not start is a FAILURE; only a missing
chromium, chromedriver or selenium is a SKIP (with the reason).
"""
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TEMPORA = os.environ.get("TEMPORA", os.path.join(ROOT, "build/release/tempora"))
ARTIFACTS = os.environ.get("ARTIFACTS", os.path.join(ROOT, "build/test-artifacts"))
HOSTILE_ID = "</script><script>alert(1)</script>"
HOSTILE_FILE = "<img src=x onerror=alert(2)>&amp;.txt"

MISSING = None
try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.common.exceptions import NoAlertPresentException
except ImportError as e:  # python3-selenium not installed
    MISSING = f"python3-selenium is not installed ({e})"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver") or (
    "/usr/lib/chromium/chromedriver" if os.path.exists("/usr/lib/chromium/chromedriver") else None)
if not MISSING and not CHROMIUM:
    MISSING = "chromium is not installed (Debian package chromium)"
if not MISSING and not DRIVER:
    MISSING = "chromedriver is not installed (Debian package chromium-driver)"


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def start_browser(tmp):
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1300,1000", f"--user-data-dir={os.path.join(tmp, 'profile')}",
              "--no-first-run", "--disable-extensions"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(DRIVER), options=opts)


@unittest.skipIf(MISSING, MISSING or "")
class ReportInBrowser(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tempora-browser-")
        # no fallback: chromium that is there must start
        cls.driver = start_browser(cls.tmp)
        # any alert() the page might run is recorded instead of shown
        cls.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {
            "source": "window.__alerts = []; window.alert = function (m) { window.__alerts.push(String(m)); };"})

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def analyze(self, name, inputs, *extra):
        out = os.path.join(self.tmp, name)
        subprocess.run([TEMPORA, "analyze", *inputs, "-o", out, "--quiet", *extra], check=True,
                       cwd=self.tmp)
        return out

    def open(self, out):
        self.driver.get("file://" + os.path.join(out, "report.html"))
        self.driver.execute_script("return document.readyState")

    def severe(self):
        return [e for e in self.driver.get_log("browser") if e.get("level") == "SEVERE"]

    def legend_values(self):
        return self.driver.execute_script(
            "return Array.from(document.querySelectorAll('#timeline .u-legend tr.u-series'))"
            ".map(function (r) { return r.querySelector('.u-value').textContent; });")

    def test_corpus_report(self):
        out = self.analyze("corpus", [os.path.join(ROOT, "corpus")])
        size = os.path.getsize(os.path.join(out, "report.html"))
        self.assertLessEqual(size, 2 * 1024 * 1024, "report.html over 2 MB")
        header, rows = read_csv(os.path.join(out, "timeline.csv"))
        c_period, c_term, c_pm = header.index("period"), header.index("term"), header.index("per_million")
        periods, terms, value = [], [], {}
        for r in rows:
            if r[c_period] not in periods:
                periods.append(r[c_period])
            if r[c_term] not in terms:
                terms.append(r[c_term])
            value[(r[c_period], r[c_term])] = r[c_pm]
        self.open(out)
        d = self.driver
        self.assertEqual(self.severe(), [])
        n_series = d.execute_script("return window.temporaReport.chart.series.length - 1")
        self.assertEqual(n_series, len(terms))
        self.assertEqual(len(self.legend_values()) - 1, len(terms))  # the first row is the period
        self.assertEqual(d.execute_script("return window.temporaReport.terms"), terms)
        self.assertEqual(d.execute_script("return window.temporaReport.periods"), periods)

        # the cursor through the chart's API, on several periods
        for p in sorted({0, 3, len(periods) // 2, len(periods) - 1}):
            d.execute_script(
                "var u = window.temporaReport.chart;"
                "u.setCursor({left: u.valToPos(arguments[0], 'x'), top: 20});", p)
            got = self.legend_values()
            self.assertEqual(got[0], periods[p])
            want = [value[(periods[p], t)] or "–" for t in terms]
            self.assertEqual(got[1:], want, f"legend at period {periods[p]}")

        # a real mouse move over the plot
        over = d.find_element(By.CSS_SELECTOR, "#timeline .u-over")
        p = len(periods) // 3
        x = d.execute_script("return window.temporaReport.chart.valToPos(arguments[0], 'x')", p)
        w, h = over.size["width"], over.size["height"]
        ActionChains(d).move_to_element_with_offset(over, int(round(x - w / 2)), int(h / 4 - h / 2)).perform()
        got = self.legend_values()
        self.assertEqual(got[0], periods[p])
        self.assertEqual(got[1:], [value[(periods[p], t)] or "–" for t in terms])

        # zoom on a period range with the two selects
        d.execute_script(
            "var f = document.querySelector('#timeline select'), t = document.querySelectorAll('#timeline select')[1];"
            "f.value = '2'; f.dispatchEvent(new Event('change')); t.value = '5'; t.dispatchEvent(new Event('change'));")
        lo, hi = d.execute_script("var s = window.temporaReport.chart.scales.x; return [s.min, s.max];")
        self.assertEqual((lo, hi), (2, 5))

        # a term toggled off by a click on its legend entry, and on again
        entry = d.find_elements(By.CSS_SELECTOR, "#timeline .u-legend tr.u-series th")[1]
        entry.click()
        self.assertFalse(d.execute_script("return window.temporaReport.chart.series[1].show"))
        entry.click()
        self.assertTrue(d.execute_script("return window.temporaReport.chart.series[1].show"))

        # the other sections are there, with the CSV's rows
        _, freq = read_csv(os.path.join(out, "freq.csv"))
        first = d.execute_script("return document.querySelector('#terms tbody tr td:nth-child(2)').textContent")
        self.assertEqual(first, freq[0][1])
        for sec in ("summary", "timeline", "trends", "terms", "collocations", "keyness", "documents"):
            self.assertTrue(d.find_elements(By.ID, sec), sec)
        self.assertEqual(self.severe(), [])
        d.find_element(By.XPATH, "//button[text()='whole timeline']").click()
        self.assertEqual(d.execute_script("var s = window.temporaReport.chart.scales.x; return [s.min, s.max];"),
                         [0, len(periods) - 1])
        d.execute_script("document.getElementById('timeline').scrollIntoView()")
        os.makedirs(ARTIFACTS, exist_ok=True)
        d.save_screenshot(os.path.join(ARTIFACTS, "report.png"))

    def test_hostile_names(self):
        src = os.path.join(self.tmp, "hostile")
        os.makedirs(src)
        with open(os.path.join(src, HOSTILE_FILE), "w", encoding="utf-8") as f:
            f.write("date 2025-01-10 alfa beta gamma alfa\n")
        with open(os.path.join(src, "docs.csv"), "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id", "date", "text"])
            w.writerow([HOSTILE_ID, "2025-02-03", "alfa delta delta \u2028 epsilon"])
            w.writerow(["<!--", "2025-03-03", "beta gamma"])
        out = self.analyze("hostile", [src])
        self.open(out)
        d = self.driver
        self.assertEqual(self.severe(), [])
        self.assertEqual(d.execute_script("return window.__alerts"), [])
        with self.assertRaises(NoAlertPresentException):
            d.switch_to.alert.text
        # only the page's own three scripts, no injected element
        self.assertEqual(len(d.find_elements(By.TAG_NAME, "script")), 3)
        self.assertEqual(len(d.find_elements(By.TAG_NAME, "img")), 0)
        ids = d.execute_script(
            "return Array.from(document.querySelectorAll('#documents tbody tr td:first-child'))"
            ".map(function (td) { return td.textContent; });")
        self.assertIn(HOSTILE_ID, ids)
        self.assertIn("<!--", ids)
        self.assertIn(os.path.join(src, HOSTILE_FILE), ids)
        text = d.find_element(By.TAG_NAME, "body").text
        self.assertIn(HOSTILE_ID, text)
        self.assertEqual(self.severe(), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
