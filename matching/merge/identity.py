"""Stable golden IDs: which cluster keeps which previous golden ID, set-based in SQL.

Rules (design card, issue 6):
1. Each previous golden customer *claims* the cluster now holding its oldest member (earliest
   current xref `valid_from`, tie-break record key). So when its records fall into several
   clusters (a split), the part with the oldest member keeps the ID; the others get new IDs.
2. A cluster claimed by several previous customers (a merge) keeps the OLDEST ID (first_seen_at,
   tie-break id); the other IDs become aliases of it in `golden.alias`, and still resolve.
3. A cluster nobody claims gets a new generated ID (uuid4, `uuid()` in DuckDB), never derived
   from the cluster number.

Input: `merge_clusters(record_key, cluster_id)`. Output: `merge_assign(record_key, golden_id,
previous_id)` for the records of the clusters that needed deciding (`merge_open`; a cluster that is
exactly one previous customer keeps its ID without being ranked), `merge_new_aliases(alias_id,
golden_id)` and `merge_splits(golden_id, parts)`.
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


def _settled_filter(con: duckdb.DuckDBPyConnection, only_changed: bool) -> None:
    """`merge_cur(record_key, cluster_id, golden_id, valid_from)`: every clustered record with its
    current golden ID (NULL for a new record), and `merge_open(cluster_id)`: the clusters the claim
    rules must decide.

    A cluster is *settled* when its records are exactly the clustered records of one previous golden
    customer: that customer claims it (its oldest member is there), nobody else can (no other
    customer has a record there), and it does not split (it has no record elsewhere). So the rules
    would give it its previous ID with no alias and no split, and it is left out; on a quiet night
    that is all but a few thousand of a million records. Conversely every customer with a record in
    an open cluster has all its clustered records in open clusters, so the rules see whole customers.
    """
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE merge_cur AS
        SELECT c.record_key, c.cluster_id, x.golden_id, x.valid_from
        FROM merge_clusters c
        LEFT JOIN (SELECT record_key, golden_id, valid_from FROM golden.xref WHERE valid_to IS NULL) x
               ON x.record_key = c.record_key
        """
    )
    if not only_changed:
        con.execute("CREATE OR REPLACE TEMP TABLE merge_open AS SELECT DISTINCT cluster_id FROM merge_cur")
        return
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE merge_open AS
        WITH per_cluster AS (
            SELECT cluster_id, count(*) AS n, count(golden_id) AS n_known,
                   min(golden_id) AS g_min, max(golden_id) AS g_max
            FROM merge_cur GROUP BY cluster_id
        ), per_golden AS (
            SELECT golden_id, count(*) AS n FROM merge_cur WHERE golden_id IS NOT NULL GROUP BY golden_id
        )
        SELECT c.cluster_id FROM per_cluster c LEFT JOIN per_golden g ON g.golden_id = c.g_min
        WHERE c.n_known < c.n OR c.g_min <> c.g_max OR g.n <> c.n
        """
    )


def assign(con: duckdb.DuckDBPyConnection, only_changed: bool = True) -> IdentityCounts:
    """Apply the rules to the open clusters (all of them with `only_changed=False`, which gives
    the same IDs: the tests compare both)."""
    _settled_filter(con, only_changed)
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE merge_prev AS
        SELECT m.record_key, m.golden_id, m.valid_from,
               coalesce(g.first_seen_at, m.valid_from) AS first_seen_at, m.cluster_id
        FROM merge_cur m
        LEFT JOIN golden.customer g ON g.golden_id = m.golden_id
        WHERE m.golden_id IS NOT NULL AND m.cluster_id IN (SELECT cluster_id FROM merge_open)
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
        SELECT o.cluster_id, coalesce(k.golden_id, uuid()::VARCHAR) AS golden_id, k.golden_id IS NULL AS is_new
        FROM merge_open o LEFT JOIN merge_claims k ON k.cluster_id = o.cluster_id AND k.seniority = 1
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE merge_assign AS
        SELECT m.record_key, i.golden_id, m.golden_id AS previous_id
        FROM merge_cur m JOIN merge_cluster_ids i USING (cluster_id)
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

    Only records of open clusters can move (`merge_assign`); a record left out of every cluster
    leaves its customer. Returns how many records moved to, or arrived in, a golden customer.
    """
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE merge_moves AS
        SELECT record_key, golden_id, previous_id FROM merge_assign
        WHERE golden_id IS DISTINCT FROM previous_id
        """
    )
    con.execute(
        """
        UPDATE golden.xref SET valid_to = ?
        WHERE valid_to IS NULL AND (
            record_key IN (SELECT record_key FROM merge_moves WHERE previous_id IS NOT NULL)
            OR record_key NOT IN (SELECT record_key FROM merge_clusters))
        """,
        [now],
    )
    row = con.execute(
        """
        INSERT INTO golden.xref (record_key, source, golden_id, valid_from, valid_to)
        SELECT m.record_key, coalesce(s.source, split_part(m.record_key, ':', 1)), m.golden_id, ?, NULL
        FROM merge_moves m
        LEFT JOIN staging.customers s ON s.record_key = m.record_key
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
