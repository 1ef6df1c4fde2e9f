"""The HTML report and the exports: figures equal SQL on the warehouse, no personal data, offline."""

from __future__ import annotations

import csv
import html
import io
import json
import re

import duckdb
import pytest

from mdm.reports.data import load_report_data
from mdm.reports.labels import Labels
from mdm.reports.problems import top_problems
from mdm.reports.render import export_metrics, render_report
from warehouse.schema import apply_schema

PERSON_STRINGS = (
    "Alice",
    "Martin",
    "Bruno",
    "Petit",
    "Chloe",
    "Durand",
    "Denis",
    "Moreau",
    "Emma",
    "Leroy",
    "alice.martin@example.org",
    "chloe.durand@example.org",
    "denis.moreau@example.org",
    "+33612345678",
    "75001",
)


def _cells(html: str) -> dict[tuple[str, str], float]:
    return {
        (scope, field): float(value)
        for scope, field, value in re.findall(
            r'data-scope="([^"]+)" data-field="([^"]+)" data-value="([^"]+)"', html
        )
    }


def test_heat_map_equals_sql_on_the_warehouse(published_db: duckdb.DuckDBPyConnection) -> None:
    html = render_report(published_db, "en")
    cells = _cells(html)
    # Computed independently of reports.measures, straight from the tables.
    direct = published_db.execute(
        "SELECT source, 100.0 * COUNT(email) / COUNT(*), 100.0 * COUNT(phone) / COUNT(*), "
        "100.0 * COUNT(postcode) / COUNT(*) FROM staging.customers GROUP BY source"
    ).fetchall()
    for source, email, phone, postcode in direct:
        assert cells[(source, "email")] == pytest.approx(email, abs=1e-3)
        assert cells[(source, "phone")] == pytest.approx(phone, abs=1e-3)
        assert cells[(source, "postcode")] == pytest.approx(postcode, abs=1e-3)
    golden = published_db.execute(
        "SELECT 100.0 * COUNT(email) / COUNT(*), 100.0 * COUNT(city) / COUNT(*) FROM golden.customer"
    ).fetchone()
    assert golden is not None
    assert cells[("golden", "email")] == pytest.approx(golden[0], abs=1e-3)
    assert cells[("golden", "city")] == pytest.approx(golden[1], abs=1e-3)
    assert ("crm", "company") not in cells  # not collected by the CRM: a grey cell without a value


def test_headline_scores_equal_the_stored_metrics(published_db: duckdb.DuckDBPyConnection) -> None:
    html = render_report(published_db, "en")
    shown = {d: float(v) for d, v in re.findall(r'data-dimension="(\w+)"\s+data-score="([^"]+)"', html)}
    stored = dict(
        published_db.execute(
            "SELECT dimension, value FROM dq.metrics WHERE run_id = 'run-3' AND scope = 'all' AND metric = 'score'"
        ).fetchall()
    )
    assert set(shown) == {d for d, v in stored.items() if v is not None} and len(shown) == 6
    for dimension, value in shown.items():
        assert value == pytest.approx(stored[dimension], abs=1e-3)
    # reachable share of golden customers, straight from golden.customer: 3 of 5
    assert re.search(r'data-metric="golden_reachable_pct">60%<', html)
    assert re.search(r'data-metric="golden_customers">5<', html)


def test_trend_shows_the_change_since_the_previous_run(published_db: duckdb.DuckDBPyConnection) -> None:
    page = render_report(published_db, "en")
    # run-2 lost crm:4's valid phone, run-3 has it again: validity went up between them.
    scores = dict(
        published_db.execute(
            "SELECT run_id, value FROM dq.metrics WHERE scope = 'all' AND dimension = 'validity' AND metric = 'score'"
        ).fetchall()
    )
    delta = scores["run-3"] - scores["run-2"]
    assert delta > 0
    cards = {
        d: body
        for d, body in re.findall(
            r'<div class="card"[^>]*data-dimension="(\w+)"(.*?)<p class="help">', page, re.S
        )
    }
    assert len(cards) == 6
    assert f"+{delta:.1f} vs previous run" in cards["validity"]
    assert "±0.0 vs previous run" in cards["uniqueness"]
    assert "Run run-3 of 23 Nov 2026 12:00 · 3 runs measured" in page  # the locale helper's date


def test_top_problems_in_plain_words(published_db: duckdb.DuckDBPyConnection) -> None:
    en = render_report(published_db, "en")
    assert "67% of trade-fair contacts have no valid phone number." in en
    assert "40% of golden customers cannot be reached" in en
    assert "1 record is past its retention period and still kept." in en
    everything = [p.text for p in top_problems(load_report_data(published_db), Labels("en"), limit=100)]
    assert "25% of CRM customers are duplicates of another record of the same channel." in everything
    assert (
        "3 suspected duplicates are waiting for a steward's decision; the oldest for 10 days." in everything
    )
    assert not any("duplicates of another record" in t and "trade-fair" in t for t in everything)  # 0 %
    fr = html.unescape(render_report(published_db, "fr"))
    assert "67\u00a0% des contacts du salon n'ont pas de numéro de téléphone valide." in fr
    assert "Principaux problèmes" in fr and "Complétude par canal et par champ" in fr
    assert "Passage run-3 du 23 nov. 2026 12:00" in fr  # no ISO timestamp for a French manager
    assert ">20 nov.</text>" in fr and "2026-11-20" not in fr  # the trend axis says the day in words


def test_report_holds_no_personal_data_and_fetches_nothing(published_db: duckdb.DuckDBPyConnection) -> None:
    for lang in ("en", "fr"):
        html = render_report(published_db, lang)
        for value in PERSON_STRINGS:
            assert value not in html, f"personal value found in the {lang} report"
        assert not re.search(r"https?://", html)
        assert "<script" not in html.lower() and "<link" not in html.lower() and "<img" not in html.lower()
        assert html.count("<svg") >= 9  # 6 sparklines, heat map, 2 trends (+ quarantine bars)


def test_empty_or_missing_metrics_render_a_message() -> None:
    con = duckdb.connect()
    assert "No data-quality metrics yet" in render_report(con, "en")  # no dq schema at all
    apply_schema(con)
    assert "Aucune mesure de qualité" in render_report(con, "fr")


def test_unknown_language_is_refused(published_db: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(ValueError, match="unknown report language"):
        render_report(published_db, "de")


def test_exports_hold_every_stored_row(published_db: duckdb.DuckDBPyConnection) -> None:
    stored = published_db.execute("SELECT COUNT(*) FROM dq.metrics").fetchone()
    assert stored is not None
    rows = list(csv.DictReader(io.StringIO(export_metrics(published_db, "csv"))))
    assert len(rows) == stored[0]
    data = json.loads(export_metrics(published_db, "json", run_id="run-3"))
    one = next(r for r in data if r["scope"] == "golden" and r["metric"] == "reachable_pct")
    assert one["value"] == pytest.approx(60.0) and one["dimension"] == "completeness"
    assert {r["run_id"] for r in data} == {"run-3"}
    csv_value = next(
        r
        for r in rows
        if r["run_id"] == "run-3" and r["metric"] == "reachable_pct" and r["scope"] == "golden"
    )
    assert float(csv_value["value"]) == pytest.approx(60.0)
    with pytest.raises(ValueError):
        export_metrics(published_db, "xml")
