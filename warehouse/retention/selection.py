"""Which source records the retention rules make due: one SQL query, shared by the stage and `mdm retention plan`.

Every record in `staging.customers` gets the first rule whose category (and sources) match it,
then a status:

- `due`: its trigger date is older than the rule's period: the next run expires it;
- `held`: it would be due, but a legal hold covers it (on its record key or its golden customer);
- `due_soon`: it becomes due within `due_soon_days`;
- `keep`: not due yet;
- `no_date`: none of the rule's trigger dates is set, so it never expires by this rule.

Records that no rule covers do not appear. The query only reads, so the plan can run it on a
read-only connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from mdm.canonical import ACTIVITY_FIELDS
from warehouse.retention.config import RetentionConfig, RetentionRule

STATUSES = ("due", "held", "due_soon", "keep", "no_date")

#: Active holds, resolved to record keys: a hold on a golden id (or one of its aliases) covers
#: every current record of that golden customer.
HELD_KEYS_SQL = """
    active_holds AS (
        SELECT DISTINCT subject FROM retention.legal_holds WHERE lifted_at IS NULL
        UNION SELECT unnest(?::VARCHAR[])
    ),
    held_golden AS (
        SELECT subject AS golden_id FROM active_holds
        UNION SELECT a.golden_id FROM golden.alias a JOIN active_holds h ON h.subject = a.alias_id
    ),
    held_keys AS (
        SELECT subject AS record_key FROM active_holds
        UNION SELECT x.record_key FROM golden.xref x JOIN held_golden g USING (golden_id)
        WHERE x.valid_to IS NULL
    )
"""


@dataclass(frozen=True)
class SelectionQuery:
    sql: str
    params: list[Any]


def _rule_branch(priority: int, rule: RetentionRule, now: datetime, soon: timedelta) -> SelectionQuery:
    # Identifiers come from the validated config (ACTIVITY_FIELDS only), values are bound.
    for field in rule.trigger:
        if field not in ACTIVITY_FIELDS:
            raise ValueError(f"rule {rule.name}: {field} is not a date field")
    trigger = "coalesce(" + ", ".join(f"c.{f}" for f in rule.trigger) + ")"
    cutoff = rule.cutoff(now)
    sql = (
        f"SELECT c.record_key, c.source, {priority} AS priority, ?::VARCHAR AS rule, ?::VARCHAR AS action, "
        f"{trigger}::TIMESTAMP AS trigger_at, ?::TIMESTAMP AS cutoff, ?::TIMESTAMP AS soon_cutoff "
        "FROM staging.customers c WHERE c.retention_category = ?"
    )
    params: list[Any] = [rule.name, rule.action, cutoff, cutoff + soon, rule.category]
    if rule.sources:
        sql += " AND c.source IN (SELECT unnest(?::VARCHAR[]))"
        params.append(list(rule.sources))
    return SelectionQuery(sql, params)


def selection_query(config: RetentionConfig, now: datetime) -> SelectionQuery | None:
    """The status of every record a rule covers: columns record_key, source, rule, action,
    trigger_at, golden_id, status. None when there are no rules."""
    rules = config.effective_rules()
    if not rules:
        return None
    soon = timedelta(days=config.due_soon_days)
    branches = [_rule_branch(i, rule, now, soon) for i, rule in enumerate(rules)]
    seeded_holds = [hold.subject for hold in config.legal_holds]
    sql = (
        "WITH "
        + HELD_KEYS_SQL
        + ", candidates AS ("
        + " UNION ALL ".join(b.sql for b in branches)
        + "), governed AS (SELECT * FROM candidates"
        " QUALIFY row_number() OVER (PARTITION BY record_key ORDER BY priority) = 1)"
        " SELECT g.record_key, g.source, g.rule, g.action, g.trigger_at, x.golden_id,"
        " CASE WHEN g.trigger_at IS NULL THEN 'no_date'"
        "      WHEN g.trigger_at < g.cutoff AND h.record_key IS NOT NULL THEN 'held'"
        "      WHEN g.trigger_at < g.cutoff THEN 'due'"
        "      WHEN g.trigger_at < g.soon_cutoff THEN 'due_soon'"
        "      ELSE 'keep' END AS status"
        " FROM governed g"
        " LEFT JOIN held_keys h ON h.record_key = g.record_key"
        " LEFT JOIN (SELECT record_key, any_value(golden_id) AS golden_id FROM golden.xref"
        "            WHERE valid_to IS NULL GROUP BY record_key) x ON x.record_key = g.record_key"
    )
    params: list[Any] = [seeded_holds]
    for branch in branches:
        params.extend(branch.params)
    return SelectionQuery(sql, params)
