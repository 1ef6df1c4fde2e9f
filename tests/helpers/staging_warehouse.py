"""A warehouse with hand-built `staging.customers` and `match.clusters`, shared by the golden-record
and retention tests. The rows use the real DDL (applied by `open_writer`), so the fixtures break
if the contract moves; each test folder subclasses it with what it needs to read or run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb
import pytest

from mdm.config import MdmConfig
from mdm.context import RunContext, StageResult
from mdm.pipeline import execute_stage

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


class StagingWarehouse:
    def __init__(self, config: MdmConfig, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch):
        self.config = config
        self.con = con
        self.monkeypatch = monkeypatch
        self.run_no = 0

    def add(self, key: str, **values: Any) -> dict[str, Any]:
        """A staging row; a given email, phone or birth date is valid unless its status says otherwise."""
        row = {**DEFAULTS, "record_key": key, "source": key.split(":")[0], **values}
        for field in ("email", "phone", "birth_date"):
            if row.get(field) and f"{field}_status" not in values:
                row[f"{field}_status"] = "valid"
        cols = list(row)
        self.con.execute(
            f"INSERT OR REPLACE INTO staging.customers ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
            list(row.values()),
        )
        return row

    def clusters(self, *groups: list[str]) -> None:
        self.con.execute("DELETE FROM match.clusters")
        for group in groups:
            for key in group:
                self.con.execute("INSERT INTO match.clusters VALUES (?, ?)", [key, min(group)])

    def ctx(self, at: str) -> RunContext:
        self.run_no += 1
        return RunContext(config=self.config, con=self.con, run_id=f"run{self.run_no}", now=datetime.fromisoformat(at))

    def stage(self, name: str, at: str) -> StageResult:
        self.monkeypatch.setenv("MDM_NOW", at)  # execute_stage re-reads the clock
        return execute_stage(self.ctx(at), name)

    def current_gid(self, key: str) -> str | None:
        row = self.con.execute(
            "SELECT golden_id FROM golden.xref WHERE record_key = ? AND valid_to IS NULL", [key]
        ).fetchone()
        return str(row[0]) if row else None
