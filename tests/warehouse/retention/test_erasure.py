"""`erase`: a person leaves every layer, every published file and every byte under $MDM_HOME."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from mdm.privacy import fingerprint
from mdm.stewardship import store
from warehouse.retention.config import RetentionRule
from warehouse.retention.erasure import ErasureError, erase
from warehouse.retention.identifiers import suppression_hash

EMAIL = "xavier.zorglub@example.org"
SURNAME = "Zorglubovic"
PHONE = "+33655443322"
NEEDLES = [EMAIL, SURNAME, PHONE, "655443322"]


def _seed(warehouse):
    old, recent = datetime(2022, 1, 1), datetime(2026, 1, 1)
    warehouse.add("crm:x1", retention_category="customer", last_order_at=recent, email=EMAIL, last_name=SURNAME,
                  first_name="Xavier", phone=PHONE, email_raw=EMAIL.upper())
    warehouse.add("webshop:x2", retention_category="customer", last_order_at=recent, email=EMAIL,
                  first_name="Xavier", last_name=SURNAME.upper())
    warehouse.add("crm:x3", retention_category="prospect", last_contact_at=old, email=EMAIL, last_name=SURNAME)
    warehouse.add("crm:y1", retention_category="customer", last_order_at=recent, email="yvonne@example.org",
                  last_name="Yvon", phone="+33611112222")
    warehouse.con.execute(
        "INSERT INTO quarantine.rows (record_key, source, load_id, run_id, reasons, payload, status, quarantined_at)"
        " VALUES ('crm:x1', 'crm', 'L1', 'r0', ['email_invalid'], ?, 'open', ?)",
        [f'{{"Courriel": "{EMAIL}", "Nom": "{SURNAME}"}}', recent],
    )
    warehouse.clusters(["crm:x1", "webshop:x2", "crm:x3"], ["crm:y1"])
    warehouse.stage("merge")
    # crm:x3 goes to the archive file
    warehouse.config.retention.rules = [
        RetentionRule(name="prospect_archive", category="prospect", trigger=["last_contact_at"], period="3y",
                      action="archive")
    ]
    warehouse.stage("expire")
    warehouse.stage("publish")
    warehouse.stage("publish")  # a second version kept for rollback
    steward = store.connect(warehouse.config.paths.steward_db)
    try:
        store.add_pair_decision(steward, "crm:x1", "webshop:x2", "match", "alice", recent)
        store.add_pair_decision(steward, "crm:y1", "webshop:x2", "non_match", "alice", recent)
        store.add_quarantine_action(steward, "crm:x1", "release", "alice", recent,
                                    {"Courriel": EMAIL, "Nom": SURNAME, "Téléphone": PHONE})
    finally:
        steward.close()


def test_erasure_cascades_everywhere_and_leaves_no_bytes(warehouse, find_bytes):

    _seed(warehouse)
    home = warehouse.config.paths.home
    gid_y = warehouse.gid("crm:y1")
    warehouse.con.close()
    assert find_bytes(home, NEEDLES), "the seed must put the person in the files"

    result = erase(warehouse.config, "email", "  Xavier.Zorglub@EXAMPLE.org ")

    assert result.records == 3 and result.golden_customers == 1
    assert result.archive_records == 1
    assert result.store_rows == 3  # both pair decisions name webshop:x2 or crm:x1; one correction
    assert find_bytes(home, NEEDLES) == []

    con = duckdb.connect(str(warehouse.config.paths.warehouse))
    try:
        warehouse.con = con
        for table in ("raw.records", "staging.customers", "match.clusters", "golden.xref", "golden.lineage"):
            assert warehouse.keys(table) == {"crm:y1"}, table
        assert warehouse.keys("quarantine.rows") == set()
        assert warehouse.scalar("SELECT count(*) FROM golden.customer") == 1
        assert warehouse.scalar("SELECT golden_id FROM golden.customer") == gid_y
        assert warehouse.scalar("SELECT count(*) FROM match.pairs") == 0
        salt = "test-salt"
        erased = {r[0] for r in con.execute("SELECT subject_hash FROM audit.events WHERE kind = 'erase'").fetchall()}
        assert erased == {fingerprint(k, salt) for k in ("crm:x1", "webshop:x2", "crm:x3")}
        suppressed = {r[0] for r in con.execute("SELECT identifier_hash FROM retention.suppressed").fetchall()}
        assert suppression_hash("email", EMAIL, salt) in suppressed
        assert suppression_hash("phone", PHONE, salt) in suppressed
        assert suppression_hash("record_key", "crm:x3", salt) in suppressed
    finally:
        con.close()

    published = duckdb.connect(str(warehouse.config.paths.published), read_only=True)
    try:
        assert published.execute("SELECT golden_id FROM golden.customer").fetchall() == [(gid_y,)]
    finally:
        published.close()


@pytest.mark.slow
def test_erasure_by_phone_golden_id_and_record_key(warehouse):
    _seed(warehouse)
    gid_y = warehouse.gid("crm:y1")
    warehouse.con.close()
    assert erase(warehouse.config, "phone", "06 55 44 33 22").records == 3
    assert erase(warehouse.config, "golden_id", gid_y).records == 1
    assert erase(warehouse.config, "record_key", "crm:nobody").records == 0


NIR = "1800375115042"


def test_erasure_by_national_id_reaches_records_nothing_else_links(warehouse, find_bytes):
    """Two records share only the national identifier (not merged: other e-mails): both go."""
    warehouse.add("crm:n1", national_id=NIR, email="nina@example.org", last_name="Nadeaux")
    warehouse.add("webshop:n2", national_id=NIR, email="n.nadeaux@example.com", last_name="Nadeaux")
    warehouse.add("crm:y1", national_id="2920613055017", email="yvonne@example.org", last_name="Yvon")
    warehouse.clusters(["crm:n1"], ["webshop:n2"], ["crm:y1"])
    warehouse.stage("merge")
    warehouse.stage("publish")
    home = warehouse.config.paths.home
    warehouse.con.close()
    needles = [NIR, "Nadeaux", "nina@example.org", "n.nadeaux@example.com"]
    assert find_bytes(home, needles)

    with pytest.raises(ErasureError, match="not valid"):
        erase(warehouse.config, "national_id", "000000000")
    result = erase(warehouse.config, "national_id", "1 80 03 75 115 042")

    assert result.records == 2 and result.golden_customers == 2
    assert find_bytes(home, needles) == []
    con = duckdb.connect(str(warehouse.config.paths.warehouse), read_only=True)
    try:
        assert {r[0] for r in con.execute("SELECT record_key FROM staging.customers").fetchall()} == {"crm:y1"}
        suppressed = {r[0] for r in con.execute("SELECT identifier_hash FROM retention.suppressed").fetchall()}
        assert suppression_hash("national_id", NIR, "test-salt") in suppressed
    finally:
        con.close()
