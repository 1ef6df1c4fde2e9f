"""Cluster review: the pair page shows the customers a decision joins and what each answer does;
settled pairs leave the queue at once."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from mdm.web.clusters import by_golden, settled_pairs
from tests.mdm.web.web_helpers import csrf_of

OLDER = "11111111-1111-4111-8111-111111111111"
NEWER = "22222222-2222-4222-8222-222222222222"


def test_match_decisions_settle_every_pair_between_the_customers_they_join() -> None:
    queue = {"a1|b1": ("G1", "G2"), "a2|b2": ("G1", "G2"), "a3|c1": ("G1", "G3"), "b3|c2": ("G2", "G3"),
             "d1|e1": ("G4", "G5")}
    index = by_golden(queue)
    golden_of = {"a1": "G1", "b1": "G2", "c1": "G3", "b3": "G2"}
    # one match G1-G2 settles the other G1-G2 pair (and itself), nothing else
    assert settled_pairs([("a1", "b1")], golden_of, queue, index) == ["a1|b1", "a2|b2"]
    # a second match G2-G3 joins all three: every pair among them is settled
    assert settled_pairs([("a1", "b1"), ("b3", "c1")], golden_of, queue, index) == [
        "a1|b1", "a2|b2", "a3|c1", "b3|c2"]
    assert settled_pairs([], golden_of, queue, index) == []


def test_pair_page_shows_the_cluster_and_the_consequence(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    data = client.get("/pairs/crm:00000000000000a1/webshop:00000000000000b1.json").json()
    cluster = data["cluster"]
    assert [s["golden_id"] for s in cluster["sides"]] == [OLDER, NEWER] and cluster["size"] == 2
    assert cluster["merge"]["golden_id"] == OLDER and cluster["merge"]["other_golden_id"] == NEWER
    html = client.get("/pairs/crm:00000000000000a1/webshop:00000000000000b1").text
    assert 'id="consequence"' in html and f"the golden ID {OLDER} stays" in html
    assert 'data-shortcut="m"' in html  # decided right there, after reading the consequence


def test_a_pair_already_in_one_customer_offers_no_decision(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    queue = [s["pair_id"] for s in client.get("/review.json").json()["suggestions"]]
    assert "crm:00000000000000a3|webshop:00000000000000b3" not in queue
    html = client.get("/pairs/crm:00000000000000a3/webshop:00000000000000b3").text
    assert "nothing to decide" in html and 'data-shortcut="m"' not in html
    assert "/customers/44444444-4444-4444-8444-444444444444" in html  # split there instead


def test_a_decided_pair_leaves_the_queue_at_once(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    url = "/pairs/crm:00000000000000a4/newsletter:00000000000000c4"
    version = client.get(url + ".json").json()["version"]
    token = csrf_of(client, url)
    client.post(url + "/decide.json", data={"csrf_token": token, "decision": "match", "version": version})
    queue = [s["pair_id"] for s in client.get("/review.json").json()["suggestions"]]
    assert queue == ["crm:00000000000000a1|webshop:00000000000000b1"]
