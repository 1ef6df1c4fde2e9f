"""Recompute golden customers (values, lineage, history) from the CURRENT xref and staging.

Used twice: by the merge stage after it has assigned identities (scope: every golden id), and by
retention through `rebuild_golden` after records were deleted (scope: the customers concerned).
Golden customers left with no current record are deleted (their history is closed, their aliases
stay so old references can still be explained).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from matching.merge import survivorship
from matching.merge.config import GOLDEN_FIELDS, SurvivorshipConfig

#: Columns compared to decide whether a customer changed (and gets a new history version).
VERSIONED_COLUMNS: tuple[str, ...] = (*GOLDEN_FIELDS, "record_count", "sources")


@dataclass
class RefreshCounts:
    golden_customers: int
    created: int
    changed: int
    removed: int
    xref_closed_missing: int


def _scope_table(con: duckdb.DuckDBPyConnection, golden_ids: list[str] | None, scope_table: str | None) -> None:
    """`merge_scope(golden_id)`: the customers to recompute."""
    if scope_table is not None:
        con.execute(f"CREATE OR REPLACE TEMP TABLE merge_scope AS SELECT DISTINCT golden_id FROM {scope_table}")
    elif golden_ids is None:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE merge_scope AS "
            "SELECT golden_id FROM golden.customer "
            "UNION SELECT golden_id FROM golden.xref WHERE valid_to IS NULL"
        )
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE merge_scope (golden_id VARCHAR)")
        if golden_ids:
            con.execute(
                "INSERT INTO merge_scope SELECT DISTINCT unnest(?::VARCHAR[])", [list(golden_ids)]
            )


def refresh(
    con: duckdb.DuckDBPyConnection,
    now: datetime,
    config: SurvivorshipConfig,
    golden_ids: list[str] | None = None,
    scope_table: str | None = None,
) -> RefreshCounts:
    """Recompute the golden customers in scope: those of `scope_table(golden_id)` (a table name
    chosen by code), else `golden_ids`, else all."""
    _scope_table(con, golden_ids, scope_table)
    # A current xref row whose record is gone from staging (erased, expired) is closed.
    missing = con.execute(
        """
        UPDATE golden.xref SET valid_to = ?
        WHERE valid_to IS NULL
          AND golden_id IN (SELECT golden_id FROM merge_scope)
          AND record_key NOT IN (SELECT record_key FROM staging.customers)
        """,
        [now],
    ).fetchone()
    closed_missing = int(missing[0]) if missing else 0
    con.execute(
        "CREATE OR REPLACE TEMP TABLE merge_members AS "
        "SELECT x.golden_id, x.record_key FROM golden.xref x "
        "WHERE x.valid_to IS NULL AND x.golden_id IN (SELECT golden_id FROM merge_scope)"
    )
    survivorship.compute(con, "merge_members", config)

    changed_sql = " OR ".join(f"v.{c} IS DISTINCT FROM p.{c}" for c in VERSIONED_COLUMNS)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE merge_status AS
        SELECT v.golden_id, p.golden_id IS NULL AS is_new,
               p.golden_id IS NOT NULL AND ({changed_sql}) AS is_changed,
               coalesce(p.first_seen_at, ?::TIMESTAMP) AS first_seen_at,
               CASE WHEN p.golden_id IS NULL OR ({changed_sql}) THEN ?::TIMESTAMP ELSE p.updated_at END AS updated_at
        FROM merge_values v LEFT JOIN golden.customer p ON p.golden_id = v.golden_id
        """,
        [now, now],
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE merge_removed AS "
        "SELECT golden_id FROM merge_scope WHERE golden_id NOT IN (SELECT golden_id FROM merge_values)"
    )
    created, changed = con.execute(
        "SELECT count(*) FILTER (WHERE is_new), count(*) FILTER (WHERE is_changed) FROM merge_status"
    ).fetchone() or (0, 0)
    removed_row = con.execute(
        "SELECT count(*) FROM merge_removed WHERE golden_id IN (SELECT golden_id FROM golden.customer)"
    ).fetchone()
    removed = int(removed_row[0]) if removed_row else 0

    # History: close the current version of changed and removed customers, add the new versions.
    values_json = "to_json(struct_pack(" + ", ".join(f'"{c}" := v.{c}' for c in VERSIONED_COLUMNS) + "))"
    con.execute(
        """
        UPDATE golden.history SET valid_to = ?
        WHERE valid_to IS NULL AND golden_id IN (
            SELECT golden_id FROM merge_status WHERE is_changed OR is_new
            UNION SELECT golden_id FROM merge_removed)
        """,
        [now],
    )
    con.execute(
        f"""
        INSERT INTO golden.history (golden_id, version, "values", valid_from, valid_to)
        SELECT v.golden_id, coalesce(h.last_version, 0) + 1, {values_json}, ?, NULL
        FROM merge_values v JOIN merge_status st ON st.golden_id = v.golden_id
        LEFT JOIN (SELECT golden_id, max(version) AS last_version FROM golden.history
                   WHERE golden_id IN (SELECT golden_id FROM merge_status WHERE is_new OR is_changed)
                   GROUP BY golden_id) h
               ON h.golden_id = v.golden_id
        WHERE st.is_new OR st.is_changed
        """,
        [now],
    )

    # Customer rows and lineage: rewrite only what differs (a quiet night touches few rows).
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE merge_rewrite AS
        SELECT st.golden_id FROM merge_status st JOIN merge_values v ON v.golden_id = st.golden_id
        LEFT JOIN golden.customer p ON p.golden_id = st.golden_id
        WHERE st.is_new OR st.is_changed OR v.last_activity_at IS DISTINCT FROM p.last_activity_at
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE merge_lineage_rewrite AS
        WITH n AS (SELECT golden_id, bit_xor(hash(field, record_key, rule)) AS h, count(*) AS c
                   FROM merge_lineage GROUP BY golden_id),
             o AS (SELECT golden_id, bit_xor(hash(field, record_key, rule)) AS h, count(*) AS c
                   FROM golden.lineage WHERE golden_id IN (SELECT golden_id FROM merge_scope) GROUP BY golden_id)
        SELECT coalesce(n.golden_id, o.golden_id) AS golden_id FROM n FULL JOIN o ON o.golden_id = n.golden_id
        WHERE n.golden_id IS NULL OR o.golden_id IS NULL OR n.h <> o.h OR n.c <> o.c
        """
    )
    con.execute(
        "DELETE FROM golden.lineage WHERE golden_id IN "
        "(SELECT golden_id FROM merge_lineage_rewrite UNION ALL SELECT golden_id FROM merge_removed)"
    )
    con.execute(
        "DELETE FROM golden.customer WHERE golden_id IN "
        "(SELECT golden_id FROM merge_rewrite UNION ALL SELECT golden_id FROM merge_removed)"
    )
    fields = ", ".join(GOLDEN_FIELDS)
    v_fields = ", ".join(f"v.{f}" for f in GOLDEN_FIELDS)
    con.execute(
        f"""
        INSERT INTO golden.customer ({fields}, golden_id, record_count, sources, first_seen_at,
                                     last_activity_at, updated_at)
        SELECT {v_fields}, v.golden_id, v.record_count, v.sources, st.first_seen_at,
               v.last_activity_at, st.updated_at
        FROM merge_values v JOIN merge_status st ON st.golden_id = v.golden_id
        WHERE v.golden_id IN (SELECT golden_id FROM merge_rewrite)
        """
    )
    con.execute(
        "INSERT INTO golden.lineage SELECT golden_id, field, record_key, rule FROM merge_lineage "
        "WHERE golden_id IN (SELECT golden_id FROM merge_lineage_rewrite)"
    )
    total = con.execute("SELECT count(*) FROM golden.customer").fetchone()
    return RefreshCounts(
        golden_customers=int(total[0]) if total else 0,
        created=int(created),
        changed=int(changed),
        removed=removed,
        xref_closed_missing=closed_missing,
    )
