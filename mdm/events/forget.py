"""A person's events go with them: on erasure and on expiry. Set-based SQL.

Events name their customer's record (`customer_record_key`, `ref_record_key`) and their golden
customer (`golden_id` on the timeline), but their raw rows, quarantine rows and file lineage
name only the event's own key. So before retention's cascade runs, the keys of the person's
events are added to the keys being retired: every table naming one of them loses its rows,
raw payloads included, and the published files are purged of them like records.

Amounts are kept for the accounts, without the person: `events.accounting` gets the source,
event type, day, amount and currency of every retired event that has an amount, and nothing that
leads back to anyone (no key, no golden id, no hash, no time of day). The accounts must still
add up (French commercial code art. L123-22: ten years); the person is gone.

Suppression: an event arriving later that names an erased person (by their record key, e-mail
or phone, or the event's own key) is purged after the events stage, like a customer record
(`warehouse.retention.suppression.purge_suppressed_events`).
"""

from __future__ import annotations

from datetime import datetime

import duckdb

_EVENT_KEYS = "_mdm_forget_event_keys"


def _mark_event_keys(con: duckdb.DuckDBPyConnection, keys_table: str, golden_ids: list[str],
                     emails: list[str] | None = None, phones: list[str] | None = None) -> int:
    """`_EVENT_KEYS`: the events of the records in `_retire_keys`, of these golden customers, and
    those carrying one of these e-mails or phones (an event held because two people share them)."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {_EVENT_KEYS} AS
        SELECT record_key FROM events.staged
        WHERE customer_record_key IN (SELECT record_key FROM {keys_table})
           OR ref_record_key IN (SELECT record_key FROM {keys_table})
        UNION SELECT record_key FROM events.quarantined_refs
        WHERE ref_record_key IN (SELECT record_key FROM {keys_table})
        UNION SELECT event_record_key FROM golden.customer_event WHERE golden_id IN (SELECT unnest(?::VARCHAR[]))
        UNION SELECT record_key FROM events.staged
        WHERE email IN (SELECT unnest(?::VARCHAR[])) OR phone IN (SELECT unnest(?::VARCHAR[]))
        EXCEPT SELECT record_key FROM {keys_table}
        """,
        [golden_ids, emails or [], phones or []],
    )
    return int(con.execute(f"SELECT count(*) FROM {_EVENT_KEYS}").fetchall()[0][0])


def _keep_amounts(con: duckdb.DuckDBPyConnection, at: datetime) -> int:
    row = con.execute(
        f"""
        INSERT INTO events.accounting (source, event_type, occurred_on, amount, currency, erased_on)
        SELECT source, event_type, occurred_at::DATE, amount, currency, ?::DATE FROM events.staged
        WHERE amount IS NOT NULL AND record_key IN (SELECT record_key FROM {_EVENT_KEYS})
        ORDER BY random()
        """,
        [at],
    ).fetchall()
    return int(row[0][0]) if row else 0


def retire_events(con: duckdb.DuckDBPyConnection, at: datetime, keys_table: str) -> list[str]:
    """Add the events of the records in `keys_table(record_key)` (retention's `_retire_keys`, a name
    from code) to it, keeping their amounts for the accounts (unlinked). Returns the keys added."""
    if not _mark_event_keys(con, keys_table, []):
        return []
    _keep_amounts(con, at)
    keys = [r[0] for r in con.execute(f"SELECT record_key FROM {_EVENT_KEYS} ORDER BY record_key").fetchall()]
    con.execute(f"INSERT INTO {keys_table} SELECT record_key FROM {_EVENT_KEYS}")
    con.execute(f"DROP TABLE IF EXISTS {_EVENT_KEYS}")
    return keys


def person_event_keys(con: duckdb.DuckDBPyConnection, keys_table: str, golden_ids: list[str], emails: list[str],
                      phones: list[str]) -> list[str]:
    """The event keys of the records in `keys_table`, of these golden customers, and of the events
    carrying one of the person's e-mails or phones (read only)."""
    _mark_event_keys(con, keys_table, golden_ids, emails, phones)
    keys = [r[0] for r in con.execute(f"SELECT record_key FROM {_EVENT_KEYS} ORDER BY record_key").fetchall()]
    con.execute(f"DROP TABLE IF EXISTS {_EVENT_KEYS}")
    return keys


def keep_amounts_of(con: duckdb.DuckDBPyConnection, event_keys: list[str], at: datetime) -> int:
    """Copy the amounts of these events into `events.accounting` (unlinked); returns how many."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_EVENT_KEYS} AS SELECT unnest(?::VARCHAR[]) AS record_key",
                [event_keys])
    kept = _keep_amounts(con, at)
    con.execute(f"DROP TABLE IF EXISTS {_EVENT_KEYS}")
    return kept
