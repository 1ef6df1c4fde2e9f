"""Event sources end to end: real CSV files, the real pipeline, the published file."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import pytest

from mdm.config import ConfigError, parse_config
from mdm.stewardship import store
from tests.mdm.events.conftest import BASE_CONFIG, CUSTOMERS, ORDERS, EventsHome


def _gid(home: EventsHome, crm_id: str) -> str:
    from sources.keys import record_key

    rows = home.query("SELECT golden_id FROM golden.xref WHERE record_key = ? AND valid_to IS NULL",
                      [record_key("crm", [crm_id])])
    return str(rows[0][0])


def test_events_are_validated_resolved_held_and_published(events_home: Callable[..., EventsHome]) -> None:
    home = events_home()
    home.drop("crm/clients.csv", CUSTOMERS)
    home.drop("orders/orders.csv", ORDERS)
    summary = home.run()
    events = summary.results["events"].counts
    assert events["received"] == {"orders": 6}
    assert events["quarantined"] == {"orders": 4}
    assert events["quarantine_reasons"] == {
        "event_amount_invalid": 1, "event_date_invalid": 1, "event_in_future": 1, "event_no_customer": 1,
    }
    assert events["resolved"] == {"email": 1, "held:customer_ambiguous": 1, "held:customer_unknown": 1, "key": 3}
    assert events["held"] == {"customer_ambiguous": 1, "customer_unknown": 1}

    anne = _gid(home, "C1")
    timeline = home.query(
        "SELECT event_type, occurred_at, amount, currency, channel, initiated_by_customer FROM golden.customer_event "
        "WHERE golden_id = ? ORDER BY occurred_at", [anne], published=True)
    assert timeline == [
        ("order", datetime(2026, 10, 1), Decimal("120.50"), "EUR", "web", True),
        ("order", datetime(2026, 11, 1, 14, 30), Decimal("1234.00"), "EUR", "web", True),
    ]
    # O3 had no currency: the default one; O5 found Paul by his e-mail.
    paul = home.query("SELECT count(*), sum(amount), list(DISTINCT currency) FROM golden.customer_event "
                      "WHERE golden_id = ?", [_gid(home, "C2")], published=True)
    assert paul == [(2, Decimal("55.00"), ["EUR"])]
    quarantined = home.query("SELECT reasons FROM quarantine.rows WHERE source = 'orders' ORDER BY reasons",
                             published=True)
    assert len(quarantined) == 4


def test_an_event_sent_twice_in_one_night_keeps_its_latest_version(events_home: Callable[..., EventsHome]) -> None:
    """Two exports of one night both hold O1; the one stored last wins, and O1 is on the timeline once."""
    home = events_home()
    home.drop("crm/clients.csv", CUSTOMERS)
    home.drop("orders/orders.csv", ORDERS)
    home.drop("orders/orders_fix.csv", ORDERS.splitlines()[0] + '\nO1,C1,,2026-10-01,"99,90",EUR,Commande\n')
    events = home.run().results["events"].counts
    assert events["received"] == {"orders": 6}
    anne = home.query("SELECT event_record_key, amount FROM golden.customer_event WHERE golden_id = ? "
                      "ORDER BY occurred_at", [_gid(home, "C1")], published=True)
    assert [amount for _, amount in anne] == [Decimal("99.90"), Decimal("1234.00")]


def test_held_event_is_retried_and_found_when_its_customer_arrives(events_home: Callable[..., EventsHome]) -> None:
    home = events_home()
    home.drop("crm/clients.csv", CUSTOMERS)
    home.drop("orders/orders.csv", ORDERS)
    home.run()
    home.drop("crm/clients_new.csv", "id;nom;prenom;email;tel;statut;cree\nC9;Blanc;Yves;yves@example.fr;;client;2026-11-01\n")
    second = home.run().results["events"].counts
    assert second["received"] == {}  # nothing new to read: the held event was retried, not re-read
    assert second["resolved"] == {"held:customer_ambiguous": 1, "key": 1}
    assert home.query("SELECT count(*) FROM golden.customer_event WHERE golden_id = ?", [_gid(home, "C9")],
                      published=True) == [(1,)]


def _steward(home: EventsHome, action: str, golden_id: str, **kw: object) -> None:
    con = store.connect(home.config.paths.steward_db)
    try:
        store.add_golden_action(con, action, golden_id, "alice", datetime(2026, 11, 23), **kw)  # type: ignore[arg-type]
        con.commit()
    finally:
        con.close()


def test_merges_and_splits_move_events_with_their_records(events_home: Callable[..., EventsHome]) -> None:
    """A steward merges Anne (C1) and Paul (C2): every event of both ends on the survivor, and the
    other id lives on as an alias; split Paul out again: his events follow his record to its new id."""
    home = events_home()
    home.drop("crm/clients.csv", CUSTOMERS)
    home.drop("orders/orders.csv", ORDERS)
    home.run()
    anne, paul = _gid(home, "C1"), _gid(home, "C2")
    _steward(home, "merge", anne, other_golden_id=paul)
    moved = home.run().results["events"].counts["moved_with_their_record"]
    survivor = _gid(home, "C1")
    assert _gid(home, "C2") == survivor and moved == 2
    assert home.query("SELECT count(*) FROM golden.customer_event WHERE golden_id = ?", [survivor],
                      published=True) == [(4,)]
    from sources.keys import record_key

    _steward(home, "split", survivor, record_keys=[record_key("crm", ["C2"])])
    home.run()
    paul_now = _gid(home, "C2")
    assert paul_now != _gid(home, "C1")
    per_customer = home.query(
        "SELECT golden_id, count(*) FROM golden.customer_event GROUP BY ALL ORDER BY 2", published=True)
    assert sorted(per_customer) == sorted([(paul_now, 2), (_gid(home, "C1"), 2)])
    orphans = home.query(
        "SELECT count(*) FROM golden.customer_event e LEFT JOIN golden.xref x ON x.record_key = e.customer_record_key "
        "AND x.valid_to IS NULL WHERE x.golden_id IS DISTINCT FROM e.golden_id", published=True)
    assert orphans == [(0,)]


def test_event_source_config_is_checked() -> None:
    bad = copy.deepcopy(BASE_CONFIG)
    bad["sources"][1]["mapping"]["nom"] = "x"
    with pytest.raises(ConfigError, match="unknown event field"):
        parse_config(bad, "mdm.yaml", __import__("pathlib").Path("."))
    no_date = copy.deepcopy(BASE_CONFIG)
    del no_date["sources"][1]["mapping"]["occurred_at"]
    with pytest.raises(ConfigError, match="must map \\['occurred_at'\\]"):
        parse_config(no_date, "mdm.yaml", __import__("pathlib").Path("."))
    wrong_target = copy.deepcopy(BASE_CONFIG)
    wrong_target["sources"][1]["customer_source"] = "orders"
    with pytest.raises(ConfigError, match="is not a customer source"):
        parse_config(wrong_target, "mdm.yaml", __import__("pathlib").Path("."))
