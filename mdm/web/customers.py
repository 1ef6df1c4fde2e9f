"""The app's side of the golden-customer read model (`mdm.golden_view`): its faster lookups and JSON.

The searches and the customer page are `mdm.golden_view`'s, the same the CLI renders; the app only
adds its per-publication index (`mdm.web.search_index`) and turns dates into ISO strings for the
JSON twin of each page.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from mdm import golden_view
from mdm.privacy import read_salt
from mdm.web import search_index
from mdm.web.published import Snapshot

# Re-exported for the views and the tests: one definition, in golden_view.
query_kind = golden_view.query_kind
phone_digits = golden_view.phone_digits


def jsonable(value: Any) -> Any:
    """Dates as ISO strings, recursively (the pages format them; JSON needs strings)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def _index(snap: Snapshot | None) -> Any:
    return search_index if snap is not None and search_index.index_ready(snap) else None


def search(cur: duckdb.DuckDBPyConnection, q: str, limit: int = 50, snap: Snapshot | None = None) -> dict[str, Any]:
    """`golden_view.find`, through the index once this publication's is built (same answers)."""
    return jsonable(golden_view.find(cur, q, limit, index=_index(snap)))


def resolve_id(cur: duckdb.DuckDBPyConnection, golden_id: str) -> str | None:
    return golden_view.resolve(cur, golden_id)[0]


def audit_salt(home: Any, salt_env: str) -> str | None:
    """The salt the pipeline fingerprints audit subjects with (env var, else `$MDM_HOME/.salt`);
    None before the pipeline made one (the app never creates it)."""
    return read_salt(Path(home), salt_env, create=False)


def _read_records(snap: Snapshot | None) -> golden_view.RecordReader | None:
    if _index(snap) is None:
        return None

    def read(cur: duckdb.DuckDBPyConnection, keys: list[str]) -> list[tuple[Any, ...]]:
        rowids = search_index.record_rowids(cur, keys)
        if not rowids:
            return []
        literal = ", ".join(str(int(r)) for r in rowids)  # integers from the database, not from users
        return cur.execute(
            f"SELECT {', '.join(golden_view.RECORD_COLUMNS)} FROM staging.customers WHERE rowid IN ({literal})"
        ).fetchall()

    return read


def customer_page(
    cur: duckdb.DuckDBPyConnection, golden_id: str, salt: str | None, snap: Snapshot | None = None
) -> dict[str, Any] | None:
    """The read model of one customer, history newest first (as the page lists it)."""
    data = golden_view.customer(cur, golden_id, salt=salt, read_records=_read_records(snap))
    if data is None:
        return None
    data["history"] = list(reversed(data["history"]))
    data["activity"] = activity(cur, golden_id)
    return jsonable(data)


#: Events the customer page lists, latest first (the whole timeline is in golden.customer_event).
TIMELINE_LIMIT = 50
_SUMMARY_COLUMNS = ("segment", "order_count", "revenue::DOUBLE", "first_purchase_at", "last_purchase_at",
                    "last_initiated_contact_at", "recency_score", "frequency_score", "monetary_score",
                    "clv_projected::DOUBLE", "event_count")


def activity(cur: duckdb.DuckDBPyConnection, golden_id: str) -> dict[str, Any] | None:
    """The customer's segment and activity summary and latest events (docs/events.md), or None when
    the published file predates them."""
    present = {r[0] for r in cur.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'golden' "
        "AND table_name IN ('customer_event', 'customer_summary')"
    ).fetchall()}
    if len(present) < 2:
        return None
    row = cur.execute(
        f"SELECT {', '.join(_SUMMARY_COLUMNS)} FROM golden.customer_summary WHERE golden_id = ?", [golden_id]
    ).fetchone()
    names = [c.removesuffix("::DOUBLE") for c in _SUMMARY_COLUMNS]
    summary = jsonable(dict(zip(names, row, strict=True))) if row else None
    events = [
        jsonable(dict(zip(("occurred_at", "event_type", "channel", "amount", "currency", "initiated_by_customer",
                            "source"), r, strict=True)))
        for r in cur.execute(
            "SELECT occurred_at, event_type, channel, amount::DOUBLE, currency, initiated_by_customer, source "
            "FROM golden.customer_event WHERE golden_id = ? ORDER BY occurred_at DESC, event_record_key LIMIT ?",
            [golden_id, TIMELINE_LIMIT],
        ).fetchall()
    ]
    return {"summary": summary, "events": events}
