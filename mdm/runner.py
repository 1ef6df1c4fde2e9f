"""How a run runs: the lock, the single writer, one transaction per stage, `ops.runs`.

The runner knows no stage: the stages (plain functions `run(ctx) -> StageResult`) and what
follows a successful run are handed in by the composition root, `mdm.pipeline`, which is what
the CLI (`mdm run`), the web app and each Dagster asset call. All of them build the context
with `open_context`, so they take the same code path.

Each stage runs inside one DuckDB transaction: a stage that fails leaves the working warehouse
as it was before that stage, and publication (the last stage) is what makes a run visible, so a
failed run never changes the published database.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from mdm.clock import now
from mdm.config import MdmConfig
from mdm.context import RunContext, StageResult
from warehouse.connection import open_writer, transaction
from warehouse.lock import pipeline_lock

log = logging.getLogger("mdm.runner")

StageFn = Callable[[RunContext], StageResult]
#: What runs after a successful run, still under the lock, once the writer is closed; returns
#: why it failed in plain words, or None (see `mdm.pipeline.after_run`).
AfterRun = Callable[[MdmConfig], str | None]


class PipelineFailed(RuntimeError):
    """A stage raised; the message names the stage. The published database is untouched."""

    def __init__(self, run_id: str, stage: str, error: BaseException):
        super().__init__(f"run {run_id} failed in stage '{stage}': {type(error).__name__}: {error}")
        self.run_id = run_id
        self.stage = stage
        self.error = error


@dataclass
class RunSummary:
    run_id: str
    status: str
    results: dict[str, StageResult] = field(default_factory=dict)
    #: Plain words when the run published but the compaction after it failed (retried next run).
    compaction_error: str | None = None

    def counts(self) -> dict[str, dict[str, Any]]:
        return {name: result.counts for name, result in self.results.items()}


def new_run_id() -> str:
    return now().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]


@contextmanager
def open_context(
    config: MdmConfig, run_id: str, lock_timeout_s: float = 0.0, after_success: AfterRun | None = None
) -> Iterator[RunContext]:
    """Take the pipeline lock, open the single writer, and hand out a context.

    With `after_success`, once the block has succeeded and the writer is closed (still under
    the lock), it runs (the compaction, `mdm.pipeline.after_run`). Its failure does not undo
    what the block committed: it is left in `ctx.compaction_error` (plain words).
    """
    config.paths.ensure()
    with pipeline_lock(config.paths.lock, timeout_s=lock_timeout_s):
        con = open_writer(config.paths, memory_limit=config.warehouse.memory_limit)
        ctx = RunContext(config=config, con=con, run_id=run_id, now=now(), log=log)
        try:
            yield ctx
        finally:
            con.close()
        if after_success is not None:
            ctx.compaction_error = after_success(config)


def mark_interrupted(ctx: RunContext) -> int:
    """Mark as `interrupted` the runs still `running` in `ops.runs`: under the pipeline lock, no
    other run can be in progress, so they were killed (a crash, `kill -9`, a reboot). Returns how many.

    One exception: a Dagster run releases the lock between its assets, so a run started in
    between marks it too; its next asset carries on and its last one records `succeeded` (or
    `failed`) over the mark.
    """
    rows = ctx.con.execute(
        "UPDATE ops.runs SET status = 'interrupted', finished_at = coalesce(finished_at, ?), "
        "error = coalesce(error, ?) WHERE status = 'running' AND run_id <> ? RETURNING run_id",
        [now(), f"the process stopped before the run finished (found by run {ctx.run_id})", ctx.run_id],
    ).fetchall()
    for (run_id,) in rows:
        log.warning("run %s was left running by a crash; marked interrupted", run_id)
    return len(rows)


def _record_run_start(ctx: RunContext) -> None:
    mark_interrupted(ctx)
    ctx.con.execute(
        "INSERT INTO ops.runs (run_id, started_at, status, summary) VALUES (?, ?, 'running', '{}') "
        "ON CONFLICT (run_id) DO NOTHING",
        [ctx.run_id, ctx.now],
    )


def _record_stage(ctx: RunContext, result: StageResult) -> None:
    row = ctx.con.execute("SELECT summary FROM ops.runs WHERE run_id = ?", [ctx.run_id]).fetchone()
    summary = json.loads(row[0]) if row and row[0] else {}
    summary[result.stage] = result.counts
    ctx.con.execute(
        "UPDATE ops.runs SET summary = ? WHERE run_id = ?", [json.dumps(summary, default=str), ctx.run_id]
    )


def _record_run_end(ctx: RunContext, status: str, stage: str | None = None, error: str | None = None) -> None:
    ctx.con.execute(
        "UPDATE ops.runs SET status = ?, finished_at = ?, failed_stage = ?, error = ? WHERE run_id = ?",
        [status, now(), stage, error, ctx.run_id],
    )


def _record_failure(ctx: RunContext, stage: str, error: BaseException) -> None:
    """Record a failed run, never hiding the stage's error: with a full disk even this may fail,
    and the next run then finds the run `running` and marks it `interrupted`."""
    try:
        _record_run_end(ctx, "failed", stage, type(error).__name__)
    except Exception as exc:
        log.warning("could not record the failure of run %s (%s)", ctx.run_id, type(exc).__name__)


def execute_stage(ctx: RunContext, name: str, fn: StageFn) -> StageResult:
    """Run one stage inside a transaction; roll it back whole if it raises."""
    ctx.now = now()
    with transaction(ctx.con):
        result = fn(ctx)
        _record_stage(ctx, result)
    log.info("stage %s done: %s", name, json.dumps(result.counts, default=str))
    return result


def run_stages(
    config: MdmConfig,
    stages: Mapping[str, StageFn],
    run_id: str | None = None,
    after_success: AfterRun | None = None,
) -> RunSummary:
    """Run `stages` in order under one lock; `after_success` once they all committed."""
    run_id = run_id or new_run_id()
    summary = RunSummary(run_id=run_id, status="running")
    with open_context(config, run_id, after_success=after_success) as ctx:
        _record_run_start(ctx)
        for name, fn in stages.items():
            try:
                summary.results[name] = execute_stage(ctx, name, fn)
            except Exception as exc:
                _record_failure(ctx, name, exc)
                summary.status = "failed"
                raise PipelineFailed(run_id, name, exc) from exc
        _record_run_end(ctx, "succeeded")
    summary.status = "succeeded"
    summary.compaction_error = ctx.compaction_error
    return summary


def run_one(
    config: MdmConfig,
    name: str,
    fn: StageFn,
    run_id: str,
    lock_timeout_s: float = 600.0,
    last: AfterRun | None = None,
) -> StageResult:
    """Run a single stage (what one Dagster asset does), waiting for the lock if a run holds it.

    `last` is given for the run's last stage: the run is then recorded as succeeded and `last`
    runs after it (the compaction)."""
    with open_context(config, run_id, lock_timeout_s=lock_timeout_s, after_success=last) as ctx:
        _record_run_start(ctx)
        try:
            result = execute_stage(ctx, name, fn)
        except Exception as exc:
            _record_failure(ctx, name, exc)
            raise PipelineFailed(run_id, name, exc) from exc
        if last is not None:
            _record_run_end(ctx, "succeeded")
    if ctx.compaction_error:
        result.warnings.append(
            f"published; the compaction after it failed ({ctx.compaction_error}); the next run retries it"
        )
    return result
