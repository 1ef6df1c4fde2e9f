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
from matching.merge.survivorship import Survivors
from matching.sql import scalar_int
from warehouse.publication import delta
from warehouse.scratch import Scratch

#: Columns compared to decide whether a customer changed (and gets a new history version).
VERSIONED_COLUMNS: tuple[str, ...] = (*GOLDEN_FIELDS, "record_count", "sources")


@dataclass
class RefreshCounts:
    golden_customers: int
    created: int
    changed: int
    removed: int
    xref_closed_missing: int


def _scope_table(scratch: Scratch, golden_ids: list[str] | None, scope_table: str | None) -> str:
    """`merge_scope(golden_id)`: the customers to recompute."""
    if scope_table is not None:
        return scratch.table("merge_scope", f"SELECT DISTINCT golden_id FROM {scope_table}")
    if golden_ids is None:
        return scratch.table(
            "merge_scope",
            "SELECT golden_id FROM golden.customer UNION SELECT golden_id FROM golden.xref WHERE valid_to IS NULL",
        )
    return scratch.table("merge_scope", "SELECT DISTINCT unnest(?::VARCHAR[]) AS golden_id", [list(golden_ids)])


def _close_missing(con: duckdb.DuckDBPyConnection, scope: str, now: datetime) -> int:
    """Close the current xref rows of the customers in scope whose record is gone from staging
    (erased, expired); returns how many."""
    missing = con.execute(
        f"""
        UPDATE golden.xref SET valid_to = ?
        WHERE valid_to IS NULL
          AND golden_id IN (SELECT golden_id FROM {scope})
          AND record_key NOT IN (SELECT record_key FROM staging.customers)
        """,
        [now],
    ).fetchone()
    return int(missing[0]) if missing else 0


@dataclass(frozen=True)
class _Changes:
    """Temp tables: `status` (golden_id, is_new, is_changed, first_seen_at, updated_at) of every
    recomputed customer, and `removed` (golden_id) of those in scope left without a record."""

    status: str
    removed: str


def _changes(scratch: Scratch, scope: str, survivors: Survivors, now: datetime) -> _Changes:
    changed_sql = " OR ".join(f"v.{c} IS DISTINCT FROM p.{c}" for c in VERSIONED_COLUMNS)
    status = scratch.table("merge_status", f"""
        SELECT v.golden_id, p.golden_id IS NULL AS is_new,
               p.golden_id IS NOT NULL AND ({changed_sql}) AS is_changed,
               coalesce(p.first_seen_at, ?::TIMESTAMP) AS first_seen_at,
               CASE WHEN p.golden_id IS NULL OR ({changed_sql}) THEN ?::TIMESTAMP ELSE p.updated_at END AS updated_at
        FROM {survivors.values} v LEFT JOIN golden.customer p ON p.golden_id = v.golden_id
    """, [now, now])
    removed = scratch.table(
        "merge_removed",
        f"SELECT golden_id FROM {scope} WHERE golden_id NOT IN (SELECT golden_id FROM {survivors.values})",
    )
    return _Changes(status, removed)


def _write_history(con: duckdb.DuckDBPyConnection, survivors: Survivors, ch: _Changes, now: datetime) -> None:
    """Close the current version of changed and removed customers, add the new versions."""
    values_json = "to_json(struct_pack(" + ", ".join(f'"{c}" := v.{c}' for c in VERSIONED_COLUMNS) + "))"
    touched = f"SELECT golden_id FROM {ch.status} WHERE is_changed OR is_new UNION SELECT golden_id FROM {ch.removed}"
    delta.log_changes(con, "golden.history", touched)
    con.execute(
        f"UPDATE golden.history SET valid_to = ? WHERE valid_to IS NULL AND golden_id IN ({touched})", [now]
    )
    con.execute(
        f"""
        INSERT INTO golden.history (golden_id, version, "values", valid_from, valid_to)
        SELECT v.golden_id, coalesce(h.last_version, 0) + 1, {values_json}, ?, NULL
        FROM {survivors.values} v JOIN {ch.status} st ON st.golden_id = v.golden_id
        LEFT JOIN (SELECT golden_id, max(version) AS last_version FROM golden.history
                   WHERE golden_id IN (SELECT golden_id FROM {ch.status} WHERE is_new OR is_changed)
                   GROUP BY golden_id) h
               ON h.golden_id = v.golden_id
        WHERE st.is_new OR st.is_changed
        """,
        [now],
    )


def _write_rows(
    con: duckdb.DuckDBPyConnection, scratch: Scratch, scope: str, survivors: Survivors, ch: _Changes
) -> None:
    """Customer rows and lineage: rewrite only what differs (a quiet night touches few rows)."""
    rewrite = scratch.table("merge_rewrite", f"""
        SELECT st.golden_id FROM {ch.status} st JOIN {survivors.values} v ON v.golden_id = st.golden_id
        LEFT JOIN golden.customer p ON p.golden_id = st.golden_id
        WHERE st.is_new OR st.is_changed OR v.last_activity_at IS DISTINCT FROM p.last_activity_at
    """)
    lineage_rewrite = scratch.table("merge_lineage_rewrite", f"""
        WITH n AS (SELECT golden_id, bit_xor(hash(field, record_key, rule)) AS h, count(*) AS c
                   FROM {survivors.lineage} GROUP BY golden_id),
             o AS (SELECT golden_id, bit_xor(hash(field, record_key, rule)) AS h, count(*) AS c
                   FROM golden.lineage WHERE golden_id IN (SELECT golden_id FROM {scope}) GROUP BY golden_id)
        SELECT coalesce(n.golden_id, o.golden_id) AS golden_id FROM n FULL JOIN o ON o.golden_id = n.golden_id
        WHERE n.golden_id IS NULL OR o.golden_id IS NULL OR n.h <> o.h OR n.c <> o.c
    """)
    rewritten = f"SELECT golden_id FROM {lineage_rewrite} UNION ALL SELECT golden_id FROM {ch.removed}"
    delta.log_changes(con, "golden.lineage", rewritten)
    con.execute(f"DELETE FROM golden.lineage WHERE golden_id IN ({rewritten})")
    con.execute(
        f"DELETE FROM golden.customer WHERE golden_id IN "
        f"(SELECT golden_id FROM {rewrite} UNION ALL SELECT golden_id FROM {ch.removed})"
    )
    fields = ", ".join(GOLDEN_FIELDS)
    v_fields = ", ".join(f"v.{f}" for f in GOLDEN_FIELDS)
    con.execute(f"""
        INSERT INTO golden.customer ({fields}, golden_id, record_count, sources, first_seen_at,
                                     last_activity_at, updated_at)
        SELECT {v_fields}, v.golden_id, v.record_count, v.sources, st.first_seen_at,
               v.last_activity_at, st.updated_at
        FROM {survivors.values} v JOIN {ch.status} st ON st.golden_id = v.golden_id
        WHERE v.golden_id IN (SELECT golden_id FROM {rewrite})
    """)
    con.execute(
        f"INSERT INTO golden.lineage SELECT golden_id, field, record_key, rule FROM {survivors.lineage} "
        f"WHERE golden_id IN (SELECT golden_id FROM {lineage_rewrite})"
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
    with Scratch(con) as scratch:
        scope = _scope_table(scratch, golden_ids, scope_table)
        closed_missing = _close_missing(con, scope, now)
        members = scratch.table(
            "merge_members",
            "SELECT x.golden_id, x.record_key FROM golden.xref x "
            f"WHERE x.valid_to IS NULL AND x.golden_id IN (SELECT golden_id FROM {scope})",
        )
        survivors = survivorship.compute(con, members, config, scratch)
        ch = _changes(scratch, scope, survivors, now)
        created, changed = con.execute(
            f"SELECT count(*) FILTER (WHERE is_new), count(*) FILTER (WHERE is_changed) FROM {ch.status}"
        ).fetchone() or (0, 0)
        removed = scalar_int(
            con, f"SELECT count(*) FROM {ch.removed} WHERE golden_id IN (SELECT golden_id FROM golden.customer)"
        )
        _write_history(con, survivors, ch, now)
        _write_rows(con, scratch, scope, survivors, ch)
    return RefreshCounts(
        golden_customers=scalar_int(con, "SELECT count(*) FROM golden.customer"),
        created=int(created),
        changed=int(changed),
        removed=removed,
        xref_closed_missing=closed_missing,
    )
