"""Stage "expire": apply the retention policy after "merge", before "measure" and "publish".

1. `selection.py` gives every covered record its rule and status (due / held / due_soon / ...).
2. Records due with action `archive` are copied to the archive file first (committed on their own,
   see `archive.py`); records due with action `anonymise` leave a generalised statistics row.
3. Every due record is removed from every layer (`cascade.py`): raw, staging, quarantine,
   match pairs/decisions/clusters, golden xref (all versions) and lineage; golden history versions
   carrying its identifiers are dropped.
4. The golden customers concerned are recomputed from their remaining records by the merge
   package's `rebuild_golden`, which the composition root (`mdm.pipeline.expire`) calls between
   `retire` and `finish` (survivorship is the merge package's work, not this one's); those left
   with none disappear with their history and aliases.
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
from dataclasses import dataclass, field
from typing import Any

from matching import recluster
from mdm.config import get_salt
from mdm.context import RunContext, StageResult
from mdm.events.forget import retire_events
from warehouse.retention import cascade, heal
from warehouse.retention.anonymise import anonymise_records
from warehouse.retention.archive import archive_records
from warehouse.retention.audit import record_events, summary_event
from warehouse.retention.selection import selection_query
from warehouse.retention.store_purge import purge_store
from warehouse.retention.targets import Targets

KIND_BY_ACTION = {"delete": "expire", "anonymise": "anonymise", "archive": "archive"}
STAGE = "expire"
_STATUS = "_retention_status"
_DUE = "_retention_due"
#: The golden customers that lost records (`golden_id`), for `rebuild_golden` between the two halves.
AFFECTED_TABLE = cascade.AFFECTED_TABLE


def _status_counts(ctx: RunContext) -> dict[str, Any]:
    rows = ctx.con.execute(
        f"SELECT rule, action, source, status, count(*) FROM {_STATUS} GROUP BY ALL"
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
    for rule, trigger, n in ctx.con.execute(
        "SELECT rule, coalesce(trigger_field, 'none'), count(*) FROM _retention_status WHERE status = 'due' "
        "GROUP BY ALL ORDER BY ALL"
    ).fetchall():
        detail = per_rule.setdefault(rule, {"by_source": {}, "held": 0, "due_soon": 0, "no_date": 0})
        detail.setdefault("due_by_trigger", {})[trigger] = int(n)
    return {
        "expired": dict(expired),
        "by_action": dict(by_action),
        "by_status": dict(by_status),
        "per_rule": per_rule,
    }


def _golden_count(ctx: RunContext) -> int:
    row = ctx.con.execute("SELECT count(*) FROM golden.customer").fetchone()
    return int(row[0]) if row else 0


@dataclass
class Expiry:
    """What `retire` did, for `finish`: the due records are gone, their golden customers not yet
    recomputed. `skipped` when no rule is configured (nothing expires)."""

    skipped: bool = False
    stats: dict[str, Any] = field(default_factory=dict)
    due: int = 0
    archived: int = 0
    anonymised: int = 0
    golden_affected: int = 0
    history_dropped: int = 0
    deleted: dict[str, int] = field(default_factory=dict)
    healed: dict[str, int] = field(default_factory=dict)
    events_retired: int = 0


def retire(ctx: RunContext) -> Expiry:
    """Steps 1-3: select, archive or anonymise, then remove the due records from every layer and
    heal the clusters they bridged. The golden customers concerned are left in `AFFECTED_TABLE`."""
    con = ctx.con
    query = selection_query(ctx.config.retention, ctx.now)
    if query is None:
        return Expiry(skipped=True)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_STATUS} AS {query.sql}", query.params)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_DUE} AS SELECT * FROM {_STATUS} WHERE status = 'due'")
    expiry = Expiry(stats=_status_counts(ctx))
    # The due keys and their golden customers stay in temp tables: at a million records a first
    # run retires ~70,000 of them, and every step below is one statement over those tables.
    expiry.due = cascade.load_keys_from(con, _DUE)
    if expiry.due:  # the records' events go with them; their amounts stay for the accounts, unlinked
        expiry.events_retired = len(retire_events(con, ctx.now, cascade.KEYS_TABLE))
    archive_rows = con.execute(
        f"SELECT record_key, rule FROM {_DUE} WHERE action = 'archive' ORDER BY record_key"
    ).fetchall()
    expiry.archived = archive_records(
        con, ctx.config.paths.archive, [r[0] for r in archive_rows], [r[1] for r in archive_rows], ctx.now
    )
    expiry.anonymised = anonymise_records(con, ctx.now)
    if expiry.due:
        expiry.golden_affected = cascade.mark_affected_golden(con)
        if expiry.golden_affected:
            expiry.history_dropped = cascade.scrub_history_of(con, AFFECTED_TABLE)
        heal.mark_bridges(con)
        expiry.deleted = cascade.delete_records(con)
        expiry.healed = heal.heal(ctx)
    return expiry


def finish(ctx: RunContext, expiry: Expiry) -> StageResult:
    """Steps 4-6 once the golden customers were recomputed: drop those left empty, audit, record
    the keys for the compaction, and make the stewards' store forget the records."""
    if expiry.skipped:
        return StageResult(
            stage=STAGE,
            counts={"expired": {}, "anonymised": 0, "archived": 0, "held": 0, "due_30_days": 0},
            warnings=["retention.rules is empty: nothing expires"],
        )
    con = ctx.con
    salt = get_salt(ctx.config)
    golden_gone = cascade.drop_orphan_golden_of(con, AFFECTED_TABLE) if expiry.golden_affected else 0
    keys: list[str] = []
    golden_ids: list[str] = []
    if expiry.due:  # for the stewards' store (SQLite), which cannot read the warehouse's temp tables
        keys = [r[0] for r in con.execute(f"SELECT record_key FROM {cascade.KEYS_TABLE}").fetchall()]
        golden_ids = [r[0] for r in con.execute(f"SELECT golden_id FROM {AFFECTED_TABLE}").fetchall()]
    # For compact_warehouse: their copies in older published files go after the run's last commit.
    con.execute(
        f"INSERT INTO retention.pending_purge SELECT record_key, ?, ? FROM {cascade.KEYS_TABLE}", [ctx.run_id, ctx.now]
    )
    audited = _audit(ctx, expiry, salt)
    for table in (_DUE, _STATUS, cascade.KEYS_TABLE, AFFECTED_TABLE):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    # Last, once every warehouse change has succeeded: the store is not in the runner's transaction.
    store_rows = purge_store(
        ctx.config.paths.steward_db, Targets(salt).add("record_key", keys).add("golden_id", golden_ids)
    ) if keys else 0
    held = int(expiry.stats["by_status"].get("held", 0))
    ctx.log.info(
        "expire: %d record(s) due, %d held, %d golden customer(s) recomputed, %d removed",
        len(keys), held, len(golden_ids), golden_gone,
    )
    rules = ctx.config.retention.effective_rules()
    return StageResult(
        stage=STAGE,
        counts={
            "expired": {rule.name: int(expiry.stats["expired"].get(rule.name, 0)) for rule in rules},
            "anonymised": int(expiry.anonymised),
            "archived": int(expiry.archived),
            "held": held,
            "due_30_days": int(expiry.stats["by_status"].get("due_soon", 0)),
            "golden_recomputed": len(golden_ids),
            "golden_removed": int(golden_gone),
            "golden_customers": _golden_count(ctx),
            "split_after_expiry": int(expiry.healed.get("split", 0)),
            "records_reclustered": int(expiry.healed.get("records_reclustered", 0)),
            # the matcher's figures once the expired records are gone: what the summary shows
            "match_after_expiry": recluster.match_figures(con),
            "rows_deleted": {k: v for k, v in expiry.deleted.items() if v},
            "history_versions_dropped": expiry.history_dropped,
            "store_rows_deleted": store_rows,
            "audit_events": audited + len(rules),
            "events_retired": expiry.events_retired,
        },
    )


def _audit(ctx: RunContext, expiry: Expiry, salt: str) -> int:
    """One `audit.events` row per record retired, one `retention_run` row per rule; returns the
    number of record rows."""
    due = ctx.con.execute(f"SELECT record_key, source, rule, action FROM {_DUE} ORDER BY record_key").df()
    events = due.assign(kind=due["action"].map(KIND_BY_ACTION))
    audited = record_events(ctx.con, run_id=ctx.run_id, at=ctx.now, kind_by_key=events, salt=salt)
    for rule in ctx.config.retention.effective_rules():
        detail = expiry.stats["per_rule"].get(rule.name, {"by_source": {}, "held": 0, "due_soon": 0, "no_date": 0})
        summary_event(
            ctx.con,
            run_id=ctx.run_id,
            at=ctx.now,
            kind="retention_run",
            rule=rule.name,
            count=int(expiry.stats["expired"].get(rule.name, 0)),
            detail={"action": rule.action, "cutoff": rule.cutoff(ctx.now).isoformat(), **detail},
        )
    return int(audited)
