"""Stage "events": new event rows -> validated, resolved to golden customers, on the timeline.

Runs after `merge` (it needs the current cross-reference) and before `expire` (retention can
count from the last contact a person initiated, read on the timeline). Incremental: only loads
not read before are parsed, only events still held are resolved again, and only records whose
cross-reference changed since the last run move their events. See docs/events.md.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mdm.context import RunContext, StageResult
from mdm.events import resolve, standardise
from mdm.events.config import EventsConfig
from sources.config import SourceConfig

STAGE = "events"


def events_config(ctx: RunContext) -> EventsConfig:
    """The `events:` section (its defaults when a config predates it)."""
    config = getattr(ctx.config, "events", None)
    return config if isinstance(config, EventsConfig) else EventsConfig()


def event_sources(ctx: RunContext) -> list[SourceConfig]:
    return [s for s in ctx.config.sources if s.records == "events"]


def run(ctx: RunContext) -> StageResult:
    """Stage entry point (see `mdm.runner`). `counts.seconds` times each phase (benchmarks)."""
    settings = events_config(ctx)
    counts: dict[str, Any] = {"received": {}, "quarantined": {}, "quarantine_reasons": {}}
    seconds: dict[str, float] = {}
    resolved: dict[str, int] = {}
    with phase(seconds, "follow_moves"):
        followed = resolve.follow_moves(ctx.con, ctx.now)
    for source in event_sources(ctx):
        with phase(seconds, "select"):
            selected = standardise.select_new_rows(ctx, source)
        if selected:
            with phase(seconds, "parse"):
                standardise.parse_rows(ctx, source, settings)
            with phase(seconds, "write"):
                written = standardise.write_rows(ctx, source, settings)
            counts["received"][source.name] = written["staged"]
            resolved = resolve.add_counts(resolved, written["resolved"])
            counts["quarantined"][source.name] = written["quarantined"]
            for reason, n in standardise.quarantine_reasons(ctx).items():
                counts["quarantine_reasons"][reason] = counts["quarantine_reasons"].get(reason, 0) + n
        with phase(seconds, "mark_read"):
            standardise.mark_loads_read(ctx, source)
        standardise.drop_temp(ctx)  # temp tables live on the connection; a failed stage is rolled back
    with phase(seconds, "resolve"):  # the events held before this run: their customer may have come
        counts["resolved"] = resolve.add_counts(resolved, resolve.resolve(ctx.con, skip_run=ctx.run_id))
    counts["held"] = resolve.held_counts(ctx.con)
    counts["moved_with_their_record"] = followed["moved"]
    counts["back_to_held"] = followed["unlinked"]
    row = ctx.con.execute("SELECT count(*) FROM golden.customer_event").fetchall()
    counts["timeline_events"] = int(row[0][0])
    counts["seconds"] = {k: round(v, 2) for k, v in seconds.items()}
    warnings = []
    held = sum(counts["held"].values())
    if held:
        warnings.append(f"{held} event(s) held: their customer is not found yet (retried every run)")
    return StageResult(stage=STAGE, counts=counts, warnings=warnings)


@contextmanager
def phase(seconds: dict[str, float], name: str) -> Iterator[None]:
    """Add the wall time of the block to `seconds[name]` (a stage's own phase timings)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started
