"""Publication: a new file swapped in atomically, checked, commented, versioned, exported to Parquet.

The warehouse is built with the real DDL and the real merge stage; nothing of ours is mocked.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from mdm.config import MdmConfig
from mdm.context import RunContext
from mdm.pipeline import execute_stage
from mdm.web.published import PublishedDatabase
from warehouse.connection import open_published_reader, open_writer
from warehouse.publication import contract, delta, files
from warehouse.publication.rollback import RollbackError, read_info, rollback
from warehouse.publish import PublicationCheckFailed

READER = r"""
import duckdb, json, os, sys, time
path, stop, out = sys.argv[1], sys.argv[2], sys.argv[3]
reads = errors = 0
slowest = 0.0
seen = []
problems = []
while not os.path.exists(stop):
    t0 = time.monotonic()
    try:
        con = duckdb.connect(path, read_only=True)  # as a BI tool or the DuckDB CLI would
        run_id, counts = con.execute("SELECT run_id, row_counts FROM ops.publication").fetchone()
        counts = json.loads(counts)
        n_customer = con.execute("SELECT count(*) FROM golden.customer").fetchone()[0]
        n_xref = con.execute("SELECT count(*) FROM golden.xref").fetchone()[0]
        dangling = con.execute(
            "SELECT count(*) FROM golden.xref x WHERE valid_to IS NULL AND NOT EXISTS "
            "(SELECT 1 FROM golden.customer g WHERE g.golden_id = x.golden_id)").fetchone()[0]
        con.close()
        if n_customer != counts["golden.customer"] or n_xref != counts["golden.xref"] or dangling:
            problems.append([run_id, n_customer, counts["golden.customer"], dangling])
        if run_id not in seen:
            seen.append(run_id)
        reads += 1
    except Exception as exc:
        errors += 1
        problems.append(repr(exc)[:200])
    slowest = max(slowest, time.monotonic() - t0)
with open(out, "w") as fh:
    json.dump({"reads": reads, "errors": errors, "slowest": slowest, "seen": seen, "problems": problems[:5]}, fh)
"""


class Pipeline:
    """The working warehouse with synthetic people; runs the real merge and publish stages."""

    def __init__(self, config: MdmConfig, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch):
        self.config, self.con, self.monkeypatch = config, con, monkeypatch
        self.people = 0
        self.runs = 0

    def add_people(self, n: int) -> None:
        """n new people, each with a CRM and a web record (one cluster of two)."""
        start = self.people
        self.con.execute(
            """
            INSERT INTO staging.customers (record_key, source, load_id, trust_rank, first_name, last_name, email,
                                           email_status, postcode, city, country, created_at, standardised_at)
            SELECT src || ':' || lpad(i::VARCHAR, 8, '0'), src, 'L', CASE src WHEN 'crm' THEN 1 ELSE 2 END,
                   'First' || i, 'Last' || i, 'p' || i || '@example.fr', 'valid', '75001', 'Paris', 'FR',
                   TIMESTAMP '2025-01-01', TIMESTAMP '2026-01-01'
            FROM range(?, ?) r(i), (VALUES ('crm'), ('web')) s(src)
            """,
            [start, start + n],
        )
        self.con.execute(
            "INSERT INTO match.clusters SELECT src || ':' || lpad(i::VARCHAR, 8, '0'), 'crm:' || lpad(i::VARCHAR, 8, '0') "
            "FROM range(?, ?) r(i), (VALUES ('crm'), ('web')) s(src)",
            [start, start + n],
        )
        self.people += n

    def run(self, *stages: str) -> dict[str, dict[str, object]]:
        self.runs += 1
        self.monkeypatch.setenv("MDM_NOW", f"2026-01-{self.runs:02d}T00:00:00")
        ctx = RunContext(self.config, self.con, f"2026010{self.runs}-r{self.runs:03d}", datetime(2026, 1, 1))
        return {s: execute_stage(ctx, s).counts for s in stages}


@pytest.fixture
def pipeline(demo_config: MdmConfig, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pipeline]:
    con = open_writer(demo_config.paths)
    try:
        yield Pipeline(demo_config, con, monkeypatch)
    finally:
        con.close()


def _open_published(config: MdmConfig) -> duckdb.DuckDBPyConnection:
    """The published file attached read-only as `pub`, so the checks can name the catalog."""
    con = duckdb.connect(":memory:")
    con.execute(f"ATTACH '{config.paths.published}' AS pub (READ_ONLY)")
    return con


def _published_run(config: MdmConfig) -> str | None:
    return read_info(config.paths.published).run_id


def test_publish_writes_checked_commented_file_and_parquet(pipeline: Pipeline) -> None:
    pipeline.add_people(50)
    counts = pipeline.run("merge", "publish")
    assert counts["publish"]["golden_customers"] == 50
    assert counts["publish"]["published"] == str(pipeline.config.paths.published)
    con = _open_published(pipeline.config)
    try:
        assert con.execute("SELECT count(*) FROM pub.golden.customer").fetchone() == (50,)
        assert con.execute("SELECT count(*) > 200 FROM pub.golden.lineage").fetchall() == [(True,)]
        tables = dict(con.execute(
            "SELECT schema_name || '.' || table_name, comment FROM duckdb_tables() WHERE database_name = 'pub'"
        ).fetchall())
        for name in ("golden.customer", "golden.xref", "golden.lineage", "golden.alias", "golden.history",
                     "staging.customers", "match.clusters", "audit.events", "ops.runs", "ops.publication"):
            assert tables.get(name), f"{name} missing or without a description"
        col = con.execute(
            "SELECT comment FROM duckdb_columns() WHERE database_name = 'pub' AND schema_name = 'golden' "
            "AND table_name = 'customer' "
            "AND column_name = 'golden_id'"
        ).fetchone()
        assert col and "stable" in col[0]
    finally:
        con.close()
    parquet = pipeline.config.paths.published_dir / "parquet"
    assert sorted(p.name for p in parquet.iterdir()) == [
        "alias.parquet", "contact.parquet", "customer.parquet", "customer_event.parquet", "customer_summary.parquet",
        "establishment.parquet", "history.parquet", "household.parquet", "household_member.parquet", "lineage.parquet",
        "organisation.parquet", "organisation_history.parquet", "organisation_lineage.parquet", "organisation_xref.parquet",
        "xref.parquet",
    ]
    assert duckdb.execute(f"SELECT count(*) FROM '{parquet / 'customer.parquet'}'").fetchall() == [(50,)]
    leftovers = [p.name for p in pipeline.config.paths.published_dir.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_published_schema_matches_the_contract(pipeline: Pipeline) -> None:
    pipeline.add_people(5)
    pipeline.run("merge", "publish")
    con = _open_published(pipeline.config)
    try:
        problems = contract.drift(con, "pub", required=tuple(t.name for t in contract.load()))
        assert problems == [], (
            f"{problems}\nThe published schema is a contract: add the new columns to "
            "warehouse/published_schema.yaml (python -m warehouse.publication.contract --missing lists them), "
            "then re-render docs/published-schema.md (--render)."
        )
    finally:
        con.close()


def test_drift_is_detected() -> None:
    con = duckdb.connect(":memory:")
    con.execute("CREATE SCHEMA golden")
    con.execute("CREATE TABLE golden.alias (alias_id VARCHAR, golden_id VARCHAR, since DATE, reason VARCHAR)")
    problems = contract.drift(con, "memory", required=("golden.customer",))
    assert any("golden.customer: missing table" in p for p in problems)
    assert any(p.startswith("golden.alias") and "since" in p for p in problems)


def test_docs_render_the_contract() -> None:
    doc = Path(__file__).resolve().parents[2] / "docs" / "published-schema.md"
    assert doc.read_text(encoding="utf-8") == contract.render_markdown(), (
        "docs/published-schema.md is stale: python -m warehouse.publication.contract --render > docs/published-schema.md"
    )


def test_failed_publication_leaves_previous_file_intact(pipeline: Pipeline) -> None:
    pipeline.add_people(10)
    pipeline.run("merge", "publish")
    before = _published_run(pipeline.config)
    versions_before = [v.version for v in files.list_versions(pipeline.config.paths.published_dir)]
    # a broken warehouse: a current xref row pointing to no golden customer
    pipeline.con.execute(
        "INSERT INTO golden.xref VALUES ('crm:zzz', 'crm', 'no-such-golden-id', TIMESTAMP '2026-01-01', NULL)"
    )
    with pytest.raises(PublicationCheckFailed, match="point to no golden customer"):
        pipeline.run("publish")
    assert _published_run(pipeline.config) == before
    con = _open_published(pipeline.config)
    assert con.execute("SELECT count(*) FROM pub.golden.customer").fetchone() == (10,)
    con.close()
    names = [p.name for p in pipeline.config.paths.published_dir.iterdir()]
    assert not [n for n in names if n.endswith(".tmp")]
    assert [v.version for v in files.list_versions(pipeline.config.paths.published_dir)] == versions_before
    # the writer connection is still usable and the next good run publishes
    pipeline.con.execute("DELETE FROM golden.xref WHERE golden_id = 'no-such-golden-id'")
    pipeline.run("publish")
    assert _published_run(pipeline.config) != before


def test_leftovers_of_a_killed_publication_are_cleaned(pipeline: Pipeline) -> None:
    published_dir = pipeline.config.paths.published_dir
    published_dir.mkdir(parents=True, exist_ok=True)
    (published_dir / "golden-killed.duckdb.tmp").write_bytes(b"half a file")
    (published_dir / ".parquet-killed.tmp").mkdir()
    pipeline.add_people(2)
    pipeline.run("merge", "publish")
    names = sorted(p.name for p in published_dir.iterdir())
    assert names == ["mdm.duckdb", "parquet", f"parquet-{_published_run(pipeline.config)}", "versions"]


def test_versions_are_kept_and_rollback(pipeline: Pipeline) -> None:
    pipeline.config.publication.versions_kept = 2
    runs = []
    for _ in range(4):
        pipeline.add_people(3)
        counts = pipeline.run("merge", "publish")
        runs.append(_published_run(pipeline.config))
    assert counts["publish"]["versions_kept"] == 2
    kept = [v.version for v in files.list_versions(pipeline.config.paths.published_dir)]
    assert kept == [runs[3], runs[2], runs[1]]
    info = rollback(pipeline.config)  # default: the version before the current one
    assert info.run_id == runs[2]
    assert info.row_counts["golden.customer"] == 9
    info = rollback(pipeline.config, to=runs[1])
    assert info.run_id == runs[1]
    parquet = pipeline.config.paths.published_dir / "parquet" / "customer.parquet"
    assert duckdb.execute(f"SELECT count(*) FROM '{parquet}'").fetchall() == [(6,)]
    with pytest.raises(RollbackError, match="no kept version"):
        rollback(pipeline.config, to=runs[0])


def test_a_kept_version_is_a_link_to_its_publication_and_never_changes_after(pipeline: Pipeline) -> None:
    """versions/ holds each publication as a hard link, not a copy: every publication is a new
    file, so the next one leaves the kept version as it was (bytes compared)."""
    published_dir = pipeline.config.paths.published_dir
    pipeline.add_people(3)
    pipeline.run("merge", "publish")
    first = _published_run(pipeline.config)
    kept = files.version_path(published_dir, first)
    assert kept.stat().st_ino == pipeline.config.paths.published.stat().st_ino
    before = kept.read_bytes()
    pipeline.add_people(2)
    pipeline.run("merge", "publish")
    assert kept.read_bytes() == before
    assert kept.stat().st_ino != pipeline.config.paths.published.stat().st_ino
    assert files.version_path(published_dir, _published_run(pipeline.config)).stat().st_ino == (
        pipeline.config.paths.published.stat().st_ino)


def test_tables_are_patched_only_from_a_safe_base(pipeline: Pipeline) -> None:
    """The next publication starts from the current file only when it is the last one published
    and no retirement or erasure is unfinished (its free blocks could hold the person)."""
    pipeline.add_people(3)
    assert pipeline.run("merge", "publish")["publish"]["tables_patched"] == 0  # nothing published yet
    assert pipeline.run("merge", "publish")["publish"]["tables_patched"] == len(delta.PATCHED)
    pipeline.con.execute("INSERT INTO retention.pending_purge VALUES ('crm:00000001', 'r', TIMESTAMP '2026-01-01')")
    assert pipeline.run("merge", "publish")["publish"]["tables_patched"] == 0  # retired: a fresh file
    pipeline.con.execute("DELETE FROM retention.pending_purge")
    assert pipeline.run("merge", "publish")["publish"]["tables_patched"] == len(delta.PATCHED)
    pipeline.con.execute("INSERT INTO retention.erasures (request_id, requested_at, by_kind, subject_hash, targets, "
                         "records, golden_customers, status) VALUES ('e1', TIMESTAMP '2026-01-01', 'email', 'h', "
                         "'{}', 1, 1, 'pending')")
    assert pipeline.run("merge", "publish")["publish"]["tables_patched"] == 0  # an erasure not done everywhere
    pipeline.con.execute("UPDATE retention.erasures SET status = 'done'")
    assert pipeline.run("merge", "publish")["publish"]["tables_patched"] == len(delta.PATCHED)
    con = _open_published(pipeline.config)
    try:
        assert con.execute("SELECT count(*) FROM pub.golden.customer").fetchone() == (3,)
    finally:
        con.close()
    pipeline.con.execute("UPDATE publication.last_run SET run_id = 'another-run'")  # e.g. after a rollback
    assert pipeline.run("merge", "publish")["publish"]["tables_patched"] == 0


@pytest.mark.slow
def test_concurrent_reader_process_never_blocked_nor_sees_half_tables(pipeline: Pipeline, tmp_path: Path) -> None:
    pipeline.add_people(200)
    pipeline.run("merge", "publish")
    stop, out = tmp_path / "stop", tmp_path / "reader.json"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(pipeline.config.paths.published), str(stop), str(out)],
        stderr=subprocess.PIPE,
    )
    try:
        time.sleep(1.0)  # let it read the first publication
        for _ in range(5):
            pipeline.add_people(1000)
            pipeline.run("merge", "publish")
        time.sleep(0.5)
    finally:
        stop.touch()
        _, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err.decode()
    result = json.loads(out.read_text())
    assert result["errors"] == 0, result["problems"]
    assert result["problems"] == []
    assert result["reads"] > 20
    assert len(result["seen"]) >= 3, result  # it did read across several publications
    assert result["slowest"] < 5.0


ANALYST = r"""
import duckdb, sys
path, query = sys.argv[1], sys.argv[2]
print(duckdb.connect(path).sql(query).fetchall()[0][0])                    # `duckdb FILE`, then SQL
print(duckdb.connect(path, read_only=True).sql(query).fetchall()[0][0])    # a BI tool's driver
"""


def test_the_published_file_opens_under_its_own_name(pipeline: Pipeline) -> None:
    """An analyst opens the file itself, in a fresh process, and types `golden.customer`."""
    pipeline.add_people(5)
    pipeline.run("merge", "publish")
    path = pipeline.config.paths.published
    out = subprocess.run(
        [sys.executable, "-c", ANALYST, str(path), "SELECT count(*) FROM golden.customer"],
        capture_output=True, text=True, check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["5", "5"]


def test_a_home_with_the_legacy_file_name_is_read_then_upgraded_by_the_next_publish(pipeline: Pipeline) -> None:
    paths = pipeline.config.paths
    pipeline.add_people(3)
    pipeline.run("merge", "publish")
    paths.published.rename(paths.legacy_published)  # a home as the previous version left it
    app_reader = PublishedDatabase(paths.current_published)
    con = open_published_reader(paths)  # what `mdm sql` and the report use
    try:
        assert con.execute("SELECT count(*) FROM golden.customer").fetchone() == (3,)
    finally:
        con.close()
    with app_reader.cursor() as (cur, _):
        assert cur.execute("SELECT count(*) FROM golden.customer").fetchone() == (3,)

    pipeline.add_people(2)
    pipeline.run("merge", "publish")
    assert paths.published.exists() and not paths.legacy_published.exists()
    with app_reader.cursor() as (cur, _):  # the running app follows without a restart
        assert cur.execute("SELECT count(*) FROM golden.customer").fetchone() == (5,)
    app_reader.close()


def test_rollback_in_a_home_with_the_legacy_file_name_upgrades_it_too(pipeline: Pipeline) -> None:
    paths = pipeline.config.paths
    pipeline.add_people(2)
    pipeline.run("merge", "publish")
    first = _published_run(pipeline.config)
    pipeline.add_people(1)
    pipeline.run("merge", "publish")
    paths.published.rename(paths.legacy_published)  # the previous version's layout
    info = rollback(pipeline.config)  # finds the current run in the legacy file, goes one back
    assert info.run_id == first
    assert paths.published.exists() and not paths.legacy_published.exists()
