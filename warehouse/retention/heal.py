"""Heal what removing records breaks: clusters they bridged, and the golden customers on them.

Why in the same transaction as the removal: a record removed by expiry or erasure can be the only
link holding a cluster together. Left alone, the next run's match stage notices (its stored edge
counts differ) and splits the cluster, so a run with no new input would publish something else
(issue 18: 4,793 golden customers after `mdm demo`, 4,796 after the next `mdm run`). Healing at
removal time makes that next run a no-op.

Usage, inside the caller's transaction, with `_retire_keys` filled (`cascade.py`):
`mark_bridges(con)` before the records are deleted, `heal(ctx)` after.
"""

from __future__ import annotations

from typing import Any

import duckdb

from matching import recluster
from mdm.context import RunContext
from mdm.stewardship.store import connect, effective_pair_decisions
from warehouse.retention import cascade


def mark_bridges(con: duckdb.DuckDBPyConnection) -> int:
    """Remember the records sharing a cluster or an edge with a record about to be removed."""
    return recluster.seed_removal(con, cascade.KEYS_TABLE)


def _steward_decisions(ctx: RunContext) -> list[dict[str, Any]]:
    store = connect(ctx.config.paths.steward_db)
    try:
        return effective_pair_decisions(store)
    finally:
        store.close()


def heal(ctx: RunContext) -> dict[str, int]:
    """Re-cluster the marked components without the removed records, then let identities and
    values follow (splits keep the ID on the part holding the oldest record). Counts only."""
    from matching.merge.stage import follow_clusters

    reclustered = recluster.recluster_after_removal(
        ctx.con, ctx.config.matching, _steward_decisions(ctx), cascade.KEYS_TABLE, ctx.now
    )
    return {"records_reclustered": reclustered, **follow_clusters(ctx)}


def follow_parties(ctx: RunContext) -> dict[str, Any]:
    """Rebuild what is built from golden customers (households, golden organisations and their
    contacts) after an erasure, as the run's `households` and `organisations` stages would: the
    next run with no new input then publishes what the erasure left."""
    from matching import organisation_stage
    from matching.merge import households

    return {"households": households.build(ctx.con, ctx.now), "organisations": organisation_stage.run(ctx).counts}
