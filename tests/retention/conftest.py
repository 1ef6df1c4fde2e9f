"""A hand-built warehouse for the retention tests: staging rows, raw rows, clusters, then the
real merge stage builds the golden customers, and the real expire stage runs on it.

Dates are relative to the frozen clock of `tests/conftest.py` (2026-11-23 12:00).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from mdm.config import MdmConfig
from mdm.context import RunContext, StageResult
from mdm.runner import execute_stage
from warehouse.connection import open_writer

NOW = "2026-11-23T12:00:00"

DEFAULTS: dict[str, Any] = {
    "load_id": "L1",
    "trust_rank": 2,
    "retention_category": "customer",
    "email_status": "missing",
    "phone_status": "missing",
    "birth_date_status": "missing",
    "country": "FR",
    "standardised_at": datetime(2026, 1, 1),
}


class Warehouse:
    """Build inputs, run stages at a chosen time, read back any layer."""

    def __init__(self, config: MdmConfig, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch):
        self.config = config
        self.con = con
        self.monkeypatch = monkeypatch
        self.run_no = 0

    def add(self, key: str, **values: Any) -> None:
        """A record in raw (payload = its identifiers), staging and quarantine-free."""
        row = {**DEFAULTS, "record_key": key, "source": key.split(":")[0], **values}
        for field in ("email", "phone", "birth_date"):
            if row.get(field) and f"{field}_status" not in values:
                row[f"{field}_status"] = "valid"
        cols = list(row)
        self.con.execute(
            f"INSERT OR REPLACE INTO staging.customers ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
            list(row.values()),
        )
        payload = {k: str(v) for k, v in values.items() if v is not None}
        self.con.execute(
            "INSERT INTO raw.records (record_key, source, load_id, file, sheet, row_number, ingested_at, payload)"
            " VALUES (?, ?, 'L1', 'f.csv', NULL, 1, ?, ?)",
            [key, row["source"], datetime(2026, 1, 1), json.dumps(payload)],
        )

    def clusters(self, *groups: list[str]) -> None:
        self.con.execute("DELETE FROM match.clusters")
        for group in groups:
            for key in group:
                self.con.execute("INSERT INTO match.clusters VALUES (?, ?)", [key, min(group)])
            for left in group:
                for right in group:
                    if left < right:
                        self.con.execute(
                            "INSERT OR REPLACE INTO match.pairs (run_id, record_key_l, record_key_r, match_weight,"
                            " match_probability, contributions, decision) VALUES ('r0', ?, ?, 9.0, 0.99, '{}', 'auto_match')",
                            [left, right],
                        )

    def ctx(self, at: str = NOW) -> RunContext:
        self.run_no += 1
        return RunContext(config=self.config, con=self.con, run_id=f"run{self.run_no}", now=datetime.fromisoformat(at))

    def stage(self, name: str, at: str = NOW) -> StageResult:
        self.monkeypatch.setenv("MDM_NOW", at)  # execute_stage re-reads the clock
        return execute_stage(self.ctx(at), name)

    def gid(self, key: str) -> str | None:
        row = self.con.execute(
            "SELECT golden_id FROM golden.xref WHERE record_key = ? AND valid_to IS NULL", [key]
        ).fetchone()
        return str(row[0]) if row else None

    def keys(self, table: str) -> set[str]:
        return {r[0] for r in self.con.execute(f"SELECT record_key FROM {table}").fetchall()}

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        row = self.con.execute(sql, params or []).fetchone()
        return row[0] if row else None


@pytest.fixture
def warehouse(demo_config: MdmConfig, monkeypatch: pytest.MonkeyPatch) -> Iterator[Warehouse]:
    demo_config.retention.rules = None  # the CNIL defaults
    con = open_writer(demo_config.paths)
    try:
        yield Warehouse(demo_config, con, monkeypatch)
    finally:
        con.close()


def file_bytes_containing(home: Path, needles: list[str]) -> list[str]:
    """Files under `home` whose bytes contain a needle: every file (DuckDB, Parquet, SQLite, WALs,
    reports) except the inbox and rejected folders, which hold the source systems' exports as delivered."""
    hits = []
    for path in sorted(home.rglob("*")):
        rel = path.relative_to(home)
        if not path.is_file() or rel.parts[0] in ("inbox", "rejected") or rel.name == "demo_truth.csv":
            continue
        data = path.read_bytes()
        for needle in needles:
            if needle.encode("utf-8") in data:
                hits.append(f"{path.relative_to(home)}: {needle!r}")
    return hits


@pytest.fixture
def find_bytes():
    """`find_bytes(home, needles)`: the files under home whose bytes contain a needle."""
    return file_bytes_containing
