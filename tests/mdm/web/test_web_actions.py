"""Writes through the app: decisions, leases, version checks, undo, split/merge, quarantine, CSRF, roles."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from mdm.config import MdmConfig
from mdm.stewardship import store
from tests.mdm.web.web_helpers import build_published, csrf_of
from warehouse.lock import pipeline_lock

UNSURE = "/pairs/crm:00000000000000a1/webshop:00000000000000b1"
GID_SPLIT = "33333333-3333-4333-8333-333333333333"
OLDER = "11111111-1111-4111-8111-111111111111"
NEWER = "22222222-2222-4222-8222-222222222222"


def _store(config: MdmConfig) -> sqlite3.Connection:
    return store.connect(config.paths.steward_db)


def _open(client: TestClient, url: str) -> tuple[str, str]:
    """Open a pair page; return its version and the form token, as a browser would see them."""
    html = client.get(url).text
    version = re.search(r'name="version" value="([^"]+)"', html)
    assert version, html[:500]
    return version.group(1), csrf_of(client, url)


def test_decision_is_saved_with_user_time_comment_and_version(
    make_client: Callable[..., TestClient], web_config: MdmConfig
) -> None:
    client = make_client()
    version, token = _open(client, UNSURE)
    response = client.post(UNSURE + "/decide", data={"csrf_token": token, "version": version, "decision": "non_match",
                                                     "comment": "different people"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/review/next")
    rows = store.effective_pair_decisions(_store(web_config))
    assert rows == [{"record_key_l": "crm:00000000000000a1", "record_key_r": "webshop:00000000000000b1",
                     "decision": "non_match", "user_name": "steward1", "decided_at": "2026-11-23T12:00:00",
                     "comment": "different people"}]
    saved = _store(web_config).execute("SELECT pair_version FROM pair_decisions").fetchone()[0]
    assert saved == version
    # decided pairs leave the queue until the next run applies them
    queue = client.get("/review.json").json()
    assert "crm:00000000000000a1|webshop:00000000000000b1" not in [s["pair_id"] for s in queue["suggestions"]]


def test_changed_suggestion_is_refused_with_explanation(
    make_client: Callable[..., TestClient], web_config: MdmConfig
) -> None:
    client = make_client()
    version, token = _open(client, UNSURE)
    build_published(web_config.paths.published, probability_shift=0.2)  # a run re-scored the pair meanwhile
    response = client.post(UNSURE + "/decide.json", data={"csrf_token": token, "version": version,
                                                          "decision": "match"})
    assert response.status_code == 409
    body = response.json()
    assert "changed while you were looking at it" in body["error"]
    assert body["current_version"] != version
    assert store.effective_pair_decisions(_store(web_config)) == []
    html = client.post(UNSURE + "/decide", data={"csrf_token": token, "version": version, "decision": "match"})
    assert html.status_code == 409 and "Not saved" in html.text


def test_two_stewards_never_get_the_same_suggestion(make_client: Callable[..., TestClient]) -> None:
    alice, bob = make_client("steward", "alice"), make_client("steward", "bob")
    got_a = alice.get("/review/next.json").json()["pair_id"]
    got_b = bob.get("/review/next.json").json()["pair_id"]
    got_a2 = alice.get("/review/next.json").json()["pair_id"]
    assert got_a and got_b and got_a != got_b
    assert got_a2 == got_a  # alice keeps her lease until she decides or skips
    assert got_a == "crm:00000000000000a1|webshop:00000000000000b1"  # the most useful one went first
    # bob's queue hides alice's pair; bob may look at it but not decide it
    assert got_a not in [s["pair_id"] for s in bob.get("/review.json").json()["suggestions"]]
    page = bob.get(UNSURE + ".json").json()
    assert page["leased_by"] == "alice" and page["can_decide"] is False
    version, token = page["version"], csrf_of(bob, UNSURE)
    refused = bob.post(UNSURE + "/decide.json", data={"csrf_token": token, "version": version, "decision": "match"})
    assert refused.status_code == 409 and "alice is reviewing" in refused.json()["error"]
    html = bob.get(UNSURE).text
    assert "alice is reviewing this pair" in html and 'name="version"' not in html


def test_skip_and_undo(make_client: Callable[..., TestClient], web_config: MdmConfig) -> None:
    client = make_client()
    first = client.get("/review/next.json").json()["pair_id"]
    token = csrf_of(client, "/review")
    left, right = first.split("|")
    assert client.post(f"/pairs/{left}/{right}/skip.json", data={"csrf_token": token}).json() == {"skipped": first}
    second = client.get("/review/next.json").json()["pair_id"]
    assert second != first
    l2, r2 = second.split("|")
    version = client.get(f"/pairs/{l2}/{r2}.json").json()["version"]
    saved = client.post(f"/pairs/{l2}/{r2}/decide.json",
                        data={"csrf_token": token, "version": version, "decision": "match"}).json()
    assert saved["decision"] == "match"
    assert len(store.effective_pair_decisions(_store(web_config))) == 1
    undone = client.post("/review/undo.json", data={"csrf_token": token}).json()
    assert undone["undone"] == saved["saved"] and undone["pair_id"] == second
    assert store.effective_pair_decisions(_store(web_config)) == []
    row = _store(web_config).execute("SELECT undone_at FROM pair_decisions").fetchone()
    assert row[0] is not None  # kept, marked undone: nothing is lost
    assert client.post("/review/undo.json", data={"csrf_token": token}).json() == {"undone": None}
    html = client.post("/review/undo", data={"csrf_token": token}, follow_redirects=True)
    assert "no decision to undo" in html.text


def test_split_and_merge_requests(make_client: Callable[..., TestClient], web_config: MdmConfig) -> None:
    client = make_client()
    token = csrf_of(client, f"/customers/{GID_SPLIT}")
    leaving = {"csrf_token": token, "record_key": ["webshop:00000000000000b2"]}
    preview = client.post(f"/customers/{GID_SPLIT}/split.json", data=leaving).json()
    assert preview["saved"] is False and preview["preview"]["leaving"] == ["webshop:00000000000000b2"]
    assert preview["preview"]["keeps_id"] == "stay"
    assert store.pending_golden_actions(_store(web_config)) == []  # a preview saves nothing
    split = client.post(f"/customers/{GID_SPLIT}/split.json", data={**leaving, "confirm": "yes"})
    assert split.status_code == 200, split.text
    pending = store.pending_golden_actions(_store(web_config))
    assert pending[0]["action"] == "split" and pending[0]["record_keys"] == ["webshop:00000000000000b2"]
    assert pending[0]["user_name"] == "steward1"
    page = client.get(f"/customers/{GID_SPLIT}.json").json()
    assert page["pending_actions"][0]["action"] == "split"
    # all records cannot leave; records of another customer cannot be chosen
    everyone = ["crm:00000000000000a2", "webshop:00000000000000b2"]
    assert client.post(f"/customers/{GID_SPLIT}/split.json",
                       data={"csrf_token": token, "record_key": everyone}).status_code == 409
    assert client.post(f"/customers/{GID_SPLIT}/split.json",
                       data={"csrf_token": token, "record_key": ["crm:00000000000000a1"]}).status_code == 409
    assert client.post(f"/customers/{GID_SPLIT}/split.json", data={"csrf_token": token}).status_code == 409
    # merge: the identity rules keep the older ID, whichever page the steward started from
    asked = {"csrf_token": token, "other_golden_id": OLDER}
    shown = client.post(f"/customers/{NEWER}/merge.json", data=asked).json()["preview"]
    assert shown["golden_id"] == OLDER and shown["other_golden_id"] == NEWER
    merged = client.post(f"/customers/{NEWER}/merge.json", data={**asked, "confirm": "yes"})
    assert merged.json()["golden_id"] == OLDER and merged.json()["other_golden_id"] == NEWER
    assert client.post(f"/customers/{OLDER}/merge.json",
                       data={"csrf_token": token, "other_golden_id": OLDER}).status_code == 409
    assert client.post(f"/customers/{OLDER}/merge.json",
                       data={"csrf_token": token, "other_golden_id": "nope"}).status_code == 409


def test_refusals_stay_on_the_customer_page(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    token = csrf_of(client, f"/customers/{GID_SPLIT}")
    everyone = ["crm:00000000000000a2", "webshop:00000000000000b2"]
    refused = client.post(f"/customers/{GID_SPLIT}/split", data={"csrf_token": token, "record_key": everyone})
    assert refused.status_code == 409
    assert 'id="problem"' in refused.text and "at least one record on each side" in refused.text
    assert 'class="customer-name"' in refused.text  # the customer's page, not an error page
    assert refused.text.count(" checked>") == 2  # the steward's choice is kept


def test_a_pending_request_can_be_withdrawn(make_client: Callable[..., TestClient], web_config: MdmConfig) -> None:
    client = make_client()
    token = csrf_of(client, f"/customers/{GID_SPLIT}")
    saved = client.post(f"/customers/{GID_SPLIT}/split.json", data={
        "csrf_token": token, "record_key": ["webshop:00000000000000b2"], "confirm": "yes"}).json()
    page = client.get(f"/customers/{GID_SPLIT}").text
    assert "steward1 asked on" in page and "waiting for the next run" in page
    url = f"/customers/{GID_SPLIT}/requests/{saved['requested']}/withdraw"
    assert client.post(url, data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert store.pending_golden_actions(_store(web_config)) == []  # the next run will not apply it
    page = client.get(f"/customers/{GID_SPLIT}").text
    assert "withdrawn by steward1" in page
    again = client.post(url, data={"csrf_token": token})
    assert again.status_code == 409 and "already applied or withdrawn" in again.text


def test_merge_picks_the_other_customer_by_search(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    page = client.get(f"/customers/{NEWER}", params={"merge_q": "Marie Dup"}).text
    assert f'name="other_golden_id" value="{OLDER}"' in page
    assert f'name="other_golden_id" value="{NEWER}"' not in page  # not itself
    token = csrf_of(client, f"/customers/{NEWER}")
    preview = client.post(f"/customers/{NEWER}/merge", data={"csrf_token": token, "other_golden_id": OLDER})
    assert preview.status_code == 200 and 'id="confirm-button"' in preview.text
    assert f"The golden ID {OLDER} stays" in preview.text


def test_quarantine_release_and_discard(make_client: Callable[..., TestClient], web_config: MdmConfig) -> None:
    client = make_client()
    token = csrf_of(client, "/quarantine/crm:00000000000000q1")
    response = client.post("/quarantine/crm:00000000000000q1/release", follow_redirects=False,
                           data={"csrf_token": token, "field:Courriel": "durand@example.fr", "field:Unknown": "x"})
    assert response.status_code == 303
    asked = client.post("/quarantine/webshop:00000000000000q2/discard", data={"csrf_token": token})
    assert 'id="confirm-button"' in asked.text  # a confirmation first, nothing saved
    assert [a["record_key"] for a in store.pending_quarantine_actions(_store(web_config))] == ["crm:00000000000000q1"]
    discard = client.post("/quarantine/webshop:00000000000000q2/discard.json",
                          data={"csrf_token": token, "confirm": "yes"})
    assert discard.json()["action"] == "discard"
    actions = store.pending_quarantine_actions(_store(web_config))
    assert [(a["record_key"], a["action"]) for a in actions] == [
        ("crm:00000000000000q1", "release"), ("webshop:00000000000000q2", "discard")]
    assert actions[0]["corrected_payload"] == {"Nom": "Durand", "Courriel": "durand@example.fr", "Code client": "Q1"}
    listed = client.get("/quarantine.json").json()["rows"]
    assert {r["record_key"]: r["pending_action"]["action"] for r in listed} == {
        "crm:00000000000000q1": "release", "webshop:00000000000000q2": "discard"}


def _post_routes() -> list[str]:
    paths = []
    from mdm.web.views import admin, customers, internal, login, quarantine, reports, review

    routes = [r for m in (admin, customers, internal, login, quarantine, reports, review) for r in m.router.routes]
    for route in routes:
        if "POST" in getattr(route, "methods", set()) and getattr(route, "path", "") != "/login":
            paths.append(str(getattr(route, "path", "")).replace("{left}", "crm:00000000000000a1").replace(
                "{right}", "webshop:00000000000000b1").replace("{golden_id}", GID_SPLIT).replace(
                "{record_key}", "crm:00000000000000q1").replace("{name}", "steward1"))
    return paths


def test_every_post_refuses_missing_or_wrong_token(make_client: Callable[..., TestClient], web_config: MdmConfig) -> None:
    client = make_client("admin")
    paths = _post_routes()
    assert len(paths) >= 10
    for path in paths:
        assert client.post(path, data={}).status_code == 403, path
        assert client.post(path, data={"csrf_token": "forged"}).status_code == 403, path
    assert store.pending_golden_actions(_store(web_config)) == []


def test_cross_site_post_is_refused_even_with_token(make_client: Callable[..., TestClient], web_config: MdmConfig) -> None:
    client = make_client()
    token = csrf_of(client, "/quarantine/crm:00000000000000q1")
    url = "/quarantine/crm:00000000000000q1/discard"
    sent = {"csrf_token": token, "confirm": "yes"}
    assert client.post(url, data=sent, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert client.post(url, data=sent, headers={"Origin": "https://evil.example"}).status_code == 403
    assert store.pending_quarantine_actions(_store(web_config)) == []
    ok = client.post(url, data=sent, follow_redirects=False,
                     headers={"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"})
    assert ok.status_code == 303


def test_token_is_never_in_a_get_form_or_url(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    for path in ["/review", "/customers?q=marie", "/quarantine", UNSURE, f"/customers/{GID_SPLIT}"]:
        html = client.get(path).text
        for form in re.findall(r"<form[^>]*>.*?</form>", html, flags=re.S):
            if 'method="get"' in form:
                assert "csrf_token" not in form, path
        assert "csrf_token=" not in html


def test_manager_cannot_post_decisions_or_actions(make_client: Callable[..., TestClient], web_config: MdmConfig) -> None:
    manager = make_client("manager")
    token = csrf_of(manager, "/")
    for path in [UNSURE + "/decide", "/review/undo", f"/customers/{GID_SPLIT}/split",
                 "/quarantine/crm:00000000000000q1/discard", "/admin/users"]:
        response = manager.post(path, data={"csrf_token": token, "decision": "match", "version": "x",
                                            "record_key": "webshop:00000000000000b2"})
        assert response.status_code == 403, path
    steward = make_client("steward")
    token = csrf_of(steward, "/")
    assert steward.post("/admin/users", data={"csrf_token": token, "name": "eve", "role": "admin",
                                              "password": "longenough"}).status_code == 403
    con = _store(web_config)
    assert con.execute("SELECT count(*) FROM pair_decisions").fetchone()[0] == 0


def test_admin_manages_users(make_client: Callable[..., TestClient]) -> None:
    admin = make_client("admin")
    token = csrf_of(admin, "/admin/users")
    assert admin.post("/admin/users.json", data={"csrf_token": token, "name": "carol", "role": "manager",
                                                 "password": "longenough"}).json() == {"added": "carol",
                                                                                       "role": "manager"}
    assert admin.post("/admin/users.json", data={"csrf_token": token, "name": "dan", "role": "root",
                                                 "password": "longenough"}).status_code == 409
    names = [u["name"] for u in admin.get("/admin/users.json").json()["users"]]
    assert names == ["admin1", "carol"]
    assert admin.post("/admin/users/carol/remove.json", data={"csrf_token": token}).json() == {"removed": "carol"}
    assert admin.post("/admin/users/admin1/remove.json", data={"csrf_token": token}).status_code == 409


def test_login_rate_limit_and_cookie_flags(make_client: Callable[..., TestClient], web_config: MdmConfig) -> None:
    from tests.mdm.web.web_helpers import PASSWORD, login

    web_config.web.login_max_failures = 2  # fewer (slow, on purpose) Argon2 checks in this test
    make_client("steward", "victim")
    attacker = make_client(None)
    for _ in range(2):
        assert login(attacker, "victim", "wrong-password").status_code == 401
    blocked = login(attacker, "victim", PASSWORD)  # even the right password is refused for a while
    assert blocked.status_code == 429 and "Too many failed attempts" in blocked.text
    assert int(blocked.headers["retry-after"]) > 0
    make_client("steward", "someone")
    response = login(make_client(None), "someone")
    set_cookie = response.headers["set-cookie"]
    assert "mdm_session=" in set_cookie and "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie


def test_login_form_token_required(make_client: Callable[..., TestClient]) -> None:
    client = make_client(None)
    client.get("/login")
    response = client.post("/login", data={"username": "x", "password": "y", "csrf_token": "forged"})
    assert response.status_code == 403


def test_logout_ends_the_session(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    token = csrf_of(client, "/")
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert client.get("/review.json").status_code == 401


def test_apply_right_away_waits_when_a_run_holds_the_lock(
    make_client: Callable[..., TestClient], web_config: MdmConfig
) -> None:
    client = make_client()
    version, token = _open(client, UNSURE)
    with pipeline_lock(web_config.paths.lock):
        body = client.post(UNSURE + "/decide.json", data={"csrf_token": token, "version": version,
                                                          "decision": "match", "apply_now": "1"}).json()
    assert body["apply"] == "busy"
    assert "applied by the next run" in body["message"]
    assert len(store.effective_pair_decisions(_store(web_config))) == 1


@pytest.mark.parametrize("suffix", [".json", "?format=json"])
def test_json_twins(make_client: Callable[..., TestClient], suffix: str) -> None:
    client = make_client("admin")
    for path in ["/", "/review", "/customers", "/quarantine", "/reports", "/admin/users", UNSURE]:
        response = client.get(path + suffix)
        assert response.headers["content-type"].startswith("application/json"), path


def test_quarantine_rows_say_what_failed_and_what_was_expected(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    rows = client.get("/quarantine.json").json()["rows"]
    email = next(r for r in rows if r["record_key"] == "crm:00000000000000q1")["failing"]
    assert email[0]["reason"] == "email_invalid" and email[0]["fields"] == ["email"]
    assert email[0]["columns"] == [{"column": "Courriel", "value": "durand@@example"}]  # the demo crm mapping
    html = client.get("/quarantine").text
    assert "<b>Courriel</b> = <code>durand@@example</code>" in html and "expected: an e-mail address" in html
    fr = make_client(name="fr1", lang="fr").get("/quarantine").text
    assert "attendu\u00a0: une adresse e-mail" in fr


def test_bulk_discard_of_a_filter_with_a_preview(make_client: Callable[..., TestClient], web_config: MdmConfig) -> None:
    client = make_client()
    token = csrf_of(client, "/quarantine")
    asked = {"csrf_token": token, "action": "discard", "reason": "email_invalid"}
    preview = client.post("/quarantine/bulk.json", data=asked).json()
    assert preview["saved"] == 0 and preview["preview"]["count"] == 1
    assert preview["preview"]["sample"] == ["crm:00000000000000q1"]
    assert store.pending_quarantine_actions(_store(web_config)) == []  # a preview saves nothing
    page = client.post("/quarantine/bulk", data=asked)
    assert 'id="bulk-preview"' in page.text and "1 open row will be discarded" in page.text
    stale = client.post("/quarantine/bulk.json", data={**asked, "confirm": "yes", "count": "7"}).json()
    assert stale["saved"] == 0  # the set is not the one the steward saw: nothing saved
    done = client.post("/quarantine/bulk.json", data={**asked, "confirm": "yes", "count": "1"}).json()
    assert done == {"action": "discard", "saved": 1}
    actions = store.pending_quarantine_actions(_store(web_config))
    assert [(a["record_key"], a["action"], a["user_name"]) for a in actions] == [
        ("crm:00000000000000q1", "discard", "steward1")]
    again = client.post("/quarantine/bulk.json", data=asked).json()["preview"]
    assert again["count"] == 0 and again["waiting"] == 1
