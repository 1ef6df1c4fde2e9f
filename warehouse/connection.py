"""The only way SQL reaches a DuckDB file.

- `open_writer(paths)`: the pipeline's single read-write connection to the working warehouse,
  with the schema applied.
- `transaction(con)`: commit on success, roll back whole on any error.
- `open_reader(path)`: a read-only connection to any DuckDB file (the published file, an
  archive, the working warehouse between runs); `open_published_reader(paths)` for the file
  readers see. DuckDB refuses a reader on the working warehouse while the pipeline writes
  (`duckdb.IOException`, "Could not set lock").
- `sql_literal(text)`: the one SQL string-literal quoting, for the statements that take no
  bound parameters.

Why readers ATTACH instead of `duckdb.connect(path)`: a fresh in-memory database per reader
avoids DuckDB's per-process cache of open files, which would keep serving the file a publication
has just replaced (stack notes): each new reader sees the latest publication. The neutral alias
`published` also reads a home's legacy `golden.duckdb` (catalog `golden`, which clashed with the
schema `golden`) until its next publish renames it (`Paths.published`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from mdm.config import Paths
from warehouse.schema import apply_schema

log = logging.getLogger("mdm.warehouse")

#: The catalog name readers see the published file under.
READER_ALIAS = "published"


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One DuckDB transaction: committed if the block succeeds, rolled back whole if it raises."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
        con.execute("COMMIT")
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except Exception as exc:  # a failed COMMIT (full disk) may leave nothing to roll back
            log.warning("rollback failed (%s); the transaction was not committed", type(exc).__name__)
        raise


def open_writer(paths: Paths, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """The pipeline's read-write connection, schema applied; `memory_limit` caps DuckDB's memory."""
    paths.ensure()
    con = duckdb.connect(str(paths.warehouse))
    if memory_limit:
        con.execute(f"SET memory_limit = {sql_literal(memory_limit)}")  # validated by the config
    # Nothing in the pipeline relies on the order rows come back in without ORDER BY; dropping it
    # lets DuckDB parallelise inserts and aggregates and keep less in memory (its own advice for
    # big loads).
    con.execute("SET preserve_insertion_order = false")
    apply_schema(con)
    return con


def open_reader(path: Path, alias: str = READER_ALIAS, use: bool = True) -> duckdb.DuckDBPyConnection:
    """Read-only connection to a DuckDB file, attached as `alias` in a fresh in-memory database
    (and made the default catalog when `use`; without it, the in-memory side stays the default,
    for a reader that keeps tables of its own, as the web app does)."""
    if not path.exists():
        raise FileNotFoundError(f"no database at {path}: run the pipeline first (mdm run)")
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH {sql_literal(str(path))} AS {alias} (READ_ONLY)")
        if use:
            con.execute(f"USE {alias}")
    except BaseException:
        con.close()
        raise
    return con


def sql_literal(value: str) -> str:
    """A SQL string literal, for the few statements that take no bound parameters (ATTACH, COPY);
    used for paths from our own config, never for values from data."""
    return "'" + value.replace("'", "''") + "'"


def open_published_reader(paths: Paths) -> duckdb.DuckDBPyConnection:
    return open_reader(paths.current_published())
