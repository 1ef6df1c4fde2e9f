"""The only way SQL reaches a DuckDB file.

- `open_writer(paths)`: the pipeline's single read-write connection to the working warehouse,
  with the schema applied.
- `open_published_reader(paths)`: a read-only connection to the published file. Readers never
  touch the working warehouse (DuckDB forbids it while the pipeline writes), and they must
  reconnect after a publication to see it (stack notes).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from mdm.config import Paths
from warehouse.schema import apply_schema


def open_writer(paths: Paths) -> duckdb.DuckDBPyConnection:
    paths.ensure()
    con = duckdb.connect(str(paths.warehouse))
    apply_schema(con)
    return con


def open_reader(path: Path) -> duckdb.DuckDBPyConnection:
    """Read-only connection to any DuckDB file we publish (never the working warehouse in a run)."""
    if not path.exists():
        raise FileNotFoundError(f"no database at {path}: run the pipeline first (mdm run)")
    return duckdb.connect(str(path), read_only=True)


def open_published_reader(paths: Paths) -> duckdb.DuckDBPyConnection:
    return open_reader(paths.published)
