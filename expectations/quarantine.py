"""`quarantine.rows`: rows that failed a blocking expectation, and the stewards' actions on them.

Life of a quarantined row (one row per record key):

- `open`       failed a blocking expectation; kept out of `staging.valid_customers`.
- `released`   a steward corrected it (`mdm quarantine release KEY --set col=value`); the next run
               re-standardises it from the corrected payload and re-validates it. If it still
               fails, it is `open` again with the new reasons.
- `discarded`  a steward threw it away (`mdm quarantine discard KEY`); it stays out of play until
               the source sends a *different* version of the record.
- `superseded` the source sent a new version that passed validation.

Stewards write their actions to the SQLite store (the pipeline may hold the warehouse); the
standardise stage applies pending ones at its start, so a released row flows through that same
run. Every applied action is audited without personal data (fingerprint of the record key).
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from mdm.config import get_salt
from mdm.context import RunContext
from mdm.privacy import fingerprint
from mdm.stewardship import store

log = logging.getLogger("mdm.quarantine")

OPEN = "open"
RELEASED = "released"
DISCARDED = "discarded"
SUPERSEDED = "superseded"

#: The SQL giving, for staging rows, the payload they were standardised from (raw, or the
#: steward's correction when one applies to that exact source version).
EFFECTIVE_PAYLOAD_SQL = """
SELECT s.record_key, s.source, s.load_id,
       CASE WHEN q.status = 'released' AND q.source_payload_hash = md5(r.payload::VARCHAR)
            THEN q.payload ELSE r.payload END AS payload,
       md5(r.payload::VARCHAR) AS source_payload_hash
FROM {keys} k
JOIN staging.customers s ON s.record_key = k.record_key
JOIN raw.records r ON r.record_key = s.record_key AND r.load_id = s.load_id
LEFT JOIN quarantine.rows q ON q.record_key = s.record_key
QUALIFY row_number() OVER (PARTITION BY s.record_key ORDER BY r.row_number DESC) = 1
"""


@dataclass
class AppliedActions:
    """What `apply_pending_actions` did: released keys per source (to re-standardise) and counts."""

    released: dict[str, list[str]] = field(default_factory=dict)
    discarded: int = 0
    ignored: int = 0

    @property
    def released_count(self) -> int:
        return sum(len(v) for v in self.released.values())


def _salt(ctx: RunContext) -> str:
    return get_salt(ctx.config)


def _audit(ctx: RunContext, kind: str, record_key: str, action_id: int, detail: dict[str, Any]) -> None:
    ctx.con.execute(
        'INSERT INTO audit.events (event_id, run_id, "at", kind, rule, subject_hash, count, detail) '
        "VALUES (?, ?, ?, ?, ?, ?, 1, ?::JSON)",
        [uuid.uuid4().hex, ctx.run_id, ctx.now, kind, f"steward_action:{action_id}",
         fingerprint(record_key, _salt(ctx)), json.dumps(detail)],
    )


def _applied_action_ids(con: duckdb.DuckDBPyConnection) -> set[int]:
    """Actions already applied, according to the warehouse (the source of truth: it rolls back
    with a failed stage, whereas the SQLite mark does not)."""
    rows = con.execute(
        "SELECT rule FROM audit.events WHERE kind IN ('quarantine_release', 'quarantine_discard', "
        "'quarantine_action_ignored') AND rule LIKE 'steward_action:%'"
    ).fetchall()
    return {int(r[0].split(":", 1)[1]) for r in rows}


def apply_pending_actions(ctx: RunContext) -> AppliedActions:
    """Apply the stewards' release/discard requests made since the last run."""
    result = AppliedActions()
    path = ctx.config.paths.steward_db
    if not path.exists():
        return result
    sqlite = store.connect(path)
    try:
        done = _applied_action_ids(ctx.con)
        actions = [a for a in sqlite.execute("SELECT * FROM quarantine_actions ORDER BY id").fetchall()
                   if int(a["id"]) not in done]
        applied: list[int] = []
        for action in actions:
            action_id = int(action["id"])
            key = str(action["record_key"])
            found = ctx.con.execute(
                "SELECT source, status, payload FROM quarantine.rows WHERE record_key = ?", [key]
            ).fetchall()
            row = found[0] if found else None
            if row is None or row[1] != OPEN:
                # Nothing to act on (unknown key, or already resolved by an earlier action).
                _audit(ctx, "quarantine_action_ignored", key, action_id,
                       {"action": action["action"], "status": None if row is None else row[1]})
                result.ignored += 1
                applied.append(action_id)
                continue
            source, _, payload_text = row
            if action["action"] == "discard":
                ctx.con.execute(
                    "UPDATE quarantine.rows SET status = ?, resolved_at = ?, resolved_by = ? WHERE record_key = ?",
                    [DISCARDED, ctx.now, action["user_name"], key],
                )
                _audit(ctx, "quarantine_discard", key, action_id, {"source": source})
                result.discarded += 1
            else:
                payload = json.loads(payload_text) if payload_text else {}
                corrections = json.loads(action["corrected_payload"]) if action["corrected_payload"] else {}
                payload.update(corrections)
                ctx.con.execute(
                    "UPDATE quarantine.rows SET status = ?, payload = ?::JSON, resolved_at = ?, resolved_by = ? "
                    "WHERE record_key = ?",
                    [RELEASED, json.dumps(payload, ensure_ascii=False), ctx.now, action["user_name"], key],
                )
                _audit(ctx, "quarantine_release", key, action_id,
                       {"source": source, "corrected_columns": len(corrections)})
                result.released.setdefault(source, []).append(key)
            applied.append(action_id)
        if applied:
            # Informational mark for the stewards' tools; the warehouse audit is what counts.
            store.mark_applied(sqlite, "quarantine_actions", applied, ctx.run_id)
    finally:
        sqlite.close()
    return result


def quarantine_failures(ctx: RunContext, failures: pd.DataFrame) -> int:
    """Write failing rows (columns record_key, reasons) to quarantine.rows as `open`.

    The payload stored is the one the row was standardised from, so a steward fixes what the
    pipeline actually saw. A row already in quarantine is updated in place (same key).
    """
    if failures.empty:
        return 0
    frame = failures[["record_key", "reasons"]].copy()
    ctx.con.register("_mdm_q_failures", frame)
    try:
        ctx.con.execute(
            "CREATE OR REPLACE TEMP TABLE _mdm_q_new AS "
            + EFFECTIVE_PAYLOAD_SQL.format(keys="_mdm_q_failures")
        )
        ctx.con.execute("DELETE FROM quarantine.rows WHERE record_key IN (SELECT record_key FROM _mdm_q_new)")
        ctx.con.execute(
            """
            INSERT INTO quarantine.rows (record_key, source, load_id, run_id, reasons, payload, status,
                                         quarantined_at, resolved_at, resolved_by, source_payload_hash)
            SELECT n.record_key, n.source, n.load_id, ?, f.reasons, n.payload, 'open', ?, NULL, NULL,
                   n.source_payload_hash
            FROM _mdm_q_new n JOIN _mdm_q_failures f ON f.record_key = n.record_key
            """,
            [ctx.run_id, ctx.now],
        )
        count = ctx.con.execute("SELECT count(*) FROM _mdm_q_new").fetchall()
    finally:
        ctx.con.unregister("_mdm_q_failures")
        ctx.con.execute("DROP TABLE IF EXISTS _mdm_q_new")
    return int(count[0][0])


def supersede_passed(ctx: RunContext, validated: str, failing: str) -> int:
    """Rows validated this run that passed close their open/discarded quarantine entry (the source
    sent a newer version that is fine). `validated` and `failing` name registered relations with
    a `record_key` column."""
    where = (
        "status IN ('open', 'discarded') "
        f"AND record_key IN (SELECT record_key FROM {validated}) "
        f"AND record_key NOT IN (SELECT record_key FROM {failing})"
    )
    before = ctx.con.execute(f"SELECT count(*) FROM quarantine.rows WHERE {where}").fetchall()
    ctx.con.execute(
        f"UPDATE quarantine.rows SET status = ?, resolved_at = ?, resolved_by = 'pipeline' WHERE {where}",
        [SUPERSEDED, ctx.now],
    )
    return int(before[0][0])


# --- reading, for the CLI -----------------------------------------------------------------


def list_rows(
    con: duckdb.DuckDBPyConnection, source: str | None = None, reason: str | None = None,
    status: str | None = OPEN, limit: int | None = None,
) -> list[dict[str, Any]]:
    """Quarantined rows (without payloads), newest first."""
    sql = ("SELECT record_key, source, load_id, run_id, reasons, status, quarantined_at, resolved_at, resolved_by "
           "FROM quarantine.rows WHERE 1 = 1")
    params: list[Any] = []
    if source:
        sql += " AND source = ?"
        params.append(source)
    if reason:
        sql += " AND list_contains(reasons, ?)"
        params.append(reason)
    if status:
        sql += " AND status = ?"
        params.append(status)
    sql += " ORDER BY quarantined_at DESC, record_key"
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def show_row(con: duckdb.DuckDBPyConnection, record_key: str) -> dict[str, Any] | None:
    cursor = con.execute("SELECT * FROM quarantine.rows WHERE record_key = ?", [record_key])
    found = cursor.fetchall()
    if not found:
        return None
    row = found[0]
    item = dict(zip([d[0] for d in cursor.description], row, strict=True))
    item["payload"] = json.loads(item["payload"]) if item.get("payload") else {}
    return item


def reason_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    rows = con.execute(
        "SELECT reason, count(*) FROM (SELECT unnest(reasons) AS reason FROM quarantine.rows WHERE status = 'open') "
        "GROUP BY reason ORDER BY 2 DESC"
    ).fetchall()
    return {str(r[0]): int(r[1]) for r in rows}


def now_for_store() -> datetime:
    from mdm.clock import now

    return now()
