"""Golden organisations from the organisation matcher's clusters: survivorship, establishments, contacts, IDs,
and their versions (created, changed with what changed, gone; nothing on a quiet run)."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from matching.merge import organisation_history, organisations
from warehouse.schema import apply_schema

T1 = datetime(2026, 12, 1)
T2 = datetime(2026, 12, 2)
T3 = datetime(2026, 12, 3)
COLS = ("record_key, source, load_id, trust_rank, party_kind, first_name, last_name, company, company_key, "
        "legal_form, siren, siret, vat_number, street, postcode, city, phone, contact_role, issues, standardised_at")
# Véranda Confort: head office (ERP), an establishment in Lyon (ERP), a CRM row, a fair badge naming Marie Durand
ROWS = [
    ("erp:1", "erp", "L", 1, "organisation", None, None, "Véranda Confort SARL", "veranda confort", "SARL",
     "732829320", "73282932000074", "FR44732829320", "3 rue Foch", "75011", "Paris", "+33143000000", None, [], T1),
    ("erp:2", "erp", "L", 1, "organisation", None, None, "Véranda Confort SARL", "veranda confort", "SARL",
     "732829320", "73282932000082", None, "9 quai Rambaud", "69002", "Lyon", "+33478000000", None, [], T1),
    ("crm:1", "crm", "L", 2, "organisation", None, None, "VERANDA CONFORT", "veranda confort", None,
     None, None, "FR45732829320", "3 r. Foch", "75011", "Paris", None, None, ["vat_invalid"], T1),
    ("fair:1", "fair", "L", 3, "contact", "Marie", "Durand", "Véranda Confort", "veranda confort", None,
     None, None, None, None, "69002", "Lyon", None, "Acheteuse", [], T1),
    # a sole trader: the business carries the contact's name
    ("erp:3", "erp", "L", 1, "organisation", None, None, "Paul Roux EI", "paul roux", "EI",
     None, None, None, "1 place Carnot", "42000", "Saint-Étienne", None, None, [], T1),
    ("fair:2", "fair", "L", 3, "contact", "Paul", "Roux", "Paul Roux", "paul roux", None,
     None, None, None, None, None, None, None, None, [], T1),
]
CLUSTERS = [("erp:1", "c1"), ("erp:2", "c1"), ("crm:1", "c1"), ("fair:1", "c1"), ("erp:3", "c2"), ("fair:2", "c2")]


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    apply_schema(con)
    con.executemany(f"INSERT INTO staging.customers ({COLS}) VALUES ({', '.join('?' * 20)})", ROWS)
    con.execute("CREATE OR REPLACE TABLE match_org.clusters (record_key VARCHAR, cluster_id VARCHAR)")
    con.executemany("INSERT INTO match_org.clusters VALUES (?, ?)", CLUSTERS)
    for key, gid in (("fair:1", "g-marie"), ("fair:2", "g-paul")):
        con.execute("INSERT INTO golden.xref VALUES (?, 'fair', ?, ?, NULL)", [key, gid, T1])
    con.execute("INSERT INTO golden.customer (golden_id, first_name, last_name, record_count, sources, first_seen_at,"
                " updated_at) VALUES ('g-marie', 'Marie', 'Durand', 1, ['fair'], ?, ?),"
                " ('g-paul', 'Paul', 'Roux', 1, ['fair'], ?, ?)", [T1, T1, T1, T1])
    return con


def test_golden_organisation_establishments_and_contacts(con: duckdb.DuckDBPyConnection) -> None:
    counts = organisations.build(con, T1)
    assert counts == {"organisations": 2, "establishments": 2, "contacts": 2, "new_organisations": 2}
    row = con.execute(
        "SELECT name, legal_form, siren, vat_number, street, city, record_count, sources, sole_trader"
        " FROM golden.organisation WHERE siren = '732829320'"
    ).fetchone()
    # the organisation's own records beat the badge, the trusted ERP beats the CRM; an invalid VAT never survives
    assert row == ("Véranda Confort SARL", "SARL", "732829320", "FR44732829320", "3 rue Foch", "Paris", 4,
                   ["crm", "erp", "fair"], False)
    establishments = con.execute("SELECT siret, city FROM golden.establishment ORDER BY siret").fetchall()
    assert establishments == [("73282932000074", "Paris"), ("73282932000082", "Lyon")]
    contact = con.execute("SELECT golden_id, role, source FROM golden.contact ORDER BY golden_id").fetchall()
    assert contact == [("g-marie", "Acheteuse", "fair"), ("g-paul", None, "fair")]
    assert con.execute("SELECT sole_trader FROM golden.organisation WHERE name = 'Paul Roux EI'").fetchone() == (True,)
    lineage = dict(con.execute(
        "SELECT field, record_key FROM golden.organisation_lineage l JOIN golden.organisation o USING (organisation_id)"
        " WHERE o.siren = '732829320'").fetchall())
    assert lineage["name"] == "erp:1" and lineage["vat_number"] == "erp:1"


def test_ids_outlive_a_rerun(con: duckdb.DuckDBPyConnection) -> None:
    organisations.build(con, T1)
    before = dict(con.execute("SELECT record_key, organisation_id FROM golden.organisation_xref").fetchall())
    assert organisations.build(con, T2)["new_organisations"] == 0
    assert dict(con.execute("SELECT record_key, organisation_id FROM golden.organisation_xref").fetchall()) == before
    first = con.execute("SELECT DISTINCT first_seen_at FROM golden.organisation").fetchall()
    assert first == [(T1,)]


def _versions(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("""
        SELECT h.name, h.version, h.change, h.changed, h.city, h.valid_from, h.valid_to, h.run_id
        FROM golden.organisation_history h JOIN golden.organisation_xref x USING (organisation_id)
        WHERE x.record_key = 'erp:1' ORDER BY h.version
    """).fetchall()


def _run(con: duckdb.DuckDBPyConnection, at: datetime, run_id: str) -> dict[str, int]:
    organisations.build(con, at)
    return organisation_history.write(con, at, run_id)


def test_created_then_nothing_then_changed(con: duckdb.DuckDBPyConnection) -> None:
    assert _run(con, T1, "r1") == {"created": 2, "changed": 0, "gone": 0, "forgotten": 0}
    assert _run(con, T2, "r2") == {"created": 0, "changed": 0, "gone": 0, "forgotten": 0}  # nothing new: no version
    assert con.execute("SELECT count(*) FROM golden.organisation_history").fetchone() == (2,)
    # the head office moved
    con.execute("UPDATE staging.customers SET street = '8 rue Oberkampf', city = 'Paris 11e' WHERE record_key = 'erp:1'")
    assert _run(con, T3, "r3") == {"created": 0, "changed": 1, "gone": 0, "forgotten": 0}
    assert _versions(con) == [
        ("Véranda Confort SARL", 1, "created", [], "Paris", T1, T3, "r1"),
        ("Véranda Confort SARL", 2, "changed", ["street", "city"], "Paris 11e", T3, None, "r3"),
    ]


def test_gone_and_forgotten(con: duckdb.DuckDBPyConnection) -> None:
    """An organisation no longer built ends with 'gone'; a sole trader's versions are deleted instead
    (its name is a person's); `forget` (the owner's erasure) deletes one organisation's versions."""
    _run(con, T1, "r1")
    ids = dict(con.execute("SELECT name, organisation_id FROM golden.organisation").fetchall())
    veranda, paul = ids["Véranda Confort SARL"], ids["Paul Roux EI"]
    con.execute("DELETE FROM match_org.clusters")  # their records expired
    assert _run(con, T2, "r2") == {"created": 0, "changed": 0, "gone": 1, "forgotten": 1}
    rows = con.execute("SELECT organisation_id, version, change, name, valid_from, valid_to, run_id"
                       " FROM golden.organisation_history ORDER BY organisation_id, version").fetchall()
    assert rows == [(veranda, 1, "created", "Véranda Confort SARL", T1, T2, "r1"),
                    (veranda, 2, "gone", None, T2, T2, "r2")]
    assert _run(con, T3, "r3") == {"created": 0, "changed": 0, "gone": 0, "forgotten": 0}
    assert organisation_history.forget(con, [veranda, paul]) == 2
    assert con.execute("SELECT count(*) FROM golden.organisation_history").fetchone() == (0,)
