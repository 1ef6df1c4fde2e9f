"""Stewards release or discard quarantined event rows like customer rows: one at a time from the
CLI, or a whole filter from the app's bulk form (preview, then confirm). A released event goes
through validation and resolution again at the next run; a discarded one stays out until the
source sends a different version of it."""

from __future__ import annotations

from collections.abc import Callable

from click.testing import CliRunner
from fastapi.testclient import TestClient

from mdm.cli import mdm
from mdm.web.app import create_app
from sources.keys import record_key
from tests.mdm.events.conftest import CUSTOMERS, ORDERS, EventsHome
from tests.mdm.web.web_helpers import add_user, csrf_of, login


def _quarantine(home: EventsHome) -> dict[str, tuple[str, list[str]]]:
    rows = home.query("SELECT record_key, status, reasons FROM quarantine.rows WHERE source = 'orders'")
    return {key: (status, list(reasons)) for key, status, reasons in rows}


def _cli(home: EventsHome, *args: str) -> str:
    result = CliRunner().invoke(mdm, [*args, "--config", str(home.config_path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_release_and_discard_of_event_rows(events_home: Callable[..., EventsHome]) -> None:
    home = events_home()
    home.drop("crm/clients.csv", CUSTOMERS)
    home.drop("orders/orders.csv", ORDERS)
    home.run()
    bad_date, bad_amount = record_key("orders", ["O7"]), record_key("orders", ["O8"])
    assert _quarantine(home)[bad_date] == ("open", ["event_date_invalid"])
    assert _quarantine(home)[bad_amount] == ("open", ["event_amount_invalid"])
    # The steward sees the event's own fields (its order number too) and corrects one of them,
    # by its canonical name or by the file's column name.
    shown = _cli(home, "quarantine", "show", bad_date)
    assert "event_key: O7" in shown and "occurred_at: not a date" in shown
    _cli(home, "quarantine", "release", bad_date, "--set", "date=2026-09-05")
    _cli(home, "quarantine", "discard", bad_amount)
    assert home.query("SELECT count(*) FROM golden.customer_event WHERE event_record_key = ?", [bad_date]) == [(0,)]

    summary = home.run()

    assert summary.counts()["standardise"]["quarantine_actions"] == {"released": 1, "discarded": 1, "ignored": 0}
    assert _quarantine(home)[bad_date][0] == "released"
    assert _quarantine(home)[bad_amount][0] == "discarded"
    # Validated and resolved again: on Anne's timeline (C1), with the corrected date.
    row = home.query("SELECT e.occurred_at::VARCHAR, e.amount, s.resolved_by FROM golden.customer_event e "
                     "JOIN events.staged s ON s.record_key = e.event_record_key WHERE e.event_record_key = ?",
                     [bad_date])
    assert [(r[0], str(r[1]), r[2]) for r in row] == [("2026-09-05 00:00:00", "5.00", "key")]
    assert home.query("SELECT count(*) FROM golden.customer_event WHERE event_record_key = ?", [bad_amount]) == [(0,)]
    published = home.query("SELECT count(*) FROM golden.customer_event WHERE event_record_key = ?", [bad_date],
                           published=True)
    assert published == [(1,)]

    # The same rows again in a later export: the correction holds, the discard too.
    home.drop("orders/orders_again.csv", ORDERS + 'O11,C2,,2026-11-02,"8,00",EUR,Commande\n')
    home.run()
    assert _quarantine(home)[bad_date][0] == "released" and _quarantine(home)[bad_amount][0] == "discarded"
    assert home.query("SELECT occurred_at::VARCHAR FROM events.staged WHERE record_key = ?", [bad_date]) == [
        ("2026-09-05 00:00:00",)]
    # A different version of the discarded event from the source comes back into play.
    home.drop("orders/orders_fixed.csv", "order_no,client,mail,date,montant,devise,type\n"
              'O8,C1,,2026-09-01,"12,00",EUR,Commande\n')
    home.run()
    assert _quarantine(home)[bad_amount][0] == "superseded"
    assert home.query("SELECT amount::VARCHAR FROM golden.customer_event WHERE event_record_key = ?",
                      [bad_amount]) == [("12.00",)]


def test_bulk_release_of_event_rows_from_the_app(events_home: Callable[..., EventsHome]) -> None:
    home = events_home()
    home.drop("crm/clients.csv", CUSTOMERS)
    home.drop("orders/orders.csv", ORDERS)
    home.run()
    future = record_key("orders", ["O10"])  # dated 2031: quarantined as event_in_future
    assert _quarantine(home)[future] == ("open", ["event_in_future"])
    config = home.config
    add_user(config, "steward1", "steward")
    app = create_app(config)
    try:
        with TestClient(app, headers={"Accept-Language": "en"}) as client:
            assert login(client, "steward1").status_code == 303
            asked = {"csrf_token": csrf_of(client, "/quarantine"), "action": "release", "source": "orders",
                     "reason": "event_in_future"}
            preview = client.post("/quarantine/bulk.json", data=asked).json()
            assert preview["saved"] == 0 and preview["preview"]["sample"] == [future]
            done = client.post("/quarantine/bulk.json", data={**asked, "confirm": "yes", "count": "1"}).json()
            assert done == {"action": "release", "saved": 1}
    finally:
        app.state.mdm.published.close()

    home.run()

    # Released as it was: validated again, and still dated in the future, so open again.
    assert _quarantine(home)[future] == ("open", ["event_in_future"])
    assert home.query("SELECT count(*) FROM events.staged WHERE record_key = ?", [future]) == [(0,)]
