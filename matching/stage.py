"""The `match` stage: valid customer records -> scored pairs, decisions and clusters.

Reads `staging.valid_customers` and the stewards' pair decisions (SQLite store), writes
`match.pairs`, `match.decisions` and `match.clusters` inside the runner's transaction.
"""

from __future__ import annotations

from matching.engine import run_matching
from mdm.config import get_salt
from mdm.context import RunContext, StageResult
from mdm.stewardship.store import connect, effective_pair_decisions

STAGE = "match"

#: Counts the run summary reads.
SUMMARY_KEYS = ("pairs_scored", "auto_matches", "review", "duplicates_found", "clusters")


def run(ctx: RunContext) -> StageResult:
    store = connect(ctx.config.paths.steward_db)
    try:
        steward = effective_pair_decisions(store)
    finally:
        store.close()
    outcome = run_matching(
        ctx.con,
        ctx.config.matching,
        ctx.config.paths.models,
        steward,
        ctx.run_id,
        ctx.now,
        tf_salt=get_salt(ctx.config),
    )
    for warning in outcome.warnings:
        ctx.log.warning("match: %s", warning)
    return StageResult(stage=STAGE, counts=outcome.counts, warnings=outcome.warnings)
