"""RFM scores, named segments, lifetime value and segment sizes over a hand-built timeline (real DuckDB, real DDL)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import duckdb
import pytest
from pydantic import ValidationError

from mdm.events.config import EventsConfig
from mdm.segments.config import SegmentsConfig
from mdm.segments.summary import write_summary
from warehouse.schema import apply_schema

NOW = datetime(2026, 11, 23, 12, 0)


def _warehouse(events: list[tuple[str, str, str, float | None]], customers: list[str]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    apply_schema(con)
    for gid in customers:
        con.execute("INSERT INTO golden.customer (golden_id, record_count, sources, first_seen_at, updated_at) "
                    "VALUES (?, 1, ['crm'], ?, ?)", [gid, NOW, NOW])
    for i, (gid, kind, day, amount) in enumerate(events):
        con.execute(
            "INSERT INTO golden.customer_event VALUES (?, ?, 'shop', ?, ?::TIMESTAMP, 'web', ?, 'EUR', ?, ?)",
            [gid, f"shop:{i}", kind, day, amount, kind != "campaign_send", f"crm:{gid}"],
        )
    return con


def _summary(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    rows = con.execute(
        "SELECT golden_id, order_count, revenue, recency_score, frequency_score, monetary_score, segment, "
        "clv_projected, last_initiated_contact_at FROM golden.customer_summary"
    ).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_rfm_segments_and_clv() -> None:
    con = _warehouse(
        [
            ("big", "order", "2026-11-01", 500), ("big", "order", "2026-10-01", 500), ("big", "order", "2025-06-01", 500),
            ("old", "order", "2022-01-01", 40),
            ("fresh", "order", "2026-11-20", 30),
            ("mid", "order", "2025-03-01", 60), ("mid", "order", "2025-09-01", 60),
            ("lead", "campaign_send", "2026-11-01", None), ("lead", "ticket", "2026-08-01", None),
        ],
        ["big", "old", "fresh", "mid", "lead", "silent"],
    )
    sizes = write_summary(con, SegmentsConfig(), EventsConfig(), NOW, "r1")
    summary = _summary(con)
    assert summary["silent"][:6] == (0, Decimal("0.00"), None, None, None, "prospects")
    assert summary["lead"][5] == "prospects"
    # The ticket is the lead's last contact they started; the campaign we sent is not.
    assert summary["lead"][7] == datetime(2026, 8, 1)
    assert summary["fresh"][5] == "new"
    assert summary["big"][2:6] == (4, 5, 5, "champions")
    assert summary["old"][2:6] == (1, 1, 2, "lost")
    assert summary["mid"][2:6] == (2, 4, 4, "at_risk")  # bought twice, but not for 14 months
    assert sizes == {"at_risk": 1, "champions": 1, "lost": 1, "new": 1, "prospects": 2}
    # CLV: cohort 2025 = big and mid; last 12 months: big 1000, mid 0 -> annual 500, repeat rate 1/2;
    # 3 years: 500 * (1 + 0.5 + 0.25) = 875. Cohort 2022 (old) bought nothing this year: 0.
    assert summary["big"][6] == Decimal("875.00") and summary["mid"][6] == Decimal("875.00")
    assert summary["old"][6] == Decimal("0.00")
    assert con.execute("SELECT sum(customers) FROM dq.segment_sizes WHERE run_id = 'r1'").fetchall() == [(6,)]


def test_segment_rules_from_config_first_match_wins() -> None:
    con = _warehouse([("a", "order", "2026-11-01", 10), ("b", "order", "2020-01-01", 10)], ["a", "b"])
    config = SegmentsConfig.model_validate({
        "rules": [
            {"name": "sleeping", "description": "Nothing bought for two years.", "no_purchase_for": "2y"},
            {"name": "everyone_who_bought", "orders": "1+"},
        ],
        "otherwise": "unknown",
    })
    write_summary(con, config, EventsConfig(), NOW, "r1")
    assert {k: v[5] for k, v in _summary(con).items()} == {"a": "everyone_who_bought", "b": "sleeping"}


@pytest.mark.parametrize("rule, message", [
    ({"name": "x", "recency": "0-3"}, "within 1-5"),
    ({"name": "x", "orders": "lots"}, "a number, a range"),
    ({"name": "x", "no_purchase_for": "two years"}, "must look like"),
    ({"name": "Bad Name"}, "pattern"),
])
def test_bad_segment_rules_are_refused(rule: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SegmentsConfig.model_validate({"rules": [rule]})
