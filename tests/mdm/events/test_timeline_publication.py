"""Published tables are patched from the previous publication, and always equal the warehouse's.

Real pipeline runs on CSV files; each test says whether the night patched the timeline
(`publish.tables_patched`) and checks the published rows against the warehouse row for row.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import pytest

from mdm.pipeline import RunSummary
from tests.mdm.events.conftest import CUSTOMERS, ORDERS, EventsHome
from tests.mdm.events.test_event_sources import _gid, _steward
from warehouse.publication.delta import PATCHED
from warehouse.publication.rollback import rollback

MORE_ORDERS = ORDERS.splitlines()[0] + '\nO20,C1,,2026-11-02,"12,00",EUR,Commande\nO2,C1,,2026-11-01 14:30,"1.300,00",EUR,commande\n'


def _same_timeline(home: EventsHome) -> None:
    """Every table publication patches holds exactly the warehouse's rows (every column)."""
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{home.home / 'warehouse.duckdb'}' AS w (READ_ONLY)")
        con.execute(f"ATTACH '{home.home / 'published' / 'mdm.duckdb'}' AS p (READ_ONLY)")
        for table in PATCHED:
            for a, b in (("w", "p"), ("p", "w")):
                extra = con.execute(f"SELECT count(*) FROM (SELECT * FROM {a}.{table} "
                                    f"EXCEPT ALL SELECT * FROM {b}.{table})").fetchone()
                assert extra == (0,), f"{table}: rows in {a} and not in {b}"
    finally:
        con.close()


def _patched(summary: RunSummary) -> int:
    return int(summary.results["publish"].counts["tables_patched"])


def _night(home: EventsHome, monkeypatch: pytest.MonkeyPatch, day: int) -> RunSummary:
    """A run on the night of November `day` (the tests' clock is frozen; nights must differ, as
    the timeline follows records whose cross-reference changed since the last night)."""
    monkeypatch.setenv("MDM_NOW", f"2026-11-{day:02d}T02:00:00")
    return home.run()


def test_a_night_patches_the_timeline_with_its_new_changed_and_moved_events(
    events_home: Callable[..., EventsHome], monkeypatch: pytest.MonkeyPatch
) -> None:
    home = events_home()
    home.drop("crm/clients.csv", CUSTOMERS)
    home.drop("orders/orders.csv", ORDERS)
    assert _patched(_night(home, monkeypatch, 20)) == 0  # the first publication has no predecessor
    home.drop("orders/orders_2.csv", MORE_ORDERS)  # a new event and a corrected amount
    home.drop("crm/clients_2.csv", CUSTOMERS.splitlines()[0] + "\n"  # a new customer, a new phone
              "C6;Blanc;Zoe;zoe.blanc@example.fr;0600000001;client;2026-11-01\n"
              "C2;Durand;Paul;paul.durand@example.fr;0698765499;client;2021-05-02\n")
    assert _patched(_night(home, monkeypatch, 21)) == len(PATCHED)
    _same_timeline(home)
    assert home.query("SELECT count(*) FROM golden.customer_event WHERE amount = 1300", published=True) == [(1,)]
    _steward(home, "merge", _gid(home, "C1"), other_golden_id=_gid(home, "C2"))  # events move with records
    summary = _night(home, monkeypatch, 22)
    assert summary.results["events"].counts["moved_with_their_record"] > 0 and _patched(summary) == len(PATCHED)
    _same_timeline(home)
    assert home.query("SELECT count(*) FROM publication.changes") == [(0,)]  # emptied once published


def test_a_change_nobody_logged_makes_the_night_copy_the_timeline_whole(
    events_home: Callable[..., EventsHome], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checksum, not the log, decides what is published: a timeline row changed behind the
    log's back (here by hand) is caught and the table is copied whole."""
    home = events_home()
    home.drop("crm/clients.csv", CUSTOMERS)
    home.drop("orders/orders.csv", ORDERS)
    _night(home, monkeypatch, 20)
    _night(home, monkeypatch, 21)  # follows the records of the 20th once more (xref rows since its start)
    con = duckdb.connect(str(home.home / "warehouse.duckdb"))
    try:
        con.execute("UPDATE golden.customer_event SET amount = amount + 1 WHERE amount IS NOT NULL")
    finally:
        con.close()
    night = _night(home, monkeypatch, 22)
    _same_timeline(home)
    assert _patched(night) == len(PATCHED) - 1  # the timeline copied whole, the others patched


def test_a_write_into_the_published_file_makes_the_next_night_build_a_fresh_one(
    events_home: Callable[..., EventsHome], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A patch trusts what the last run recorded of its file only while that file is unchanged: a
    reader who wrote into it (here, opening it read-write as `duckdb FILE` does, and deleting
    events) moves its signature, and the next night builds a fresh file."""
    home = events_home()
    home.drop("crm/clients.csv", CUSTOMERS)
    home.drop("orders/orders.csv", ORDERS)
    _night(home, monkeypatch, 20)
    assert _patched(_night(home, monkeypatch, 21)) == len(PATCHED)
    con = duckdb.connect(str(home.home / "published" / "mdm.duckdb"))
    try:
        con.execute("DELETE FROM golden.customer_event WHERE amount IS NOT NULL")
    finally:
        con.close()
    home.drop("orders/orders_2.csv", MORE_ORDERS)
    assert _patched(_night(home, monkeypatch, 22)) == 0
    _same_timeline(home)


def test_after_a_rollback_the_next_night_builds_a_fresh_file(events_home: Callable[..., EventsHome]) -> None:
    """A rolled-back file is not the one the changes count from: the next night copies everything."""
    home = events_home()
    home.drop("crm/clients.csv", CUSTOMERS)
    home.drop("orders/orders.csv", ORDERS)
    first = home.run().run_id
    home.drop("orders/orders_2.csv", MORE_ORDERS)
    home.run()
    rollback(home.config, to=first)
    home.drop("orders/orders_3.csv", ORDERS.splitlines()[0] + '\nO30,C2,,2026-11-03,"8,00",EUR,Commande\n')
    assert _patched(home.run()) == 0
    _same_timeline(home)
