"""Which golden customer an event belongs to, through the cross-reference. Set-based SQL.

An event is tied to a customer RECORD (`customer_record_key`), never directly to a golden id: the
golden id is read from the current `golden.xref` row of that record, so a merge, a split or a
steward's action moves the event with its record, and an alias needs nothing (the alias's records
are the survivor's). The record is found, in this order, by:

1. `key`:   the customer key the event carries, i.e. a record of the source's `customer_source`;
2. `email`: the e-mail, when exactly one golden customer has a current record with it;
3. `phone`: the phone, likewise.

An event none of these finds is HELD with its reason and tried again on every later run (the
customer file may arrive tomorrow); it is never dropped:

- `customer_unknown`:    no current record has that key, e-mail or phone;
- `customer_not_golden`: the record exists but is not in a golden customer (quarantined, say);
- `customer_ambiguous`:  the e-mail or phone belongs to several golden customers (a couple's
  shared address): guessing would put one person's orders on another's timeline.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from warehouse.publication import delta

RESOLVED = "_mdm_ev_resolved"
#: The published timeline; every change to its rows is logged, so publication can patch it.
TIMELINE = "golden.customer_event"
FOLLOWED_KEY = "timeline_followed_at"

#: The held events to try again: every one, or (`skip_run`) those staged before this run.
HELD_SQL = ("SELECT record_key, ref_record_key, email, phone FROM events.staged WHERE customer_record_key IS NULL"
            " AND staged_run_id IS DISTINCT FROM ?")

_RESOLVE_SQL = f"""
CREATE OR REPLACE TEMP TABLE {RESOLVED} AS
WITH todo AS (
    {{todo}}
), cur AS (
    SELECT record_key, golden_id FROM golden.xref WHERE valid_to IS NULL
), email_owner AS (
    SELECT s.email, min(s.record_key) AS customer_record_key, count(DISTINCT c.golden_id) AS owners
    FROM staging.customers s JOIN cur c ON c.record_key = s.record_key
    WHERE s.email IN (SELECT email FROM todo) GROUP BY s.email
), phone_owner AS (
    SELECT s.phone, min(s.record_key) AS customer_record_key, count(DISTINCT c.golden_id) AS owners
    FROM staging.customers s JOIN cur c ON c.record_key = s.record_key
    WHERE s.phone IN (SELECT phone FROM todo) GROUP BY s.phone
), found AS (
    SELECT t.record_key, t.ref_record_key, k.record_key AS by_key,
           CASE WHEN e.owners = 1 THEN e.customer_record_key END AS by_email,
           CASE WHEN p.owners = 1 THEN p.customer_record_key END AS by_phone,
           coalesce(e.owners, 0) > 1 OR coalesce(p.owners, 0) > 1 AS ambiguous,
           EXISTS (SELECT 1 FROM staging.customers s WHERE s.record_key = t.ref_record_key) AS known_record
    FROM todo t
    LEFT JOIN cur k ON k.record_key = t.ref_record_key
    LEFT JOIN email_owner e ON e.email = t.email
    LEFT JOIN phone_owner p ON p.phone = t.phone
)
SELECT record_key,
       coalesce(by_key, by_email, by_phone) AS customer_record_key,
       CASE WHEN by_key IS NOT NULL THEN 'key' WHEN by_email IS NOT NULL THEN 'email'
            WHEN by_phone IS NOT NULL THEN 'phone' END AS resolved_by,
       CASE WHEN coalesce(by_key, by_email, by_phone) IS NOT NULL THEN NULL
            WHEN known_record THEN 'customer_not_golden'
            WHEN ambiguous THEN 'customer_ambiguous'
            ELSE 'customer_unknown' END AS held_reason
FROM found
"""


def resolve_batch(con: duckdb.DuckDBPyConnection, todo_sql: str, params: list[object] | None = None) -> dict[str, int]:
    """`RESOLVED`: the customer record (or the reason to hold) of each event `todo_sql` selects
    (`record_key, ref_record_key, email, phone`). Counts (`resolved` per method, `held` per reason)."""
    con.execute(_RESOLVE_SQL.replace("{todo}", todo_sql), params or [])
    rows = con.execute(
        f"SELECT coalesce(resolved_by, 'held:' || held_reason), count(*) FROM {RESOLVED} GROUP BY ALL ORDER BY 1"
    ).fetchall()
    return {str(label): int(n) for label, n in rows}


def resolve(con: duckdb.DuckDBPyConnection, skip_run: str | None = None) -> dict[str, int]:
    """Try every held event again; put the newly resolved ones on the timeline. `skip_run`: leave
    out the events that run staged (the events stage resolved them as it wrote them, against the
    same customers). Counts (`resolved` per method, `held` per reason)."""
    counts = resolve_batch(con, HELD_SQL, [skip_run])
    # Only the rows whose outcome changed: most held events stay held for the same reason, and
    # rewriting all of them (458,000 at 10M events) cost 3.5 s a night for nothing.
    con.execute(
        f"""
        UPDATE events.staged s SET customer_record_key = r.customer_record_key, resolved_by = r.resolved_by,
               held_reason = r.held_reason
        FROM {RESOLVED} r WHERE r.record_key = s.record_key
          AND (r.customer_record_key IS NOT NULL OR r.held_reason IS DISTINCT FROM s.held_reason)
        """
    )
    delta.log_changes(con, TIMELINE, f"SELECT record_key FROM {RESOLVED} WHERE customer_record_key IS NOT NULL")
    con.execute(
        f"""
        INSERT INTO golden.customer_event
        SELECT x.golden_id, s.record_key, s.source, s.event_type, s.occurred_at, s.channel, s.amount, s.currency,
               s.initiated_by_customer, s.customer_record_key
        FROM events.staged s
        JOIN {RESOLVED} r ON r.record_key = s.record_key AND r.customer_record_key IS NOT NULL
        JOIN golden.xref x ON x.record_key = s.customer_record_key AND x.valid_to IS NULL
        """
    )
    con.execute(f"DROP TABLE IF EXISTS {RESOLVED}")
    return counts


def add_counts(total: dict[str, int], more: dict[str, int]) -> dict[str, int]:
    """Counts of two resolutions added, keys in order."""
    return {k: total.get(k, 0) + more.get(k, 0) for k in sorted({*total, *more})}


def held_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Events held now, per reason (all runs)."""
    rows = con.execute(
        "SELECT held_reason, count(*) FROM events.staged WHERE customer_record_key IS NULL GROUP BY ALL ORDER BY 1"
    ).fetchall()
    return {str(r): int(n) for r, n in rows}


def follow_moves(con: duckdb.DuckDBPyConnection, now: datetime) -> dict[str, int]:
    """Bring the timeline in line with `golden.xref` changes since the last call: events of a record
    that moved take its new golden id; events of a record that left every golden customer go back
    to held (`customer_not_golden`) and off the timeline. Only xref rows opened or closed since the
    last call are read, so a quiet night costs next to nothing."""
    row = con.execute("SELECT value FROM events.state WHERE key = ?", [FOLLOWED_KEY]).fetchall()
    since = row[0][0] if row else "-infinity"
    # Moved: the record's current xref row opened since and names another golden customer (with
    # its new golden id). Gone: the record's xref row closed since and none is open. Each is read
    # once, logged for publication, then applied.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _mdm_ev_moved AS SELECT e.* REPLACE (x.golden_id AS golden_id) "
        "FROM golden.customer_event e, golden.xref x WHERE x.valid_to IS NULL AND x.valid_from >= ?::TIMESTAMP "
        "AND x.record_key = e.customer_record_key AND x.golden_id <> e.golden_id",
        [since],
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _mdm_ev_gone AS SELECT record_key FROM golden.xref WHERE valid_to >= ?::TIMESTAMP "
        "EXCEPT SELECT record_key FROM golden.xref WHERE valid_to IS NULL",
        [since],
    )
    gone = "SELECT record_key FROM _mdm_ev_gone"
    try:
        delta.log_changes(con, TIMELINE, "SELECT event_record_key FROM _mdm_ev_moved")
        delta.log_changes(con, TIMELINE, f"SELECT event_record_key FROM golden.customer_event "
                                         f"WHERE customer_record_key IN ({gone})")
        # Delete and append rather than UPDATE: a few hundred moved events sit in nearly every row
        # group, and an update makes the checkpoint rewrite the golden_id column of all of them.
        con.execute("DELETE FROM golden.customer_event "
                    "WHERE event_record_key IN (SELECT event_record_key FROM _mdm_ev_moved)")
        updated = con.execute("INSERT INTO golden.customer_event SELECT * FROM _mdm_ev_moved").fetchall()
        left = con.execute(
            "UPDATE events.staged SET customer_record_key = NULL, resolved_by = NULL, "
            f"held_reason = 'customer_not_golden' WHERE customer_record_key IN ({gone})"
        ).fetchall()
        con.execute(f"DELETE FROM golden.customer_event WHERE customer_record_key IN ({gone})")
    finally:
        con.execute("DROP TABLE IF EXISTS _mdm_ev_moved")
        con.execute("DROP TABLE IF EXISTS _mdm_ev_gone")
    con.execute(
        "INSERT INTO events.state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [FOLLOWED_KEY, now.isoformat(sep=" ")],
    )
    return {"moved": int(updated[0][0]) if updated else 0, "unlinked": int(left[0][0]) if left else 0}
