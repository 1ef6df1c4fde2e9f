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

import pytest

from mdm.config import MdmConfig
from mdm.context import StageResult
from tests.helpers.staging_warehouse import StagingWarehouse
from warehouse.connection import open_writer

NOW = "2026-11-23T12:00:00"

class Warehouse(StagingWarehouse):
    """Build inputs, run stages at a chosen time, read back any layer."""

    def add(self, key: str, **values: Any) -> dict[str, Any]:
        """A record in raw (payload = its identifiers), staging and quarantine-free."""
        row = super().add(key, **values)
        payload = {k: str(v) for k, v in values.items() if v is not None}
        self.con.execute(
            "INSERT INTO raw.records (record_key, source, load_id, file, sheet, row_number, ingested_at, payload)"
            " VALUES (?, ?, 'L1', 'f.csv', NULL, 1, ?, ?)",
            [key, row["source"], datetime(2026, 1, 1), json.dumps(payload)],
        )
        return row

    def clusters(self, *groups: list[str]) -> None:
        """Clusters, each fully linked by auto-matched pairs (which expiry must also remove)."""
        super().clusters(*groups)
        for group in groups:
            for left in group:
                for right in group:
                    if left < right:
                        self.con.execute(
                            "INSERT OR REPLACE INTO match.pairs (run_id, record_key_l, record_key_r, match_weight,"
                            " match_probability, contributions, decision) VALUES ('r0', ?, ?, 9.0, 0.99, '{}', 'auto_match')",
                            [left, right],
                        )

    def stage(self, name: str, at: str = NOW) -> StageResult:
        return super().stage(name, at)

    def gid(self, key: str) -> str | None:
        return self.current_gid(key)

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
