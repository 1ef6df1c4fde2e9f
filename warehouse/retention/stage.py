"""Stage "expire": apply the retention policy after "merge", before "measure" and "publish".

1. `selection.py` gives every covered record its rule and status (due / held / due_soon / ...).
2. Records due with action `archive` are copied to the archive file first (committed on their own,
   see `archive.py`); records due with action `anonymise` leave a generalised statistics row.
3. Every due record is removed from every layer (`cascade.py`): raw, staging, quarantine,
   match pairs/decisions/clusters, golden xref (all versions) and lineage; golden history versions
   carrying its identifiers are dropped.
4. The golden customers concerned are recomputed from their remaining records by the merge
   package's `rebuild_golden`; those left with none disappear with their history and aliases.
5. Audit: one `audit.events` row per record (kind expire | anonymise | archive, the rule, the
   salted fingerprint of the record key) and one `retention_run` row per rule with counts.
6. The stewards' store forgets the records (rows deleted, store vacuumed).

Deleted rows stay in the DuckDB file's free blocks until the file is rewritten, and older
published files (rollback versions, Parquet exports) still hold the records: the runner calls
`warehouse.retention.compact.compact_warehouse(paths)` after the run's last commit, which removes
the records listed in `retention.pending_purge` from those files and rewrites the databases.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from matching import recluster
from mdm.context import RunContext, StageResult
from mdm.events.forget import retire_events
from warehouse.retention import cascade, heal
from warehouse.retention.anonymise import anonymise_records
from warehouse.retention.archive import archive_records
from warehouse.retention.audit import record_events, summary_event
from warehouse.retention.salt import get_salt
from warehouse.retention.selection import selection_query
from warehouse.retention.store_purge import purge_store
from warehouse.retention.targets import Targets

KIND_BY_ACTION = {"delete": "expire", "anonymise": "anonymise", "archive": "archive"}


def rebuild_golden_customers(ctx: RunContext) -> dict[str, int]:
    """Recompute the golden customers that lost records, listed in `_retire_affected` (the merge
    package owns survivorship)."""
    from matching.merge.stage import rebuild_golden

    return rebuild_golden(ctx, scope_table=cascade.AFFECTED_TABLE)


def _status_counts(ctx: RunContext) -> dict[str, Any]:
    rows = ctx.con.execute(
        "SELECT rule, action, source, status, count(*) FROM _retention_status GROUP BY ALL"
    ).fetchall()
    expired: Counter[str] = Counter()
    by_action: Counter[str] = Counter()
    by_status: Counter[str] = Counter()
    per_rule: dict[str, dict[str, Any]] = {}
    for rule, action, source, status, n in rows:
        by_status[status] += n
        detail = per_rule.setdefault(rule, {"by_source": {}, "held": 0, "due_soon": 0, "no_date": 0})
        if status == "due":
            expired[rule] += n
            by_action[action] += n
            detail["by_source"][source] = detail["by_source"].get(source, 0) + n
        elif status in ("held", "due_soon", "no_date"):
            detail[status] += n
    # Which date drove each expiry (a record's own date or the person's last contact on the timeline).
    for rule, field, n in ctx.con.execute(
        "SELECT rule, coalesce(trigger_field, 'none'), count(*) FROM _retention_status WHERE status = 'due' "
        "GROUP BY ALL ORDER BY ALL"
    ).fetchall():
        detail = per_rule.setdefault(rule, {"by_source": {}, "held": 0, "due_soon": 0, "no_date": 0})
        detail.setdefault("due_by_trigger", {})[field] = int(n)
    return {
        "expired": dict(expired),
        "by_action": dict(by_action),
        "by_status": dict(by_status),
        "per_rule": per_rule,
    }


def _golden_count(ctx: RunContext) -> int:
    row = ctx.con.execute("SELECT count(*) FROM golden.customer").fetchone()
    return int(row[0]) if row else 0


def run(ctx: RunContext) -> StageResult:
    con = ctx.con
    rules = ctx.config.retention.effective_rules()
    query = selection_query(ctx.config.retention, ctx.now)
    if query is None:
        return StageResult(
            stage="expire",
            counts={"expired": {}, "anonymised": 0, "archived": 0, "held": 0, "due_30_days": 0},
            warnings=["retention.rules is empty: nothing expires"],
        )
    salt = get_salt(ctx.config)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _retention_status AS {query.sql}", query.params)
    con.execute("CREATE OR REPLACE TEMP TABLE _retention_due AS SELECT * FROM _retention_status WHERE status = 'due'")
    stats = _status_counts(ctx)

    # The due keys and their golden customers stay in temp tables: at a million records a first
    # run retires ~70,000 of them, and every step below is one statement over those tables.
    due_count = cascade.load_keys_from(con, "_retention_due")
    events_retired = len(retire_events(con, ctx.now)) if due_count else 0  # amounts stay, unlinked
    archive_rows = con.execute(
        "SELECT record_key, rule FROM _retention_due WHERE action = 'archive' ORDER BY record_key"
    ).fetchall()
    archived = archive_records(
        con, ctx.config.paths.archive, [r[0] for r in archive_rows], [r[1] for r in archive_rows], ctx.now
    )
    anonymised = anonymise_records(con, ctx.now)

    affected = cascade.mark_affected_golden(con) if due_count else 0
    history_dropped = cascade.scrub_history_of(con, cascade.AFFECTED_TABLE) if affected else 0
    if due_count:
        heal.mark_bridges(con)
    deleted = cascade.delete_records(con) if due_count else {}
    healed = heal.heal(ctx) if due_count else {}
    if affected:
        rebuild_golden_customers(ctx)
    golden_gone = cascade.drop_orphan_golden_of(con, cascade.AFFECTED_TABLE) if affected else 0
    keys: list[str] = []
    golden_ids: list[str] = []
    if due_count:  # for the stewards' store (SQLite), which cannot read the warehouse's temp tables
        keys = [r[0] for r in con.execute(f"SELECT record_key FROM {cascade.KEYS_TABLE}").fetchall()]
        golden_ids = [r[0] for r in con.execute(f"SELECT golden_id FROM {cascade.AFFECTED_TABLE}").fetchall()]

    # For compact_warehouse: their copies in older published files go after the run's last commit.
    con.execute(
        f"INSERT INTO retention.pending_purge SELECT record_key, ?, ? FROM {cascade.KEYS_TABLE}", [ctx.run_id, ctx.now]
    )
    due = con.execute("SELECT record_key, source, rule, action FROM _retention_due ORDER BY record_key").df()
    events = due.assign(kind=due["action"].map(KIND_BY_ACTION))
    audited = record_events(con, run_id=ctx.run_id, at=ctx.now, kind_by_key=events, salt=salt)
    for rule in rules:
        detail = stats["per_rule"].get(rule.name, {"by_source": {}, "held": 0, "due_soon": 0, "no_date": 0})
        summary_event(
            con,
            run_id=ctx.run_id,
            at=ctx.now,
            kind="retention_run",
            rule=rule.name,
            count=int(stats["expired"].get(rule.name, 0)),
            detail={"action": rule.action, "cutoff": rule.cutoff(ctx.now).isoformat(), **detail},
        )
    con.execute("DROP TABLE IF EXISTS _retention_due")
    con.execute("DROP TABLE IF EXISTS _retention_status")
    con.execute(f"DROP TABLE IF EXISTS {cascade.KEYS_TABLE}")
    con.execute(f"DROP TABLE IF EXISTS {cascade.AFFECTED_TABLE}")

    # Last, once every warehouse change has succeeded: the store is not in the runner's transaction.
    store_rows = purge_store(
        ctx.config.paths.steward_db, Targets(salt).add("record_key", keys).add("golden_id", golden_ids)
    ) if keys else 0

    ctx.log.info(
        "expire: %d record(s) due, %d held, %d golden customer(s) recomputed, %d removed",
        len(keys), stats["by_status"].get("held", 0), len(golden_ids), golden_gone,
    )
    return StageResult(
        stage="expire",
        counts={
            "expired": {rule.name: int(stats["expired"].get(rule.name, 0)) for rule in rules},
            "anonymised": int(anonymised),
            "archived": int(archived),
            "held": int(stats["by_status"].get("held", 0)),
            "due_30_days": int(stats["by_status"].get("due_soon", 0)),
            "golden_recomputed": len(golden_ids),
            "golden_removed": int(golden_gone),
            "golden_customers": _golden_count(ctx),
            "split_after_expiry": int(healed.get("split", 0)),
            "records_reclustered": int(healed.get("records_reclustered", 0)),
            # the matcher's figures once the expired records are gone: what the summary shows
            "match_after_expiry": recluster.match_figures(con),
            "rows_deleted": {k: v for k, v in deleted.items() if v},
            "history_versions_dropped": history_dropped,
            "store_rows_deleted": store_rows,
            "audit_events": audited + len(rules),
            "events_retired": events_retired,
        },
    )
