"""An upgraded warehouse ends with the same tables and columns as a new one, its rows kept."""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.schema import apply_schema, ddl_files, ddl_text

MIGRATIONS = "-- Migrations"


def _columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, str]]:
    return con.execute(
        "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_catalog = current_database() ORDER BY table_schema, table_name, ordinal_position"
    ).fetchall()


def test_a_warehouse_from_before_the_migrations_is_upgraded_in_place(tmp_path: Path) -> None:
    new = duckdb.connect()
    apply_schema(new)

    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as old:
        for name in ddl_files():                       # the first release: no migration ran yet
            old.execute(ddl_text(name).split(MIGRATIONS)[0])
        assert "national_id" not in {c for _, t, c, _ in _columns(old) if t == "customers"}
        old.execute("INSERT INTO golden.customer (golden_id, record_count, sources, first_seen_at, updated_at) "
                    "VALUES ('g-1', 1, ['crm'], now(), now())")
    with duckdb.connect(str(path)) as upgraded:
        apply_schema(upgraded)
        apply_schema(upgraded)                         # and again: a no-op
        assert _columns(upgraded) == _columns(new)
        assert upgraded.execute("SELECT golden_id, national_id FROM golden.customer").fetchall() == [("g-1", None)]


def test_migrations_only_add_columns() -> None:
    """A migration line that rewrote data would run again on every start: only idempotent adds."""
    for name in ddl_files():
        text = ddl_text(name)
        if MIGRATIONS not in text:
            continue
        section = text.split(MIGRATIONS, 1)[1].split("\n", 1)[1]   # after the heading line
        code = "\n".join(line.split("--", 1)[0] for line in section.splitlines())
        statements = [s.strip() for s in code.split(";") if s.strip()]
        assert statements, name
        assert all(s.startswith("ALTER TABLE") and "ADD COLUMN IF NOT EXISTS" in s for s in statements), name
