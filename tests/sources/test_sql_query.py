"""SQL connector against SQLite and a real PostgreSQL server: tables, queries, watermarks, secrets."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from mdm.config import MdmConfig
from sources.keys import record_key
from sources.sql_query import SqlQuery, mask_url
from sources.testing import make_config, query, run_ingest

MAPPING = {"email": "email", "last_name": "nom"}


def seed(url: str, rows: list[dict[str, Any]], create: bool = True) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        if create:
            conn.execute(sa.text("DROP TABLE IF EXISTS customers"))
            conn.execute(sa.text(
                "CREATE TABLE customers (id INTEGER PRIMARY KEY, nom VARCHAR(50), email VARCHAR(80), "
                "balance NUMERIC(10,2), updated_at TIMESTAMP)"
            ))
        conn.execute(sa.text(
            "INSERT INTO customers VALUES (:id, :nom, :email, :balance, :updated_at)"
        ), rows)
    engine.dispose()


def row(i: int, day: int) -> dict[str, Any]:
    return {"id": i, "nom": f"Nom{i}", "email": f"c{i}@x.fr", "balance": 10.5 if i % 2 else 3,
            "updated_at": dt.datetime(2026, 1, day, 8, 30)}


def sql_config(home: Path, url: str, **options: Any) -> MdmConfig:
    source = {"name": "erp", "kind": "sql", "key_columns": ["id"], "mapping": MAPPING,
              "options": {"url": url, "table": "customers", **options}}
    return make_config(home, [source])


def check_incremental(home: Path, url: str) -> None:
    seed(url, [row(1, 1), row(2, 2)])
    config = sql_config(home, url, watermark_column="updated_at")
    first = run_ingest(config)
    assert first.counts["received"] == {"erp": 2} and first.counts["loads"] == 1
    payloads = query(config, "SELECT record_key, file, payload::VARCHAR FROM raw.records ORDER BY row_number")
    assert payloads[0][0] == record_key("erp", ["1"]) and payloads[0][1] == "sql:customers"
    assert '"balance":"10.50"' in payloads[0][2] or '"balance":"10.5"' in payloads[0][2]
    # PostgreSQL returns a timestamp (rendered ISO); SQLite stores and returns the text as written.
    assert any(f'"updated_at":"2026-01-01{sep}08:30:00"' in payloads[0][2] for sep in ("T", " "))
    # Nothing changed: nothing read, nothing recorded.
    again = run_ingest(config)
    assert again.counts["received"] == {"erp": 0} and again.counts["loads"] == 0
    # One changed row, one new row: only those two come in.
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE customers SET nom = 'Changed', updated_at = :t WHERE id = 1"),
                     {"t": dt.datetime(2026, 1, 5)})
    engine.dispose()
    seed(url, [row(3, 4)], create=False)
    third = run_ingest(config)
    assert third.counts["received"] == {"erp": 2}
    state = query(config, "SELECT state::VARCHAR FROM raw.source_state WHERE source = 'erp'")[0][0]
    assert "2026-01-05" in state


def test_sqlite_incremental(tmp_path: Path, mdm_home: Path) -> None:
    check_incremental(mdm_home, f"sqlite:///{tmp_path / 'erp.db'}")


def test_sqlite_query_and_full_reload_is_idempotent(tmp_path: Path, mdm_home: Path) -> None:
    url = f"sqlite:///{tmp_path / 'erp.db'}"
    seed(url, [row(1, 1), row(2, 2), row(3, 3)])
    source = {"name": "erp", "kind": "sql", "key_columns": ["id"], "mapping": MAPPING,
              "options": {"url": url, "query": "SELECT id, nom, email FROM customers WHERE id >= 2"}}
    config = make_config(mdm_home, [source])
    assert run_ingest(config).counts["received"] == {"erp": 2}
    again = run_ingest(config)
    assert again.counts["loads"] == 0 and again.counts["skipped_already_loaded"] == 1


def test_sqlite_missing_column_and_bad_table_fail_cleanly(tmp_path: Path, mdm_home: Path) -> None:
    url = f"sqlite:///{tmp_path / 'erp.db'}"
    seed(url, [row(1, 1)])
    config = make_config(mdm_home, [
        {"name": "erp", "kind": "sql", "mapping": {"email": "mail"}, "options": {"url": url, "table": "customers"}},
        {"name": "old", "kind": "sql", "mapping": {}, "options": {"url": url, "table": "nope"}},
    ])
    result = run_ingest(config)
    assert result.counts["failed_loads"] == {"erp": 1, "old": 1}
    errors = dict(query(config, "SELECT source, error FROM raw.loads"))
    assert errors["erp"].startswith("sql:customers: missing column(s) ['mail']")
    assert errors["old"] == "sql:nope: database error (OperationalError)"


def test_url_is_masked_and_can_come_from_the_environment(
    mdm_home: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    assert mask_url("postgresql+psycopg://bob:s3cr3t@db:5432/crm") == "postgresql+psycopg://bob:***@db:5432/crm"
    secret_url = "postgresql+psycopg://bob:s3cr3t@127.0.0.1:1/crm"
    monkeypatch.setenv("ERP_URL", secret_url)
    config = make_config(mdm_home, [{"name": "erp", "kind": "sql", "mapping": {},
                                     "options": {"url_env": "ERP_URL", "table": "t"}}])
    connector = SqlQuery(config.sources[0])
    assert "s3cr3t" not in connector.masked_label() and "***" in connector.masked_label()
    with caplog.at_level(logging.DEBUG):
        result = run_ingest(config)  # port 1: connection refused
    assert result.counts["failed_loads"] == {"erp": 1}
    stored = query(config, "SELECT error FROM raw.loads")[0][0]
    assert "s3cr3t" not in stored and "s3cr3t" not in caplog.text and "s3cr3t" not in str(result.warnings)


def test_options_are_validated(mdm_home: Path) -> None:
    config = make_config(mdm_home, [{"name": "erp", "kind": "sql", "mapping": {},
                                     "options": {"url": "sqlite://", "table": "t", "query": "select 1"}}])
    result = run_ingest(config)
    error = query(config, "SELECT error FROM raw.loads")[0][0]
    assert result.counts["failed_loads"] == {"erp": 1} and "exactly one of table, query" in error


@pytest.mark.postgres
def test_postgres_incremental(postgres_url: str, mdm_home: Path) -> None:
    check_incremental(mdm_home, postgres_url)


@pytest.mark.postgres
def test_postgres_query_with_integer_watermark(postgres_url: str, mdm_home: Path) -> None:
    seed(postgres_url, [row(1, 1), row(2, 2)])
    source = {"name": "erp", "kind": "sql", "key_columns": ["id"], "mapping": MAPPING,
              "options": {"url": postgres_url, "query": "SELECT id, nom, email FROM customers",
                          "watermark_column": "id"}}
    config = make_config(mdm_home, [source])
    assert run_ingest(config).counts["received"] == {"erp": 2}
    seed(postgres_url, [row(3, 3)], create=False)
    assert run_ingest(config).counts["received"] == {"erp": 1}
    assert query(config, "SELECT state::VARCHAR FROM raw.source_state")[0][0].replace(" ", "") == (
        '{"watermark":{"type":"int","value":"3"}}'
    )
