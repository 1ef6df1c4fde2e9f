"""Remove source records (or whole golden customers) from every layer of the working warehouse.

Why discover tables instead of listing them: other packages add tables over time, and a
forgotten one would keep a person's data after an expiry or erasure. So every table of the
warehouse that has a record-key column (`record_key`, `record_key_l`, `..._record_key`, or a
`record_keys` list) is swept, except the audit, ops, dq and retention schemas, which hold no
personal data (hashes and counts only).

The caller fills a temp table `_retire_keys(record_key)` (and, for erasure, `_retire_golden(golden_id)`)
and calls these functions inside its transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb

#: Schemas that hold no personal data and must keep their rows (the audit trail above all).
SKIP_SCHEMAS = ("audit", "ops", "dq", "retention")
KEYS_TABLE = "_retire_keys"
GOLDEN_TABLE = "_retire_golden"
#: Golden customers linked (by any xref version) to a record in `_retire_keys`.
AFFECTED_TABLE = "_retire_affected"


@dataclass(frozen=True)
class KeyColumn:
    schema: str
    table: str
    column: str
    is_list: bool

    @property
    def qualified(self) -> str:
        return f'"{self.schema}"."{self.table}"'


def _columns(con: duckdb.DuckDBPyConnection, names: tuple[str, ...], suffix: str) -> list[KeyColumn]:
    rows = con.execute(
        """
        SELECT schema_name, table_name, column_name, data_type
        FROM duckdb_columns()
        WHERE database_name = current_database() AND NOT internal
          AND schema_name NOT IN (SELECT unnest(?::VARCHAR[]))
          AND table_name NOT LIKE '\\_%' ESCAPE '\\'
          AND (column_name IN (SELECT unnest(?::VARCHAR[])) OR column_name LIKE ?)
          AND data_type IN ('VARCHAR', 'VARCHAR[]')
          AND (schema_name, table_name) IN (SELECT schema_name, table_name FROM duckdb_tables())
        ORDER BY schema_name, table_name, column_name
        """,
        [list(SKIP_SCHEMAS), list(names), f"%{suffix}"],
    ).fetchall()
    return [KeyColumn(s, t, c, d == "VARCHAR[]") for s, t, c, d in rows]


def record_key_columns(con: duckdb.DuckDBPyConnection) -> list[KeyColumn]:
    return _columns(con, ("record_key", "record_key_l", "record_key_r", "record_keys"), "_record_key")


def golden_id_columns(con: duckdb.DuckDBPyConnection) -> list[KeyColumn]:
    return _columns(con, ("golden_id", "alias_id", "other_golden_id", "golden_ids"), "_golden_id")


def _delete_where(con: duckdb.DuckDBPyConnection, columns: list[KeyColumn], id_table: str, id_col: str) -> dict[str, int]:
    """Delete every row of every listed table that names one of the ids; counts per table."""
    by_table: dict[str, list[KeyColumn]] = {}
    for col in columns:
        by_table.setdefault(col.qualified, []).append(col)
    counts: dict[str, int] = {}
    for table, cols in by_table.items():
        conditions = []
        for col in cols:
            if col.is_list:
                conditions.append(f'list_has_any("{col.column}", (SELECT list({id_col}) FROM {id_table}))')
            else:
                conditions.append(f'"{col.column}" IN (SELECT {id_col} FROM {id_table})')
        row = con.execute(f"DELETE FROM {table} WHERE " + " OR ".join(conditions)).fetchone()
        counts[table.replace('"', "")] = int(row[0]) if row else 0
    return counts


def delete_records(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Delete the records in `_retire_keys` from every table that names a record key."""
    return _delete_where(con, record_key_columns(con), KEYS_TABLE, "record_key")


def delete_golden(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Delete the golden customers in `_retire_golden` (rows, xref, lineage, history, aliases)."""
    return _delete_where(con, golden_id_columns(con), GOLDEN_TABLE, "golden_id")


def repair_clusters(con: duckdb.DuckDBPyConnection) -> None:
    """Keep `match.clusters.cluster_id` = smallest remaining record key of the cluster.

    Otherwise an expired record's key would live on as the id of its former cluster.
    """
    con.execute(
        """
        UPDATE match.clusters AS c SET cluster_id = m.new_id
        FROM (SELECT cluster_id, min(record_key) AS new_id FROM match.clusters GROUP BY cluster_id) AS m
        WHERE c.cluster_id = m.cluster_id AND m.new_id <> c.cluster_id
        """
    )


def affected_golden_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Golden customers that any version of `golden.xref` links to a retired record."""
    mark_affected_golden(con)
    rows = con.execute(f"SELECT golden_id FROM {AFFECTED_TABLE} ORDER BY golden_id").fetchall()
    return [r[0] for r in rows]


def mark_affected_golden(con: duckdb.DuckDBPyConnection) -> int:
    """`_retire_affected(golden_id)`: the golden customers any version of `golden.xref` links to a
    retired record; returns how many. A table rather than a list, so that tens of thousands of
    ids never travel through Python."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {AFFECTED_TABLE} AS SELECT DISTINCT golden_id FROM golden.xref"
        f" WHERE record_key IN (SELECT record_key FROM {KEYS_TABLE})"
    )
    row = con.execute(f"SELECT count(*) FROM {AFFECTED_TABLE}").fetchone()
    return int(row[0]) if row else 0


def _ids_table(con: duckdb.DuckDBPyConnection, name: str, golden_ids: list[str]) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} (golden_id VARCHAR)")
    con.execute(f"INSERT INTO {name} SELECT DISTINCT unnest(?::VARCHAR[])", [golden_ids])


def _over_ids(
    con: duckdb.DuckDBPyConnection, golden_ids: list[str], run: Callable[[duckdb.DuckDBPyConnection, str], int]
) -> int:
    """Run a table-based step (`run(con, table)`) on a list of ids (what erasure holds) via a temp table."""
    if not golden_ids:
        return 0
    _ids_table(con, "_listed_golden", golden_ids)
    try:
        return run(con, "_listed_golden")
    finally:
        con.execute("DROP TABLE IF EXISTS _listed_golden")


def scrub_history(con: duckdb.DuckDBPyConnection, golden_ids: list[str]) -> int:
    """Drop the golden history versions that carry an identifier only a retired record supplied.

    Run before the staging rows are deleted (it compares with them). A version whose e-mail,
    phone, street or full name came from a retired record would otherwise keep it for ever; a
    value that a remaining record of the same customer also carries is not the retired record's
    alone, so versions holding only such values are kept.
    """
    return _over_ids(con, golden_ids, scrub_history_of)


def scrub_history_of(con: duckdb.DuckDBPyConnection, golden_table: str) -> int:
    """`scrub_history` for the golden customers listed in `golden_table(golden_id)` (a table name
    chosen by code)."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _scrub_values AS
        WITH retired AS (
            SELECT DISTINCT x.golden_id, s.*
            FROM staging.customers s JOIN {KEYS_TABLE} k USING (record_key)
            JOIN golden.xref x ON x.record_key = s.record_key
            WHERE x.golden_id IN (SELECT golden_id FROM {golden_table})
        ), remaining AS (
            SELECT x.golden_id, s.* FROM golden.xref x JOIN staging.customers s USING (record_key)
            WHERE x.valid_to IS NULL AND x.golden_id IN (SELECT golden_id FROM {golden_table})
              AND x.record_key NOT IN (SELECT record_key FROM {KEYS_TABLE})
        ), retired_values AS (
            SELECT golden_id, 'email' AS field, email AS value FROM retired WHERE email IS NOT NULL
            UNION SELECT golden_id, 'phone', phone FROM retired WHERE phone IS NOT NULL
            UNION SELECT golden_id, 'street', street FROM retired WHERE street IS NOT NULL
            UNION SELECT golden_id, 'name', concat_ws(chr(31), first_name, last_name) FROM retired
                  WHERE last_name IS NOT NULL
        )
        SELECT v.golden_id, v.field, v.value
        FROM retired_values v
        WHERE NOT EXISTS (
            SELECT 1 FROM remaining r WHERE r.golden_id = v.golden_id AND (
                   (v.field = 'email' AND r.email = v.value)
                OR (v.field = 'phone' AND r.phone = v.value)
                OR (v.field = 'street' AND r.street = v.value)
                OR (v.field = 'name' AND concat_ws(chr(31), r.first_name, r.last_name) = v.value)))
        """
    )
    row = con.execute(
        """
        DELETE FROM golden.history AS h
        WHERE EXISTS (
            SELECT 1 FROM _scrub_values v
            WHERE v.golden_id = h.golden_id AND v.value = CASE v.field
                WHEN 'email' THEN h."values"->>'email'
                WHEN 'phone' THEN h."values"->>'phone'
                WHEN 'street' THEN h."values"->>'street'
                ELSE concat_ws(chr(31), h."values"->>'first_name', h."values"->>'last_name') END)
        """
    ).fetchone()
    con.execute("DROP TABLE IF EXISTS _scrub_values")
    return int(row[0]) if row else 0


def drop_orphan_golden(con: duckdb.DuckDBPyConnection, golden_ids: list[str]) -> int:
    """Remove every trace of the listed golden customers that no longer exist or have no current record.

    `rebuild_golden` deletes the golden rows left without records; this removes what it may
    leave behind in history, lineage, aliases and closed xref versions.
    """
    return _over_ids(con, golden_ids, drop_orphan_golden_of)


def drop_orphan_golden_of(con: duckdb.DuckDBPyConnection, golden_table: str) -> int:
    """`drop_orphan_golden` for the customers listed in `golden_table(golden_id)` (a table name
    chosen by code)."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {GOLDEN_TABLE} AS
        SELECT golden_id FROM {golden_table}
        WHERE golden_id NOT IN (SELECT golden_id FROM golden.xref WHERE valid_to IS NULL)
        """
    )
    row = con.execute(f"SELECT count(*) FROM {GOLDEN_TABLE}").fetchone()
    gone = int(row[0]) if row else 0
    if gone:
        delete_golden(con)
    con.execute(f"DROP TABLE IF EXISTS {GOLDEN_TABLE}")
    return gone


def load_keys(con: duckdb.DuckDBPyConnection, keys: list[str]) -> None:
    """(Re)create `_retire_keys` with these record keys."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {KEYS_TABLE} (record_key VARCHAR PRIMARY KEY)")
    con.execute(f"INSERT INTO {KEYS_TABLE} SELECT DISTINCT k FROM unnest(?::VARCHAR[]) AS t(k)", [keys])


def load_keys_from(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """(Re)create `_retire_keys` with the record keys of `table(record_key)` (a table name chosen by
    code); returns how many."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {KEYS_TABLE} (record_key VARCHAR PRIMARY KEY)")
    con.execute(f"INSERT INTO {KEYS_TABLE} SELECT DISTINCT record_key FROM {table}")
    row = con.execute(f"SELECT count(*) FROM {KEYS_TABLE}").fetchone()
    return int(row[0]) if row else 0
