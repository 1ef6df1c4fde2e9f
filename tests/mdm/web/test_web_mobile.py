"""Every page at a phone's width (390 px) and a laptop's (1280 px), in French and English: no
sideways scrolling, the header's words stay on the header, nothing is cut. The real app
(`mdm serve`) in Debian's Chromium; screenshots go to tests/artifacts/screenshots/mobile/ for a
person to look at.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError

from mdm.config import MdmConfig
from tests.mdm.web.web_helpers import ARGS, CHROMIUM, PASSWORD, SHOTS, add_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: name -> path; every page of the app (the admin's user list included).
PAGES: dict[str, str] = {
    "overview": "/",
    "review": "/review",
    "pair": "/pairs/crm:00000000000000a1/webshop:00000000000000b1",
    "search": "/customers?q=Marie",
    "customer": "/customers/33333333-3333-4333-8333-333333333333",
    "quarantine": "/quarantine",
    "quarantine_row": "/quarantine/webshop:00000000000000q2",
    "merge_search": "/customers/22222222-2222-4222-8222-222222222222?merge_q=Marie#merge",
    "quarantine_filtered": "/quarantine?reason=email_invalid",
    "reports": "/reports",
    "model": "/reports/model",
    "users": "/admin/users",
    "error": "/customers/00000000-0000-4000-8000-000000000000",
}

#: What the page tells the browser about its layout: the widest thing, and where the header's
#: words are drawn compared with the header's own (dark) box.
MEASURE = """() => {
  const header = document.querySelector('header.top').getBoundingClientRect();
  const outside = [...document.querySelectorAll('header.top a, header.top .who, header.top button')]
    .filter(e => e.offsetParent !== null)
    .filter(e => { const r = e.getBoundingClientRect();
                   return r.right > header.right + 0.5 || r.bottom > header.bottom + 0.5 || r.left < header.left - 0.5; })
    .map(e => e.textContent.trim());
  const wide = [...document.querySelectorAll('main *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
    .slice(0, 5).map(e => e.tagName + '.' + e.className);
  return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth, outside, wide};
}"""


def _login(page: Any, server: str, user: str) -> None:
    page.goto(server + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server + "/")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_page_fits_a_phone_and_a_laptop(server: str, web_config: MdmConfig, lang: str) -> None:
    from playwright.sync_api import sync_playwright

    add_user(web_config, "administratrice", "admin")  # a long name, as French names are
    folder = SHOTS / "mobile"
    folder.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        for width in (390, 1280):
            context = browser.new_context(viewport={"width": width, "height": 844 if width == 390 else 800},
                                          locale="fr-FR" if lang == "fr" else "en-GB")
            page = context.new_page()
            page.goto(server + "/login")
            assert page.locator("html").get_attribute("lang") == lang
            problems += _check(page, folder / f"{lang}-{width}-login.png", f"{lang} {width} login")
            _login(page, server, "administratrice")
            for name, path in PAGES.items():
                page.goto(server + path)
                assert page.locator("html").get_attribute("lang") == lang
                problems += _check(page, folder / f"{lang}-{width}-{name}.png", f"{lang} {width} {name}")
            # the previews a steward confirms (POST pages)
            page.goto(server + PAGES["customer"])
            page.check("input[name=record_key][value='webshop:00000000000000b2']")
            page.click("#split-button")
            problems += _check(page, folder / f"{lang}-{width}-split_preview.png", f"{lang} {width} split preview")
            page.goto(server + PAGES["merge_search"])
            page.click(".merge-pick")
            problems += _check(page, folder / f"{lang}-{width}-merge_preview.png", f"{lang} {width} merge preview")
            page.goto(server + PAGES["quarantine_filtered"])
            page.click("#bulk-release")
            problems += _check(page, folder / f"{lang}-{width}-bulk_preview.png", f"{lang} {width} bulk preview")
            context.close()
        browser.close()
    assert not problems, "\n".join(problems)


def _check(page: Any, shot: Any, label: str) -> list[str]:
    try:
        page.screenshot(path=str(shot), full_page=True)
    except PlaywrightError as exc:
        # Chromium sometimes answers "Unable to capture screenshot" to one of this test's sixty
        # full-page captures on a loaded 2-core machine (once in a fresh clone's `make test`,
        # 2026-12-07; the same test passed three times alone). The capture is for a person to
        # look at; the layout checks below read the page itself. One more try, then it fails.
        if "Unable to capture screenshot" not in str(exc):
            raise
        page.screenshot(path=str(shot), full_page=True)
    m = page.evaluate(MEASURE)
    out = []
    if m["scroll"] > m["inner"]:
        out.append(f"{label}: {m['scroll']} px wide in a {m['inner']} px window ({m['wide']})")
    if m["outside"]:
        out.append(f"{label}: header words drawn outside the header: {m['outside']}")
    return out
