"""Erasing a person takes their events everywhere (searched by bytes and by SQL); amounts stay, unlinked."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from tests.mdm.events.conftest import CUSTOMERS, ORDERS, EventsHome
from tests.warehouse.retention.conftest import file_bytes_containing
from tests.warehouse.retention.test_erasure_journal import sql_hits
from warehouse.retention.erasure import erase

#: Anne's orders carry order numbers nobody else has, so a byte search can find any trace of them.
ANNE_ORDERS = ORDERS.replace("O1,", "ANNE-ORDER-7731,").replace("O7,", "ANNE-ORDER-7737,")
#: A later export from the e-shop that still holds one of Anne's orders (and one of Paul's).
LATER = "order_no,client,mail,date,montant,devise,type\nANNE-ORDER-7790,C1,,2026-11-22,\"9,90\",EUR,Commande\n" \
        "PAUL-ORDER-1,C2,,2026-11-22,\"4,00\",EUR,Commande\n"


def test_erasure_removes_events_and_keeps_amounts_without_the_person(events_home: Callable[..., EventsHome]) -> None:
    home = events_home()
    home.drop("crm/clients.csv", CUSTOMERS)
    home.drop("orders/orders.csv", ANNE_ORDERS)
    home.run()
    needles = ["anne.martin@example.fr", "ANNE-ORDER-7731", "ANNE-ORDER-7737"]
    # Her quarantined order (bad date) keeps its order number in its payload for the stewards; a
    # resolved order keeps it only hashed in its key (the landing is emptied once read).
    assert file_bytes_containing(home.home, needles[2:3]), "the order number must be findable before"

    result = erase(home.config, "email", "anne.martin@example.fr")
    assert not result.pending
    # Her two resolved orders and her quarantined one (bad date) went; the amounts of the resolved ones stay.
    assert home.query("SELECT source, event_type, occurred_on::VARCHAR, amount, currency FROM events.accounting "
                      "ORDER BY amount") == [
        ("orders", "order", "2026-10-01", Decimal("120.50"), "EUR"),
        ("orders", "order", "2026-11-01", Decimal("1234.00"), "EUR"),
    ]
    columns = {r[0] for r in home.query("SELECT column_name FROM duckdb_columns() WHERE schema_name = 'events' "
                                        "AND table_name = 'accounting'")}
    assert not columns & {"record_key", "golden_id", "event_record_key", "customer_record_key"}

    # The next run: the e-shop sends her order again; it is suppressed, Paul's goes through.
    home.drop("orders/orders_later.csv", LATER)
    counts = home.run().results["events"].counts
    assert counts["suppressed"] == 1 and counts["received"] == {"orders": 2}  # read, then Anne's purged
    needles.append("ANNE-ORDER-7790")
    roots = [p for p in home.home.iterdir() if p.name not in ("inbox", "rejected")]
    assert file_bytes_containing(home.home, needles) == []
    assert sql_hits(roots, needles) == []
    # Paul's events are all still there.
    assert home.query("SELECT count(*) FROM golden.customer_event WHERE customer_record_key = "
                      "(SELECT record_key FROM staging.customers WHERE email = 'paul.durand@example.fr')",
                      published=True) == [(3,)]


def test_erasure_takes_the_person_out_of_the_publication_log(events_home: Callable[..., EventsHome]) -> None:
    """A run stopped before publishing leaves the night's event keys in `publication.changes`, the
    log the next publication patches the timeline with; erasing Anne takes hers out of it too."""
    from sources.keys import record_key

    home = events_home()
    home.drop("crm/clients.csv", CUSTOMERS)
    home.drop("orders/orders.csv", ANNE_ORDERS)
    home.run(until="events")
    anne_order = record_key("orders", ["ANNE-ORDER-7731"])
    logged = "SELECT count(*) FROM publication.changes WHERE record_key = ?"
    assert home.query(logged, [anne_order]) != [(0,)]
    assert not erase(home.config, "email", "anne.martin@example.fr").pending
    assert home.query(logged, [anne_order]) == [(0,)]
    assert home.query("SELECT count(*) FROM publication.changes") != [(0,)]  # Paul's stay
