"""Intermediate archive: a separate DuckDB file (`paths.archive`) outside the published data.

Records that must be kept for legal reasons (e.g. invoicing data) but are no longer used move
there: their raw and staging rows are copied with the rule and the time, then removed from the
working warehouse like expired ones. Nothing reads the archive during a run and nothing
publishes it; erasure still reaches it.

Why a second connection: a DuckDB transaction may write to one database only, and the runner
holds a transaction on the warehouse. So the copy is written by a cursor (its own transaction)
on the same DuckDB instance, committed BEFORE the stage deletes anything: if the stage then
fails, the rows are in both places and the next run archives them again (idempotently)
instead of losing them.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb

from warehouse.connection import sql_literal, transaction
from warehouse.retention.targets import Targets, hash_sql

ALIAS = "mdm_archive"
#: archive table -> working table it copies.
TABLES: dict[str, str] = {"raw_records": "raw.records", "customers": "staging.customers"}



def attach(cur: duckdb.DuckDBPyConnection, path: Path, read_only: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = " (READ_ONLY)" if read_only else ""
    # ATTACH takes no bound parameters; the path comes from the config, never from data.
    cur.execute(f"ATTACH IF NOT EXISTS {sql_literal(str(path))} AS {ALIAS}{mode}")


def _columns(cur: duckdb.DuckDBPyConnection, database: str, schema: str, table: str) -> dict[str, str]:
    rows = cur.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = ? AND schema_name = ?"
        " AND table_name = ? ORDER BY column_index",
        [database, schema, table],
    ).fetchall()
    return {name: dtype for name, dtype in rows}


def _ensure_table(cur: duckdb.DuckDBPyConnection, archive_table: str, source: str) -> None:
    """Create the archive table like its source, adding columns the source has gained since."""
    cur.execute(
        f"CREATE TABLE IF NOT EXISTS {ALIAS}.main.{archive_table} AS "
        f"SELECT *, NULL::TIMESTAMP AS archived_at, NULL::VARCHAR AS archive_rule FROM {source} LIMIT 0"
    )
    schema, table = source.split(".")
    have = _columns(cur, ALIAS, "main", archive_table)
    db_row = cur.execute("SELECT current_database()").fetchone()
    for name, dtype in _columns(cur, db_row[0] if db_row else "", schema, table).items():
        if name not in have:
            cur.execute(f'ALTER TABLE {ALIAS}.main.{archive_table} ADD COLUMN "{name}" {dtype}')


def archive_records(con: duckdb.DuckDBPyConnection, path: Path, keys: list[str], rules: list[str], at: datetime) -> int:
    """Copy the records' raw and staging rows into the archive file; returns records archived."""
    if not keys:
        return 0
    cur = con.cursor()
    try:
        attach(cur, path)
        with transaction(cur):
            for archive_table, source in TABLES.items():
                _ensure_table(cur, archive_table, source)
                cur.execute(
                    f"DELETE FROM {ALIAS}.main.{archive_table} WHERE record_key IN (SELECT unnest(?::VARCHAR[]))",
                    [keys],
                )
                cur.execute(
                    f"INSERT INTO {ALIAS}.main.{archive_table} BY NAME "
                    f"SELECT s.*, ?::TIMESTAMP AS archived_at, k.rule AS archive_rule FROM {source} s "
                    "JOIN (SELECT unnest(?::VARCHAR[]) AS record_key, unnest(?::VARCHAR[]) AS rule) k USING (record_key)",
                    [at, keys, rules],
                )
        cur.execute(f"DETACH {ALIAS}")
    finally:
        cur.close()
    return len(set(keys))


def delete_from_archive(path: Path, targets: Targets) -> int:
    """Erasure: delete the records whose key hash is a target from the archive file (the caller
    then rewrites the file). By hash, so that a resumed erasure needs no clear key."""
    if not path.exists() or not targets.of("record_key"):
        return 0
    con = duckdb.connect(str(path))
    try:
        con.execute("SET VARIABLE mdm_salt = ?", [targets.salt])
        deleted = 0
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()}
        for archive_table in TABLES:
            if archive_table in tables:
                row = con.execute(
                    f"DELETE FROM main.{archive_table} WHERE {hash_sql('record_key', 'record_key')}"
                    " IN (SELECT unnest(?::VARCHAR[]))", [targets.of("record_key")]
                ).fetchone()
                if archive_table == "customers":
                    deleted = int(row[0]) if row else 0
        return deleted
    finally:
        con.close()
