"""HTTP-level tests: every page for every role, JSON twins, and the HTML that matters."""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import pytest
from fastapi.testclient import TestClient

from mdm.config import MdmConfig
from tests.mdm.web.web_helpers import XSS

GID_SPLIT = "33333333-3333-4333-8333-333333333333"
GID_XSS = "44444444-4444-4444-8444-444444444444"

STEWARD_PAGES = ["/review", "/customers?q=marie", f"/customers/{GID_SPLIT}", "/quarantine",
                 "/quarantine/crm:00000000000000q1", "/pairs/crm:00000000000000a1/webshop:00000000000000b1"]
ALL_PAGES = ["/", "/reports"]


def test_login_required_everywhere(make_client: Callable[..., TestClient]) -> None:
    anon = make_client(None)
    for path in STEWARD_PAGES + ALL_PAGES + ["/admin/users"]:
        response = anon.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=")
        assert anon.get(path + ("&" if "?" in path else "?") + "format=json").status_code == 401


def test_health_and_version_need_no_login(make_client: Callable[..., TestClient]) -> None:
    anon = make_client(None)
    health = anon.get("/-/health").json()
    assert health["status"] == "ok" and health["published"] is True
    assert health["publication"] == {"run_id": "run1", "published_at": "2026-11-22T03:00:00"}
    assert anon.get("/-/version").json()["mdm"]


@pytest.mark.parametrize("role, allowed", [("steward", True), ("admin", True), ("manager", False)])
def test_steward_pages_by_role(make_client: Callable[..., TestClient], role: str, allowed: bool) -> None:
    client = make_client(role)
    for path in STEWARD_PAGES:
        response = client.get(path)
        assert response.status_code == (200 if allowed else 403), (path, response.text[:200])
    for path in ALL_PAGES:
        assert client.get(path).status_code == 200
    assert client.get("/admin/users").status_code == (200 if role == "admin" else 403)


def test_home_figures_json(make_client: Callable[..., TestClient]) -> None:
    data = make_client("manager").get("/.json").json()
    assert data["golden_customers"] == 6
    assert data["pending_review"] == 2  # the third review pair's records are one customer already
    assert data["open_quarantine"] == 2
    assert data["last_run"]["run_id"] == "run1"


def test_queue_order_and_filters(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    data = client.get("/review.json").json()
    assert data["total"] == 2  # a3|b3 is settled: both records are in one customer already
    probs = [s["match_probability"] for s in data["suggestions"]]
    assert probs[0] == pytest.approx(0.52)  # the least certain first
    assert data["sources"] == ["crm", "newsletter", "webshop"]
    first = data["suggestions"][0]
    assert (first["name_l"], first["name_r"]) == ("Marie Dupont", "Marie Dupond")
    only = client.get("/review.json?source=newsletter").json()
    assert [s["source_r"] for s in only["suggestions"]] == ["newsletter"]
    high = client.get("/review?format=json&min_score=0.6").json()
    assert [s["match_probability"] for s in high["suggestions"]] == [pytest.approx(0.70)]


def test_pair_page_explains_in_plain_words(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    data = client.get("/pairs/crm:00000000000000a1/webshop:00000000000000b1.json").json()
    sentences = [e["sentence"] for e in data["explanations"]]
    assert sentences[0] == "same email: strong evidence for"
    assert "different date of birth: strong evidence against" in sentences
    assert data["customer_sizes"] == [1, 1] and data["same_customer"] is False
    status = {f["field"]: f["status"] for f in data["fields"]}
    assert status["last_name"] == "different"
    assert status["city"] == "similar"
    assert status["email"] == "same"
    assert status["phone"] == "partly_missing"
    html = client.get("/pairs/crm:00000000000000a1/webshop:00000000000000b1").text
    assert '<tr class="diff-different" data-field="last_name">' in html
    assert 'data-shortcut="m"' in html and 'data-shortcut="n"' in html


def test_customer_search_by_each_kind(make_client: Callable[..., TestClient]) -> None:
    client = make_client()

    def ids(q: str) -> list[str]:
        response = client.get("/customers.json", params={"q": q}).json()
        return [r["golden_id"] for r in response["results"]]

    assert ids("dupont") == ["11111111-1111-4111-8111-111111111111"]
    assert ids("Marie Dup") == ["22222222-2222-4222-8222-222222222222", "11111111-1111-4111-8111-111111111111"]
    assert ids("jean.martin@example.fr") == [GID_SPLIT]
    assert ids("06 98 76 54 32") == [GID_SPLIT]
    assert ids(GID_SPLIT) == [GID_SPLIT]
    assert ids("99999999-9999-4999-8999-999999999999") == [GID_SPLIT]  # an alias finds the survivor
    assert ids("nobody") == []


def test_customer_page(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    data = client.get(f"/customers/{GID_SPLIT}.json").json()
    assert data["customer"]["golden_id"] == GID_SPLIT
    assert {r["record_key"] for r in data["records"]} == {"crm:00000000000000a2", "webshop:00000000000000b2"}
    assert {row["field"] for row in data["lineage"]} == {"first_name", "last_name", "email"}
    assert data["history"][0]["version"] == 1
    assert data["aliases"][0]["alias_id"].startswith("9999")
    assert data["audit"][0]["kind"] == "merge"
    assert data["customer"]["national_id"] == "1800375115042"
    html = client.get(f"/customers/{GID_SPLIT}").text
    assert '<th scope="row">National ID</th><td data-label="Value">1800375115042</td>' in html
    alias = client.get("/customers/99999999-9999-4999-8999-999999999999", follow_redirects=False)
    assert alias.status_code == 303 and alias.headers["location"] == f"/customers/{GID_SPLIT}"
    assert client.get("/customers/nope").status_code == 404


def test_everything_is_escaped(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    pages = [f"/customers/{GID_XSS}", "/customers?q=hacker", "/pairs/crm:00000000000000a3/webshop:00000000000000b3",
             "/quarantine/webshop:00000000000000q2"]
    for path in pages:
        html = client.get(path).text
        assert XSS not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path
    assert "script-src 'self'" in client.get(pages[0]).headers["content-security-policy"]


def test_quarantine_list_and_row(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    data = client.get("/quarantine.json").json()
    assert data["total"] == 2
    assert {r["record_key"]: r["reasons"] for r in data["rows"]}["crm:00000000000000q1"] == ["email_invalid"]
    row = client.get("/quarantine/crm:00000000000000q1.json").json()
    assert row["payload"]["Courriel"] == "durand@@example"
    assert row["reason_details"][0]["code"] == "email_invalid"
    assert row["reason_details"][0]["meaning"]  # the validation rule's explanation for stewards
    assert client.get("/quarantine/crm:nothing").status_code == 409


def test_reports_page_for_manager(make_client: Callable[..., TestClient]) -> None:
    data = make_client("manager").get("/reports.json").json()
    assert {(m["scope"], m["metric"]) for m in data["metrics"]} == {("golden", "email"), ("crm", "phone")}


def test_not_published_yet(demo_config: MdmConfig, make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    demo_config.paths.published.unlink()
    response = client.get("/review")
    assert response.status_code == 503
    assert "run the pipeline first" in response.text
    assert client.get("/-/health").json()["status"] == "degraded"
    french = make_client("steward", name="stewarde", lang="fr").get("/review")
    assert french.status_code == 503 and "lancez d&#39;abord le traitement (mdm run)" in french.text


def test_a_publication_from_an_older_version_asks_for_a_run(
    demo_config: MdmConfig, make_client: Callable[..., TestClient]
) -> None:
    """After an upgrade adds a golden column, the last run's file lacks it until the next run."""
    with duckdb.connect(str(demo_config.paths.published)) as con:
        con.execute(f"ALTER TABLE \"{demo_config.paths.published.stem}\".golden.customer DROP COLUMN national_id")
    client = make_client()
    response = client.get("/review")
    assert response.status_code == 503
    assert "older version" in response.text and "it lacks golden.customer.national_id" in response.text
    assert "run the pipeline (mdm run)" in response.text
    assert client.get("/-/health").json()["status"] == "degraded"


def test_full_report_is_served_with_its_own_policy(make_client: Callable[..., TestClient]) -> None:
    client = make_client("manager")
    assert client.get("/reports.json").json()["report_available"] is True
    response = client.get("/reports/view")
    assert response.status_code == 200, response.text[:300]
    assert response.text.lstrip().lower().startswith("<!doctype html")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert client.get("/reports/view?lang=fr").status_code == 200


def test_quarantine_pages_and_filters_by_reason_and_source(
    make_client: Callable[..., TestClient], web_config: MdmConfig
) -> None:
    web_config.web.page_size = 1  # two open rows: two pages
    client = make_client()
    first = client.get("/quarantine.json").json()
    assert (first["total"], len(first["rows"])) == (2, 1)
    page = client.get("/quarantine?source=").text
    assert 'href="?source=&amp;page=2" rel="next"' in page and "page 1 of 2" in page
    second = client.get("/quarantine.json?page=2").json()
    assert {first["rows"][0]["record_key"], second["rows"][0]["record_key"]} == {
        "crm:00000000000000q1", "webshop:00000000000000q2"}
    assert "page 2 of 2" in client.get("/quarantine?page=2").text

    by_reason = client.get("/quarantine.json?reason=email_invalid").json()
    assert by_reason["total"] == 1 and by_reason["rows"][0]["record_key"] == "crm:00000000000000q1"
    assert by_reason["choices"]["sources"] == [{"value": "crm", "rows": 1}]
    assert {c["value"]: c["rows"] for c in by_reason["choices"]["reasons"]} == {
        "email_invalid": 1, "required_missing": 1}
    by_source = client.get("/quarantine.json?source=webshop").json()
    assert [r["record_key"] for r in by_source["rows"]] == ["webshop:00000000000000q2"]
    assert by_source["choices"]["reasons"] == [{"value": "required_missing", "rows": 1}]
    assert client.get("/quarantine.json?source=webshop&reason=email_invalid").json()["total"] == 0
    french = make_client("steward", name="stewarde", lang="fr").get("/quarantine?reason=email_invalid").text
    assert "adresse e-mail invalide (1)" in french  # the reason in words, with its count
