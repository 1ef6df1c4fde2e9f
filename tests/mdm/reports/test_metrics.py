"""The measure stage on a warehouse whose right answers are worked out by hand (see conftest)."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from mdm.config import MdmConfig
from mdm.context import RunContext
from mdm.reports import metrics
from mdm.reports.measures import measure_all

approx = pytest.approx

#: The same as in tests/mdm/reports/conftest.py (the suite's frozen clock and the fixture's run).
NOW = datetime(2026, 11, 23, 12, 0, 0)
RUN_ID = "run-3"


def _values(con: duckdb.DuckDBPyConnection, config: MdmConfig) -> dict[tuple[str, str, str], float | None]:
    rows = measure_all(con, metrics.measure_input(config, RUN_ID, NOW))
    keys = [(m.scope, m.dimension, m.metric) for m in rows]
    assert len(keys) == len(set(keys)), "a metric is emitted twice"
    return {k: m.value for k, m in zip(keys, rows, strict=True)}


def test_completeness(dq_con: duckdb.DuckDBPyConnection, demo_config: MdmConfig) -> None:
    v = _values(dq_con, demo_config)
    assert v[("crm", "completeness", "fill_pct.email")] == approx(50.0)
    assert v[("crm", "completeness", "fill_pct.phone")] == approx(50.0)
    assert v[("crm", "completeness", "fill_pct.first_name")] == approx(100.0)
    assert v[("crm", "completeness", "fill_pct.birth_date")] == approx(0.0)  # collected, never filled
    assert ("crm", "completeness", "fill_pct.company") not in v  # crm does not collect companies
    assert v[("crm", "completeness", "reachable_pct")] == approx(75.0)
    assert v[("salon", "completeness", "fill_pct.phone")] == approx(100 / 3)
    assert v[("salon", "completeness", "fill_pct.company")] == approx(200 / 3)
    assert v[("golden", "completeness", "fill_pct.email")] == approx(60.0)
    assert v[("golden", "completeness", "fill_pct.postcode")] == approx(80.0)
    assert v[("golden", "completeness", "reachable_pct")] == approx(60.0)
    assert v[("all", "completeness", "score")] == approx(460 / 6)


def test_validity(dq_con: duckdb.DuckDBPyConnection, demo_config: MdmConfig) -> None:
    v = _values(dq_con, demo_config)
    assert v[("crm", "validity", "valid_pct.email")] == approx(200 / 3)
    assert v[("crm", "validity", "invalid.phone")] == 1
    assert ("crm", "validity", "valid_pct.birth_date") not in v  # nothing given, nothing to judge
    assert v[("salon", "validity", "valid_pct.phone")] == approx(100.0)
    assert v[("crm", "validity", "issue.email_syntax")] == 1
    assert v[("crm", "validity", "quarantined.email_or_phone_required")] == 1
    assert v[("salon", "validity", "quarantined.name_required")] == 1  # the released row is not counted
    assert v[("salon", "validity", "quarantined_open")] == 1
    assert v[("crm", "validity", "quarantined_this_run")] == 1
    assert v[("salon", "validity", "quarantined_this_run")] == 0
    assert v[("crm", "validity", "accepted_pct")] == approx(80.0)
    assert v[("salon", "validity", "accepted_pct")] == approx(75.0)
    assert v[("crm", "validity", "expectation_pass_pct.email_or_phone_required")] == approx(80.0)
    assert v[("salon", "validity", "expectation_pass_pct.name_required")] == approx(100.0)  # this run only
    assert v[("all", "validity", "valid_values_pct")] == approx(700 / 9)
    assert v[("all", "validity", "score")] == approx(700 / 9)


def test_uniqueness(dq_con: duckdb.DuckDBPyConnection, demo_config: MdmConfig) -> None:
    v = _values(dq_con, demo_config)
    assert v[("crm", "uniqueness", "records_per_golden")] == approx(4 / 3)
    assert v[("crm", "uniqueness", "duplicate_pct")] == approx(25.0)
    assert v[("salon", "uniqueness", "duplicate_pct")] == approx(0.0)
    assert v[("all", "uniqueness", "records")] == 7  # the closed xref row is not counted
    assert v[("all", "uniqueness", "records_per_golden")] == approx(1.4)
    assert v[("golden", "uniqueness", "multi_source_pct")] == approx(20.0)
    assert v[("all", "uniqueness", "merges_this_run")] == 2
    assert v[("all", "uniqueness", "splits_this_run")] == 1
    assert v[("all", "uniqueness", "score")] == approx(100 - 100 / 7)


def test_timeliness(dq_con: duckdb.DuckDBPyConnection, demo_config: MdmConfig) -> None:
    v = _values(dq_con, demo_config)
    assert v[("crm", "timeliness", "days_since_last_load")] == approx(3.0)
    assert v[("salon", "timeliness", "days_since_last_load")] == approx(10.0)
    assert v[("salon", "timeliness", "failed_loads_this_run")] == 1
    assert v[("webshop", "timeliness", "days_since_last_load")] is None  # configured, never loaded
    assert v[("golden", "timeliness", "inactive_12m_pct")] == approx(60.0)
    assert v[("golden", "timeliness", "inactive_36m_pct")] == approx(40.0)
    assert v[("golden", "timeliness", "no_activity_date_pct")] == approx(20.0)
    assert v[("all", "timeliness", "score")] == approx(40.0)


def test_retention(dq_con: duckdb.DuckDBPyConnection, demo_config: MdmConfig) -> None:
    v = _values(dq_con, demo_config)
    assert v[("all", "retention", "expired_this_run")] == 5
    assert v[("all", "retention", "anonymised_this_run")] == 2
    assert v[("all", "retention", "archived_this_run")] == 0
    assert v[("salon", "retention", "due_soon")] == 1
    assert v[("salon", "retention", "overdue")] == 1
    assert v[("all", "retention", "score")] == approx(600 / 7)


def test_retention_respects_legal_holds(dq_con: duckdb.DuckDBPyConnection, demo_config: MdmConfig) -> None:
    dq_con.execute(
        "INSERT INTO retention.legal_holds (subject, reason, placed_at, lifted_at) VALUES ('g4', 'litigation', ?, NULL)",
        [NOW],
    )
    v = _values(dq_con, demo_config)
    assert v[("salon", "retention", "overdue")] == 0


def test_stewardship(dq_con: duckdb.DuckDBPyConnection, demo_config: MdmConfig) -> None:
    v = _values(dq_con, demo_config)
    assert v[("all", "stewardship", "pending_reviews")] == 3
    assert v[("all", "stewardship", "pending_age_days_max")] == approx(10.0)
    assert v[("all", "stewardship", "pending_age_days_median")] == approx(3.0)
    assert v[("all", "stewardship", "pending_over_7d")] == 1
    assert v[("all", "stewardship", "steward_decisions_this_run")] == 1
    assert v[("all", "stewardship", "auto_matches_this_run")] == 1
    assert v[("all", "stewardship", "score")] == approx(25.0)


def test_stage_writes_rows_idempotently(dq_con: duckdb.DuckDBPyConnection, demo_config: MdmConfig) -> None:
    ctx = RunContext(config=demo_config, con=dq_con, run_id=RUN_ID, now=NOW)
    first = metrics.run(ctx)
    second = metrics.run(ctx)
    stored = dq_con.execute("SELECT COUNT(*) FROM dq.metrics WHERE run_id = ?", [RUN_ID]).fetchone()
    assert stored is not None
    assert first.counts["metrics_written"] == second.counts["metrics_written"] == stored[0] > 50
    assert second.counts["golden_reachable_pct"] == approx(60.0)
    at = dq_con.execute('SELECT DISTINCT "at" FROM dq.metrics').fetchall()
    assert at == [(NOW,)]


def test_headline_metrics_match_sql(dq_con: duckdb.DuckDBPyConnection, demo_config: MdmConfig) -> None:
    metrics.compute_and_store(dq_con, metrics.measure_input(demo_config, RUN_ID, NOW))
    head = metrics.headline_metrics(dq_con, RUN_ID)
    direct = dq_con.execute(
        "SELECT 100.0 * COUNT(*) FILTER (WHERE email IS NOT NULL OR phone IS NOT NULL) / COUNT(*), COUNT(*) "
        "FROM golden.customer"
    ).fetchone()
    assert direct is not None
    assert head["golden_reachable_pct"] == approx(direct[0], abs=0.01)
    assert head["golden_customers"] == direct[1]
    assert set(head) >= {f"{d}_score" for d in ("completeness", "validity", "uniqueness", "timeliness")}
    assert all(isinstance(x, float) for x in head.values())


def test_empty_warehouse_gives_nulls_not_errors(demo_config: MdmConfig) -> None:
    from warehouse.schema import apply_schema

    con = duckdb.connect()
    apply_schema(con)
    rows = measure_all(con, metrics.measure_input(demo_config, RUN_ID, NOW))
    scores = {m.dimension: m.value for m in rows if m.metric == "score"}
    assert scores["completeness"] is None and scores["uniqueness"] is None
    assert scores["stewardship"] == 100.0
