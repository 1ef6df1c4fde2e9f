"""A small warehouse with hand-built `staging.customers` and `match.clusters` for the merge stage.

The rows use the real DDL (applied by `open_writer`), so the fixture breaks if the contract moves.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from mdm.config import MdmConfig
from mdm.context import StageResult
from tests.helpers.staging_warehouse import StagingWarehouse
from warehouse.connection import open_writer


class Warehouse(StagingWarehouse):
    """Build inputs, run the merge stage at a chosen time, read the golden tables."""

    def remove(self, key: str) -> None:
        self.con.execute("DELETE FROM staging.customers WHERE record_key = ?", [key])
        self.con.execute("DELETE FROM match.clusters WHERE record_key = ?", [key])

    def merge(self, at: str) -> StageResult:
        self.con.execute(  # the merge stage records its counts in this run's ops.runs row
            "INSERT INTO ops.runs (run_id, started_at, status, summary) VALUES (?, ?, 'running', '{}')",
            [f"run{self.run_no + 1}", datetime.fromisoformat(at)],
        )
        return self.stage("merge", at)

    def gid(self, key: str) -> str:
        golden_id = self.current_gid(key)
        assert golden_id is not None, f"{key} has no current golden id"
        return golden_id

    def customer(self, golden_id: str) -> dict[str, Any]:
        cur = self.con.execute("SELECT * FROM golden.customer WHERE golden_id = ?", [golden_id])
        cols = [d[0] for d in cur.description]
        row = cur.fetchone()
        assert row is not None
        return dict(zip(cols, row, strict=True))

    def lineage(self, golden_id: str) -> dict[str, tuple[str, str]]:
        rows = self.con.execute(
            "SELECT field, record_key, rule FROM golden.lineage WHERE golden_id = ?", [golden_id]
        ).fetchall()
        return {f: (k, r) for f, k, r in rows}


@pytest.fixture
def wh(demo_config: MdmConfig, monkeypatch: pytest.MonkeyPatch) -> Iterator[Warehouse]:
    con = open_writer(demo_config.paths)
    try:
        yield Warehouse(demo_config, con, monkeypatch)
    finally:
        con.close()
