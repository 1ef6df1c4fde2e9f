"""B2B completeness (valid SIRET, VAT number, a named contact) measured over the records and golden
organisations, and shown with the household figures on the report in both languages."""

from __future__ import annotations

import html
import re
from datetime import datetime

import duckdb
import pytest

from mdm.reports.measures import MeasureInput, Metric, b2b_completeness
from mdm.reports.metrics import write_metrics
from mdm.reports.render import render_report
from warehouse.schema import apply_schema

NOW = datetime(2026, 12, 7, 1, 0)
COLS = "record_key, source, load_id, trust_rank, party_kind, company_key, siren, siret, vat_number, issues, standardised_at"
ROWS = [
    # erp: three organisations, one SIRET invalid, two with a VAT number
    ("erp:1", "erp", "L", 1, "organisation", "veranda confort", "732829320", "73282932000074", "FR44732829320", [], NOW),
    ("erp:2", "erp", "L", 1, "organisation", "dupont fils", None, "73282932000075", None, ["siret_invalid"], NOW),
    ("erp:3", "erp", "L", 1, "organisation", "boulangerie gare", None, None, "FR45732829320", ["vat_invalid"], NOW),
    # salon: a contact of Véranda Confort (same SIREN), a contact of an organisation nobody else names
    ("salon:1", "salon", "L", 2, "contact", "veranda", "732829320", None, None, [], NOW),
    ("salon:2", "salon", "L", 2, "contact", "atelier bois", None, None, None, [], NOW),
    # a person: not counted
    ("web:1", "web", "L", 3, "person", None, None, None, None, [], NOW),
]


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    apply_schema(con)
    con.executemany(f"INSERT INTO staging.customers ({COLS}) VALUES ({', '.join('?' * 11)})", ROWS)
    return con


def test_b2b_completeness_by_source_and_pooled(con: duckdb.DuckDBPyConnection) -> None:
    v = {(m.scope, m.metric): m.value for m in b2b_completeness(con, MeasureInput("r", NOW))}
    assert v[("erp", "b2b_records")] == 3
    assert v[("erp", "b2b_valid_siret_pct")] == pytest.approx(100 / 3)
    assert v[("erp", "b2b_vat_pct")] == pytest.approx(100 / 3)
    assert v[("erp", "b2b_named_contact_pct")] == pytest.approx(0.0)
    assert v[("salon", "b2b_named_contact_pct")] == pytest.approx(100.0)
    assert v[("all", "b2b_records")] == 5
    # organisations: 732829320 (named by salon:1), dupont fils, boulangerie gare, atelier bois (named)
    assert v[("all", "b2b_named_contact_pct")] == pytest.approx(50.0)
    assert ("web", "b2b_records") not in v


def test_no_organisation_no_rows() -> None:
    con = duckdb.connect()
    apply_schema(con)
    assert b2b_completeness(con, MeasureInput("r", NOW)) == []


def test_golden_organisation_shares(con: duckdb.DuckDBPyConnection) -> None:
    """Over golden organisations: with an establishment, a VAT number, a contact link."""
    org = ("organisation_id, name, vat_number, record_count, sources, sole_trader, first_seen_at, updated_at")
    con.executemany(f"INSERT INTO golden.organisation ({org}) VALUES (?, ?, ?, 1, ['erp'], FALSE, ?, ?)", [
        ("o1", "Véranda Confort", "FR44732829320", NOW, NOW),
        ("o2", "Dupont et Fils", None, NOW, NOW),
        ("o3", "Boulangerie de la Gare", None, NOW, NOW),
        ("o4", "Atelier Bois", None, NOW, NOW),
    ])
    con.execute("INSERT INTO golden.establishment (siret, organisation_id, record_count) VALUES"
                " ('73282932000074', 'o1', 1), ('73282932000082', 'o1', 1)")
    con.execute("INSERT INTO golden.contact (organisation_id, golden_id, source, record_key) VALUES"
                " ('o1', 'g1', 'salon', 'salon:1'), ('o4', 'g2', 'salon', 'salon:2'), ('o4', 'g3', 'salon', 'salon:3')")
    v = {(m.scope, m.metric): m.value for m in b2b_completeness(con, MeasureInput("r", NOW))}
    assert v[("golden", "organisations")] == 4
    assert v[("golden", "b2b_valid_siret_pct")] == pytest.approx(25.0)  # o1, with two establishments
    assert v[("golden", "b2b_vat_pct")] == pytest.approx(25.0)
    assert v[("golden", "b2b_named_contact_pct")] == pytest.approx(50.0)  # o1 and o4


def _report_with(metrics: list[Metric]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    apply_schema(con)
    write_metrics(con, "run-1", NOW, metrics)
    return con


B2B_AND_HOUSEHOLDS = [
    Metric("erp", "completeness", "b2b_records", 1234.0),
    Metric("erp", "completeness", "b2b_valid_siret_pct", 91.25),
    Metric("erp", "completeness", "b2b_vat_pct", 64.0),
    Metric("erp", "completeness", "b2b_named_contact_pct", 40.0),
    Metric("all", "completeness", "b2b_records", 1500.0),
    Metric("all", "completeness", "b2b_valid_siret_pct", 75.0),
    Metric("all", "completeness", "b2b_vat_pct", 52.0),
    Metric("all", "completeness", "b2b_named_contact_pct", 47.0),
    Metric("golden", "completeness", "organisations", 1100.0),
    Metric("golden", "completeness", "b2b_valid_siret_pct", 88.0),
    Metric("golden", "completeness", "b2b_vat_pct", 70.0),
    Metric("golden", "completeness", "b2b_named_contact_pct", 33.0),
    Metric("golden", "uniqueness", "households", 1204.0),
    Metric("golden", "uniqueness", "customers_in_households", 2611.0),
    Metric("golden", "uniqueness", "reachable_per_household", 2.0416),
    Metric("golden", "uniqueness", "households_several_consents", 310.0),
]


def _row(html: str, scope: str) -> list[str]:
    match = re.search(rf'<tr data-b2b-scope="{scope}">(.*?)</tr>', html, re.S)
    assert match, scope
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", match.group(1), re.S)]


def test_report_shows_b2b_and_household_figures_in_both_languages() -> None:
    con = _report_with(B2B_AND_HOUSEHOLDS)
    en, fr = render_report(con, "en"), render_report(con, "fr")
    assert _row(en, "erp") == ["ERP accounts", "1,234", "91%", "64%", "40%"]  # the source's label
    assert _row(en, "golden") == ["Golden organisations", "1,100", "88%", "70%", "33%"]
    assert [html.unescape(_row(fr, "erp")[0])] + _row(fr, "erp")[1:] == ["Comptes de l'ERP", "1\u202f234", "91\u00a0%", "64\u00a0%", "40\u00a0%"]
    assert _row(fr, "golden")[0] == "Entreprises uniques"
    assert _row(fr, "all")[0] == "Tous canaux"
    assert "1,204 households group 2,611 customers" in en and "2.04 customers reachable" in en
    assert "310 households where several members consent" in en
    assert "1\u202f204 foyers regroupent 2\u202f611 clients" in fr and "2,04 clients joignables" in fr


def test_report_without_organisations_or_households_has_no_such_section() -> None:
    con = _report_with([Metric("crm", "uniqueness", "records", 10.0)])
    assert 'id="parties"' not in render_report(con, "en")
