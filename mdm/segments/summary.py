"""`golden.customer_summary`: activity, RFM scores, segment and lifetime value per golden customer.

One set-based pass over the timeline each run (a GROUP BY over `golden.customer_event`), then
window functions over the customers: RFM quintiles are relative to everybody, so they are
recomputed whole. Every golden customer gets a row, with or without events.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import duckdb

from mdm.events.config import EventsConfig
from mdm.segments.config import OPEN_END, SegmentRule, SegmentsConfig, parse_range, period_start

ACTIVITY = "_mdm_seg_activity"
SCORED = "_mdm_seg_scored"


def build_activity(con: duckdb.DuckDBPyConnection, events: EventsConfig) -> None:
    """`ACTIVITY`: one row per golden customer (all of them) with what the timeline says.

    One pass over the timeline, grouped by customer and channel, then rolled up per customer: the
    last contact per channel comes out of the same pass. Its JSON keys are sorted with `list_sort`
    (the same order every run, so runs compare equal), which costs half of an ordered `string_agg`
    (4.4 s -> 2.9 s at 10M events)."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {ACTIVITY} AS
        WITH ev AS (
            SELECT *, list_contains(?::VARCHAR[], event_type) AS is_purchase FROM golden.customer_event
        ), per_channel AS (
            SELECT golden_id, channel, count(*) AS event_count,
                   count(*) FILTER (WHERE is_purchase) AS order_count,
                   sum(amount) FILTER (WHERE is_purchase AND currency = ?) AS revenue,
                   min(occurred_at) FILTER (WHERE is_purchase) AS first_purchase_at,
                   max(occurred_at) FILTER (WHERE is_purchase) AS last_purchase_at,
                   max(occurred_at) FILTER (WHERE initiated_by_customer) AS last_initiated_contact_at,
                   max(occurred_at) AS last_at
            FROM ev GROUP BY golden_id, channel
        ), agg AS (
            SELECT golden_id, sum(event_count) AS event_count, sum(order_count) AS order_count,
                   sum(revenue) AS revenue, min(first_purchase_at) AS first_purchase_at,
                   max(last_purchase_at) AS last_purchase_at,
                   max(last_initiated_contact_at) AS last_initiated_contact_at,
                   CASE WHEN count(channel) > 0 THEN ('{{' || array_to_string(list_sort(
                       list(to_json(channel) || ':' || to_json(strftime(last_at, '%Y-%m-%dT%H:%M:%S')))
                       FILTER (WHERE channel IS NOT NULL)), ',') || '}}')::JSON END AS channels
            FROM per_channel GROUP BY golden_id
        )
        SELECT g.golden_id, coalesce(a.event_count, 0)::BIGINT AS event_count,
               coalesce(a.order_count, 0)::BIGINT AS order_count,
               coalesce(a.revenue, 0)::DECIMAL(18, 2) AS revenue, a.first_purchase_at, a.last_purchase_at,
               a.last_initiated_contact_at, a.channels AS last_contact_per_channel
        FROM golden.customer g
        LEFT JOIN agg a ON a.golden_id = g.golden_id
        """,
        [events.purchase_types, events.currency],
    )


def _rule_sql(rule: SegmentRule, now: datetime) -> tuple[str, list[Any]]:
    """One rule's conditions as SQL over `SCORED` (identifiers from code, values bound)."""
    parts: list[str] = []
    params: list[Any] = []
    for column, value in (("recency_score", rule.recency), ("frequency_score", rule.frequency),
                          ("monetary_score", rule.monetary), ("order_count", rule.orders)):
        if value is not None:
            low, high = parse_range(value, 0, OPEN_END)
            parts.append(f"{column} BETWEEN ? AND ?")
            params += [low, high]
    if rule.first_purchase_within:
        parts.append("first_purchase_at >= ?")
        params.append(period_start(rule.first_purchase_within, now))
    if rule.last_purchase_within:
        parts.append("last_purchase_at >= ?")
        params.append(period_start(rule.last_purchase_within, now))
    if rule.no_purchase_for:
        parts.append("last_purchase_at < ?")
        params.append(period_start(rule.no_purchase_for, now))
    return ("(" + " AND ".join(parts) + ")") if parts else "true", params


def segment_case(config: SegmentsConfig, now: datetime) -> tuple[str, list[Any]]:
    """`CASE WHEN <rule 1> THEN 'name 1' ... ELSE otherwise END` with its parameters."""
    whens: list[str] = []
    params: list[Any] = []
    for rule in config.rules:
        condition, rule_params = _rule_sql(rule, now)
        whens.append(f"WHEN {condition} THEN ?")
        params += [*rule_params, rule.name]
    params.append(config.otherwise)
    return "CASE " + " ".join(whens) + " ELSE ? END", params


def score(con: duckdb.DuckDBPyConnection) -> None:
    """`SCORED`: the activity plus RFM quintiles among buyers: `1 + floor(5 * percent_rank())`, capped
    at 5, so the lowest value scores 1, the highest 5, and equal values the same score (one purchase
    is one frequency score for all), which `ntile` would split arbitrarily between runs."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {SCORED} AS
        SELECT a.*, s.recency_score, s.frequency_score, s.monetary_score
        FROM {ACTIVITY} a LEFT JOIN (
            SELECT golden_id,
                   least(5, 1 + floor(5 * percent_rank() OVER (ORDER BY last_purchase_at)))::INTEGER AS recency_score,
                   least(5, 1 + floor(5 * percent_rank() OVER (ORDER BY order_count)))::INTEGER AS frequency_score,
                   least(5, 1 + floor(5 * percent_rank() OVER (ORDER BY revenue)))::INTEGER AS monetary_score
            FROM {ACTIVITY} WHERE order_count > 0
        ) s ON s.golden_id = a.golden_id
        """
    )


def clv_sql(config: SegmentsConfig, events: EventsConfig, now: datetime) -> tuple[str, list[Any]]:
    """Per golden customer, the projected value from their acquisition cohort (docs/segments.md):

    - cohort: customers whose first purchase fell in the same year (or quarter);
    - annual value: the cohort's purchases in the last 12 months / its size;
    - repeat rate r: the share of the cohort that bought in the last 12 months;
    - projection over H years: annual value x (1 + r + r^2 + ... + r^(H-1)), no discounting.
    Customers who never bought project 0.
    """
    year_ago = now - timedelta(days=365)
    sql = f"""
        WITH members AS (
            SELECT golden_id, date_trunc(?, first_purchase_at) AS cohort FROM {SCORED} WHERE order_count > 0
        ), recent AS (
            SELECT golden_id, sum(amount) FILTER (WHERE currency = ?) AS value FROM golden.customer_event
            WHERE occurred_at >= ? AND list_contains(?::VARCHAR[], event_type) GROUP BY golden_id
        ), cohorts AS (
            SELECT m.cohort, count(*) AS size, coalesce(sum(r.value), 0) / count(*) AS annual_value,
                   count(r.golden_id) / count(*) AS repeat_rate
            FROM members m LEFT JOIN recent r ON r.golden_id = m.golden_id GROUP BY m.cohort
        )
        SELECT m.golden_id,
               (c.annual_value * CASE WHEN c.repeat_rate >= 1 THEN ? ELSE (1 - pow(c.repeat_rate, ?))
                                      / (1 - c.repeat_rate) END)::DECIMAL(18, 2) AS clv_projected
        FROM members m JOIN cohorts c ON c.cohort = m.cohort
    """
    horizon = config.clv.horizon_years
    return sql, [config.clv.cohort, events.currency, year_ago, events.purchase_types, horizon, horizon]


def write_summary(
    con: duckdb.DuckDBPyConnection, config: SegmentsConfig, events: EventsConfig, now: datetime, run_id: str
) -> dict[str, int]:
    """Rebuild `golden.customer_summary` and add this run's `dq.segment_sizes`. Returns the sizes."""
    build_activity(con, events)
    score(con)
    case_sql, case_params = segment_case(config, now)
    clv, clv_params = clv_sql(config, events, now)
    con.execute("DELETE FROM golden.customer_summary")
    con.execute(
        f"""
        INSERT INTO golden.customer_summary
        SELECT s.golden_id, s.event_count, s.order_count, s.revenue, s.first_purchase_at, s.last_purchase_at,
               s.last_initiated_contact_at, s.last_contact_per_channel, s.recency_score, s.frequency_score,
               s.monetary_score, {case_sql} AS segment, s.revenue AS clv_historical,
               coalesce(p.clv_projected, 0) AS clv_projected
        FROM {SCORED} s LEFT JOIN ({clv}) p ON p.golden_id = s.golden_id
        """,
        [*case_params, *clv_params],
    )
    con.execute(
        """
        INSERT INTO dq.segment_sizes (run_id, "at", segment, customers, revenue)
        SELECT ?, ?, segment, count(*), sum(revenue) FROM golden.customer_summary GROUP BY segment
        """,
        [run_id, now],
    )
    for table in (ACTIVITY, SCORED):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    rows = con.execute(
        "SELECT segment, count(*) FROM golden.customer_summary GROUP BY segment ORDER BY segment"
    ).fetchall()
    return {str(name): int(n) for name, n in rows}
