"""The counts every screen shows, read from one database after the run (expiry included).

Why: the run summary, `mdm quarantine list`, the steward app and the report used to count
different things ("134 quarantined, email_invalid 50" in one, "125, email_invalid 60" in
another, "11 pairs for review" beside "5 suggestions"). Each figure is defined here once, over
the tables a publication holds, so every reader that shows it gets the same number:

- `golden_customers`: rows of `golden.customer`;
- `quarantined_open`: quarantined rows still open, whenever they were quarantined;
- `quarantine_reasons`: open rows per reason code; a row failing two checks counts under both
  (`expectations.quarantine.reason_counts`, the CLI's and the report's definition too);
- `pairs_for_review`: suggestions a steward can still decide: pairs the model sent to review
  whose two records are not already in one customer (through other records);
- `timeline_events`: rows of `golden.customer_event` (after expiry: the events stage's own count
  still holds the events of records the same run expires), 0 where the table is absent.
"""

from __future__ import annotations

from typing import Any

import duckdb

from expectations.quarantine import reason_counts

#: Review pairs whose records are not (yet) in one customer: the review queue's own condition.
OPEN_REVIEW_SQL = """
SELECT count(*) FROM match.pairs p
LEFT JOIN golden.xref l ON l.record_key = p.record_key_l AND l.valid_to IS NULL
LEFT JOIN golden.xref r ON r.record_key = p.record_key_r AND r.valid_to IS NULL
WHERE p.decision = 'review' AND NOT (l.golden_id IS NOT NULL AND l.golden_id IS NOT DISTINCT FROM r.golden_id)
"""


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0


def _timeline_events(con: duckdb.DuckDBPyConnection) -> int:
    """Rows of the timeline; 0 in a file published before the timeline existed."""
    if not _one(con, "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'golden' AND table_name = 'customer_event'"):
        return 0
    return _one(con, "SELECT count(*) FROM golden.customer_event")


def figures(con: duckdb.DuckDBPyConnection, review: bool = True) -> dict[str, Any]:
    """The shared figures of the database `con` reads (the published file, or the warehouse).
    `review=False` leaves out the review count (the app takes it from its queue, built once per
    publication with the same condition)."""
    out: dict[str, Any] = {
        "golden_customers": _one(con, "SELECT count(*) FROM golden.customer"),
        "quarantined_open": _one(con, "SELECT count(*) FROM quarantine.rows WHERE status = 'open'"),
        "quarantine_reasons": reason_counts(con),
        "timeline_events": _timeline_events(con),
    }
    if review:
        out["pairs_for_review"] = _one(con, OPEN_REVIEW_SQL)
    return out
