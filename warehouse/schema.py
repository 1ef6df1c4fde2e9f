"""Warehouse DDL: one `.sql` file per schema under `warehouse/ddl/`, applied in name order.

Every statement is `CREATE ... IF NOT EXISTS`, so applying the DDL to an existing warehouse is a
no-op. A column added after the first release goes under "Migrations" at the end of its schema's
file, as `ALTER TABLE ... ADD COLUMN IF NOT EXISTS`: a no-op once applied, run by a new warehouse
too, so a new and an upgraded warehouse have the same columns in the same order (the added column
last). A schema file stays self-contained: the evaluator applies `50_match.sql` alone.
"""

from __future__ import annotations

import re
from importlib import resources

import duckdb


def ddl_files() -> list[str]:
    folder = resources.files("warehouse") / "ddl"
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".sql"))


def ddl_text(name: str) -> str:
    return (resources.files("warehouse") / "ddl" / name).read_text(encoding="utf-8")


#: Schemas holding another matcher's state in the layout of `match` (`50_match.sql`): the organisation
#: matcher's (`matching/organisations.py`). Created with the rest, so every published table exists
#: in a warehouse even before its stage first ran.
MATCHER_SCHEMAS: tuple[str, ...] = ("match_org",)


def matcher_ddl(schema: str) -> str:
    """The matcher's state tables (`50_match.sql`) under `schema`: one layout, defined once."""
    text = ddl_text("50_match.sql")
    return re.sub(r"\bmatch\.", f"{schema}.", text).replace("SCHEMA IF NOT EXISTS match;",
                                                           f"SCHEMA IF NOT EXISTS {schema};")


def apply_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every schema and table that does not exist yet."""
    for name in ddl_files():
        con.execute(ddl_text(name))
    for schema in MATCHER_SCHEMAS:
        con.execute(matcher_ddl(schema))


def describe(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    """(column, type) of `table` (`schema.table`, a name from code), in column order."""
    return [(str(r[0]), str(r[1])) for r in con.execute(f"DESCRIBE {table}").fetchall()]


def row_count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """Rows of `table` (`schema.table`, a name from code)."""
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0
