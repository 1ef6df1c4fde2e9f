"""Erasure in the published files: every DuckDB and Parquet file under `$MDM_HOME` other than the
working warehouse and the archive (the current `published/mdm.duckdb`, the versions kept for
rollback, exports) is rewritten without the erased rows.

Why rewrite instead of DELETE: published files are read-only copies, and a DELETE would leave
the bytes in free blocks anyway. Each file is copied table by table, keeping each table's DDL
(constraints included) and views, minus the rows that name an erased record key or golden id, or
carry an erased e-mail or phone; then `os.replace`d. Open readers keep the old file until they
reconnect (stack notes), new readers see the new one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
from duckdb.sqltypes import VARCHAR

from warehouse.connection import sql_literal
from warehouse.publication.files import PARQUET_OPTIONS, published_by
from warehouse.retention.identifiers import mailbox_sql
from warehouse.retention.journal import plain
from warehouse.retention.targets import FREE_TEXT_COLUMNS, Targets, hash_sql

RECORD_KEY_NAMES = ("record_key", "record_key_l", "record_key_r", "record_keys")
GOLDEN_ID_NAMES = ("golden_id", "alias_id", "other_golden_id", "golden_ids")
#: JSON columns whose fields can carry an identifier (golden history versions, quarantined rows).
JSON_FIELDS = {"email": "email", "phone": "phone", "national_id": "national_id"}


@dataclass
class Erased:
    """The rows to leave out, as salted hashes (`targets.Targets`), never values."""

    targets: Targets
    #: Also drop, in each file, the golden customers that file's xref links to the record keys.
    #: Used after expiry: an older version still shows the customer with the expired values,
    #: while a file published after the expiry no longer links them, so it keeps its customers.
    linked_golden: bool = False


def _kind(column: str) -> str | None:
    name = column.lower()
    if name in RECORD_KEY_NAMES or name.endswith("_record_key"):
        return "record_key"
    if name in GOLDEN_ID_NAMES or name.endswith("_golden_id"):
        return "golden_id"
    if name == "organisation_id":
        return "organisation_id"
    for kind in ("email", "phone", "national_id"):
        if name == kind or name.endswith(f"_{kind}"):
            return kind
    return None


def _in(kind: str, value: str) -> str:
    return f"{hash_sql(kind, value)} IN (SELECT h FROM _erased WHERE kind = '{kind}')"


def _value_condition(kind: str, value: str) -> str:
    if kind == "email":
        return f"({_in(kind, value)} OR {_in(kind, mailbox_sql(value))})"
    return _in(kind, value)


def _condition(columns: list[tuple[str, str]]) -> str:
    """SQL that is true for a row to drop; columns are (name, type) of the table."""
    parts = []
    for name, dtype in columns:
        kind = _kind(name)
        if kind is not None and dtype == "VARCHAR":
            parts.append(_value_condition(kind, f'"{name}"'))
        elif kind is not None and dtype == "VARCHAR[]":
            parts.append(f'len(list_filter("{name}", x -> {_value_condition(kind, "x")})) > 0')
        elif dtype == "JSON":
            parts += [_value_condition(k, f"(\"{name}\" ->> '{field}')") for field, k in JSON_FIELDS.items()]
    return " OR ".join(parts) if parts else "false"


def _text_columns(columns: list[tuple[str, str]]) -> list[str]:
    return [name for name, dtype in columns if dtype == "VARCHAR" and name.lower() in FREE_TEXT_COLUMNS]


def _select(columns: list[tuple[str, str]], erased: Erased) -> str:
    """The SELECT list that copies a row with its free text scrubbed."""
    text = _text_columns(columns) if erased.targets.scrubs_text() else []
    if not text:
        return "*"
    return "* REPLACE (" + ", ".join(f'mdm_scrub("{c}") AS "{c}"' for c in text) + ")"


def _changed_text(columns: list[tuple[str, str]], erased: Erased) -> str:
    text = _text_columns(columns) if erased.targets.scrubs_text() else []
    return " OR ".join(f'mdm_scrub("{c}") IS DISTINCT FROM "{c}"' for c in text) or "false"


def prepare(con: duckdb.DuckDBPyConnection, erased: Erased) -> None:
    """Load the hashes into `_erased(kind, h)`, the salt into `mdm_salt` and register `mdm_scrub`
    (on a fresh connection)."""
    con.execute("SET VARIABLE mdm_salt = ?", [erased.targets.salt])
    con.execute("CREATE OR REPLACE TEMP TABLE _erased (kind VARCHAR, h VARCHAR)")
    for kind, hashes in erased.targets.as_json().items():
        con.execute("INSERT INTO _erased SELECT ?, unnest(?::VARCHAR[])", [kind, hashes])
    con.create_function("mdm_scrub", erased.targets.scrub, [VARCHAR], VARCHAR, side_effects=False)


def _link_golden(con: duckdb.DuckDBPyConnection, xref: str) -> None:
    """Add to `_erased` the golden ids `xref` (a relation named by code) links to erased records."""
    con.execute(
        f"INSERT INTO _erased SELECT DISTINCT 'golden_id', {hash_sql('golden_id', 'golden_id')} FROM {xref}"
        f" WHERE {_in('record_key', 'record_key')}"
    )


def _has_free_blocks(con: duckdb.DuckDBPyConnection, catalog: str) -> bool:
    row = con.execute("SELECT free_blocks FROM pragma_database_size() WHERE database_name = ?", [catalog]).fetchone()
    return bool(row and row[0])


def rewrite_duckdb_without(path: Path, erased: Erased) -> int:
    """Rewrite one DuckDB file without the erased rows; returns rows left out.

    A file with no matching row and no free block is left as it is. A file with free blocks is
    rewritten all the same: its deleted bytes may hold the person (a publication patched from its
    predecessor's copy, `warehouse.publication.delta`, or a file a reader wrote into).

    Over 60 lines on purpose: the plan and the copy share one connection and one temporary file,
    and a single `except` must close and remove both on any failure (a half-written copy must
    never replace the file).
    """
    tmp = path.with_name(path.name + ".erasing")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect()
    try:
        prepare(con, erased)
        # Neutral catalog names: a file called golden.duckdb would clash with the schema `golden`.
        con.execute(f"ATTACH {sql_literal(str(path))} AS src (READ_ONLY)")
        if erased.linked_golden and con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'src' AND schema_name = 'golden'"
            " AND table_name = 'xref'"
        ).fetchone() == (1,):
            _link_golden(con, "src.golden.xref")
        tables = con.execute(
            "SELECT schema_name, table_name, sql, comment FROM duckdb_tables() WHERE database_name = 'src' ORDER BY 1, 2"
        ).fetchall()
        plan = []
        dropped = scrubbed = 0
        for schema, table, ddl, comment in tables:
            cols = con.execute(
                "SELECT column_name, data_type, comment FROM duckdb_columns() WHERE database_name = 'src'"
                " AND schema_name = ? AND table_name = ? ORDER BY column_index",
                [schema, table],
            ).fetchall()
            typed = [(c[0], c[1]) for c in cols]
            cond = _condition(typed)
            row = con.execute(
                f'SELECT count(*) FILTER (WHERE coalesce(({cond}), false)),'
                f' count(*) FILTER (WHERE {_changed_text(typed, erased)}) FROM src."{schema}"."{table}"'
            ).fetchone()
            dropped += int(row[0]) if row else 0
            scrubbed += int(row[1]) if row else 0
            plan.append((schema, table, ddl, comment, cols, cond, _select(typed, erased)))
        if not dropped and not scrubbed and not _has_free_blocks(con, "src"):
            return 0
        con.execute(f"ATTACH {sql_literal(str(tmp))} AS mdm_erase_dst")
        con.execute("USE mdm_erase_dst")
        schemas = con.execute(
            "SELECT schema_name FROM duckdb_schemas() WHERE database_name = 'src' AND NOT internal"
        ).fetchall()
        for (schema,) in schemas:
            con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        for schema, table, ddl, comment, cols, cond, select in plan:
            con.execute(ddl)  # the table's own CREATE TABLE (constraints included), in the new file
            con.execute(
                f'INSERT INTO "{schema}"."{table}" SELECT {select} FROM src."{schema}"."{table}"'
                f" WHERE NOT coalesce(({cond}), false)"
            )
            if comment:
                con.execute(f'COMMENT ON TABLE "{schema}"."{table}" IS {sql_literal(comment)}')
            for name, _, col_comment in cols:
                if col_comment:
                    con.execute(f'COMMENT ON COLUMN "{schema}"."{table}"."{name}" IS {sql_literal(col_comment)}')
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
    return dropped + scrubbed


def rewrite_parquet_without(path: Path, erased: Erased) -> int:
    tmp = path.with_name(path.name + ".erasing")
    con = duckdb.connect()
    try:
        prepare(con, erased)
        xref = path.with_name("xref.parquet")
        if erased.linked_golden and xref.exists():
            _link_golden(con, f"read_parquet({sql_literal(str(xref))})")
        cols = con.execute(f"DESCRIBE SELECT * FROM read_parquet({sql_literal(str(path))})").fetchall()
        typed = [(c[0], c[1]) for c in cols]
        cond = _condition(typed)
        matching = con.execute(
            f"SELECT count(*) FILTER (WHERE coalesce(({cond}), false)), count(*) FILTER (WHERE {_changed_text(typed, erased)})"
            f" FROM read_parquet({sql_literal(str(path))})"
        ).fetchone()
        if not matching or not (matching[0] or matching[1]):
            return 0
        before = con.execute(f"SELECT count(*) FROM read_parquet({sql_literal(str(path))})").fetchone()
        con.execute(
            f"COPY (SELECT {_select(typed, erased)} FROM read_parquet({sql_literal(str(path))})"
            f" WHERE NOT coalesce(({cond}), false)) TO {sql_literal(str(tmp))} ({PARQUET_OPTIONS})"
        )
        after = con.execute(f"SELECT count(*) FROM read_parquet({sql_literal(str(tmp))})").fetchone()
    finally:
        con.close()
    os.replace(tmp, path)
    return int(before[0] if before else 0) - int(after[0] if after else 0) + int(matching[1])


def erase_from_published(
    home: Path, skip: list[Path], erased: Erased, problems: list[str] | None = None,
    clean_run: str | None = None,
) -> dict[str, int]:
    """Rewrite every DuckDB / Parquet file under `home` except `skip`; rows left out (or scrubbed)
    per file. With `problems`, a file that cannot be rewritten (another program holds it open) is
    said there in plain words and the other files are still done; without, the error is raised.

    `clean_run`: a run whose own publications cannot hold what is erased (expiry's purge: the run
    that retired the records published after retiring them). Its files are not even read: at 1M
    customers and 10M events, scanning them cost a minute of the first run for nothing."""
    seen = {p.resolve() for p in skip}
    result: dict[str, int] = {}
    for leftover in [*home.rglob("*.erasing"), *home.rglob("*.erasing.wal")]:
        leftover.unlink(missing_ok=True)  # an interrupted rewrite's copy: may hold what it was removing
    for path in sorted(home.rglob("*")):
        real = path.resolve()
        if not path.is_file() or real in seen or path.suffix not in (".duckdb", ".parquet"):
            continue
        seen.add(real)  # a symlinked folder (published/parquet) must not be rewritten twice
        rel = str(path.relative_to(home))
        if rel.split(os.sep)[0] in ("inbox", "rejected"):
            continue
        if clean_run is not None and published_by(real) == clean_run:
            continue
        stat = real.stat()
        rewrite = rewrite_duckdb_without if path.suffix == ".duckdb" else rewrite_parquet_without
        try:
            result[rel] = rewrite(real, erased)
        except (duckdb.Error, OSError) as exc:
            if problems is None:
                raise
            problems.append(plain(rel, exc))
            continue
        # Keep the modification time: publication orders the rollback versions by it.
        os.utime(real, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return result
