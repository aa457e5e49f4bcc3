"""The summary page in a real browser (Debian's chromium, driven by selenium): it renders
with its charts, says nothing wrong in the console, loads nothing, and prints on A4."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from station.cli.main import main
from tests.support.demo_site import DEMO_YEAR as YEAR
from tests.support.demo_site import make_demo

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="needs Debian's chromium and chromium-driver "
    "(apt-get install --no-install-recommends chromium chromium-driver)",
)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("summary")
    config = make_demo(directory)
    out = directory / "summary.html"
    assert main(["--config", str(config), "report", "summary", *YEAR, "--output", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_it_renders_its_charts_without_errors(page: Path, browser: Any) -> None:
    browser.get(page.as_uri())
    assert browser.title == "Bilan d'activité 2026 — La Station"
    heading = browser.execute_script("return document.querySelector('h1').textContent")
    assert heading == "Bilan d'activité 2026"
    # Five charts, parsed as SVG (not text), drawn at a readable size, their words as
    # text in the browser's font, each inside the chart's box.
    sizes = browser.execute_script(
        "return [...document.querySelectorAll('figure.chart svg')].map(s => {"
        " const r = s.getBoundingClientRect();"
        " const out = [...s.querySelectorAll('text')].filter(t => {"
        "  const b = t.getBoundingClientRect();"
        "  return b.left < r.left - 1 || b.right > r.right + 1"
        "   || b.top < r.top - 1 || b.bottom > r.bottom + 1; }).length;"
        " return [s.namespaceURI, r.width, r.height, s.querySelectorAll('path').length,"
        "  s.querySelectorAll('text').length, out,"
        "  s.querySelector('text') && s.querySelector('text').getComputedTextLength()]; })"
    )
    assert len(sizes) == 5
    for namespace, width, height, paths, texts, out, drawn_text in sizes:
        assert namespace == "http://www.w3.org/2000/svg"
        assert width > 250 and height > 150 and paths > 5
        assert texts > 5 and drawn_text > 0 and out == 0, (texts, drawn_text, out)
    figures = browser.execute_script(
        "return [...document.querySelectorAll('.figure dd')].map(d => d.textContent)"
    )
    assert len(figures) >= 8 and all(figures)  # first-timers too once counted
    # Nothing said wrong, nothing fetched (no resource but the page itself).
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []
    fetched = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert fetched == []


def test_it_prints_on_a4(page: Path, browser: Any) -> None:
    from selenium.webdriver.common.print_page_options import PrintOptions

    browser.get(page.as_uri())
    options = PrintOptions()
    options.page_width, options.page_height = 21.0, 29.7  # centimetres
    pdf = base64.b64decode(browser.print_page(options))
    assert pdf.startswith(b"%PDF")
    sheets = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 1 <= sheets <= 3, sheets
