"""The plain modules under mdm/web/ (no FastAPI): explanations, diffs, queue order, leases, auth, reconnects."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from mdm.web import auth, db, leases
from mdm.web.customers import phone_digits, query_kind
from mdm.web.diffs import compare_values, diff_records
from mdm.web.explain import explain, explain_one
from mdm.web.published import NotPublished, PublishedDatabase
from mdm.web.queue import QUEUE_TABLE, QueueFilter, build_queue, queue_page
from tests.mdm.web.web_helpers import build_published

AT = datetime(2026, 11, 23, 12, 0, 0)


def test_plain_words() -> None:
    assert explain_one("email", "exact match", 6.5).sentence == "same email: strong evidence for"
    assert explain_one("birth_date", "all other comparisons", -5).sentence == \
        "different date of birth: strong evidence against"
    assert explain_one("last_name", "Jaro-Winkler >= 0.92", 2.0).sentence == \
        "last name: spelt alike: moderate evidence for"  # an unknown label is said by its meaning, not shown
    assert explain_one("first_name", "similar (jaro-winkler >= 0.8)", 1.0).sentence == \
        "first name: spelt alike: weak evidence for"
    assert explain_one("phone", "null", 0.0).sentence == "phone missing on one side: no real evidence either way"
    ordered = explain('{"a": {"level": "exact", "weight": 1}, "email": {"level": "exact", "weight": -7}}')
    assert [e.comparison for e in ordered] == ["email", "a"]
    assert explain(None) == []


def test_diffs() -> None:
    assert compare_values(["Paris", "PARIS"]) == "similar"
    assert compare_values(["Hélène", "helene"]) == "similar"
    assert compare_values(["a", None]) == "partly_missing"
    assert compare_values([None, None]) == "missing"
    assert compare_values(["Dupont", "Dupond"]) == "different"
    rows = diff_records([{"first_name": "A", "email": None}, {"first_name": "A", "email": None}])
    assert [(d.field, d.status) for d in rows] == [("first_name", "same")]
    # a field the evidence talks about has its row even when neither record has it
    rows = diff_records([{"first_name": "A"}, {"first_name": "A"}], compared=("first_name", "birth_date", "siren"))
    assert [(d.field, d.status) for d in rows] == [
        ("first_name", "same"), ("birth_date", "missing"), ("siret", "missing"), ("siren", "missing")]


def test_query_kind() -> None:
    assert query_kind("a@b.fr") == "email"
    assert query_kind("+33 6 12 34 56 78") == "phone"
    assert query_kind("11111111-1111-4111-8111-111111111111") == "golden_id"
    assert query_kind("01J9ZQ3K5V8X2M4N6P7R8S9T0W") == "golden_id"
    assert query_kind("Dupont") == "name"
    assert phone_digits("06 12 34 56 78") == "612345678"
    assert phone_digits("+33 6 12 34 56 78") == "612345678"


def _queue_con(rows: list[tuple[str, str, float, int, int]]) -> duckdb.DuckDBPyConnection:
    """A minimal publication in memory: pairs and the cluster sizes of their records."""
    con = duckdb.connect(":memory:")
    con.execute("ATTACH ':memory:' AS pub")
    con.execute("CREATE SCHEMA pub.match; CREATE SCHEMA pub.golden")
    con.execute("CREATE TABLE pub.match.pairs (record_key_l VARCHAR, record_key_r VARCHAR, match_probability DOUBLE,"
                " match_weight DOUBLE, decision VARCHAR)")
    con.execute("CREATE TABLE pub.golden.xref (record_key VARCHAR, golden_id VARCHAR, valid_to TIMESTAMP)")
    con.execute("CREATE TABLE pub.golden.customer (golden_id VARCHAR, record_count INTEGER)")
    con.execute("CREATE SCHEMA pub.staging")
    con.execute("CREATE TABLE pub.staging.customers (record_key VARCHAR, first_name VARCHAR, last_name VARCHAR,"
                " email VARCHAR)")
    for left, right, p, size_l, size_r in rows:
        con.execute("INSERT INTO pub.match.pairs VALUES (?, ?, ?, 0, 'review')", [left, right, p])
        for key, size in ((left, size_l), (right, size_r)):
            con.execute("INSERT INTO pub.golden.xref VALUES (?, ?, NULL)", [key, "g-" + key])
            con.execute("INSERT INTO pub.golden.customer VALUES (?, ?)", ["g-" + key, size])
    build_queue(con)
    return con


def test_queue_puts_uncertain_and_large_first() -> None:
    con = _queue_con([
        ("a:1", "b:1", 0.92, 1, 1),    # fairly sure, small
        ("a:2", "b:2", 0.50, 1, 1),    # unsure, small
        ("a:3", "b:3", 0.80, 40, 30),  # fairly sure, but merges 70 records
        ("a:4", "c:4", 0.55, 1, 1),
    ])
    rows, total = queue_page(con, QueueFilter(), [], 10)
    assert total == 4
    # 0.75 (unsure), 0.68 (nearly as unsure), 0.58 (surer but 70 records), 0.16
    assert [r["pair_id"] for r in rows] == ["a:2|b:2", "a:4|c:4", "a:3|b:3", "a:1|b:1"]
    rows, total = queue_page(con, QueueFilter(source="c"), [], 10)
    assert [r["pair_id"] for r in rows] == ["a:4|c:4"]
    rows, _ = queue_page(con, QueueFilter(min_score=0.6, max_score=0.9), [], 10)
    assert [r["pair_id"] for r in rows] == ["a:3|b:3"]
    rows, total = queue_page(con, QueueFilter(), ["a:2|b:2"], 1)
    assert total == 3 and [r["pair_id"] for r in rows] == ["a:4|c:4"]
    assert con.execute(f"SELECT count(*) FROM {QUEUE_TABLE}").fetchone() == (4,)
    # the per-publication index gives the same pages as the anti-join, for every filter and offset
    index = build_queue(con)["queue_index"]
    for flt in (QueueFilter(), QueueFilter(source="b"), QueueFilter(min_score=0.52), QueueFilter(max_score=0.9)):
        for left_out in ([], ["a:2|b:2"], ["a:2|b:2", "a:4|c:4", "not:in|queue"]):
            for offset in (0, 1, 2):
                assert queue_page(con, flt, left_out, 2, offset, index=index) == \
                    queue_page(con, flt, left_out, 2, offset), (flt, left_out, offset)


def test_leases_are_exclusive_under_threads(tmp_path: Path) -> None:
    path = tmp_path / "web.sqlite"
    db.connect(path).close()
    winners: list[str] = []

    def grab(user: str) -> None:
        con = db.connect(path)
        if leases.claim(con, "p1", user, AT, 10) == user:
            winners.append(user)
        con.close()

    threads = [threading.Thread(target=grab, args=(f"u{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1
    con = db.connect(path)
    assert leases.holder(con, "p1", AT) == winners[0]
    assert leases.holder(con, "p1", AT + timedelta(minutes=11)) is None  # leases expire
    assert leases.claim(con, "p1", "late", AT + timedelta(minutes=11), 10) == "late"


def test_auth(tmp_path: Path) -> None:
    con = db.connect(tmp_path / "web.sqlite")
    user = auth.add_user(con, "alice", "steward", "s3cret-pass", AT)
    stored = con.execute("SELECT password_hash FROM users").fetchone()[0]
    assert stored.startswith("$argon2id$") and "s3cret" not in stored
    assert auth.verify_password(con, "alice", "s3cret-pass") == user
    assert auth.verify_password(con, "alice", "wrong") is None
    assert auth.verify_password(con, "nobody", "s3cret-pass") is None
    with pytest.raises(auth.UserError):
        auth.add_user(con, "alice", "steward", "another-pass", AT)
    with pytest.raises(auth.UserError):
        auth.add_user(con, "bob", "root", "another-pass", AT)
    with pytest.raises(auth.UserError):
        auth.add_user(con, "bob", "manager", "short", AT)
    session = auth.create_session(con, user, AT, hours=1)
    assert auth.get_session(con, session.session_id, AT) == session
    assert auth.get_session(con, session.session_id, AT + timedelta(hours=2)) is None
    assert auth.remove_user(con, "alice") and auth.get_session(con, session.session_id, AT) is None
    assert user.can("steward") and not auth.User("m", "manager").can("steward")


def test_published_database_reopens_after_a_publication(tmp_path: Path) -> None:
    path = tmp_path / "published" / "golden.duckdb"
    pub = PublishedDatabase(path, on_open=build_queue)
    with pytest.raises(NotPublished):
        pub.snapshot()
    build_published(path)
    with pub.cursor() as (cur, _):
        first = cur.execute("SELECT max(match_probability) FROM match.pairs WHERE decision = 'review'").fetchone()
        # a publication while a request still holds its cursor: that request keeps the old data
        build_published(path, probability_shift=0.05)
        assert cur.execute("SELECT max(match_probability) FROM match.pairs WHERE decision = 'review'").fetchone() \
            == first
    with pub.cursor() as (cur, _):
        second = cur.execute("SELECT max(match_probability) FROM match.pairs WHERE decision = 'review'").fetchone()
    assert first is not None and second is not None
    assert second[0] == pytest.approx(first[0] + 0.05)
    pub.close()


@pytest.mark.parametrize("q", ["dupont", "Marie Dup", "MARTIN", "hélène", "x@example", "06 98 76 54 32",
                               "+33 6 98 76 54 32", "nobody", "hack"])
def test_search_index_gives_the_same_answers_as_a_scan(tmp_path: Path, q: str) -> None:
    from mdm.web import search_index
    from mdm.web.customers import search

    path = tmp_path / "golden.duckdb"
    build_published(path)
    pub = PublishedDatabase(path)
    with pub.cursor() as (cur, snap):
        scanned = search(cur, q)
        assert search_index.index_ready(snap, background=False)
        indexed = search(cur, q, snap=snap)
    assert indexed == scanned
    pub.close()


def test_search_index_lookups(tmp_path: Path) -> None:
    from mdm.web import search_index

    path = tmp_path / "golden.duckdb"
    build_published(path)
    pub = PublishedDatabase(path)
    with pub.cursor() as (cur, snap):
        search_index.index_ready(snap, background=False)
        assert search_index.ids_by_name(cur, ["hacker"], 10) == [
            "44444444-4444-4444-8444-444444444444"]
        assert search_index.ids_by_phone(cur, "698765432", 10) == ["33333333-3333-4333-8333-333333333333"]
    pub.close()


def test_pages_read_the_same_through_the_record_locator(tmp_path: Path) -> None:
    """Pair and customer data are the same (same version) before and after the lookup index is built."""
    import sqlite3

    from mdm.stewardship import store
    from mdm.web import search_index
    from mdm.web.customers import customer_page
    from mdm.web.pairs import load_pair, record_names

    path = tmp_path / "golden.duckdb"
    build_published(path)
    pub = PublishedDatabase(path)
    con: sqlite3.Connection = store.connect(tmp_path / "steward.sqlite")
    keys = ["crm:00000000000000a1", "webshop:00000000000000b1"]
    with pub.cursor() as (cur, snap):
        before = load_pair(cur, con, keys[0], keys[1])
        page_before = customer_page(cur, "33333333-3333-4333-8333-333333333333", "s")
        names_before = record_names(cur, keys)
        assert search_index.index_ready(snap, background=False)
        after = load_pair(cur, con, keys[0], keys[1], snap=snap)
        assert customer_page(cur, "33333333-3333-4333-8333-333333333333", "s", snap) == page_before
        assert record_names(cur, keys, snap) == names_before == {keys[0]: "Marie Dupont", keys[1]: "Marie Dupond"}
    assert before is not None and after is not None
    assert after.as_dict() == before.as_dict() and after.version == before.version
    pub.close()
