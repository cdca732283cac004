#!/usr/bin/python3
"""Time report.html in headless Chromium: best of RUNS loads, milliseconds from
navigation start to the end of the page's own script (every table and the
chart drawn; the script records performance.now() there as
temporaReport.readyMs). Prints "MS ms (best of RUNS)", or "SKIP: why" when
chromium, chromedriver or selenium is missing. Used by bench/xlsx.sh.

    /usr/bin/python3 bench/report_render.py REPORT.html [RUNS]
"""
import os
import shutil
import sys
import tempfile


def main():
    path = os.path.abspath(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        print("SKIP: python3-selenium is not installed")
        return 0
    chromium = shutil.which("chromium")
    driver_bin = shutil.which("chromedriver")
    if not chromium or not driver_bin:
        print("SKIP: chromium or chromium-driver is not installed")
        return 0
    tmp = tempfile.mkdtemp(prefix="tempora-render-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1300,1000", f"--user-data-dir={tmp}/profile"):
        opts.add_argument(a)
    d = webdriver.Chrome(service=Service(driver_bin), options=opts)
    try:
        best = None
        for _ in range(runs):
            d.get("about:blank")
            d.get("file://" + path)
            ms = d.execute_script("return window.temporaReport ? window.temporaReport.readyMs : null")
            if ms is None:
                print("report.html did not draw its timeline", file=sys.stderr)
                return 1
            best = ms if best is None else min(best, ms)
        print(f"{best:.0f} ms (best of {runs})")
    finally:
        d.quit()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
