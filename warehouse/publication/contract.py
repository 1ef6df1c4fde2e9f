"""The published schema contract (`warehouse/published_schema.yaml`): load, compare, comment, render.

One description serves three purposes, so they cannot disagree: publication writes it into the
file as `COMMENT ON` (what `duckdb_tables()` / `duckdb_columns()` show a BI tool), a test compares
the published file with it, and `docs/published-schema.md` is rendered from it.

    python -m warehouse.publication.contract --render > docs/published-schema.md
    python -m warehouse.publication.contract --missing   # DDL columns the contract lacks
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import duckdb
import yaml

from warehouse.connection import sql_literal


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str


@dataclass(frozen=True)
class Table:
    name: str  # schema.table
    description: str
    columns: tuple[Column, ...]
    parquet: bool = False

    @property
    def schema(self) -> str:
        return self.name.split(".")[0]

    @property
    def table(self) -> str:
        return self.name.split(".")[1]


@cache
def load() -> tuple[Table, ...]:
    text = (resources.files("warehouse") / "published_schema.yaml").read_text(encoding="utf-8")
    raw: dict[str, Any] = yaml.safe_load(text)
    tables = []
    for name, spec in raw["tables"].items():
        cols = tuple(Column(str(c["name"]), str(c["type"]), str(c["description"])) for c in spec["columns"])
        tables.append(Table(name, " ".join(str(spec["description"]).split()), cols, bool(spec.get("parquet"))))
    return tuple(tables)


def table(name: str) -> Table:
    for t in load():
        if t.name == name:
            return t
    raise KeyError(f"{name} is not in the published schema contract")


def quote(identifier: str) -> str:
    """Quote an identifier that comes from our own contract file (never from data)."""
    return '"' + identifier.replace('"', '""') + '"'


def actual_columns(con: duckdb.DuckDBPyConnection, catalog: str, name: str) -> list[tuple[str, str]]:
    schema, tbl = name.split(".")
    rows = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = ? AND schema_name = ? "
        "AND table_name = ? ORDER BY column_index",
        [catalog, schema, tbl],
    ).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


def drift(con: duckdb.DuckDBPyConnection, catalog: str, required: tuple[str, ...] = ()) -> list[str]:
    """Differences between the tables in `catalog` and the contract, as readable lines.

    Tables of the contract that are absent are only reported when listed in `required` (the
    read-model tables are copied when they exist).
    """
    problems = []
    for t in load():
        actual = actual_columns(con, catalog, t.name)
        if not actual:
            if t.name in required:
                problems.append(f"{t.name}: missing table")
            continue
        expected = [(c.name, c.type) for c in t.columns]
        if actual != expected:
            extra = [c for c in actual if c not in expected]
            missing = [c for c in expected if c not in actual]
            problems.append(
                f"{t.name}: columns differ from the contract"
                + (f"; not in contract: {extra}" if extra else "")
                + (f"; missing or retyped: {missing}" if missing else "")
                + ("; order differs" if not extra and not missing else "")
            )
    return problems


def write_comments(con: duckdb.DuckDBPyConnection, catalog: str) -> None:
    """COMMENT ON every contract table and column present in `catalog`."""
    for t in load():
        present = {name for name, _ in actual_columns(con, catalog, t.name)}
        if not present:
            continue
        target = f"{quote(catalog)}.{quote(t.schema)}.{quote(t.table)}"
        con.execute(f"COMMENT ON TABLE {target} IS {sql_literal(t.description)}")
        for c in t.columns:
            if c.name in present:
                con.execute(f"COMMENT ON COLUMN {target}.{quote(c.name)} IS {sql_literal(c.description)}")


def render_markdown() -> str:
    """`docs/published-schema.md`, generated (a test checks the file is up to date)."""
    lines = [
        "# Published schema",
        "",
        "<!-- Generated from warehouse/published_schema.yaml by"
        " `python -m warehouse.publication.contract --render`; do not edit by hand. -->",
        "",
        "`$MDM_HOME/published/mdm.duckdb` is the database downstream tools read (read-only; it is replaced",
        "atomically by each run, see [golden records](golden-records.md)). Open it directly and name tables by",
        "schema: `duckdb var/published/mdm.duckdb`, then `SELECT * FROM golden.customer`; in Python",
        "`duckdb.connect('var/published/mdm.duckdb', read_only=True).sql('SELECT * FROM golden.customer')`; a BI",
        "tool's DuckDB driver the same way. (Until 2026-12 the file was `golden.duckdb`, whose catalog name `golden`",
        "clashed with the schema `golden`; an existing home gets `mdm.duckdb` at its next publication, which",
        "removes the old file, and `mdm sql`, the web app and the report read either until then.)",
        "The same descriptions are stored in the",
        "file itself: `SELECT table_name, comment FROM duckdb_tables()` and",
        "`SELECT table_name, column_name, comment FROM duckdb_columns()`. Tables marked *Parquet* are also exported",
        "to `$MDM_HOME/published/parquet/<table>.parquet`. A test fails when the published file drifts from this",
        "contract; columns are only ever added.",
        "",
    ]
    for t in load():
        lines += [f"## `{t.name}`" + (" (Parquet)" if t.parquet else ""), "", t.description, ""]
        lines += ["| column | type | description |", "| --- | --- | --- |"]
        lines += [f"| `{c.name}` | `{c.type}` | {c.description.replace('|', '/')} |" for c in t.columns]
        lines.append("")
    return "\n".join(lines)


def missing_from_ddl() -> list[str]:
    """YAML lines to paste into the contract for warehouse columns it does not list yet, and the
    contract columns the DDL no longer has (to be fixed by hand: the contract only ever grows)."""
    from warehouse.schema import apply_schema

    con = duckdb.connect(":memory:")
    apply_schema(con)
    out = []
    for t in load():
        actual = actual_columns(con, "memory", t.name)
        if not actual:
            continue
        known = {c.name for c in t.columns}
        for name, typ in actual:
            if name not in known:
                typ_yaml = f'"{typ}"' if "[" in typ else typ
                out.append(f"{t.name}:   - {{name: {name}, type: {typ_yaml}, description: \"...\"}}")
        gone = [c.name for c in t.columns if c.name not in dict(actual)]
        if gone:
            out.append(f"{t.name}: in the contract but not in the DDL: {gone}")
    return out


if __name__ == "__main__":  # pragma: no cover - a maintenance command
    if sys.argv[1:] == ["--render"]:
        sys.stdout.write(render_markdown())
    elif sys.argv[1:] == ["--missing"]:
        print("\n".join(missing_from_ddl()) or "the contract lists every warehouse column of the published tables")
    else:
        sys.exit("usage: python -m warehouse.publication.contract --render | --missing")
