"""Stable golden IDs: which cluster keeps which previous golden ID, set-based in SQL.

Rules (design card, issue 6):
1. Each previous golden customer *claims* the cluster now holding its oldest member (earliest
   current xref `valid_from`, tie-break record key). So when its records fall into several
   clusters (a split), the part with the oldest member keeps the ID; the others get new IDs.
2. A cluster claimed by several previous customers (a merge) keeps the OLDEST ID (first_seen_at,
   tie-break id); the other IDs become aliases of it in `golden.alias`, and still resolve.
3. A cluster nobody claims gets a new generated ID (uuid4, `uuid()` in DuckDB), never derived
   from the cluster number.

Input: `merge_clusters(record_key, cluster_id)`. Output: `merge_assign(record_key, golden_id)`,
`merge_new_aliases(alias_id, golden_id)` and `merge_splits(golden_id, parts)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb


@dataclass
class IdentityCounts:
    new_golden: int
    merged: int
    split: int


def assign(con: duckdb.DuckDBPyConnection) -> IdentityCounts:
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE merge_prev AS
        SELECT x.record_key, x.golden_id, x.valid_from,
               coalesce(g.first_seen_at, x.valid_from) AS first_seen_at, c.cluster_id
        FROM golden.xref x
        LEFT JOIN golden.customer g ON g.golden_id = x.golden_id
        JOIN merge_clusters c ON c.record_key = x.record_key
        WHERE x.valid_to IS NULL
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE merge_claims AS
        WITH ranked AS (
            SELECT *, row_number() OVER (PARTITION BY golden_id ORDER BY valid_from, record_key) AS rn,
                   count(DISTINCT cluster_id) OVER (PARTITION BY golden_id) AS parts
            FROM merge_prev
        )
        SELECT golden_id, first_seen_at, cluster_id, parts,
               row_number() OVER (PARTITION BY cluster_id ORDER BY first_seen_at, golden_id) AS seniority
        FROM ranked WHERE rn = 1
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE merge_cluster_ids AS
        WITH cl AS (SELECT DISTINCT cluster_id FROM merge_clusters)
        SELECT cl.cluster_id, coalesce(k.golden_id, uuid()::VARCHAR) AS golden_id, k.golden_id IS NULL AS is_new
        FROM cl LEFT JOIN merge_claims k ON k.cluster_id = cl.cluster_id AND k.seniority = 1
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE merge_assign AS
        SELECT c.record_key, i.golden_id FROM merge_clusters c JOIN merge_cluster_ids i USING (cluster_id)
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE merge_new_aliases AS
        SELECT k.golden_id AS alias_id, i.golden_id, k.cluster_id
        FROM merge_claims k JOIN merge_cluster_ids i ON i.cluster_id = k.cluster_id
        WHERE k.seniority > 1
        """
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE merge_splits AS "
        "SELECT golden_id, parts FROM merge_claims WHERE parts > 1"
    )
    row = con.execute(
        "SELECT (SELECT count(*) FROM merge_cluster_ids WHERE is_new), (SELECT count(*) FROM merge_new_aliases),"
        " (SELECT count(*) FROM merge_splits)"
    ).fetchone() or (0, 0, 0)
    return IdentityCounts(new_golden=int(row[0]), merged=int(row[1]), split=int(row[2]))


def apply_xref(con: duckdb.DuckDBPyConnection, now: datetime) -> int:
    """Close the xref rows of records that moved or left; open rows for their new golden IDs.

    Returns how many records moved to, or arrived in, a golden customer.
    """
    con.execute(
        """
        UPDATE golden.xref SET valid_to = ?
        WHERE valid_to IS NULL AND NOT EXISTS (
            SELECT 1 FROM merge_assign a WHERE a.record_key = golden.xref.record_key
                                           AND a.golden_id = golden.xref.golden_id)
        """,
        [now],
    )
    row = con.execute(
        """
        INSERT INTO golden.xref (record_key, source, golden_id, valid_from, valid_to)
        SELECT a.record_key, coalesce(s.source, split_part(a.record_key, ':', 1)), a.golden_id, ?, NULL
        FROM merge_assign a
        LEFT JOIN staging.customers s ON s.record_key = a.record_key
        WHERE NOT EXISTS (SELECT 1 FROM golden.xref x WHERE x.valid_to IS NULL
                            AND x.record_key = a.record_key AND x.golden_id = a.golden_id)
        """,
        [now],
    ).fetchone()
    return int(row[0]) if row else 0


def record_aliases(con: duckdb.DuckDBPyConnection, now: datetime, reason_by_alias: dict[str, str]) -> None:
    """Write the new aliases; older aliases pointing at a merged ID now point at its survivor."""
    con.execute(
        "UPDATE golden.alias SET golden_id = n.golden_id FROM merge_new_aliases n "
        "WHERE golden.alias.golden_id = n.alias_id"
    )
    con.execute(
        "INSERT INTO golden.alias (alias_id, golden_id, since, reason) "
        "SELECT alias_id, golden_id, ?, 'merge' FROM merge_new_aliases "
        "ON CONFLICT (alias_id) DO UPDATE SET golden_id = excluded.golden_id, since = excluded.since",
        [now],
    )
    for alias_id, reason in reason_by_alias.items():
        con.execute("UPDATE golden.alias SET reason = ? WHERE alias_id = ?", [reason, alias_id])
