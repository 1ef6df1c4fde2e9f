"""The erasure journal (`retention.erasures`): an erasure is recorded before it starts and stays
`pending` until every file we hold is clean.

Why: an erasure touches more than the warehouse (archive, stewards' store, published versions,
Parquet copies, inbox and rejected files), and any of those can fail on its own: a BI tool holding
the published file read-write, a full disk, a crash. Before the journal, a retried erasure found
nothing left in the warehouse, printed "No record matched" and left the person in the older
published versions. Now the warehouse transaction writes the journal row, and the steps outside
it read their targets (salted hashes only) from the row, so they can run again at any time:
`mdm erase` (any request) and every `mdm run` resume pending rows first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import duckdb

from warehouse.retention.targets import Targets

PENDING = "pending"
DONE = "done"


@dataclass
class Entry:
    request_id: str
    subject_hash: str
    targets: Targets
    records: int
    golden_customers: int
    attempts: int


def record(
    con: duckdb.DuckDBPyConnection, entry: Entry, by_kind: str, at: datetime
) -> None:
    """Write the pending row (inside the caller's warehouse transaction)."""
    con.execute(
        "INSERT INTO retention.erasures (request_id, requested_at, by_kind, subject_hash, targets, records,"
        " golden_customers, status, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
        [entry.request_id, at, by_kind, entry.subject_hash, json.dumps(entry.targets.as_json()),
         entry.records, entry.golden_customers, PENDING],
    )


def pending(con: duckdb.DuckDBPyConnection, salt: str) -> list[Entry]:
    """The erasures not finished yet, oldest first."""
    rows = con.execute(
        "SELECT request_id, subject_hash, targets, records, golden_customers, attempts FROM retention.erasures"
        " WHERE status = ? ORDER BY requested_at, request_id",
        [PENDING],
    ).fetchall()
    return [Entry(r[0], r[1], Targets.from_json(salt, json.loads(r[2])), r[3], r[4], r[5]) for r in rows]


def plain(step: str, exc: BaseException) -> str:
    """A step's failure in plain words: what was busy, or the error's type (messages can hold values)."""
    text = str(exc).lower()
    if isinstance(exc, duckdb.IOException) and "lock" in text:
        return f"{step}: the file is open in another program (a BI tool holding it read-write?); close it"
    if isinstance(exc, OSError) and exc.errno == 28:
        return f"{step}: the disk is full"
    return f"{step}: failed ({type(exc).__name__})"


def finish(con: duckdb.DuckDBPyConnection, request_id: str, at: datetime, problems: list[str]) -> None:
    """Count an attempt; `done` when it met no problem, else keep the first problem in plain words."""
    con.execute(
        "UPDATE retention.erasures SET attempts = attempts + 1, last_problem = ?,"
        " status = CASE WHEN ? THEN ? ELSE status END, finished_at = CASE WHEN ? THEN ? END"
        " WHERE request_id = ?",
        [problems[0] if problems else None, not problems, DONE, not problems, at, request_id],
    )
