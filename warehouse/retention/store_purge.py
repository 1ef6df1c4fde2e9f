"""Remove retired records from the stewards' SQLite store, physically, and scrub its free text.

Steward decisions name record keys and golden ids, a quarantine correction carries the row's
values, and a steward's comment can name a person: after an expiry or erasure none of it may
stay. Rows are matched by salted hash (`targets.Targets`, so a resumed erasure needs no clear
value); free-text columns (`targets.FREE_TEXT_COLUMNS`) of every table lose the erased e-mails,
phones and name words. SQLite keeps deleted rows in free pages and in the WAL, so the store is
VACUUMed and its WAL checkpointed and truncated afterwards. A concurrent web app only waits (busy
timeout) while this runs.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from mdm.stewardship.store import connect, transaction
from warehouse.retention.identifiers import suppression_hash
from warehouse.retention.targets import FREE_TEXT_COLUMNS, Targets

_IN_KEYS = "IN (SELECT h FROM _erased WHERE kind = 'record_key')"
_IN_GOLDEN = "IN (SELECT h FROM _erased WHERE kind = 'golden_id')"
#: Rows naming an erased record or customer, per table.
STATEMENTS = {
    "pair_decisions": f"DELETE FROM pair_decisions WHERE mdm_hash('record_key', record_key_l) {_IN_KEYS}"
    f" OR mdm_hash('record_key', record_key_r) {_IN_KEYS}",
    "quarantine_actions": f"DELETE FROM quarantine_actions WHERE mdm_hash('record_key', record_key) {_IN_KEYS}",
    "golden_actions": f"DELETE FROM golden_actions WHERE mdm_hash('golden_id', golden_id) {_IN_GOLDEN}"
    f" OR mdm_hash('golden_id', other_golden_id) {_IN_GOLDEN}"
    " OR EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid(golden_actions.record_keys)"
    f" THEN golden_actions.record_keys ELSE '[]' END) j WHERE mdm_hash('record_key', j.value) {_IN_KEYS})",
    "household_actions": f"DELETE FROM household_actions WHERE mdm_hash('golden_id', golden_id) {_IN_GOLDEN}"
    " OR EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid(household_actions.other_ids)"
    f" THEN household_actions.other_ids ELSE '[]' END) j WHERE mdm_hash('golden_id', j.value) {_IN_GOLDEN})",
}


def _tables(con: sqlite3.Connection) -> set[str]:
    return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()}


def vacuum_store(con: sqlite3.Connection) -> None:
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("VACUUM")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _prepare(con: sqlite3.Connection, targets: Targets) -> None:
    salt = targets.salt
    con.create_function(
        "mdm_hash", 2, lambda kind, v: None if v is None else suppression_hash(kind, str(v), salt), deterministic=True
    )
    con.create_function("mdm_scrub", 1, targets.scrub, deterministic=True)
    con.execute("CREATE TEMP TABLE IF NOT EXISTS _erased (kind TEXT, h TEXT)")
    con.execute("DELETE FROM _erased")
    con.executemany("INSERT INTO _erased VALUES (?, ?)",
                    [(kind, h) for kind, hashes in targets.as_json().items() for h in hashes])


def _scrub_text(con: sqlite3.Connection, tables: set[str]) -> int:
    """Scrub every free-text column of every table; returns rows changed."""
    changed = 0
    for table in sorted(tables):
        columns = [r[1] for r in con.execute(f'PRAGMA table_info("{table}")').fetchall()]
        for column in columns:
            if column.lower() in FREE_TEXT_COLUMNS:
                changed += con.execute(
                    f'UPDATE "{table}" SET "{column}" = mdm_scrub("{column}")'
                    f' WHERE "{column}" IS NOT NULL AND mdm_scrub("{column}") <> "{column}"'
                ).rowcount
    return changed


def purge_store(path: Path, targets: Targets) -> int:
    """Delete every store row naming a target record key or golden id, scrub free text; returns
    rows deleted or changed."""
    if not path.exists() or not (targets.of("record_key") or targets.of("golden_id") or targets.scrubs_text()):
        return 0
    con = connect(path)
    try:
        _prepare(con, targets)
        with transaction(con):
            tables = _tables(con)
            deleted = sum(con.execute(sql).rowcount for table, sql in STATEMENTS.items() if table in tables)
            deleted += _scrub_text(con, tables) if targets.scrubs_text() else 0
        vacuum_store(con)
        return deleted
    finally:
        con.close()
