"""Organisation and household pages in Debian's Chromium, at a phone's width (390 px) and a
laptop's (1280 px), in French and English: no sideways scrolling, header words on the header; and
a steward's household correction clicked through (preview, confirm, withdraw). Screenshots go to
tests/artifacts/screenshots/parties/ for a person to look at."""

from __future__ import annotations

import pytest

from mdm.config import MdmConfig
from mdm.stewardship import store
from tests.mdm.web.test_web_mobile import _check, _login
from tests.mdm.web.web_helpers import ARGS, CHROMIUM, ORG_A, SHOTS, build_published

pytestmark = [pytest.mark.browser, pytest.mark.slow]

JEAN = "33333333-3333-4333-8333-333333333333"
PAGES: dict[str, str] = {
    "organisations": "/organisations",
    "organisation_search": "/organisations?q=veranda",
    "organisation": f"/organisations/{ORG_A}",
    "organisation_pair": "/organisations/pairs/crm:00000000000000e3/erp:00000000000000e2",
    "queue": "/review",
    "customer_household": f"/customers/{JEAN}",
    "customer_contact": "/customers/11111111-1111-4111-8111-111111111111?merge_q=Jean#merge",
}


@pytest.fixture
def web_config(demo_config: MdmConfig) -> MdmConfig:
    build_published(demo_config.paths.published, parties=True)
    return demo_config


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_party_pages_fit_a_phone_and_a_laptop(server: str, lang: str) -> None:
    from playwright.sync_api import sync_playwright

    folder = SHOTS / "parties"
    folder.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        for width in (390, 1280):
            context = browser.new_context(viewport={"width": width, "height": 844 if width == 390 else 800},
                                          locale="fr-FR" if lang == "fr" else "en-GB")
            page = context.new_page()
            _login(page, server, "stella")
            for name, path in PAGES.items():
                page.goto(server + path)
                assert page.locator("html").get_attribute("lang") == lang
                problems += _check(page, folder / f"{lang}-{width}-{name}.png", f"{lang} {width} {name}")
            page.goto(server + PAGES["customer_household"])
            page.click("#household-apart")
            problems += _check(page, folder / f"{lang}-{width}-apart_preview.png", f"{lang} {width} apart preview")
            page.goto(server + PAGES["customer_contact"])
            page.click(".household-pick")
            problems += _check(page, folder / f"{lang}-{width}-together_preview.png",
                               f"{lang} {width} together preview")
            context.close()
        browser.close()
    assert not problems, "\n".join(problems)


def test_a_steward_takes_a_member_out_then_withdraws(server: str, web_config: MdmConfig) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_context(locale="en-GB").new_page()
        _login(page, server, "stella")
        page.goto(server + PAGES["customer_household"])
        assert page.locator("#household table.household tbody tr").count() == 2
        page.click("#household-apart")
        assert "Luc Petit" in page.locator("#preview").inner_text()
        con = store.connect(web_config.paths.steward_db)
        assert store.household_actions_in_force(con) == []  # nothing saved before the confirmation
        page.click("#confirm-button")
        page.wait_for_url(server + PAGES["customer_household"] + "?msg=household_requested")
        assert "no longer share a household" in page.locator("#pending-household").inner_text()
        assert [a["action"] for a in store.household_actions_in_force(con)] == ["apart"]
        page.click("#pending-household button")
        page.wait_for_url("**msg=request_withdrawn")
        assert store.household_actions_in_force(con) == []
        con.close()
        # an organisation page, reached from the menu
        page.click("header nav a[href='/organisations']")
        page.click(f"a[href='/organisations/{ORG_A}']")
        assert page.locator("#establishments tbody tr").count() == 2
        page.click("#contacts a")
        assert page.url.endswith("/customers/11111111-1111-4111-8111-111111111111")
        browser.close()
