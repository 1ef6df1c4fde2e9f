"""The change log of the patched tables, on a real warehouse schema (`warehouse.publication.delta`)."""

from __future__ import annotations

import duckdb

from warehouse.publication import contract, delta
from warehouse.schema import apply_schema


def _warehouse() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    apply_schema(con)
    return con


def test_a_night_logs_its_keys_and_a_first_load_logs_one_row_that_says_copy_it_whole() -> None:
    con = _warehouse()
    many = delta.SHARE_FROM_ROWS + 1
    con.execute("INSERT INTO golden.lineage SELECT 'g' || i, 'email', 'crm:' || i, 'rule' FROM range(?) r(i)",
                [many * 20])
    delta.log_changes(con, "golden.lineage", "SELECT 'g' || i FROM range(1000) r(i)")
    assert con.execute("SELECT count(golden_id), count(record_key) FROM publication.changes").fetchone() == (1000, 0)

    delta.log_changes(con, "staging.customers", f"SELECT 'crm:' || i FROM range({many}) r(i)")  # an empty table
    delta.log_changes(con, "staging.customers", "SELECT 'crm:1'")  # nothing more is logged for it
    assert con.execute("SELECT count(*) FROM publication.changes WHERE table_name = 'staging.customers'"
                       ).fetchone() == (1,)
    assert con.execute("SELECT count(*) FROM publication.changes WHERE table_name = 'staging.customers' "
                       "AND record_key IS NULL AND golden_id IS NULL").fetchone() == (1,)
    con.execute("ATTACH ':memory:' AS p")
    for table in ("staging.customers", "golden.lineage"):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS p.{table.split('.')[0]}")
        con.execute(f"CREATE TABLE p.{table} AS SELECT * FROM {table}")
    assert not delta.patch(con, contract.table("staging.customers"), "p")  # the marker: copy it whole
    assert delta.patch(con, contract.table("golden.lineage"), "p")  # the logged keys: patched, same rows
