"""Remove retired records from the stewards' SQLite store, physically.

Steward decisions name record keys and golden ids, and a quarantine correction carries the row's
values: after an expiry or erasure none of it may stay. SQLite keeps deleted rows in free pages
and in the WAL, so the store is VACUUMed and its WAL checkpointed and truncated afterwards.
A concurrent web app only waits (busy timeout) while this runs.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from stewardship.store import connect, transaction


def _tables(con: sqlite3.Connection) -> set[str]:
    return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()}


def vacuum_store(con: sqlite3.Connection) -> None:
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("VACUUM")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def purge_store(path: Path, record_keys: list[str], golden_ids: list[str]) -> int:
    """Delete every store row naming one of the keys or golden ids; returns rows deleted."""
    if not path.exists() or not (record_keys or golden_ids):
        return 0
    con = connect(path)
    try:
        con.execute("CREATE TEMP TABLE IF NOT EXISTS _keys (k TEXT PRIMARY KEY)")
        con.execute("CREATE TEMP TABLE IF NOT EXISTS _golden (g TEXT PRIMARY KEY)")
        with transaction(con):
            con.execute("DELETE FROM _keys")
            con.execute("DELETE FROM _golden")
            con.executemany("INSERT OR IGNORE INTO _keys VALUES (?)", [(k,) for k in record_keys])
            con.executemany("INSERT OR IGNORE INTO _golden VALUES (?)", [(g,) for g in golden_ids])
            tables = _tables(con)
            deleted = 0
            statements = {
                "pair_decisions": "DELETE FROM pair_decisions WHERE record_key_l IN (SELECT k FROM _keys)"
                " OR record_key_r IN (SELECT k FROM _keys)",
                "quarantine_actions": "DELETE FROM quarantine_actions WHERE record_key IN (SELECT k FROM _keys)",
                "golden_actions": "DELETE FROM golden_actions WHERE golden_id IN (SELECT g FROM _golden)"
                " OR other_golden_id IN (SELECT g FROM _golden)"
                " OR EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid(golden_actions.record_keys)"
                " THEN golden_actions.record_keys ELSE '[]' END) j WHERE j.value IN (SELECT k FROM _keys))",
            }
            for table, sql in statements.items():
                if table in tables:
                    deleted += con.execute(sql).rowcount
        vacuum_store(con)
        return deleted
    finally:
        con.close()
