"""Stage "merge": clusters -> golden customers with stable IDs, survivorship, lineage and history.

Steps, all set-based in DuckDB inside the runner's transaction:
1. pending steward split/merge requests become standing constraints (`steward.py`);
2. the matcher's clusters are bent to those constraints (`merge_clusters`);
3. identities: which cluster keeps which previous golden ID, aliases for merged IDs (`identity.py`),
   decided only for the clusters that are not exactly one previous customer;
4. `golden.xref` rows are closed/opened for records that moved;
5. values, lineage and history are recomputed from the current xref (`golden.py`) for the customers
   whose records moved or changed (`changes.py`). Everything (identities included) is recomputed
   when the survivorship rules changed or no state was saved: a full recompute must give exactly
   what the incremental path gives (tests/matching/merge/test_incremental_equals_full.py);
6. merges and splits are audited without personal data; the store's requests are marked applied.

`rebuild_golden` is step 5 alone, for retention after it deleted records.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from matching.merge import changes, golden, identity, steward
from mdm.config import get_salt
from mdm.context import RunContext, StageResult
from mdm.privacy import fingerprint
from mdm.stewardship import store

#: Columns of the audit rows written by `_audit`, typed (a column of NULLs must stay VARCHAR).
AUDIT_TYPES: dict[str, pa.DataType] = {
    "event_id": pa.string(), "run_id": pa.string(), "at": pa.timestamp("us"), "kind": pa.string(),
    "rule": pa.string(), "subject_hash": pa.string(), "count": pa.int64(), "detail": pa.string(),
}


def _audit(ctx: RunContext, outcome: steward.StewardOutcome) -> int:
    """One audit row per merged ID and per split customer: counts and salted fingerprints only (an
    auditor holding a golden id finds its rows by recomputing the fingerprint)."""
    salt = get_salt(ctx.config)
    steward_merge = {}
    steward_split = {}
    for a in outcome.applied:
        if a["action"] == "merge":
            steward_merge[a["golden_id"]] = a["id"]
            steward_merge[a.get("other_golden_id") or ""] = a["id"]
        else:
            steward_split[a["golden_id"]] = a["id"]
    rows: list[tuple[Any, ...]] = []
    merges = ctx.con.execute(
        """
        SELECT n.alias_id, n.golden_id, count(a.record_key)
        FROM merge_new_aliases n LEFT JOIN merge_assign a ON a.golden_id = n.golden_id
        GROUP BY ALL ORDER BY 1
        """
    ).fetchall()
    for alias_id, survivor, records in merges:
        action_id = steward_merge.get(alias_id) or steward_merge.get(survivor)
        rule = f"steward_merge:{action_id}" if action_id else "match"
        # golden ids lead to a person (the published file, an older version): hashes only
        detail = {"surviving_hash": fingerprint(survivor, salt), "merged_hash": fingerprint(alias_id, salt),
                  "records": int(records)}
        rows.append((str(uuid.uuid4()), ctx.run_id, ctx.now, "merge", rule, fingerprint(survivor, salt),
                     int(records), json.dumps(detail)))
    splits = ctx.con.execute(
        """
        SELECT s.golden_id, s.parts,
               list_sort(list_distinct(list(a.golden_id) FILTER (WHERE a.golden_id <> s.golden_id))) AS new_ids
        FROM merge_splits s
        JOIN merge_prev p ON p.golden_id = s.golden_id
        JOIN merge_assign a ON a.record_key = p.record_key
        GROUP BY s.golden_id, s.parts ORDER BY 1
        """
    ).fetchall()
    for golden_id, parts, new_ids in splits:
        action_id = steward_split.get(golden_id)
        rule = f"steward_split:{action_id}" if action_id else "match"
        detail = {"golden_hash": fingerprint(golden_id, salt), "parts": int(parts),
                  "new_hashes": [fingerprint(g, salt) for g in new_ids or []]}
        rows.append((str(uuid.uuid4()), ctx.run_id, ctx.now, "split", rule, fingerprint(golden_id, salt),
                     int(parts), json.dumps(detail)))
    for action_id, why in outcome.ignored:
        rows.append((str(uuid.uuid4()), ctx.run_id, ctx.now, "steward_action_ignored", f"golden_action:{action_id}",
                     None, 0, json.dumps({"reason": why})))
    if rows:  # one INSERT from a frame: executemany costs ~0.4 ms a row (2 s for a night's 5,000)
        columns = list(zip(*rows, strict=True))
        frame = pa.table(
            [pa.array(col, type=t) for col, t in zip(columns, AUDIT_TYPES.values(), strict=True)],
            names=list(AUDIT_TYPES),
        )
        ctx.con.register("_merge_audit_rows", frame)
        try:
            ctx.con.execute(
                'INSERT INTO audit.events (event_id, run_id, "at", kind, rule, subject_hash, count, detail) '
                'SELECT event_id, run_id, "at", kind, rule, subject_hash, count, detail::JSON FROM _merge_audit_rows'
            )
        finally:
            ctx.con.unregister("_merge_audit_rows")
    return len(rows)


@dataclass
class Settled:
    """What `settle_identities` did: identities decided, records moved, customers recomputed."""

    ids: identity.IdentityCounts
    moved: int
    counts: golden.RefreshCounts
    recomputed: int


def settle_identities(ctx: RunContext, steward_reasons: set[str] | frozenset[str] = frozenset()) -> Settled:
    """Steps 2-5: the current `match.clusters` (bent to the standing constraints) -> identities,
    xref and golden values of the customers concerned.

    The merge stage calls it after recording the stewards' requests; retention and erasure call
    it again after they re-clustered what a removed record held together, so that the next run
    with nothing new finds nothing to change (issue 18). `steward_reasons`: golden ids a steward's
    merge touched, whose new aliases are recorded as such.
    """
    con = ctx.con
    steward.constrained_clusters(con)
    full = changes.needs_full_refresh(con, ctx.config.survivorship)
    ids = identity.assign(con, only_changed=not full)
    identity.record_aliases(con, ctx.now, {
        str(r[0]): "steward_merge"
        for r in con.execute("SELECT alias_id, golden_id FROM merge_new_aliases").fetchall()
        if r[0] in steward_reasons or r[1] in steward_reasons
    })
    moved = identity.apply_xref(con, ctx.now)
    changes.hash_records(con)
    if full:
        recomputed = -1  # all
        counts = golden.refresh(con, ctx.now, ctx.config.survivorship, None)
    else:
        recomputed = changes.dirty_scope(con, ctx.now)
        counts = golden.refresh(con, ctx.now, ctx.config.survivorship, scope_table="merge_dirty")
    changes.save_state(con, ctx.config.survivorship)
    return Settled(ids=ids, moved=moved, counts=counts, recomputed=recomputed)


def follow_clusters(ctx: RunContext) -> dict[str, int]:
    """After records were removed and their clusters re-clustered: identities and values follow
    (a customer whose only bridge went splits now, the part with its oldest record keeping the
    ID), audited like a run's splits. Runs inside the caller's transaction."""
    settled = settle_identities(ctx)
    audited = _audit(ctx, steward.StewardOutcome())
    return {"split": settled.ids.split, "new_golden": settled.ids.new_golden, "merged": settled.ids.merged,
            "records_moved": settled.moved, "audit_events": audited}


def run(ctx: RunContext) -> StageResult:
    con = ctx.con
    store_con = store.connect(ctx.config.paths.steward_db)
    try:
        pending = steward.actions_to_apply(store_con, con)
        outcome = steward.record_constraints(con, pending, ctx.now, ctx.run_id)
        reasons = {
            str(gid) for a in outcome.applied if a["action"] == "merge" for gid in (a["golden_id"], a["other_golden_id"])
        }
        settled = settle_identities(ctx, reasons)
        ids, moved, counts, recomputed = settled.ids, settled.moved, settled.counts, settled.recomputed
        audited = _audit(ctx, outcome)
        steward.mark_applied(store_con, [int(a["id"]) for a in pending], ctx.run_id)
    finally:
        store_con.close()
    warnings = [f"steward action {i} ignored: {why}" for i, why in outcome.ignored]
    return StageResult(
        stage="merge",
        counts={
            "golden_customers": counts.golden_customers,
            "new_golden": ids.new_golden,
            "merged": ids.merged,
            "split": ids.split,
            "changed": counts.changed,
            "emptied": counts.removed - ids.merged,
            "records_moved": moved,
            "recomputed": counts.golden_customers if recomputed < 0 else recomputed,
            "steward_actions_applied": len(outcome.applied),
            "steward_actions_ignored": len(outcome.ignored),
            "audit_events": audited,
        },
        warnings=warnings,
    )


def rebuild_golden(
    ctx: RunContext, golden_ids: list[str] | None = None, scope_table: str | None = None
) -> dict[str, int]:
    """Recompute values/lineage/history of these golden customers (those of `scope_table(golden_id)`,
    a table name chosen by code, else `golden_ids`, else all) from the CURRENT xref and staging;
    close xref rows of records gone from staging; delete customers left empty.

    Retention calls it after deleting records. Runs inside the caller's transaction.
    """
    counts = golden.refresh(ctx.con, ctx.now, ctx.config.survivorship, golden_ids, scope_table)
    return {
        "golden_customers": counts.golden_customers,
        "changed": counts.changed,
        "removed": counts.removed,
        "xref_closed": counts.xref_closed_missing,
    }
