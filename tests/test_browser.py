"""The HTML reports in a real browser: headless Chromium through chromedriver (Selenium).

Each page is opened from file://; the test reads the browser console (no errors), the
performance log (every request is file:// or data:, so nothing goes to the network),
the DOM (candidates, both figures, the sample name as text) and saves a screenshot.
Without Chromium and chromedriver it skips on a developer's machine and fails under CI (.ci/run installs them).
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from alkseq.api import annotate
from alkseq.report import html
from conftest import ROOT, missing, run_cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
XSS = "<script>alert(1)</script>"
XSS_IMG = "<img src=x onerror=\"document.title='pwned'\">"



@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    if not (CHROMIUM and CHROMEDRIVER):
        missing("the chromium and chromedriver commands")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tmp_path_factory.mktemp("chromium-profile")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                f"--user-data-dir={profile}", "--window-size=1280,1000"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield browser
    browser.quit()


def _open(driver, path: Path) -> None:
    driver.get_log("browser")          # drain what earlier pages left
    driver.get_log("performance")
    driver.get(path.resolve().as_uri())
    driver.execute_script("return document.readyState")


def _requested_urls(driver) -> list[str]:
    """Every request the performance log saw, except the browser's own start page
    (chrome:// documents such as the new-tab page load chrome:// resources at start-up)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            params = message["params"]
            if not params.get("documentURL", "").startswith("chrome://"):
                urls.append(params["request"]["url"])
    return urls


def _assert_offline_and_clean(driver) -> None:
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert not errors, errors
    urls = _requested_urls(driver)
    assert urls, "the performance log recorded nothing (is logging enabled?)"
    offline = [u for u in urls if not (u.startswith("file://") or u.startswith("data:"))]
    assert not offline, offline


def _screenshot(driver, path: Path) -> None:
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(int(height) + 40, 8000))
    assert driver.save_screenshot(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000


def test_report_in_chromium(driver, tmp_path):
    from selenium.webdriver.common.by import By

    page = tmp_path / "report.html"
    result = run_cli("annotate", "examples/post_lorlatinib_compound/panel.tsv",
                     "--prior", "alectinib", "--prior", "lorlatinib", "--progression", "systemic",
                     "--format", "html", "-o", page, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    _open(driver, page)
    _assert_offline_and_clean(driver)

    reports = annotate(ROOT / "examples" / "post_lorlatinib_compound" / "panel.tsv",
                       ["alectinib", "lorlatinib"], progression="systemic")
    shown = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "li.candidate .therapy")]
    assert shown == [c.therapy for c in reports[0].candidates]
    assert driver.find_element(By.CSS_SELECTOR, ".sample-name").text == "PT002"
    for figure in ("figure.lollipop svg", "figure.heatmap svg"):
        svg = driver.find_element(By.CSS_SELECTOR, figure)
        assert svg.size["width"] > 400 and svg.size["height"] > 150, figure
        assert len(svg.find_elements(By.CSS_SELECTOR, "path, rect, text")) > 20
    labels = driver.execute_script(
        "return Array.from(document.querySelectorAll('figure.lollipop svg text'))"
        ".map(t => t.textContent)")
    assert any("G1202R" in t for t in labels) and any("L1196M" in t for t in labels)
    hover = driver.execute_script(
        "return Array.from(document.querySelectorAll('figure.heatmap svg title'))"
        ".map(t => t.textContent)")
    assert any(t.startswith("G1202R × alectinib: resistant") and "IC50 868 nM" in t for t in hover)
    _screenshot(driver, tmp_path / "report.png")


def test_script_in_sample_name_is_text(driver, tmp_path):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    panel = tmp_path / "evil.tsv"
    panel.write_text("sample\tgene\talteration\tvaf\n"
                     f"{XSS}\tALK\tG1202R\t0.3\n"
                     f"{XSS_IMG}\tALK\tL1196M\t0.2\n")
    page = tmp_path / "evil.html"
    result = run_cli("annotate", panel, "--prior", "alectinib", "--format", "html", "-o", page)
    assert result.returncode == 0, result.stderr
    _open(driver, page)
    names = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "h2 .sample-name")]
    assert names == [XSS, XSS_IMG]
    assert driver.execute_script("return document.scripts.length") == 0
    assert driver.execute_script("return document.images.length") == 0
    assert driver.title == "alkseq report — 2 samples"
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text
    _assert_offline_and_clean(driver)


def test_cohort_page_in_chromium(driver, tmp_path):
    from selenium.webdriver.common.by import By

    panel = tmp_path / "cohort.tsv"
    panel.write_text("sample\tgene\talteration\tvaf\tcopy_number\n"
                     "P1\tALK\tG1202R\t0.3\t\n"
                     "P2\tMET\tamplification\t\t14\n"
                     "P3\tTP53\tR273H\t0.4\t\n")
    reports = annotate(panel, ["alectinib", "lorlatinib"])
    rows = [{"sample": r.sample, "status": "ok", "error": "", "mechanism_class": r.mechanism_class}
            for r in reports] + [{"sample": XSS, "status": "error", "error": "input error",
                                  "mechanism_class": ""}]
    directory = tmp_path / "pages"
    pages = html.write_sample_pages(reports, directory)
    links = {r.sample: f"pages/{p.name}" for r, p in zip(reports, pages)}
    cohort = tmp_path / "cohort.html"
    cohort.write_text(html.render_cohort(rows, reports, sample_links=links))
    _open(driver, cohort)
    _assert_offline_and_clean(driver)
    assert len(driver.find_elements(By.CSS_SELECTOR, "figure svg")) == 2
    cells = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "td.sample-name")]
    assert cells == ["P1", "P2", "P3", XSS]
    _screenshot(driver, tmp_path / "cohort.png")
    driver.find_element(By.LINK_TEXT, "P2").click()
    assert driver.find_element(By.CSS_SELECTOR, ".sample-name").text == "P2"
    _assert_offline_and_clean(driver)


if __name__ == "__main__":   # python tests/test_browser.py → run just these
    sys.exit(pytest.main([__file__, "-q"]))
