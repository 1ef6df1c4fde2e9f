"""The stewards' decisions store: SQLite in WAL mode at `$MDM_HOME/steward.sqlite`.

Why SQLite and not the warehouse: DuckDB allows one writing process, and the pipeline holds it
during a run. Stewards must keep working then, so the web app and the CLI write their decisions
here (WAL tolerates a writer beside readers) and the pipeline reads them at the start of the
stages they steer:

- `pair_decisions`      -> matching (match / non_match between two source records; latest wins),
                           per party: `person` pairs steer the `match` stage, `organisation` pairs
                           the `organisations` stage (the same two records can be a pair of both)
- `golden_actions`      -> merge (steward split / merge of golden customers)
- `quarantine_actions`  -> validate (release a corrected row / discard it)
- `household_actions`   -> households (two customers live apart / together: standing corrections)

Rows are never updated in place except to mark them applied, undone or withdrawn, so nothing is
lost.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS pair_decisions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    record_key_l TEXT NOT NULL,       -- record_key_l < record_key_r
    record_key_r TEXT NOT NULL,
    decision     TEXT NOT NULL CHECK (decision IN ('match', 'non_match')),
    user_name    TEXT NOT NULL,
    decided_at   TEXT NOT NULL,       -- ISO timestamp
    comment      TEXT,
    pair_version TEXT,                -- fingerprint of the pair as the steward saw it
    undone_at    TEXT,                -- set when the steward undid it; ignored from then on
    party        TEXT NOT NULL DEFAULT 'person'  -- person | organisation: which matcher it steers
);
CREATE INDEX IF NOT EXISTS pair_decisions_pair ON pair_decisions (record_key_l, record_key_r);
CREATE TABLE IF NOT EXISTS golden_actions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    action          TEXT NOT NULL CHECK (action IN ('split', 'merge')),
    golden_id       TEXT NOT NULL,
    other_golden_id TEXT,             -- merge: the customer merged into golden_id
    record_keys     TEXT,             -- split: JSON list of the record keys that leave
    user_name       TEXT NOT NULL,
    requested_at    TEXT NOT NULL,
    applied_run_id  TEXT,
    withdrawn_at    TEXT,             -- set when a steward withdrew it before a run applied it
    withdrawn_by    TEXT
);
CREATE TABLE IF NOT EXISTS quarantine_actions (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    record_key        TEXT NOT NULL,
    action            TEXT NOT NULL CHECK (action IN ('release', 'discard')),
    corrected_payload TEXT,           -- JSON {source column: value}; release only
    user_name         TEXT NOT NULL,
    requested_at      TEXT NOT NULL,
    applied_run_id    TEXT
);
CREATE TABLE IF NOT EXISTS household_actions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    action          TEXT NOT NULL CHECK (action IN ('apart', 'together')),
    golden_id       TEXT NOT NULL,    -- apart: the customer who leaves; together: one of the two
    other_ids       TEXT NOT NULL,    -- JSON list: apart: the members they leave; together: [the other]
    household_id    TEXT,             -- apart: the household as the steward saw it
    user_name       TEXT NOT NULL,
    requested_at    TEXT NOT NULL,
    applied_run_id  TEXT,             -- the first run that applied it (it stays in force after)
    withdrawn_at    TEXT,
    withdrawn_by    TEXT
);
"""


def open_wal(path: Path, schema: str) -> sqlite3.Connection:
    """Open (and create) a SQLite file the way every store here needs it: WAL so a writer never
    blocks readers, a busy timeout instead of "database is locked", autocommit, rows as mappings."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
    con.row_factory = sqlite3.Row
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA busy_timeout=30000")
    con.execute("PRAGMA foreign_keys=ON")
    con.executescript(schema)
    return con


#: Columns added after the first release: (table, column, type). A store from before gets them.
ADDED_COLUMNS: list[tuple[str, str, str]] = [
    ("golden_actions", "withdrawn_at", "TEXT"),
    ("golden_actions", "withdrawn_by", "TEXT"),
    ("pair_decisions", "party", "TEXT NOT NULL DEFAULT 'person'"),
]

#: The kinds of party a pair decision steers (`pair_decisions.party`).
PARTIES = ("person", "organisation")


def connect(path: Path) -> sqlite3.Connection:
    """Open (and create, or bring up to date) the stewards' decisions store."""
    con = open_wal(path, SCHEMA)
    for table, column, kind in ADDED_COLUMNS:
        have = {r["name"] for r in con.execute(f"PRAGMA table_info({table})").fetchall()}
        if column not in have:
            con.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
    return con


@contextmanager
def transaction(con: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    con.execute("BEGIN IMMEDIATE")
    try:
        yield con
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def ordered_pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def add_pair_decision(
    con: sqlite3.Connection,
    key_a: str,
    key_b: str,
    decision: str,
    user_name: str,
    at: datetime,
    comment: str | None = None,
    pair_version: str | None = None,
    party: str = "person",
) -> int:
    if party not in PARTIES:
        raise ValueError(f"not a party: {party}")
    left, right = ordered_pair(key_a, key_b)
    cur = con.execute(
        "INSERT INTO pair_decisions (record_key_l, record_key_r, decision, user_name, decided_at, comment,"
        " pair_version, party) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (left, right, decision, user_name, at.isoformat(), comment, pair_version, party),
    )
    return int(cur.lastrowid or 0)


#: SQL condition on `pair_decisions d`: the latest not-undone decision on its pair, for its party.
LATEST_DECISION = """d.undone_at IS NULL
          AND d.id = (SELECT max(id) FROM pair_decisions x
                      WHERE x.record_key_l = d.record_key_l AND x.record_key_r = d.record_key_r
                        AND x.party = d.party AND x.undone_at IS NULL)"""


def effective_pair_decisions(con: sqlite3.Connection, party: str = "person") -> list[dict[str, Any]]:
    """The latest not-undone decision per pair of this party: what its matcher must obey."""
    rows = con.execute(
        f"""
        SELECT record_key_l, record_key_r, decision, user_name, decided_at, comment
        FROM pair_decisions d
        WHERE d.party = ? AND {LATEST_DECISION}
        """,
        (party,),
    ).fetchall()
    return [dict(r) for r in rows]


def add_golden_action(
    con: sqlite3.Connection,
    action: str,
    golden_id: str,
    user_name: str,
    at: datetime,
    other_golden_id: str | None = None,
    record_keys: list[str] | None = None,
) -> int:
    cur = con.execute(
        "INSERT INTO golden_actions (action, golden_id, other_golden_id, record_keys, user_name, requested_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (action, golden_id, other_golden_id, json.dumps(record_keys) if record_keys else None, user_name,
         at.isoformat()),
    )
    return int(cur.lastrowid or 0)


def pending_golden_actions(con: sqlite3.Connection) -> list[dict[str, Any]]:
    """Requests the next run applies: not applied yet, not withdrawn."""
    rows = con.execute(
        "SELECT * FROM golden_actions WHERE applied_run_id IS NULL AND withdrawn_at IS NULL ORDER BY id"
    ).fetchall()
    out = []
    for r in rows:
        item = dict(r)
        item["record_keys"] = json.loads(item["record_keys"]) if item["record_keys"] else []
        out.append(item)
    return out


def _withdraw(con: sqlite3.Connection, table: str, action_id: int, user_name: str, at: datetime) -> bool:
    """Mark a request of `table` (a name from code) withdrawn if no run has applied it yet; the row
    is kept. False if too late (applied) or already withdrawn."""
    cur = con.execute(
        f"UPDATE {table} SET withdrawn_at = ?, withdrawn_by = ? "
        "WHERE id = ? AND applied_run_id IS NULL AND withdrawn_at IS NULL",
        (at.isoformat(), user_name, action_id),
    )
    return cur.rowcount > 0


def withdraw_golden_action(con: sqlite3.Connection, action_id: int, user_name: str, at: datetime) -> bool:
    """Withdraw a split or merge request no run has applied yet. False if too late."""
    return _withdraw(con, "golden_actions", action_id, user_name, at)


def add_quarantine_action(
    con: sqlite3.Connection,
    record_key: str,
    action: str,
    user_name: str,
    at: datetime,
    corrected_payload: dict[str, Any] | None = None,
) -> int:
    cur = con.execute(
        "INSERT INTO quarantine_actions (record_key, action, corrected_payload, user_name, requested_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (record_key, action, json.dumps(corrected_payload, ensure_ascii=False) if corrected_payload else None,
         user_name, at.isoformat()),
    )
    return int(cur.lastrowid or 0)


def pending_quarantine_actions(con: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = con.execute("SELECT * FROM quarantine_actions WHERE applied_run_id IS NULL ORDER BY id").fetchall()
    out = []
    for r in rows:
        item = dict(r)
        item["corrected_payload"] = json.loads(item["corrected_payload"]) if item["corrected_payload"] else None
        out.append(item)
    return out


def mark_applied(con: sqlite3.Connection, table: str, ids: list[int], run_id: str) -> None:
    if table not in ("golden_actions", "quarantine_actions", "household_actions"):
        raise ValueError(f"not an action table: {table}")
    con.executemany(f"UPDATE {table} SET applied_run_id = ? WHERE id = ?", [(run_id, i) for i in ids])


def last_pair_decision(con: sqlite3.Connection, user_name: str) -> dict[str, Any] | None:
    """The user's most recent decision that is not undone (what "undo last" takes back)."""
    row = con.execute(
        "SELECT * FROM pair_decisions WHERE user_name = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1",
        (user_name,),
    ).fetchone()
    return dict(row) if row else None


def undo_pair_decision(con: sqlite3.Connection, decision_id: int, user_name: str, at: datetime) -> bool:
    """Mark one of the user's own decisions undone (never deleted). False if nothing changed."""
    cur = con.execute(
        "UPDATE pair_decisions SET undone_at = ? WHERE id = ? AND user_name = ? AND undone_at IS NULL",
        (at.isoformat(), decision_id, user_name),
    )
    return cur.rowcount > 0


# --- households: standing corrections ------------------------------------------------------------

def add_household_action(
    con: sqlite3.Connection,
    action: str,
    golden_id: str,
    other_ids: list[str],
    user_name: str,
    at: datetime,
    household_id: str | None = None,
) -> int:
    """`apart`: `golden_id` no longer shares a household with `other_ids` (the members they leave);
    `together`: `golden_id` and `other_ids[0]` share one. Kept in force by every later run."""
    if action not in ("apart", "together") or not other_ids:
        raise ValueError("a household action is apart or together, with at least one other customer")
    cur = con.execute(
        "INSERT INTO household_actions (action, golden_id, other_ids, household_id, user_name, requested_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (action, golden_id, json.dumps(sorted(set(other_ids))), household_id, user_name, at.isoformat()),
    )
    return int(cur.lastrowid or 0)


def _household_rows(rows: list[sqlite3.Row]) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        item = dict(r)
        item["other_ids"] = json.loads(item["other_ids"])
        item["state"] = ("withdrawn" if item["withdrawn_at"] else "applied" if item["applied_run_id"]
                         else "pending")
        out.append(item)
    return out


def household_actions_in_force(con: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every household correction not withdrawn, oldest first: the households stage applies them
    all on every run (a newer one wins over an older one on the same two customers)."""
    return _household_rows(con.execute(
        "SELECT * FROM household_actions WHERE withdrawn_at IS NULL ORDER BY id").fetchall())


def household_actions_about(con: sqlite3.Connection, golden_ids: list[str]) -> list[dict[str, Any]]:
    """Every household correction naming one of these customers (any state), newest first."""
    wanted = list(dict.fromkeys(golden_ids))
    if not wanted:
        return []
    marks = ", ".join("?" for _ in wanted)
    return _household_rows(con.execute(
        f"SELECT a.* FROM household_actions a WHERE a.golden_id IN ({marks}) OR EXISTS ("
        f" SELECT 1 FROM json_each(a.other_ids) j WHERE j.value IN ({marks})) ORDER BY a.id DESC",
        [*wanted, *wanted]).fetchall())


def withdraw_household_action(con: sqlite3.Connection, action_id: int, user_name: str, at: datetime) -> bool:
    """Withdraw a household correction no run has applied yet. False if too late."""
    return _withdraw(con, "household_actions", action_id, user_name, at)
