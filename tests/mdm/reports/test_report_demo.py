"""The whole pipeline on the small demo, then the report: its figures equal SQL on the warehouse."""

from __future__ import annotations

import re

import duckdb
import pytest

from mdm.config import MdmConfig
from mdm.pipeline import run_pipeline
from mdm.reports.metrics import headline_metrics
from mdm.reports.render import render_report
from warehouse.connection import open_published_reader


def _cells(page: str) -> dict[tuple[str, str], float]:
    found = re.findall(r'data-scope="([^"]+)" data-field="([^"]+)" data-value="([^"]+)"', page)
    return {(scope, field): float(value) for scope, field, value in found}


@pytest.mark.slow
def test_demo_run_report_equals_sql(small_demo: MdmConfig) -> None:
    summary = run_pipeline(small_demo)
    assert summary.status == "succeeded"
    measure = summary.counts()["measure"]
    assert measure["metrics_written"] > 100

    published = open_published_reader(small_demo.paths)
    try:
        page_en = render_report(published, "en")
        page_fr = render_report(published, "fr")
        published_rows = published.execute(
            "SELECT COUNT(*) FROM dq.metrics WHERE run_id = ?", [summary.run_id]
        ).fetchone()
        head = headline_metrics(published, summary.run_id)
    finally:
        published.close()

    # The working warehouse is free again after the run: compute the figures straight from it.
    con = duckdb.connect(str(small_demo.paths.warehouse), read_only=True)
    try:
        stored = con.execute("SELECT COUNT(*) FROM dq.metrics WHERE run_id = ?", [summary.run_id]).fetchone()
        assert stored == published_rows  # the metrics travelled into the published file
        cells = _cells(page_en)
        by_source = con.execute(
            "SELECT source, 100.0 * COUNT(email) / COUNT(*), 100.0 * COUNT(phone) / COUNT(*), "
            "100.0 * COUNT(last_name) / COUNT(*) FROM staging.customers GROUP BY source"
        ).fetchall()
        assert {s for s, *_ in by_source} == {"crm", "salon", "webshop", "newsletter", "erp", "erp_contacts"}
        for source, email, phone, last_name in by_source:
            if (source, "email") in cells:  # the ERP's accounts collect none
                assert cells[(source, "email")] == pytest.approx(email, abs=1e-3)
            if (source, "phone") in cells:
                assert cells[(source, "phone")] == pytest.approx(phone, abs=1e-3)
            if last_name:
                assert cells[(source, "last_name")] == pytest.approx(last_name, abs=1e-3)
        golden = con.execute(
            "SELECT COUNT(*), 100.0 * COUNT(*) FILTER (WHERE email IS NOT NULL OR phone IS NOT NULL) / COUNT(*), "
            "100.0 * COUNT(email) / COUNT(*) FROM golden.customer"
        ).fetchone()
        assert golden is not None
        assert head["golden_customers"] == golden[0]
        assert head["golden_reachable_pct"] == pytest.approx(golden[1], abs=0.01)
        assert cells[("golden", "email")] == pytest.approx(golden[2], abs=1e-3)
        assert f'data-metric="golden_customers">{golden[0]}<' in page_en
        # Quarantine bars: open rows per reason, straight from quarantine.rows.
        reasons = dict(
            con.execute(
                "SELECT reason, COUNT(*) FROM (SELECT UNNEST(reasons) AS reason FROM quarantine.rows "
                "WHERE status = 'open') GROUP BY reason"
            ).fetchall()
        )
        bars = [float(v) for v in re.findall(r'<rect class="bar"[^>]*data-value="([^"]+)"', page_en)]
        assert sorted(bars) == sorted(float(n) for n in reasons.values())

        # Companies: the golden organisations' shares, straight from the golden tables.
        organisations = con.execute("""
            SELECT count(*), 100.0 * count(*) FILTER (WHERE organisation_id IN (
                       SELECT organisation_id FROM golden.establishment)) / count(*),
                   100.0 * count(vat_number) / count(*),
                   100.0 * count(*) FILTER (WHERE organisation_id IN (SELECT organisation_id FROM golden.contact))
                       / count(*)
            FROM golden.organisation
        """).fetchone()
        assert organisations is not None and organisations[0] > 20  # the demo's ERP
        row = re.search(r'<tr data-b2b-scope="golden">(.*?)</tr>', page_en, re.S)
        assert row is not None
        shown = re.findall(r"<td[^>]*>([^<]*)</td>", row.group(1))
        assert shown[1:] == [f"{organisations[0]:,}", *(f"{round(v)}%" for v in organisations[1:])]
        households = con.execute("SELECT count(*) FROM golden.household").fetchone()
        assert households is not None and f"{households[0]:,} households group" in page_en

        # No personal data: no email, phone or full name of any demo person appears in the report.
        people = con.execute(
            "SELECT email, email_raw, phone, phone_raw, first_name || ' ' || last_name, "
            "last_name || ' ' || first_name FROM staging.customers"
        ).fetchall()
    finally:
        con.close()
    values = {v for row in people for v in row if v and len(v) >= 6}
    assert len(values) > 500
    for page in (page_en, page_fr):
        leaked = [v for v in values if v in page]
        assert leaked == []
