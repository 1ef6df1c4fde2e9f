"""Legal holds: a golden customer or a source record that must not expire until the hold is lifted.

A hold on a golden id covers every current record of that customer (and follows it through a
merge, by its alias). Holds are kept after they are lifted (`lifted_at`), as evidence.
The reason should be a case reference, never personal data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb


class UnknownSubject(ValueError):
    """The subject is neither a golden id nor a record key known to the warehouse."""


def subject_kind(con: duckdb.DuckDBPyConnection, subject: str) -> str | None:
    """'golden_id', 'record_key' or None."""
    row = con.execute(
        """
        SELECT CASE
          WHEN EXISTS (SELECT 1 FROM golden.customer WHERE golden_id = ?)
            OR EXISTS (SELECT 1 FROM golden.alias WHERE alias_id = ?) THEN 'golden_id'
          WHEN EXISTS (SELECT 1 FROM staging.customers WHERE record_key = ?)
            OR EXISTS (SELECT 1 FROM raw.records WHERE record_key = ?)
            OR EXISTS (SELECT 1 FROM raw.event_rows WHERE record_key = ?) THEN 'record_key'
        END
        """,
        [subject, subject, subject, subject, subject],
    ).fetchone()
    return row[0] if row else None


def add_hold(con: duckdb.DuckDBPyConnection, subject: str, reason: str, at: datetime) -> str:
    """Place a hold; returns the subject's kind. Placing a hold twice keeps one active hold."""
    kind = subject_kind(con, subject)
    if kind is None:
        raise UnknownSubject("no golden customer or source record has that id")
    active = con.execute(
        "SELECT count(*) FROM retention.legal_holds WHERE subject = ? AND lifted_at IS NULL", [subject]
    ).fetchone()
    if not active or not active[0]:
        con.execute("INSERT INTO retention.legal_holds VALUES (?, ?, ?, NULL)", [subject, reason, at])
    return kind


def lift_hold(con: duckdb.DuckDBPyConnection, subject: str, at: datetime) -> int:
    """Lift the active hold(s) on the subject; returns how many were lifted."""
    row = con.execute(
        "UPDATE retention.legal_holds SET lifted_at = ? WHERE subject = ? AND lifted_at IS NULL", [at, subject]
    ).fetchone()
    return int(row[0]) if row else 0


def list_holds(con: duckdb.DuckDBPyConnection, include_lifted: bool = False) -> list[dict[str, Any]]:
    where = "" if include_lifted else "WHERE lifted_at IS NULL"
    rows = con.execute(
        f"SELECT subject, reason, placed_at, lifted_at FROM retention.legal_holds {where} ORDER BY placed_at, subject"
    ).fetchall()
    return [dict(zip(("subject", "reason", "placed_at", "lifted_at"), r, strict=True)) for r in rows]
