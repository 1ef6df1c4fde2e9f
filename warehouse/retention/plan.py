"""`mdm retention plan`: what the next run would expire, per rule and source, without changing anything."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb

from mdm.config import MdmConfig
from warehouse.retention.selection import STATUSES, selection_query


def retention_plan(con: duckdb.DuckDBPyConnection, config: MdmConfig, now: datetime) -> dict[str, Any]:
    """Counts per rule, source and status (due, held, due_soon, keep, no_date). Read-only."""
    rules = config.retention.effective_rules()
    query = selection_query(config.retention, now)
    counts: dict[tuple[str, str], dict[str, int]] = {}
    if query is not None:
        rows = con.execute(
            f"SELECT rule, source, status, count(*) FROM ({query.sql}) GROUP BY ALL ORDER BY ALL", query.params
        ).fetchall()
        for rule, source, status, n in rows:
            counts.setdefault((rule, source), dict.fromkeys(STATUSES, 0))[status] = int(n)
    by_trigger: dict[str, dict[str, dict[str, int]]] = {}
    if query is not None:
        for rule_name, field, status, n in con.execute(
            f"SELECT rule, trigger_field, status, count(*) FROM ({query.sql}) WHERE trigger_field IS NOT NULL "
            "GROUP BY ALL ORDER BY ALL", query.params
        ).fetchall():
            by_trigger.setdefault(rule_name, {}).setdefault(field, dict.fromkeys(STATUSES, 0))[status] = int(n)
    plan_rules: list[dict[str, Any]] = []
    for rule in rules:
        by_source = {source: c for (name, source), c in sorted(counts.items()) if name == rule.name}
        totals = {s: sum(c[s] for c in by_source.values()) for s in STATUSES}
        amount, unit = rule.period_parts()
        plan_rules.append(
            {
                "rule": rule.name,
                "category": rule.category,
                "trigger": rule.trigger,
                "period": f"{amount}{unit}",
                "action": rule.action,
                "sources": rule.sources or "all",
                "cutoff": rule.cutoff(now).isoformat(sep=" "),
                "by_source": by_source,
                # which date drove each record's status: {trigger field: {status: n}}
                "by_trigger": by_trigger.get(rule.name, {}),
                "pick": rule.pick,
                "totals": totals,
            }
        )
    return {
        "now": now.isoformat(sep=" "),
        "defaults": config.retention.rules is None,
        "due_soon_days": config.retention.due_soon_days,
        "rules": plan_rules,
        "totals": {s: sum(int(r["totals"][s]) for r in plan_rules) for s in STATUSES},
    }


def due_records(con: duckdb.DuckDBPyConnection, config: MdmConfig, now: datetime, limit: int = 1000) -> list[dict[str, Any]]:
    """The records the next run would expire or that a hold keeps, each with the date that drove it:
    record key (a hash), rule, status, trigger field and date. Read-only; no personal data."""
    query = selection_query(config.retention, now)
    if query is None:
        return []
    rows = con.execute(
        f"SELECT record_key, source, rule, status, trigger_field, trigger_at FROM ({query.sql}) "
        "WHERE status IN ('due', 'held') ORDER BY rule, trigger_at, record_key LIMIT ?",
        [*query.params, limit],
    ).fetchall()
    names = ("record_key", "source", "rule", "status", "trigger_field", "trigger_at")
    return [{**dict(zip(names, r, strict=True)), "trigger_at": r[5].isoformat(sep=" ") if r[5] else None} for r in rows]
