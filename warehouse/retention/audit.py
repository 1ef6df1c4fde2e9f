"""Audit rows for retention and erasure: hashed keys, rule names and counts, never personal data."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from mdm.privacy import fingerprint


def record_events(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str | None,
    at: datetime,
    kind_by_key: pd.DataFrame,
    salt: str,
) -> int:
    """One `audit.events` row per record: `kind_by_key` has columns record_key, kind, rule, source.

    `subject_hash` is `fingerprint(record_key, salt)`: the same key always gives the same hash,
    so an auditor holding a key can find its row, and nobody can read a key from the audit.
    """
    if kind_by_key.empty:
        return 0
    events = pd.DataFrame(
        {
            "event_id": [uuid.uuid4().hex for _ in range(len(kind_by_key))],
            "kind": kind_by_key["kind"].to_numpy(),
            "rule": kind_by_key["rule"].to_numpy(),
            "subject_hash": [fingerprint(k, salt) for k in kind_by_key["record_key"]],
            "detail": [json.dumps({"source": s}) for s in kind_by_key["source"]],
        }
    )
    con.register("_audit_events_df", events)
    try:
        con.execute(
            'INSERT INTO audit.events (event_id, run_id, "at", kind, rule, subject_hash, count, detail) '
            "SELECT event_id, ?, ?, kind, rule, subject_hash, 1, detail::JSON FROM _audit_events_df",
            [run_id, at],
        )
    finally:
        con.unregister("_audit_events_df")
    return len(events)


def summary_event(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str | None,
    at: datetime,
    kind: str,
    rule: str | None,
    count: int,
    detail: dict[str, Any],
    subject_hash: str | None = None,
) -> None:
    con.execute(
        'INSERT INTO audit.events (event_id, run_id, "at", kind, rule, subject_hash, count, detail) '
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?::JSON)",
        [uuid.uuid4().hex, run_id, at, kind, rule, subject_hash, count, json.dumps(detail, default=str)],
    )
