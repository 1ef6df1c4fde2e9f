"""Browser tests: the REAL app served by uvicorn (`mdm serve`), driven in headless Chromium.

Screenshots of each main page go to tests/artifacts/screenshots/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import pytest

from mdm.config import MdmConfig
from mdm.stewardship import store
from mdm.web.diffs import fields_of
from tests.mdm.web.web_helpers import ARGS, CHROMIUM, PASSWORD, SHOTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_steward_journey(server: str, web_config: MdmConfig) -> None:
    from playwright.sync_api import expect, sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-GB")
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))

        # login
        page.goto(server + "/review")
        expect(page).to_have_url(server + "/login?next=/review")
        page.screenshot(path=str(SHOTS / "01_login.png"))
        page.fill("input[name=username]", "stella")
        page.fill("input[name=password]", "wrong password")
        page.click("button[type=submit]")
        expect(page.locator(".error")).to_contain_text("Wrong user name or password")
        page.fill("input[name=username]", "stella")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(server + "/review")
        expect(page.locator("table.queue tbody tr")).to_have_count(2)  # the third pair is one customer already
        page.screenshot(path=str(SHOTS / "02_review_queue.png"), full_page=True)

        # review a pair with the keyboard: j opens the next one, n says "not a match"
        page.keyboard.press("j")
        expect(page.locator("h1")).to_contain_text("Same customer?")
        expect(page.locator(".contributions li").first).to_contain_text("same email: strong evidence for")
        expect(page.locator("tr.diff-different").first).to_be_visible()
        expect(page.locator("#consequence")).to_contain_text("become one customer of 2 records")
        expect(page.locator("#waterfall")).to_contain_text("Starting point")
        # every comparison the waterfall lists has its row in the table (birth date too), shown
        compared = page.locator("#waterfall tr[data-comparison]").evaluate_all(
            "rows => rows.map(r => r.dataset.comparison)")
        assert "birth_date" in compared
        for name in compared:
            for field in fields_of(name):
                expect(page.locator(f"table.side-by-side tr[data-field={field}]")).to_be_visible()
        expect(page.locator("table.side-by-side tr[data-field=birth_date] td").first).to_have_text("12 Mar 1985")
        page.screenshot(path=str(SHOTS / "03_pair.png"), full_page=True)
        page.fill("#comment", "not the same Marie")
        page.locator("body").click()  # leave the text field so the shortcut is a shortcut
        page.keyboard.press("n")
        expect(page.locator(".flash")).to_contain_text("Decision saved")
        con = store.connect(web_config.paths.steward_db)
        rows = store.effective_pair_decisions(con)
        assert [(r["decision"], r["user_name"], r["comment"]) for r in rows] == [
            ("non_match", "stella", "not the same Marie")]

        # undo it with the keyboard
        page.keyboard.press("u")
        expect(page.locator(".flash")).to_contain_text("undone")
        assert store.effective_pair_decisions(con) == []

        # split a customer: one record leaves
        page.goto(server + "/customers?q=martin")
        page.screenshot(path=str(SHOTS / "04_customer_search.png"), full_page=True)
        page.click("table.results a")
        expect(page.locator("h1.customer-name")).to_contain_text("Jean Martin")
        page.screenshot(path=str(SHOTS / "05_customer.png"), full_page=True)
        page.check("input[name=record_key][value='webshop:00000000000000b2']")
        page.click("#split-button")
        expect(page.locator("#preview")).to_contain_text("1 record leaves this customer")
        page.screenshot(path=str(SHOTS / "05b_split_preview.png"), full_page=True)
        assert store.pending_golden_actions(con) == []  # nothing saved before the confirmation
        page.click("#confirm-button")
        expect(page.locator(".flash")).to_contain_text("Split requested")
        actions = store.pending_golden_actions(con)
        assert [(a["action"], a["record_keys"]) for a in actions] == [("split", ["webshop:00000000000000b2"])]
        # ... and withdraw it
        page.click("#pending button")
        expect(page.locator(".flash")).to_contain_text("Request withdrawn")
        assert store.pending_golden_actions(con) == []

        # merge by search: no ID to paste
        page.goto(server + "/customers/22222222-2222-4222-8222-222222222222")
        page.fill("input[name=merge_q]", "Marie Dup")
        page.click(".merge-search button")
        page.click(".merge-pick")
        expect(page.locator("#preview")).to_contain_text("The golden ID 11111111-1111-4111-8111-111111111111 stays")
        page.screenshot(path=str(SHOTS / "05c_merge_preview.png"), full_page=True)
        page.click("#confirm-button")
        expect(page.locator(".flash")).to_contain_text("Merge requested")
        merges = store.pending_golden_actions(con)
        assert [(a["action"], a["golden_id"], a["other_golden_id"]) for a in merges] == [
            ("merge", "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222")]

        # the escaped record shows as text
        page.goto(server + "/customers/44444444-4444-4444-8444-444444444444")
        expect(page.locator("h1.customer-name")).to_contain_text("<script>alert(1)</script>")

        # correct and release a quarantined row
        page.goto(server + "/quarantine")
        page.screenshot(path=str(SHOTS / "06_quarantine.png"), full_page=True)
        page.click("text=crm:00000000000000q1")
        page.fill("input[name='field:Courriel']", "durand@example.fr")
        page.screenshot(path=str(SHOTS / "07_quarantine_row.png"), full_page=True)
        page.click("#release-button")
        expect(page.locator(".flash")).to_contain_text("released")
        released = store.pending_quarantine_actions(con)
        assert released[0]["corrected_payload"]["Courriel"] == "durand@example.fr"

        # discard a filtered set after its preview
        page.goto(server + "/quarantine?reason=required_missing")
        page.click("#bulk-discard")
        expect(page.locator("#bulk-preview")).to_contain_text("1 open row will be discarded")
        page.screenshot(path=str(SHOTS / "07b_quarantine_bulk.png"), full_page=True)
        page.click("#confirm-button")
        expect(page.locator(".flash")).to_contain_text("Rows discarded")

        page.goto(server + "/reports")
        page.screenshot(path=str(SHOTS / "08_reports.png"), full_page=True)
        page.click("#model-link")
        expect(page.locator("h1")).to_contain_text("The matching model")
        page.screenshot(path=str(SHOTS / "08b_model.png"), full_page=True)
        page.goto(server + "/")
        page.keyboard.press("?")
        expect(page.locator("#shortcuts-help")).to_be_visible()
        page.screenshot(path=str(SHOTS / "09_overview.png"), full_page=True)
        browser.close()
    # the wrong-password attempt is answered 401 on purpose; anything else is a real problem
    assert [e for e in errors if "status of 401" not in e] == []
