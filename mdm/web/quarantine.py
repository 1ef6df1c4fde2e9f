"""Quarantined rows for stewards: list with reasons, one row's payload, and what a release needs."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import duckdb


def pending_actions(store: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """record_key -> latest release/discard request the next run has not applied yet."""
    rows = store.execute(
        "SELECT id, record_key, action, user_name, requested_at FROM quarantine_actions "
        "WHERE applied_run_id IS NULL ORDER BY id"
    ).fetchall()
    return {r["record_key"]: dict(r) for r in rows}


def _open_rows_where(source: str | None, reason: str | None) -> tuple[str, list[Any]]:
    """The open rows, narrowed to one source and / or one reason code."""
    clauses = ["status = 'open'"]
    params: list[Any] = []
    if source:
        clauses.append("source = ?")
        params.append(source)
    if reason:
        clauses.append("list_contains(reasons, ?)")
        params.append(reason)
    return " AND ".join(clauses), params


def list_rows(
    cur: duckdb.DuckDBPyConnection, store: sqlite3.Connection, source: str | None, limit: int, offset: int,
    reason: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """One page of open rows (newest first) and how many rows the filter holds in all."""
    where, params = _open_rows_where(source, reason)
    rows = cur.execute(
        f"SELECT record_key, source, reasons, quarantined_at, run_id FROM quarantine.rows WHERE {where} "
        "ORDER BY quarantined_at DESC, record_key LIMIT ? OFFSET ?",
        [*params, limit, offset],
    ).fetchall()
    (total,) = cur.execute(f"SELECT count(*) FROM quarantine.rows WHERE {where}", params).fetchone() or (0,)
    pending = pending_actions(store)
    out = []
    for key, source_name, reasons, at, run_id in rows:
        out.append({
            "record_key": key, "source": source_name, "reasons": list(reasons or []),
            "quarantined_at": at.isoformat() if at else None, "run_id": run_id,
            "pending_action": pending.get(key),
        })
    return out, int(total)


def filter_choices(cur: duckdb.DuckDBPyConnection, source: str | None, reason: str | None) -> dict[str, Any]:
    """What the filters offer, each with its open-row count given the other filter (so a steward
    sees "email_invalid (60)" for the chosen source): sources and reason codes, largest first."""
    where, params = _open_rows_where(None, reason)
    sources = cur.execute(
        f"SELECT source, count(*) FROM quarantine.rows WHERE {where} GROUP BY 1 ORDER BY 2 DESC, 1", params
    ).fetchall()
    where, params = _open_rows_where(source, None)
    reasons = cur.execute(
        f"SELECT r, count(*) FROM (SELECT unnest(reasons) AS r FROM quarantine.rows WHERE {where}) "
        "GROUP BY 1 ORDER BY 2 DESC, 1", params
    ).fetchall()
    return {"sources": [{"value": s, "rows": int(n)} for s, n in sources],
            "reasons": [{"value": r, "rows": int(n)} for r, n in reasons]}


def get_row(cur: duckdb.DuckDBPyConnection, store: sqlite3.Connection, record_key: str) -> dict[str, Any] | None:
    row = cur.execute(
        "SELECT record_key, source, reasons, payload, status, quarantined_at, resolved_at, resolved_by, run_id "
        "FROM quarantine.rows WHERE record_key = ?",
        [record_key],
    ).fetchone()
    if row is None:
        return None
    payload = json.loads(row[3]) if isinstance(row[3], str) else (row[3] or {})
    return {
        "record_key": row[0], "source": row[1], "reasons": list(row[2] or []),
        "payload": {str(k): (None if v is None else str(v)) for k, v in payload.items()},
        "status": row[4], "quarantined_at": row[5].isoformat() if row[5] else None,
        "resolved_at": row[6].isoformat() if row[6] else None, "resolved_by": row[7], "run_id": row[8],
        "pending_action": pending_actions(store).get(record_key),
    }


def reason_hints(config: Any) -> dict[str, dict[str, str]]:
    """reason code -> {meaning, fix} from the validation rules, for stewards (empty if unavailable)."""
    try:
        from expectations.suites import all_reason_codes
    except ImportError:
        return {}
    return {code: {"meaning": rule.meaning, "fix": rule.fix} for code, rule in all_reason_codes(config).items()}


def corrected_payload(original: dict[str, str | None], form: dict[str, str]) -> dict[str, str | None]:
    """The payload to release: the original columns with the steward's edits (only known columns)."""
    out: dict[str, str | None] = {}
    for column, value in original.items():
        edited = form.get(f"field:{column}")
        out[column] = value if edited is None else (edited.strip() or None)
    return out
