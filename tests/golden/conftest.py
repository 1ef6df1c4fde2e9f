"""A small warehouse with hand-built `staging.customers` and `match.clusters` for the merge stage.

The rows use the real DDL (applied by `open_writer`), so the fixture breaks if the contract moves.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import duckdb
import pytest

from mdm.config import MdmConfig
from mdm.context import RunContext, StageResult
from mdm.runner import execute_stage
from warehouse.connection import open_writer

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
    """Build inputs, run the merge stage at a chosen time, read the golden tables."""

    def __init__(self, config: MdmConfig, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch):
        self.config = config
        self.monkeypatch = monkeypatch
        self.con = con
        self.run_no = 0

    def add(self, key: str, **values: Any) -> None:
        row = {**DEFAULTS, "record_key": key, "source": key.split(":")[0], **values}
        if row.get("email") and "email_status" not in values:
            row["email_status"] = "valid"
        if row.get("phone") and "phone_status" not in values:
            row["phone_status"] = "valid"
        if row.get("birth_date") and "birth_date_status" not in values:
            row["birth_date_status"] = "valid"
        cols = list(row)
        self.con.execute(
            f"INSERT OR REPLACE INTO staging.customers ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
            list(row.values()),
        )

    def remove(self, key: str) -> None:
        self.con.execute("DELETE FROM staging.customers WHERE record_key = ?", [key])
        self.con.execute("DELETE FROM match.clusters WHERE record_key = ?", [key])

    def clusters(self, *groups: list[str]) -> None:
        self.con.execute("DELETE FROM match.clusters")
        for group in groups:
            for key in group:
                self.con.execute("INSERT INTO match.clusters VALUES (?, ?)", [key, min(group)])

    def ctx(self, at: str) -> RunContext:
        self.run_no += 1
        return RunContext(config=self.config, con=self.con, run_id=f"run{self.run_no}", now=datetime.fromisoformat(at))

    def merge(self, at: str) -> StageResult:
        ctx = self.ctx(at)
        self.monkeypatch.setenv("MDM_NOW", at)  # execute_stage resets ctx.now from the clock
        self.con.execute(
            "INSERT INTO ops.runs (run_id, started_at, status, summary) VALUES (?, ?, 'running', '{}')",
            [ctx.run_id, ctx.now],
        )
        return execute_stage(ctx, "merge")

    def gid(self, key: str) -> str:
        row = self.con.execute(
            "SELECT golden_id FROM golden.xref WHERE record_key = ? AND valid_to IS NULL", [key]
        ).fetchone()
        assert row is not None, f"{key} has no current golden id"
        return str(row[0])

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
