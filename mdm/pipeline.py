"""The composition root: the stages of a run, in order, as real functions.

This is the top of the dependency graph below the apps. The runner (`mdm.runner`) knows no
stage; the CLI (`mdm run`), the web app (`mdm.web.apply`) and Dagster (`pipelines/`) take the
stages from here, so go-to-definition, import graphs and mypy see every one of them.

Adding a stage is one line in `STAGES` (a plain function `run(ctx) -> StageResult`); adding a
config section is one line in `mdm.config.MdmConfig`. When a stage needs another package's work
before or after its own (the stewards' quarantine actions before standardise, say), the
sequence is written here, in a small function, never by one stage calling into another.
See `docs/architecture.md`.
"""

from __future__ import annotations

import logging

import expectations.stage
import matching.merge.households
import matching.merge.stage
import matching.organisation_stage
import matching.stage
import mdm.events.stage
import mdm.reports.metrics
import mdm.segments.stage
import mdm.standardise.stage
import sources.ingest
import warehouse.publish
import warehouse.retention.stage
from expectations.quarantine import apply_pending_actions
from mdm.config import MdmConfig
from mdm.context import RunContext, StageResult
from mdm.runner import PipelineFailed, RunSummary, StageFn, run_one, run_stages
from mdm.runner import execute_stage as _execute
from warehouse.retention.after_run import compact_after_run
from warehouse.retention.resume import resume_pending
from warehouse.retention.suppression import purge_suppressed, purge_suppressed_events

log = logging.getLogger("mdm.pipeline")

__all__ = ["STAGES", "PipelineFailed", "RunSummary", "after_run", "execute_stage", "run_pipeline", "run_stage"]

def standardise(ctx: RunContext) -> StageResult:
    """The stewards' quarantine actions first, so a row released since the last run flows through
    this run's standardise and validate; then the suppression list, so a re-sent export still
    holding an erased person is purged before anything downstream sees it."""
    actions = apply_pending_actions(ctx)
    result = mdm.standardise.stage.run(ctx, released=actions.released)
    result.counts["suppressed"] = purge_suppressed(ctx)
    if actions.released_count or actions.discarded or actions.ignored:
        result.counts["quarantine_actions"] = {
            "released": actions.released_count, "discarded": actions.discarded, "ignored": actions.ignored,
        }
    return result


def validate(ctx: RunContext) -> StageResult:
    """The circuit breaker first; the records of a load it held fall back to their previous
    version (standardised again without it) before the rows are validated."""
    checks = expectations.stage.hold_failing_loads(ctx)
    for name in expectations.stage.held_sources(checks):
        if ctx.config.source(name).records == "customers":  # an event source's held load: the events stage
            mdm.standardise.stage.standardise_source(ctx, ctx.config.source(name))
    return expectations.stage.run(ctx, checks)


def events(ctx: RunContext) -> StageResult:
    """New events validated, resolved and on the timeline; then the suppression list, so a later
    export still holding an erased person's orders or tickets is purged (docs/events.md)."""
    result = mdm.events.stage.run(ctx)
    suppressed = purge_suppressed_events(ctx)
    if suppressed:
        result.counts["suppressed"] = suppressed
    return result


def expire(ctx: RunContext) -> StageResult:
    """Retention retires the due records; the golden customers that lost some are recomputed by
    the merge package (survivorship is its job) before retention drops the empty ones and audits."""
    expiry = warehouse.retention.stage.retire(ctx)
    if expiry.golden_affected:
        matching.merge.stage.rebuild_golden(ctx, scope_table=warehouse.retention.stage.AFFECTED_TABLE)
    return warehouse.retention.stage.finish(ctx, expiry)


#: Stage name -> the function that runs it. The order is the order of a run; the names are
#: the Dagster asset keys, the `mdm run --until` choices and the keys of `ops.runs.summary`.
STAGES: dict[str, StageFn] = {
    "ingest": sources.ingest.run,
    "standardise": standardise,
    "validate": validate,
    "match": matching.stage.run,
    "merge": matching.merge.stage.run,
    "events": events,
    "expire": expire,
    "households": matching.merge.households.run,
    "organisations": matching.organisation_stage.run,
    "segment": mdm.segments.stage.run,
    "measure": mdm.reports.metrics.run,
    "publish": warehouse.publish.run,
}


def after_run(config: MdmConfig) -> str | None:
    """After a successful run, under the lock: compact the files if records were expired or
    erased (deleted rows leave no bytes behind), then resume erasures left pending (a published
    file was locked, say). Returns why the compaction failed, in plain words, or None; the next
    run retries it."""
    error = compact_after_run(config.paths, config.warehouse.memory_limit)
    try:
        resume_pending(config)
    except Exception as exc:  # noqa: BLE001 - the run succeeded; the erasure stays pending
        log.warning("pending erasures not resumed (%s); the next run or mdm erase retries", type(exc).__name__)
    return error


def stage_names(until: str | None = None, stages: list[str] | None = None) -> list[str]:
    """The names to run: `stages` (default all, in order), cut after `until`."""
    for name in [*(stages or []), *([until] if until else [])]:
        if name not in STAGES:
            raise KeyError(f"unknown stage {name!r}; stages are {list(STAGES)}")
    names = stages or list(STAGES)
    return names[: names.index(until) + 1] if until is not None else names


def run_pipeline(
    config: MdmConfig, until: str | None = None, run_id: str | None = None, stages: list[str] | None = None
) -> RunSummary:
    """Run the stages in order (all, or up to and including `until`) under one lock, then
    `after_run`."""
    chosen = {name: STAGES[name] for name in stage_names(until, stages)}
    return run_stages(config, chosen, run_id=run_id, after_success=after_run)


def run_stage(config: MdmConfig, name: str, run_id: str, lock_timeout_s: float = 600.0) -> StageResult:
    """Run a single stage (what one Dagster asset does); the last stage ends the run."""
    last = name == list(STAGES)[-1]
    return run_one(config, name, STAGES[stage_names(stages=[name])[0]], run_id, lock_timeout_s,
                   last=after_run if last else None)


def execute_stage(ctx: RunContext, name: str) -> StageResult:
    """Run the stage `name` in an open context (tests and benchmarks drive stages one by one)."""
    return _execute(ctx, name, STAGES[stage_names(stages=[name])[0]])
