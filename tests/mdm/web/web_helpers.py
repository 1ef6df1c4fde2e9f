"""Helpers for the web tests: a published DuckDB file built with the real DDL, users, logins."""

from __future__ import annotations

import json
import math
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
from fastapi.testclient import TestClient

from mdm.config import MdmConfig
from mdm.web import auth, db
from warehouse.schema import apply_schema

XSS = "<script>alert(1)</script>"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]
#: Screenshots for a person to look at (git-ignored).
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
T0 = datetime(2026, 11, 1, 9, 0, 0)
T1 = datetime(2026, 11, 22, 3, 0, 0)

#: record_key -> staging values. Keys look like the real ones: '<source>:<16 hex>'.
RECORDS: dict[str, dict[str, Any]] = {
    "crm:00000000000000a1": {"first_name": "Marie", "last_name": "Dupont", "email": "marie.dupont@example.fr",
                             "phone": "+33612345678", "postcode": "75011", "city": "Paris",
                             "birth_date": "1985-03-12"},
    "webshop:00000000000000b1": {"first_name": "Marie", "last_name": "Dupond", "email": "marie.dupont@example.fr",
                                 "phone": None, "postcode": "75011", "city": "PARIS",
                                 "birth_date": "1958-03-21"},
    "crm:00000000000000a2": {"first_name": "Jean", "last_name": "Martin", "email": "jean.martin@example.fr",
                             "phone": "+33698765432", "postcode": "69003", "city": "Lyon",
                             "national_id": "1800375115042"},
    "webshop:00000000000000b2": {"first_name": "Jean", "last_name": "Martin", "email": "j.martin@example.com",
                                 "phone": "+33698765432", "postcode": "69003", "city": "Lyon"},
    "crm:00000000000000a3": {"first_name": XSS, "last_name": "Hacker", "email": "x@example.fr",
                             "phone": "+33600000001", "postcode": "13001", "city": "Marseille"},
    "webshop:00000000000000b3": {"first_name": "Xavier", "last_name": "Hacker", "email": "x@example.fr",
                                 "phone": "+33600000001", "postcode": "13001", "city": "Marseille"},
    "crm:00000000000000a4": {"first_name": "Luc", "last_name": "Petit", "email": "luc.petit@example.fr",
                             "phone": "+33611111111", "postcode": "33000", "city": "Bordeaux"},
    "newsletter:00000000000000c4": {"first_name": "Luc", "last_name": None, "email": "luc.petit@example.fr",
                                    "phone": None, "postcode": None, "city": None},
}
#: golden_id -> its current record keys (first key supplies the values)
GOLDEN: dict[str, list[str]] = {
    "11111111-1111-4111-8111-111111111111": ["crm:00000000000000a1"],
    "22222222-2222-4222-8222-222222222222": ["webshop:00000000000000b1"],
    "33333333-3333-4333-8333-333333333333": ["crm:00000000000000a2", "webshop:00000000000000b2"],
    "44444444-4444-4444-8444-444444444444": ["crm:00000000000000a3", "webshop:00000000000000b3"],
    "55555555-5555-4555-8555-555555555555": ["crm:00000000000000a4"],
    "66666666-6666-4666-8666-666666666666": ["newsletter:00000000000000c4"],
}
CONTRIB_UNSURE = {"first_name": {"level": "exact match", "weight": 2.1},
                  "last_name": {"level": "Jaro-Winkler >= 0.92", "weight": 1.2},
                  "email": {"level": "exact match", "weight": 6.5},
                  "phone": {"level": "null", "weight": 0.0},
                  "postcode": {"level": "exact match", "weight": 3.0},
                  "birth_date": {"level": "all other comparisons", "weight": -5.0}}
#: (left, right, probability, decision)
PAIRS: list[tuple[str, str, float, str]] = [
    ("crm:00000000000000a1", "webshop:00000000000000b1", 0.52, "review"),
    ("crm:00000000000000a2", "webshop:00000000000000b2", 0.97, "auto_match"),
    ("crm:00000000000000a3", "webshop:00000000000000b3", 0.88, "review"),  # settled: one customer already
    ("crm:00000000000000a4", "newsletter:00000000000000c4", 0.70, "review"),
]
ORG_A = "0a0a0a0a-0000-4000-8000-00000000000a"
ORG_B = "0b0b0b0b-0000-4000-8000-00000000000b"
HOUSEHOLD = "4040a0a0-0000-4000-8000-000000000040"
#: organisation records: record_key -> (organisation, party_kind, company, legal_form, siren, siret, vat, street,
#: postcode, city, phone, first, last, role)
ORG_RECORDS: dict[str, tuple[Any, ...]] = {
    "erp:00000000000000e1": (ORG_A, "organisation", "Véranda Confort SARL", "SARL", "732829320", "73282932000074",
                             "FR44732829320", "3 rue Foch", "75011", "Paris", "+33143000000", None, None, None),
    "erp:00000000000000e2": (ORG_A, "organisation", "Véranda Confort SARL", "SARL", "732829320", "73282932000082",
                             None, "9 quai Rambaud", "69002", "Lyon", "+33478000000", None, None, None),
    "fair:00000000000000f1": (ORG_A, "contact", "Véranda Confort", None, None, None, None, None, None, None, None,
                              "Marie", "Dupont", "Acheteuse"),
    "crm:00000000000000e3": (ORG_B, "organisation", "VERANDA CONFORT LYON", None, None, None, None, "9 quai Rambaud",
                             "69002", "Lyon", None, None, None, None),
}
ORG_CONTRIB = {"company_name": {"level": "one name within the other (weighted containment >= 0.8)", "weight": 3.2},
               "siren": {"level": "missing", "weight": 0.0},
               "street": {"level": "exact", "weight": 4.1},
               "phone": {"level": "missing", "weight": 0.0}}
QUARANTINE: list[tuple[str, str, list[str], dict[str, Any]]] = [
    ("crm:00000000000000q1", "crm", ["email_invalid"], {"Nom": "Durand", "Courriel": "durand@@example", "Code client": "Q1"}),
    ("webshop:00000000000000q2", "webshop", ["required_missing"], {"customer_id": "Q2", "last_name": XSS}),
]


def build_published(path: Path, probability_shift: float = 0.0, extra_golden: int = 0, parties: bool = False) -> None:
    """Write a publication with the real DDL and fixture rows, then swap it in like the publisher does.
    `parties`: also organisations, an organisation pair to review and a household (`_parties`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / "publishing-tmp.duckdb"
    if tmp.exists():
        tmp.unlink()
    con = duckdb.connect(str(tmp))
    apply_schema(con)
    for key, rec in RECORDS.items():
        source = key.split(":")[0]
        con.execute(
            "INSERT INTO staging.customers (record_key, source, load_id, trust_rank, first_name, last_name, email, "
            "phone, postcode, city, national_id, birth_date, country, standardised_at) "
            "VALUES (?, ?, 'load1', 1, ?, ?, ?, ?, ?, ?, ?, ?, 'FR', ?)",
            [key, source, rec["first_name"], rec["last_name"], rec["email"], rec["phone"], rec["postcode"],
             rec["city"], rec.get("national_id"), rec.get("birth_date"), T1],
        )
    for gid, keys in GOLDEN.items():
        rec = RECORDS[keys[0]]
        sources = sorted({k.split(":")[0] for k in keys})
        con.execute(
            "INSERT INTO golden.customer (golden_id, first_name, last_name, email, phone, postcode, city, national_id, "
            "country, record_count, sources, first_seen_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'FR', ?, ?, ?, ?)",
            [gid, rec["first_name"], rec["last_name"], rec["email"], rec["phone"], rec["postcode"], rec["city"],
             rec.get("national_id"), len(keys), sources, T0, T1],
        )
        for key in keys:
            con.execute("INSERT INTO golden.xref (record_key, source, golden_id, valid_from) VALUES (?, ?, ?, ?)", [key, key.split(":")[0], gid, T0])
            for field in ("first_name", "last_name", "email"):
                if key == keys[0]:
                    con.execute("INSERT INTO golden.lineage (golden_id, field, record_key, rule) VALUES (?, ?, ?, 'trust_rank')", [gid, field, key])
        con.execute("INSERT INTO golden.history (golden_id, version, \"values\", valid_from) VALUES (?, 1, ?, ?)", [gid, json.dumps(rec), T0])
    if extra_golden:
        con.execute(
            "INSERT INTO golden.customer (golden_id, first_name, last_name, email, record_count, sources, "
            "first_seen_at, updated_at) SELECT 'g-extra-' || i, 'First' || i, 'Last' || i, 'p' || i || '@example.org', "
            "1, ['crm'], ?, ? FROM range(?) t(i)",
            [T0, T1, extra_golden],
        )
    con.execute("INSERT INTO golden.alias (alias_id, golden_id, since, reason) VALUES ('99999999-9999-4999-8999-999999999999', ?, ?, 'merge')",
                ["33333333-3333-4333-8333-333333333333", T1])
    for left, right, prob, decision in PAIRS:
        p = min(0.999, max(0.001, prob + probability_shift))
        con.execute("INSERT INTO match.pairs (run_id, record_key_l, record_key_r, match_weight, match_probability, contributions, decision) VALUES ('run1', ?, ?, ?, ?, ?, ?)",
                    [left, right, math.log2(p / (1 - p)), p, json.dumps(CONTRIB_UNSURE), decision])
    for key, source, reasons, payload in QUARANTINE:
        con.execute("INSERT INTO quarantine.rows (record_key, source, load_id, run_id, reasons, payload, status, quarantined_at) VALUES (?, ?, 'load1', 'run1', ?, ?, 'open', ?)",
                    [key, source, reasons, json.dumps(payload), T1])
    if parties:
        _parties(con)
    con.execute("INSERT INTO dq.metrics (run_id, \"at\", scope, dimension, metric, value) VALUES ('run1', ?, 'golden', 'completeness', 'email', 0.93)", [T1])
    con.execute("INSERT INTO dq.metrics (run_id, \"at\", scope, dimension, metric, value) VALUES ('run1', ?, 'crm', 'validity', 'phone', 0.81)", [T1])
    con.execute("INSERT INTO ops.runs (run_id, started_at, finished_at, status, summary) VALUES ('run1', ?, ?, 'succeeded', '{}')", [T1, T1])
    con.execute("INSERT INTO audit.events (event_id, run_id, \"at\", kind, rule, count, detail) VALUES ('e1', 'run1', ?, 'merge', 'auto', 2, ?)",
                [T1, json.dumps({"golden_id": "33333333-3333-4333-8333-333333333333"})])
    con.close()
    os.replace(tmp, path)


def _parties(con: duckdb.DuckDBPyConnection) -> None:
    """Two organisations (one with two establishments and a contact, Marie Dupont), an organisation
    pair to review between them, and a household (Jean Martin and Luc Petit, a shared landline)."""
    from matching.organisations import schema_ddl

    con.execute(schema_ddl())
    for key, (org, kind, company, form, siren, siret, vat, street, pc, city, phone, first, last, role) in ORG_RECORDS.items():
        con.execute(
            "INSERT INTO staging.customers (record_key, source, load_id, trust_rank, party_kind, company, legal_form, siren,"
            " siret, vat_number, street, postcode, city, phone, first_name, last_name, contact_role, country,"
            " standardised_at) VALUES (?, ?, 'load1', 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'FR', ?)",
            [key, key.split(":")[0], kind, company, form, siren, siret, vat, street, pc, city, phone, first, last, role, T1])
        con.execute("INSERT INTO golden.organisation_xref (record_key, source, organisation_id) VALUES (?, ?, ?)",
                    [key, key.split(":")[0], org])
    con.execute(
        "INSERT INTO golden.organisation (organisation_id, name, legal_form, siren, vat_number, street, postcode, city,"
        " country, phone, record_count, sources, first_seen_at, updated_at, sole_trader) VALUES"
        " (?, 'Véranda Confort SARL', 'SARL', '732829320', 'FR44732829320', '3 rue Foch', '75011', 'Paris', 'FR',"
        " '+33143000000', 3, ['erp', 'fair'], ?, ?, FALSE),"
        " (?, 'VERANDA CONFORT LYON', NULL, NULL, NULL, '9 quai Rambaud', '69002', 'Lyon', 'FR', NULL, 1, ['crm'], ?, ?,"
        " FALSE)", [ORG_A, T0, T1, ORG_B, T0, T1])
    for field in ("name", "legal_form", "siren", "vat_number", "address"):
        con.execute("INSERT INTO golden.organisation_lineage VALUES (?, ?, 'erp:00000000000000e1')", [ORG_A, field])
    con.execute("INSERT INTO golden.organisation_lineage VALUES (?, 'name', 'crm:00000000000000e3')", [ORG_B])
    con.execute("INSERT INTO golden.establishment (siret, organisation_id, street, postcode, city, record_count) VALUES"
                " ('73282932000074', ?, '3 rue Foch', '75011', 'Paris', 1),"
                " ('73282932000082', ?, '9 quai Rambaud', '69002', 'Lyon', 1)", [ORG_A, ORG_A])
    con.execute("INSERT INTO golden.contact (organisation_id, golden_id, role, source, record_key) VALUES"
                " (?, '11111111-1111-4111-8111-111111111111', 'Acheteuse', 'fair', 'fair:00000000000000f1')", [ORG_A])
    p = 0.55
    con.execute("INSERT INTO match_org.pairs (run_id, record_key_l, record_key_r, match_weight, match_probability,"
                " contributions, decision) VALUES ('run1', 'crm:00000000000000e3', 'erp:00000000000000e2', ?, ?, ?, 'review')",
                [math.log2(p / (1 - p)), p, json.dumps(ORG_CONTRIB)])
    con.execute("INSERT INTO golden.household (household_id, members, reachable_members, consenting_members, linked_by,"
                " first_seen_at, updated_at) VALUES (?, 2, 2, 0, ['landline'], ?, ?)", [HOUSEHOLD, T0, T1])
    for gid in ("33333333-3333-4333-8333-333333333333", "55555555-5555-4555-8555-555555555555"):
        con.execute("INSERT INTO golden.household_member VALUES (?, ?, ['landline'])", [HOUSEHOLD, gid])


PASSWORD = "correct horse battery"


def add_user(config: MdmConfig, name: str, role: str) -> None:
    con = db.connect(db.web_db_path(config.paths.home))
    try:
        auth.add_user(con, name, role, PASSWORD, datetime(2026, 11, 23))
    finally:
        con.close()


def login(client: TestClient, name: str, password: str = PASSWORD) -> Any:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    return client.post("/login", data={"username": name, "password": password, "csrf_token": token.group(1)},
                       follow_redirects=False)


def csrf_of(client: TestClient, path: str = "/") -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert match
    return match.group(1)




def need_browser() -> None:
    """Skip (or fail, with MDM_REQUIRE_BROWSER=1 as in CI) when Debian's chromium is missing."""
    import pytest

    if not Path(CHROMIUM).exists():
        if os.environ.get("MDM_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing and MDM_REQUIRE_BROWSER=1")
        pytest.skip(f"{CHROMIUM} is not installed")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
