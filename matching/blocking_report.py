"""Blocking statistics: per rule for the run summary, and on labelled data the true pairs each rule finds.

(The guard that refuses a blocking that would explode is `matching.blocking.check_limit`.)
`rule_report` answers "how many pairs does each rule produce, and how many true pairs does it
find" on labelled data (evaluation), which is how a blocking rule earns its place in the config.
"""

from __future__ import annotations

from typing import Any

import duckdb

from matching.blocking import BlockingResult
from matching.sql import one


def rule_report(result: BlockingResult) -> dict[str, dict[str, int]]:
    """Per-rule counts for the run summary (no personal data)."""
    return {
        s.rule: {"pairs": s.pairs, "new_pairs": s.new_pairs, "capped_blocks": s.capped_blocks}
        for s in result.rules
    }


def recall_by_rule(con: duckdb.DuckDBPyConnection, truth_table: str, schema: str = "match") -> list[dict[str, Any]]:
    """Share of true pairs each rule finds (first-found and cumulative), given `truth_table(record_key, truth)`.

    Reads `<schema>.candidates` (the stored candidate pairs with their rule).
    """
    total_row = one(con,
        f"SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM (SELECT count(*) n FROM {truth_table} GROUP BY truth)"
    )
    total = int(total_row[0]) if total_row else 0
    rows = con.execute(f"""
        SELECT c.rule, count(*) AS pairs,
               count(*) FILTER (WHERE tl.truth = tr.truth) AS true_pairs
        FROM {schema}.candidates c
        JOIN {truth_table} tl ON tl.record_key = c.record_key_l
        JOIN {truth_table} tr ON tr.record_key = c.record_key_r
        GROUP BY c.rule ORDER BY min(c.rule_idx)
    """).fetchall()
    out = []
    cumulative = 0
    for rule, pairs, true_pairs in rows:
        cumulative += int(true_pairs)
        out.append({
            "rule": rule, "pairs": int(pairs), "true_pairs": int(true_pairs),
            "cumulative_recall": cumulative / total if total else 1.0,
        })
    return out
