"""What every pipeline stage receives and returns.

A stage is a plain function `run(ctx: RunContext) -> StageResult`. The CLI runner and the
Dagster assets build the context the same way (`mdm.runner.open_context`), so both take the
same code path.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

    from mdm.config import MdmConfig


@dataclass
class RunContext:
    """One stage's view of a run: the config, the single writer connection, the run id, the clock."""

    config: MdmConfig
    con: duckdb.DuckDBPyConnection
    run_id: str
    now: datetime
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("mdm"))
    #: Set by `open_context` when the compaction after a successful run failed (plain words).
    compaction_error: str | None = None


@dataclass
class StageResult:
    """Counts a stage reports: printed in the run summary, stored in `ops.runs`, shown in Dagster.

    `counts` holds flat or one-level-nested numbers (e.g. `{"received": {"crm": 1200}}`); never
    personal data.
    """

    stage: str
    counts: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
