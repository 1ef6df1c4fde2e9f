"""Small DuckDB helpers shared by the matching modules.

Why: with DuckDB 2.0, a result left half-read (`fetchone()`) blocks the connection for the next
`register()`, so single rows are read with `fetchall()` here.
"""

from __future__ import annotations

from typing import Any

import duckdb


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> tuple[Any, ...] | None:
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def scalar_int(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> int:
    row = one(con, sql, params)
    return int(row[0]) if row and row[0] is not None else 0
