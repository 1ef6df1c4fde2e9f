"""Stage "segment": per-customer summary, RFM scores, named segments and lifetime value.

Runs after `expire`, so what retention removed this run is gone from the figures: the timeline
first follows the cross-reference again (expiry can split a customer), held events are tried
again (a customer that shared an e-mail may be gone), the raw rows of events
whose customer record expired are swept, then `golden.customer_summary` is rebuilt and the
segment sizes of the run are kept in `dq.segment_sizes`. See docs/segments.md.
"""

from __future__ import annotations

from mdm.context import RunContext, StageResult
from mdm.events import housekeeping, resolve
from mdm.events.stage import events_config
from mdm.segments.config import SegmentsConfig
from mdm.segments.summary import write_summary

STAGE = "segment"


def segments_config(ctx: RunContext) -> SegmentsConfig:
    config = getattr(ctx.config, "segments", None)
    return config if isinstance(config, SegmentsConfig) else SegmentsConfig()


def run(ctx: RunContext) -> StageResult:
    """Stage entry point (see `mdm.runner`)."""
    followed = resolve.follow_moves(ctx.con, ctx.now)
    # Expiry can change who shares an e-mail or phone: held events are tried again, so that the
    # next run with no new input finds nothing left to resolve.
    resolved = resolve.resolve(ctx.con)
    swept = housekeeping.sweep_orphans(ctx)
    sizes = write_summary(ctx.con, segments_config(ctx), events_config(ctx), ctx.now, ctx.run_id)
    counts = {
        "segments": sizes,
        "customers": sum(sizes.values()),
        "events_moved_after_expiry": followed["moved"],
        "event_rows_swept": swept,
        "events_resolved_after_expiry": sum(n for k, n in resolved.items() if not k.startswith("held:")),
        # the events still held at the end of the run, what the summary shows: the events stage's
        # count comes before expiry and this retry, so a re-run with no new input showed fewer
        "events_held": resolve.held_counts(ctx.con),
    }
    return StageResult(stage=STAGE, counts=counts)

