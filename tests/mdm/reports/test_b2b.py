"""B2B completeness: valid SIRET, VAT number and a named contact among the records about organisations."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from mdm.reports.measures import MeasureInput, b2b_completeness
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
