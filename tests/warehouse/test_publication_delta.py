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


def test_a_patch_from_the_base_checksum_reads_only_the_changed_rows_and_catches_a_wrong_base() -> None:
    """With the checksum the base's copy had when it was published, the patched copy's checksum is
    that, less the rows taken out, plus the rows put in. A base that is not what the checksum says
    (the file changed since) gives a checksum the warehouse does not have: the table is copied."""
    con = _warehouse()
    con.execute("INSERT INTO golden.lineage SELECT 'g' || i, 'email', 'crm:' || i, 'rule' FROM range(1000) r(i)")
    con.execute("ATTACH ':memory:' AS p")
    con.execute("CREATE SCHEMA p.golden")
    con.execute("CREATE TABLE p.golden.lineage AS SELECT * FROM golden.lineage")
    columns = [name for name, _ in contract.actual_columns(con, "p", "golden.lineage")]
    base = delta.checksum(con, "p.golden.lineage", columns)
    con.execute("UPDATE golden.lineage SET rule = 'other' WHERE golden_id IN ('g1', 'g2')")
    con.execute("DELETE FROM golden.lineage WHERE golden_id = 'g3'")
    delta.log_changes(con, "golden.lineage", "SELECT unnest(['g1', 'g2', 'g3'])")
    lineage = contract.table("golden.lineage")

    assert delta.patch(con, lineage, "p", base) == delta.checksum(con, "golden.lineage", columns)
    assert delta.checksum(con, "p.golden.lineage", columns) == delta.checksum(con, "golden.lineage", columns)

    con.execute("DELETE FROM p.golden.lineage WHERE golden_id = 'g4'")  # the base changed behind our back
    con.execute("UPDATE golden.lineage SET rule = 'again' WHERE golden_id = 'g1'")
    assert delta.patch(con, lineage, "p", delta.checksum(con, "golden.lineage", columns)) is None
