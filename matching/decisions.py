"""Decisions per pair: thresholds, with steward decisions always winning.

- probability >= auto_match_threshold -> `auto_match` (merged, unless clustering refuses it)
- probability >= review_threshold     -> `review` (the steward queue; never merged by itself)
- below                                -> `non_match`
- a steward's latest decision on the pair -> `steward_match` / `steward_non_match`, whatever the score.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from matching.comparisons import Comparison
from matching.scoring import SCORED_TABLE, contributions_sql

STEWARD_TABLE = "match_steward"


def register_steward_decisions(con: duckdb.DuckDBPyConnection, decisions: list[dict[str, Any]]) -> None:
    """Load the stewards' effective pair decisions into the temp table `match_steward`."""
    frame = pd.DataFrame(
        [
            {
                "record_key_l": min(d["record_key_l"], d["record_key_r"]),
                "record_key_r": max(d["record_key_l"], d["record_key_r"]),
                "decision": d["decision"],
                "user_name": d.get("user_name") or "steward",
                "decided_at": d.get("decided_at"),
                "comment": d.get("comment"),
            }
            for d in decisions
            if d["record_key_l"] != d["record_key_r"] and d["decision"] in ("match", "non_match")
        ],
        columns=["record_key_l", "record_key_r", "decision", "user_name", "decided_at", "comment"],
    )
    frame = frame.astype({"record_key_l": str, "record_key_r": str, "decision": str, "user_name": str})
    frame["decided_at"] = pd.to_datetime(frame["decided_at"], errors="coerce", format="ISO8601")
    frame["comment"] = frame["comment"].astype("object")
    con.register("match_steward_frame", frame)
    try:
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE {STEWARD_TABLE} AS
            SELECT record_key_l, record_key_r, decision, user_name,
                   CAST(decided_at AS TIMESTAMP) AS decided_at, CAST(comment AS VARCHAR) AS comment
            FROM match_steward_frame
        """)
    finally:
        con.unregister("match_steward_frame")


def write_pairs(
    con: duckdb.DuckDBPyConnection,
    comparisons: list[Comparison],
    run_id: str,
    auto_threshold: float,
    review_threshold: float,
    store_threshold: float,
) -> None:
    """Replace `match.pairs` with the scored pairs worth keeping and their threshold decisions."""
    con.execute("DELETE FROM match.pairs")
    con.execute(
        f"""
        INSERT INTO match.pairs (run_id, record_key_l, record_key_r, match_weight, match_probability,
                                 contributions, decision, rule, reason)
        SELECT ?, s.record_key_l, s.record_key_r, s.match_weight, s.match_probability,
               {contributions_sql(comparisons)},
               CASE WHEN st.decision = 'match' THEN 'steward_match'
                    WHEN st.decision = 'non_match' THEN 'steward_non_match'
                    WHEN s.match_probability >= ? THEN 'auto_match'
                    WHEN s.match_probability >= ? THEN 'review'
                    ELSE 'non_match' END,
               s.rule, NULL
        FROM {SCORED_TABLE} s
        LEFT JOIN {STEWARD_TABLE} st
               ON st.record_key_l = s.record_key_l AND st.record_key_r = s.record_key_r
        WHERE s.match_probability >= ? OR st.decision IS NOT NULL
        ORDER BY s.record_key_l, s.record_key_r
        """,
        [run_id, auto_threshold, review_threshold, store_threshold],
    )


def apply_cluster_feedback(con: duckdb.DuckDBPyConnection, changes: pd.DataFrame) -> None:
    """Send auto matches the clustering refused to review, with the reason (columns l, r, reason)."""
    if changes.empty:
        return
    con.register("match_feedback", changes)
    try:
        con.execute("""
            UPDATE match.pairs p
            SET decision = CASE WHEN p.decision = 'auto_match' THEN 'review' ELSE p.decision END,
                reason = f.reason
            FROM match_feedback f
            WHERE p.record_key_l = f.record_key_l AND p.record_key_r = f.record_key_r
        """)
    finally:
        con.unregister("match_feedback")


def mirror_decisions(con: duckdb.DuckDBPyConnection, now: datetime) -> None:
    """`match.decisions` = the stewards' decisions plus the model's auto matches of this run."""
    con.execute("DELETE FROM match.decisions")
    con.execute(f"""
        INSERT INTO match.decisions (record_key_l, record_key_r, decision, decided_by, decided_at, comment)
        SELECT record_key_l, record_key_r, decision, user_name, coalesce(decided_at, ?::TIMESTAMP), comment
        FROM {STEWARD_TABLE}
    """, [now])
    con.execute("""
        INSERT INTO match.decisions (record_key_l, record_key_r, decision, decided_by, decided_at, comment)
        SELECT record_key_l, record_key_r, 'match', 'model', ?::TIMESTAMP, NULL
        FROM match.pairs WHERE decision = 'auto_match'
    """, [now])
