"""The event parse on its own, on a real DuckDB connection: times, amounts, contacts."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from mdm.canonical import EVENT_FIELDS
from mdm.context import RunContext
from mdm.events import standardise
from mdm.events.config import EventsConfig
from sources.config import SourceConfig

NOW = datetime(2026, 11, 23, 12)


def _parse(rows: list[dict[str, Any]], time_zone: str = "UTC", **source: Any) -> list[dict[str, Any]]:
    """Land `rows` (event fields as text) in the batch table and parse them; rows by event key."""
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{time_zone}'")
    columns = ["record_key", "load_id", "payload_hash", "event_key", *EVENT_FIELDS]
    con.execute(f"CREATE TEMP TABLE {standardise.ROWS} ({', '.join(f'{c} VARCHAR' for c in columns)})")
    for i, row in enumerate(rows):
        values = {"record_key": f"ev:{i}", "load_id": "L1", "payload_hash": str(i), "event_key": str(i), **row}
        con.execute(f"INSERT INTO {standardise.ROWS} BY NAME SELECT {', '.join(f'?::VARCHAR AS {k}' for k in values)}",
                    list(values.values()))
    config = SourceConfig.model_validate({"name": "shop", "kind": "csv", "path": "shop/*.csv", "records": "events",
                                          "key_columns": ["id"], "mapping": {"event_type": "type", "occurred_at": "date", "customer_key": "client", "email": "mail",
                                                      "phone": "tel", "amount": "amount"},
                                          **source})
    ctx = RunContext(config=None, con=con, run_id="run-1", now=NOW)  # type: ignore[arg-type]
    standardise.parse_rows(ctx, config, EventsConfig())
    cur = con.execute(f"SELECT * FROM {standardise.PARSED} ORDER BY record_key")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def test_iso_times_are_utc_whatever_the_machine_time_zone() -> None:
    rows = [{"event_type": "order", "occurred_at": t, "customer_key": "C1"}
            for t in ("2026-10-01 14:30:00", "2026-10-01T14:30:00+02:00", "2026-10-01", "2026-10-01T14:30:00Z")]
    for zone in ("UTC", "Europe/Paris", "America/New_York"):
        parsed = [r["occurred_at"] for r in _parse(rows, zone, customer_source="crm")]
        assert parsed == [datetime(2026, 10, 1, 14, 30), datetime(2026, 10, 1, 12, 30), datetime(2026, 10, 1),
                          datetime(2026, 10, 1, 14, 30)], zone


@pytest.mark.parametrize(("text", "value"), [
    ("41.15", Decimal("41.15")), ("-12", Decimal("-12")), ("7.5", Decimal("7.50")),
    ("120,50", Decimal("120.50")), ("1.234,00", Decimal("1234.00")), ("1,234.50", Decimal("1234.50")),
    ("12.345", Decimal("12345")), ("35 €", Decimal("35")), ("1 234,5 EUR", Decimal("1234.50")),
])
def test_amounts_in_every_written_form(text: str, value: Decimal) -> None:
    parsed = _parse([{"event_type": "order", "occurred_at": "2026-10-01", "customer_key": "C1", "amount": text}],
                    customer_source="crm")
    assert parsed[0]["amount"] == value
    assert parsed[0]["reasons"] == []


def test_contacts_count_only_without_a_customer_key() -> None:
    rows = [
        {"event_type": "order", "occurred_at": "2026-10-01", "customer_key": "C1", "email": "Anne@Example.fr"},
        {"event_type": "order", "occurred_at": "2026-10-01", "email": "Anne@Example.fr"},
        {"event_type": "order", "occurred_at": "2026-10-01", "phone": "06 12 34 56 78"},
        {"event_type": "order", "occurred_at": "2026-10-01", "email": "not an e-mail"},
    ]
    parsed = _parse(rows, customer_source="crm", default_country="FR")
    assert parsed[0]["ref_record_key"] is not None and parsed[0]["email"] is None
    assert parsed[1]["email"] == "anne@example.fr" and parsed[1]["reasons"] == []
    assert parsed[2]["phone"] == "+33612345678" and parsed[2]["reasons"] == []
    assert parsed[3]["reasons"] == ["event_no_customer"]
