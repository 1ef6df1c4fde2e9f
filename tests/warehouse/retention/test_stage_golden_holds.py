"""Golden customers after expiry, legal holds, anonymise and archive."""

from __future__ import annotations

from datetime import datetime

import duckdb

from warehouse.retention.config import LegalHoldSeed, RetentionRule
from warehouse.retention.holds import add_hold, lift_hold

OLD = datetime(2022, 1, 1)
RECENT = datetime(2026, 1, 1)
GONE = {"email": "zorglub@example.org", "last_name": "Zorglub", "first_name": "Zénobe",
        "phone": "+33622222222", "street": "1 rue Secrète"}


def _seed(warehouse):
    # Customer A: a recent webshop record and an old, more trusted CRM prospect record.
    warehouse.add("webshop:keep", retention_category="customer", last_order_at=RECENT, trust_rank=2,
                  email="keep@example.org", last_name="Durand", first_name="Anne", phone="+33611111111")
    warehouse.add("crm:gone", retention_category="prospect", last_contact_at=OLD, trust_rank=1, **GONE)
    # Customer B: both records are old prospects.
    warehouse.add("crm:b1", retention_category="prospect", last_contact_at=OLD, email="b@example.org", last_name="Bee")
    warehouse.add("salon:b2", retention_category="prospect", last_contact_at=OLD, email="b@example.org",
                  last_name="Bee", phone="+33633333333")
    warehouse.clusters(["webshop:keep", "crm:gone"], ["crm:b1", "salon:b2"])
    warehouse.stage("merge")


def test_partly_expired_customer_keeps_only_what_its_remaining_source_supports(warehouse):
    _seed(warehouse)
    gid_a = warehouse.gid("webshop:keep")
    assert warehouse.gid("crm:gone") == gid_a
    assert warehouse.scalar("SELECT last_name FROM golden.customer WHERE golden_id = ?", [gid_a]) == "Zorglub"

    warehouse.stage("expire")

    row = warehouse.con.execute(
        "SELECT email, last_name, first_name, phone, street, record_count, sources FROM golden.customer"
        " WHERE golden_id = ?", [gid_a]
    ).fetchone()
    assert row == ("keep@example.org", "Durand", "Anne", "+33611111111", None, 1, ["webshop"])
    everything = str(
        [warehouse.con.execute(f"SELECT * FROM {t}").fetchall()
         for t in ("golden.customer", "golden.history", "golden.lineage", "golden.xref", "match.pairs",
                   "match.clusters", "raw.records", "staging.customers")]
    )
    for value in GONE.values():
        assert value not in everything
    assert "crm:gone" not in everything


def test_customer_whose_sources_all_expired_disappears(warehouse):
    _seed(warehouse)
    gid_b = warehouse.gid("crm:b1")
    result = warehouse.stage("expire")
    for table in ("golden.customer", "golden.history", "golden.xref", "golden.lineage"):
        assert warehouse.scalar(f"SELECT count(*) FROM {table} WHERE golden_id = ?", [gid_b]) == 0, table
    assert result.counts["golden_removed"] == 1


def test_legal_hold_on_golden_customer_wins_until_lifted(warehouse):
    _seed(warehouse)
    gid_b = warehouse.gid("crm:b1")
    add_hold(warehouse.con, gid_b, "case 2026-17", datetime(2026, 6, 1))
    result = warehouse.stage("expire")
    assert result.counts["held"] == 2
    assert result.counts["expired"]["prospect_3y"] == 1  # crm:gone only
    assert {"crm:b1", "salon:b2"} <= warehouse.keys("staging.customers")

    assert lift_hold(warehouse.con, gid_b, datetime(2026, 11, 1)) == 1
    result = warehouse.stage("expire")
    assert result.counts["held"] == 0 and result.counts["expired"]["prospect_3y"] == 2
    assert warehouse.keys("staging.customers") == {"webshop:keep"}


def test_legal_hold_on_one_record_and_from_the_config(warehouse):
    _seed(warehouse)
    add_hold(warehouse.con, "salon:b2", "litigation", datetime(2026, 6, 1))
    warehouse.config.retention.legal_holds = [LegalHoldSeed(subject="crm:gone", reason="audit")]
    result = warehouse.stage("expire")
    assert result.counts["held"] == 2
    assert warehouse.keys("staging.customers") == {"webshop:keep", "crm:gone", "salon:b2"}


def test_anonymise_leaves_statistics_and_no_identifier(warehouse):
    warehouse.config.retention.rules = [
        RetentionRule(name="prospect_anon", category="prospect", trigger=["last_contact_at"], period="3y",
                      action="anonymise")
    ]
    _seed(warehouse)
    warehouse.con.execute(
        "UPDATE staging.customers SET postcode = '75011', birth_date = DATE '1987-05-04', city = 'Paris'"
        " WHERE record_key = 'crm:gone'"
    )
    result = warehouse.stage("expire")
    assert result.counts["anonymised"] == 3
    assert result.counts["expired"] == {"prospect_anon": 3}
    rows = warehouse.con.execute(
        "SELECT source, retention_category, postcode_area, birth_year_band, rule FROM retention.anonymised"
        " WHERE postcode_area IS NOT NULL"
    ).fetchall()
    assert rows == [("crm", "prospect", "75", 1985, "prospect_anon")]
    everything = str([warehouse.con.execute(f"SELECT * FROM {t}").fetchall()
                      for t in ("retention.anonymised", "staging.customers", "raw.records", "golden.customer",
                                "golden.history", "audit.events")])
    for value in (*GONE.values(), "75011", "1987-05-04", "crm:gone", "Paris"):
        assert value not in everything
    assert warehouse.scalar("SELECT count(*) FROM audit.events WHERE kind = 'anonymise'") == 3


def test_archive_moves_rows_to_the_archive_file(warehouse):
    warehouse.config.retention.rules = [
        RetentionRule(name="prospect_archive", category="prospect", trigger=["last_contact_at"], period="3y",
                      action="archive", sources=["crm"])
    ]
    _seed(warehouse)
    result = warehouse.stage("expire")
    assert result.counts["archived"] == 2  # crm:gone, crm:b1; salon:b2 is not covered by the rule
    assert warehouse.keys("staging.customers") == {"webshop:keep", "salon:b2"}
    archive = duckdb.connect(str(warehouse.config.paths.archive), read_only=True)
    try:
        keys = {r[0] for r in archive.execute("SELECT record_key FROM customers").fetchall()}
        raw = {r[0] for r in archive.execute("SELECT record_key FROM raw_records").fetchall()}
        rule = archive.execute("SELECT DISTINCT archive_rule FROM customers").fetchall()
        email = archive.execute("SELECT email FROM customers WHERE record_key = 'crm:gone'").fetchone()
    finally:
        archive.close()
    assert keys == raw == {"crm:gone", "crm:b1"}
    assert rule == [("prospect_archive",)]
    assert email == (GONE["email"],)
    assert warehouse.scalar("SELECT count(*) FROM audit.events WHERE kind = 'archive'") == 2
