"""Expiry is physical once the warehouse is compacted: deleted rows leave no bytes in the files."""

from __future__ import annotations

from datetime import datetime

import duckdb

from warehouse.retention.compact import compact_warehouse

OLD = datetime(2022, 1, 1)
NEEDLES = ["gone.person@example.org", "Zorglubovic", "+33622222222"]


def test_expired_record_bytes_are_gone_after_compaction(warehouse, find_bytes):
    warehouse.add("crm:old", retention_category="prospect", last_contact_at=OLD, email=NEEDLES[0],
                  last_name=NEEDLES[1], phone=NEEDLES[2])
    warehouse.add("crm:new", retention_category="prospect", last_contact_at=datetime(2026, 1, 1),
                  email="kept@example.org", last_name="Kept")
    warehouse.clusters(["crm:old"], ["crm:new"])
    warehouse.stage("merge")
    warehouse.con.execute("CHECKPOINT")
    home = warehouse.config.paths.home
    assert find_bytes(home, NEEDLES)

    result = warehouse.stage("expire")
    assert result.counts["expired"]["prospect_3y"] == 1
    warehouse.con.execute("CHECKPOINT")
    assert find_bytes(home, NEEDLES), "DuckDB keeps deleted rows in free blocks until rewritten"

    warehouse.con.close()
    compact_warehouse(warehouse.config.paths)
    assert find_bytes(home, NEEDLES) == []
    assert find_bytes(home, ["kept@example.org"])


def test_expiry_also_leaves_older_published_versions(warehouse, find_bytes):
    warehouse.add("crm:old", retention_category="prospect", last_contact_at=OLD, email=NEEDLES[0],
                  last_name=NEEDLES[1], phone=NEEDLES[2], trust_rank=1)
    warehouse.add("webshop:new", retention_category="customer", last_order_at=datetime(2026, 1, 1),
                  email="kept@example.org", last_name="Kept", trust_rank=2)
    warehouse.add("crm:other", retention_category="customer", last_order_at=datetime(2026, 1, 1),
                  email="other@example.org", last_name="Other")
    warehouse.clusters(["crm:old", "webshop:new"], ["crm:other"])
    warehouse.stage("merge")
    gid = warehouse.gid("webshop:new")
    warehouse.stage("publish")  # a version with the stale record, kept for rollback
    warehouse.stage("expire")
    warehouse.stage("publish")
    warehouse.con.close()
    home = warehouse.config.paths.home
    assert any(hit.startswith("published/versions") for hit in find_bytes(home, NEEDLES))

    result = compact_warehouse(warehouse.config.paths)
    assert result["published_rows_removed"] > 0
    assert find_bytes(home, NEEDLES) == []
    con = duckdb.connect(str(warehouse.config.paths.published), read_only=True)
    try:  # the current publication keeps the customer, with what its remaining source supports
        assert con.execute("SELECT email FROM golden.customer WHERE golden_id = ?", [gid]).fetchall() == [
            ("kept@example.org",)]
        assert con.execute("SELECT count(*) FROM golden.customer").fetchone() == (2,)
    finally:
        con.close()
    # nothing retired since: a second compaction leaves the files alone, unless forced
    inode = warehouse.config.paths.warehouse.stat().st_ino
    assert compact_warehouse(warehouse.config.paths) == {"published_rows_removed": 0}
    assert warehouse.config.paths.warehouse.stat().st_ino == inode
    assert "warehouse.duckdb" in compact_warehouse(warehouse.config.paths, force=True)


def test_compaction_under_a_memory_limit_keeps_every_row(tmp_path):
    """The rewrite runs with the pipeline's `warehouse.memory_limit` (DuckDB spills beyond it)."""
    from warehouse.retention.compact import rewrite_duckdb

    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT range AS i, repeat('x', 200) AS pad FROM range(200000)")
    con.execute("DELETE FROM t WHERE i % 2 = 0")
    con.close()
    rewrite_duckdb(path, memory_limit="64MB")
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT count(*), sum(i) FROM t").fetchall() == [(100000, sum(range(1, 200000, 2)))]
    con.close()


def test_the_purge_does_not_read_what_the_retiring_run_published(tmp_path):
    """Expiry's purge skips the files the retiring run itself published (after its expire stage,
    so they cannot hold the records); every other published file is still cleaned."""
    from warehouse.retention.published import Erased, erase_from_published, published_by
    from warehouse.retention.targets import Targets

    def publication(path, run_id):
        path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(path))
        con.execute("CREATE SCHEMA ops; CREATE TABLE ops.publication (run_id VARCHAR)")
        con.execute("INSERT INTO ops.publication VALUES (?)", [run_id])
        con.execute("CREATE SCHEMA golden; CREATE TABLE golden.xref (record_key VARCHAR, golden_id VARCHAR)")
        con.execute("INSERT INTO golden.xref VALUES ('crm:old', 'g1'), ('crm:new', 'g2')")
        con.close()

    publication(tmp_path / "published" / "versions" / "golden-run-1.duckdb", "run-1")
    publication(tmp_path / "published" / "mdm.duckdb", "run-2")
    parquet = tmp_path / "published" / "parquet-run-2" / "xref.parquet"
    parquet.parent.mkdir()
    duckdb.connect().execute(f"COPY (SELECT 'crm:old' AS record_key) TO '{parquet}' (FORMAT parquet)")
    assert published_by(tmp_path / "published" / "mdm.duckdb") == "run-2" and published_by(parquet) == "run-2"

    erased = Erased(Targets("salt").add("record_key", ["crm:old"]))
    removed = erase_from_published(tmp_path, [], erased, clean_run="run-2")
    assert removed == {"published/versions/golden-run-1.duckdb": 1}
    assert erase_from_published(tmp_path, [], erased) == {  # an erasure reads every file
        "published/mdm.duckdb": 1, "published/parquet-run-2/xref.parquet": 1, "published/versions/golden-run-1.duckdb": 0}


def test_an_erasure_rewrites_a_published_file_whose_free_blocks_may_hold_the_person(tmp_path, find_bytes):
    """A publication patched from its predecessor's copy keeps that copy's free blocks, where
    dropped tables left their rows. An erasure rewrites such a file even when no live row names
    the person; a file with no free block and no row of theirs is left alone."""
    from warehouse.retention.published import Erased, erase_from_published
    from warehouse.retention.targets import Targets

    path = tmp_path / "published" / "mdm.duckdb"
    path.parent.mkdir(parents=True)
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA golden; CREATE TABLE golden.earlier (golden_id VARCHAR, email VARCHAR)")
    con.execute("INSERT INTO golden.earlier VALUES ('g1', ?), ('g2', 'kept@example.org')", [NEEDLES[0]])
    con.execute("CHECKPOINT")
    con.execute("CREATE TABLE golden.customer AS SELECT * FROM golden.earlier WHERE golden_id = 'g2'")
    con.execute("CHECKPOINT")
    con.execute("DROP TABLE golden.earlier")  # what a patched publication does to its predecessor's tables
    con.execute("CHECKPOINT")
    con.close()
    assert find_bytes(tmp_path, [NEEDLES[0]]), "the dropped rows are still in the file's free blocks"

    erased = Erased(Targets("salt").add("email", [NEEDLES[0]]))
    assert erase_from_published(tmp_path, [], erased) == {"published/mdm.duckdb": 0}
    assert find_bytes(tmp_path, [NEEDLES[0]]) == []
    assert duckdb.connect(str(path), read_only=True).execute("SELECT email FROM golden.customer").fetchall() == [
        ("kept@example.org",)]
    before = path.stat().st_ino
    assert erase_from_published(tmp_path, [], erased) == {"published/mdm.duckdb": 0}
    assert path.stat().st_ino == before  # a fresh file with nothing of the person: not rewritten again
