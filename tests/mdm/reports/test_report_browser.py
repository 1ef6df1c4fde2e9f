"""The report in headless Chromium: it renders offline, its charts have a size, nothing is fetched.

The screenshot lands in tests/artifacts/screenshots/ (gitignored) for a human to look at.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from mdm.reports.render import render_report

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def _require_browser() -> None:
    if not CHROMIUM.exists():
        if os.environ.get("MDM_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing and MDM_REQUIRE_BROWSER=1")
        pytest.skip(f"{CHROMIUM} is not installed")


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_report_renders_with_visible_charts(
    published_db: duckdb.DuckDBPyConnection, tmp_path: Path, lang: str
) -> None:
    _require_browser()
    from playwright.sync_api import sync_playwright

    page_file = tmp_path / f"dq_report_{lang}.html"
    page_file.write_text(render_report(published_db, lang), encoding="utf-8")
    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", lambda request: requests.append(request.url))
            page.goto(page_file.as_uri())
            page.wait_for_load_state("load")
            charts = page.query_selector_all("svg.chart")
            assert len(charts) >= 9
            for chart in charts:
                box = chart.bounding_box()
                assert box is not None and box["width"] > 0 and box["height"] > 0
            heat = page.query_selector("svg.heat-map")
            assert heat is not None
            heat_box = heat.bounding_box()
            assert heat_box is not None and heat_box["width"] > 400 and heat_box["height"] > 100
            assert len(page.query_selector_all("svg.heat-map rect.cell")) > 10
            assert len(page.query_selector_all("ol.problems li")) >= 3
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"dq_report_{lang}.png"), full_page=True)
        finally:
            browser.close()
    assert [url for url in requests if not url.startswith("file://")] == []


#: Cells of the channels table drawn past the right edge of their section (cut on screen).
CUT_CELLS = """() => {
  const section = document.querySelector('#sources').getBoundingClientRect();
  return [...document.querySelectorAll('#sources td')]
    .filter(td => td.getBoundingClientRect().right > section.right + 0.5).map(td => td.textContent.trim());
}"""


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_report_on_a_phone(published_db: duckdb.DuckDBPyConnection, tmp_path: Path, lang: str) -> None:
    """The mailed report at 390 px: no sideways scrolling, no channel figure cut at the edge; the
    heat map keeps readable text and pans inside its own box."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    page_file = tmp_path / f"dq_report_{lang}.html"
    page_file.write_text(render_report(published_db, lang), encoding="utf-8")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.goto(page_file.as_uri())
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            assert page.evaluate(CUT_CELLS) == []
            heat = page.query_selector("svg.heat-map")
            assert heat is not None
            box = heat.bounding_box()
            assert box is not None and box["width"] > 600  # drawn at its own size, not shrunk to 300 px
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"dq_report_{lang}_390.png"), full_page=True)
        finally:
            browser.close()
