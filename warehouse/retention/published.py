"""Erasure in the published files: every DuckDB and Parquet file under `$MDM_HOME` other than the
working warehouse and the archive (the current `published/golden.duckdb`, the versions kept for
rollback, exports) is rewritten without the erased rows.

Why rewrite instead of DELETE: published files are read-only copies, and a DELETE would leave
the bytes in free blocks anyway. Each file is copied table by table, keeping each table's DDL
(constraints included) and views, minus the rows that name an erased record key or golden id, or
carry an erased e-mail or phone; then `os.replace`d. Open readers keep the old file until they
reconnect (stack notes), new readers see the new one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from warehouse.connection import sql_literal

RECORD_KEY_NAMES = ("record_key", "record_key_l", "record_key_r")
GOLDEN_ID_NAMES = ("golden_id", "alias_id", "other_golden_id")


@dataclass
class Erased:
    record_keys: list[str]
    golden_ids: list[str]
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    national_ids: list[str] = field(default_factory=list)
    #: Also drop, in each file, the golden customers that file's xref links to the record keys.
    #: Used after expiry: an older version still shows the customer with the expired values,
    #: while a file published after the expiry no longer links them, so it keeps its customers.
    linked_golden: bool = False


def _kind(column: str) -> str | None:
    name = column.lower()
    if name in RECORD_KEY_NAMES or name.endswith("_record_key"):
        return "k"
    if name in GOLDEN_ID_NAMES or name.endswith("_golden_id"):
        return "g"
    if name == "email" or name.endswith("_email"):
        return "e"
    if name == "phone" or name.endswith("_phone"):
        return "p"
    if name == "national_id" or name.endswith("_national_id"):
        return "n"
    return None


def _condition(columns: list[tuple[str, str]]) -> str:
    """SQL that is true for a row to drop; columns are (name, type) of the table."""
    parts = []
    for name, dtype in columns:
        kind = _kind(name)
        if kind is None:
            continue
        if dtype == "VARCHAR":
            parts.append(f'"{name}" IN (SELECT v FROM _erased WHERE kind = \'{kind}\')')
        elif dtype == "VARCHAR[]":
            parts.append(f'list_has_any("{name}", (SELECT list(v) FROM _erased WHERE kind = \'{kind}\'))')
    return " OR ".join(parts) if parts else "false"


def _load_erased(con: duckdb.DuckDBPyConnection, erased: Erased) -> None:
    con.execute("CREATE OR REPLACE TEMP TABLE _erased (kind VARCHAR, v VARCHAR)")
    for kind, values in (("k", erased.record_keys), ("g", erased.golden_ids), ("e", erased.emails),
                         ("p", erased.phones), ("n", erased.national_ids)):
        if values:
            con.execute("INSERT INTO _erased SELECT ?, unnest(?::VARCHAR[])", [kind, values])



def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def rewrite_duckdb_without(path: Path, erased: Erased) -> int:
    """Rewrite one DuckDB file without the erased rows; returns rows left out.

    A file with no matching row is left as it is: published files are written fresh (never
    updated), so they hold no deleted bytes to clean.
    """
    tmp = path.with_name(path.name + ".erasing")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect()
    try:
        _load_erased(con, erased)
        # Neutral catalog names: a file called golden.duckdb would clash with the schema `golden`.
        con.execute(f"ATTACH {sql_literal(str(path))} AS src (READ_ONLY)")
        if erased.linked_golden and con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'src' AND schema_name = 'golden'"
            " AND table_name = 'xref'"
        ).fetchone() == (1,):
            con.execute(
                "INSERT INTO _erased SELECT DISTINCT 'g', golden_id FROM src.golden.xref"
                " WHERE record_key IN (SELECT v FROM _erased WHERE kind = 'k')"
            )
        tables = con.execute(
            "SELECT schema_name, table_name, sql, comment FROM duckdb_tables() WHERE database_name = 'src' ORDER BY 1, 2"
        ).fetchall()
        plan = []
        dropped = 0
        for schema, table, ddl, comment in tables:
            cols = con.execute(
                "SELECT column_name, data_type, comment FROM duckdb_columns() WHERE database_name = 'src'"
                " AND schema_name = ? AND table_name = ? ORDER BY column_index",
                [schema, table],
            ).fetchall()
            cond = _condition([(c[0], c[1]) for c in cols])
            row = con.execute(
                f'SELECT count(*) FROM src."{schema}"."{table}" WHERE coalesce(({cond}), false)'
            ).fetchone()
            dropped += int(row[0]) if row else 0
            plan.append((schema, table, ddl, comment, cols, cond))
        if not dropped:
            return 0
        con.execute(f"ATTACH {sql_literal(str(tmp))} AS mdm_erase_dst")
        con.execute("USE mdm_erase_dst")
        schemas = con.execute(
            "SELECT schema_name FROM duckdb_schemas() WHERE database_name = 'src' AND NOT internal"
        ).fetchall()
        for (schema,) in schemas:
            con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        for schema, table, ddl, comment, cols, cond in plan:
            con.execute(ddl)  # the table's own CREATE TABLE (constraints included), in the new file
            con.execute(
                f'INSERT INTO "{schema}"."{table}" SELECT * FROM src."{schema}"."{table}"'
                f" WHERE NOT coalesce(({cond}), false)"
            )
            if comment:
                con.execute(f'COMMENT ON TABLE "{schema}"."{table}" IS {_literal(comment)}')
            for name, _, col_comment in cols:
                if col_comment:
                    con.execute(f'COMMENT ON COLUMN "{schema}"."{table}"."{name}" IS {_literal(col_comment)}')
        views = con.execute(
            "SELECT sql FROM duckdb_views() WHERE database_name = 'src' AND NOT internal ORDER BY view_oid"
        ).fetchall()
        for (ddl,) in views:
            con.execute(ddl)
        con.execute("USE memory")
        con.execute("DETACH src")
        con.execute("CHECKPOINT mdm_erase_dst")
        con.execute("DETACH mdm_erase_dst")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp, path)
    return dropped


def rewrite_parquet_without(path: Path, erased: Erased) -> int:
    tmp = path.with_name(path.name + ".erasing")
    con = duckdb.connect()
    try:
        _load_erased(con, erased)
        xref = path.with_name("xref.parquet")
        if erased.linked_golden and xref.exists():
            con.execute(
                f"INSERT INTO _erased SELECT DISTINCT 'g', golden_id FROM read_parquet({sql_literal(str(xref))})"
                " WHERE record_key IN (SELECT v FROM _erased WHERE kind = 'k')"
            )
        cols = con.execute(f"DESCRIBE SELECT * FROM read_parquet({sql_literal(str(path))})").fetchall()
        cond = _condition([(c[0], c[1]) for c in cols])
        matching = con.execute(
            f"SELECT count(*) FROM read_parquet({sql_literal(str(path))}) WHERE coalesce(({cond}), false)"
        ).fetchone()
        if not matching or not matching[0]:
            return 0
        before = con.execute(f"SELECT count(*) FROM read_parquet({sql_literal(str(path))})").fetchone()
        con.execute(
            f"COPY (SELECT * FROM read_parquet({sql_literal(str(path))}) WHERE NOT coalesce(({cond}), false))"
            f" TO {sql_literal(str(tmp))} (FORMAT parquet)"
        )
        after = con.execute(f"SELECT count(*) FROM read_parquet({sql_literal(str(tmp))})").fetchone()
    finally:
        con.close()
    os.replace(tmp, path)
    return int(before[0] if before else 0) - int(after[0] if after else 0)


def erase_from_published(home: Path, skip: list[Path], erased: Erased) -> dict[str, int]:
    """Rewrite every DuckDB / Parquet file under `home` except `skip`; rows left out per file."""
    seen = {p.resolve() for p in skip}
    result: dict[str, int] = {}
    for path in sorted(home.rglob("*")):
        real = path.resolve()
        if not path.is_file() or real in seen or path.suffix not in (".duckdb", ".parquet"):
            continue
        seen.add(real)  # a symlinked folder (published/parquet) must not be rewritten twice
        rel = str(path.relative_to(home))
        if rel.split(os.sep)[0] in ("inbox", "rejected"):
            continue
        stat = real.stat()
        if path.suffix == ".duckdb":
            result[rel] = rewrite_duckdb_without(real, erased)
        else:
            result[rel] = rewrite_parquet_without(real, erased)
        # Keep the modification time: publication orders the rollback versions by it.
        os.utime(real, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return result
