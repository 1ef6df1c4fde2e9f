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

from mdm.canonical import ACTIVITY_FIELDS, EVENT_TRIGGER_FIELDS
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


#: The person's last initiated contact read on the timeline, per current record (events of every
#: source of the golden customer count). Joined only when a rule names it.
EVENT_DATES_SQL = """
    event_dates AS (
        SELECT x.record_key, max(e.occurred_at) AS last_initiated_contact_at
        FROM golden.xref x JOIN golden.customer_event e ON e.golden_id = x.golden_id AND e.initiated_by_customer
        WHERE x.valid_to IS NULL GROUP BY x.record_key
    )
"""


def _column(field: str) -> str:
    return f"ev.{field}" if field in EVENT_TRIGGER_FIELDS else f"c.{field}"


def trigger_sql(rule: RetentionRule) -> tuple[str, str]:
    """(the trigger date, the name of the field that gave it) as SQL over `c` (staging) and `ev`."""
    columns = [_column(f) for f in rule.trigger]
    date = ("greatest(" if rule.pick == "latest" else "coalesce(") + ", ".join(columns) + ")"
    whens = " ".join(f"WHEN {col} IS NOT NULL AND {col} = {date} THEN '{field}'"
                     for col, field in zip(columns, rule.trigger, strict=True))
    return date, f"CASE {whens} END"


def uses_events(config: RetentionConfig) -> bool:
    return any(f in EVENT_TRIGGER_FIELDS for rule in config.effective_rules() for f in rule.trigger)


@dataclass(frozen=True)
class SelectionQuery:
    sql: str
    params: list[Any]


def _rule_branch(priority: int, rule: RetentionRule, now: datetime, soon: timedelta) -> SelectionQuery:
    # Identifiers come from the validated config (ACTIVITY_FIELDS only), values are bound.
    for field in rule.trigger:
        if field not in ACTIVITY_FIELDS + EVENT_TRIGGER_FIELDS:
            raise ValueError(f"rule {rule.name}: {field} is not a date field")
    trigger, trigger_field = trigger_sql(rule)
    events_join = any(f in EVENT_TRIGGER_FIELDS for f in rule.trigger)
    cutoff = rule.cutoff(now)
    sql = (
        f"SELECT c.record_key, c.source, {priority} AS priority, ?::VARCHAR AS rule, ?::VARCHAR AS action, "
        f"{trigger}::TIMESTAMP AS trigger_at, {trigger_field} AS trigger_field, "
        "?::TIMESTAMP AS cutoff, ?::TIMESTAMP AS soon_cutoff FROM staging.customers c "
        + ("LEFT JOIN event_dates ev ON ev.record_key = c.record_key " if events_join else "")
        + "WHERE c.retention_category = ?"
    )
    params: list[Any] = [rule.name, rule.action, cutoff, cutoff + soon, rule.category]
    if rule.sources:
        sql += " AND c.source IN (SELECT unnest(?::VARCHAR[]))"
        params.append(list(rule.sources))
    return SelectionQuery(sql, params)


def selection_query(config: RetentionConfig, now: datetime) -> SelectionQuery | None:
    """The status of every record a rule covers: columns record_key, source, rule, action,
    trigger_at, trigger_field (which date drove it), golden_id, status. None when there are no rules."""
    rules = config.effective_rules()
    if not rules:
        return None
    soon = timedelta(days=config.due_soon_days)
    branches = [_rule_branch(i, rule, now, soon) for i, rule in enumerate(rules)]
    seeded_holds = [hold.subject for hold in config.legal_holds]
    sql = (
        "WITH "
        + HELD_KEYS_SQL
        + ("," + EVENT_DATES_SQL if uses_events(config) else "")
        + ", candidates AS ("
        + " UNION ALL ".join(b.sql for b in branches)
        + "), governed AS (SELECT * FROM candidates"
        " QUALIFY row_number() OVER (PARTITION BY record_key ORDER BY priority) = 1)"
        " SELECT g.record_key, g.source, g.rule, g.action, g.trigger_at, g.trigger_field, x.golden_id,"
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
