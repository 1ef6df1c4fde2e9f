"""Decisions per pair: thresholds, with steward decisions always winning.

- probability >= auto_match_threshold -> `auto_match` (merged, unless clustering refuses it)
- probability >= review_threshold     -> `review` (the steward queue; never merged by itself)
- below                                -> `non_match`
- a steward's latest decision on the pair -> `steward_match` / `steward_non_match`, whatever the score.

An incremental run rewrites only the pairs whose score or steward decision can have changed
(`pairs_to_rescore`): new candidate pairs and pairs whose steward decision changed since the
last run; pairs of changed or vanished records are dropped. With the model version unchanged,
every other stored pair would get exactly the decision it already has.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from matching.comparisons import Comparison
from matching.scoring import SCORED_TABLE, contributions_sql
from matching.sql import scalar_int

STEWARD_TABLE = "match_steward"
RESCORE_TABLE = "match_rescore"
STALE_TABLE = "match_stale"
#: SQL: the `match.pairs` rows that are clustering edges (auto and steward matches). A refused auto
#: match shows as `review` with a reason, and counts too: the edge it was before clustering refused it.
BASE_EDGE_SQL = "(decision IN ('auto_match', 'steward_match') OR (decision = 'review' AND reason IS NOT NULL))"


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


def pairs_to_rescore(con: duckdb.DuckDBPyConnection, new_pairs_table: str, schema: str = "match") -> int:
    """Temp table `match_rescore` (record_key_l, record_key_r, steward_changed): this run's new
    candidate pairs (`new_pairs_table`: key_l, key_r) and the stored pairs whose effective steward
    decision differs from the one `match.pairs` shows."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {RESCORE_TABLE} AS
        SELECT record_key_l, record_key_r, bool_or(steward_changed) AS steward_changed FROM (
            SELECT key_l AS record_key_l, key_r AS record_key_r, FALSE AS steward_changed FROM {new_pairs_table}
            UNION ALL
            SELECT record_key_l, record_key_r, TRUE FROM (
                (SELECT record_key_l, record_key_r, 'steward_' || decision AS decision FROM {STEWARD_TABLE}
                 EXCEPT
                 SELECT record_key_l, record_key_r, decision FROM {schema}.pairs
                 WHERE decision IN ('steward_match', 'steward_non_match'))
                UNION ALL
                (SELECT record_key_l, record_key_r, decision FROM {schema}.pairs
                 WHERE decision IN ('steward_match', 'steward_non_match')
                 EXCEPT
                 SELECT record_key_l, record_key_r, 'steward_' || decision FROM {STEWARD_TABLE})
            )
        ) GROUP BY ALL
    """)
    return scalar_int(con, f"SELECT count(*) FROM {RESCORE_TABLE}")


def write_pairs(
    con: duckdb.DuckDBPyConnection,
    comparisons: list[Comparison],
    run_id: str,
    auto_threshold: float,
    review_threshold: float,
    store_threshold: float,
    full: bool = True,
    schema: str = "match",
) -> None:
    """Write the scored pairs (`match_scored`) worth keeping to `match.pairs`, with their decisions.

    `full`: `match_scored` holds every candidate and replaces the table. Otherwise it holds the
    pairs of `match_rescore`, which replace their stored rows, and pairs of changed or vanished
    records (`match_stale`) are dropped; the other rows stay as they are.
    """
    if full:
        con.execute(f"DELETE FROM {schema}.pairs")
    else:
        con.execute(f"""
            DELETE FROM {schema}.pairs p
            WHERE record_key_l IN (SELECT record_key FROM {STALE_TABLE})
               OR record_key_r IN (SELECT record_key FROM {STALE_TABLE})
               OR EXISTS (SELECT 1 FROM {RESCORE_TABLE} x
                          WHERE x.record_key_l = p.record_key_l AND x.record_key_r = p.record_key_r)
        """)
    con.execute(
        f"""
        INSERT INTO {schema}.pairs (run_id, record_key_l, record_key_r, match_weight, match_probability,
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


def reset_cluster_feedback(con: duckdb.DuckDBPyConnection, records_table: str, schema: str = "match") -> None:
    """Undo the last clustering's refusals on the edges of the records in `records_table`
    (they are clustered again): a refused auto match is an auto match again, reasons go."""
    con.execute(f"""
        UPDATE {schema}.pairs
        SET decision = CASE WHEN decision = 'review' THEN 'auto_match' ELSE decision END, reason = NULL
        WHERE reason IS NOT NULL AND record_key_l IN (SELECT record_key FROM {records_table})
    """)


def apply_cluster_feedback(con: duckdb.DuckDBPyConnection, changes: pd.DataFrame, schema: str = "match") -> None:
    """Send auto matches the clustering refused to review, with the reason (columns l, r, reason)."""
    if changes.empty:
        return
    con.register("match_feedback", changes)
    try:
        con.execute(f"""
            UPDATE {schema}.pairs p
            SET decision = CASE WHEN p.decision = 'auto_match' THEN 'review' ELSE p.decision END,
                reason = f.reason
            FROM match_feedback f
            WHERE p.record_key_l = f.record_key_l AND p.record_key_r = f.record_key_r
        """)
    finally:
        con.unregister("match_feedback")


def mirror_decisions(con: duckdb.DuckDBPyConnection, now: datetime, schema: str = "match") -> None:
    """Make `match.decisions` = the stewards' decisions plus the model's current auto matches.

    Only rows that differ are deleted and inserted (an incremental run changes few of them); a
    model decision keeps the time it was first made.
    """
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE match_decisions_new AS
        SELECT record_key_l, record_key_r, decision, user_name AS decided_by,
               coalesce(decided_at, ?::TIMESTAMP) AS decided_at, comment
        FROM {STEWARD_TABLE}
        UNION ALL
        SELECT record_key_l, record_key_r, 'match', 'model', ?::TIMESTAMP, NULL
        FROM {schema}.pairs WHERE decision = 'auto_match'
    """, [now, now])
    con.execute(f"""
        DELETE FROM {schema}.decisions d
        WHERE NOT EXISTS (
            SELECT 1 FROM match_decisions_new n
            WHERE n.record_key_l = d.record_key_l AND n.record_key_r = d.record_key_r
              AND n.decision = d.decision AND n.decided_by = d.decided_by
              AND (n.decided_by = 'model' OR n.decided_at = d.decided_at)
              AND n.comment IS NOT DISTINCT FROM d.comment)
    """)
    con.execute(f"""
        INSERT INTO {schema}.decisions (record_key_l, record_key_r, decision, decided_by, decided_at, comment)
        SELECT n.* FROM match_decisions_new n
        WHERE NOT EXISTS (SELECT 1 FROM {schema}.decisions d
                          WHERE d.record_key_l = n.record_key_l AND d.record_key_r = n.record_key_r)
    """)
    con.execute("DROP TABLE match_decisions_new")
