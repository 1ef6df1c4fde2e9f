"""Erasing a person removes them from the parties built on golden customers: contact links, households."""

from __future__ import annotations

import duckdb
import pytest

from mdm.config import MdmConfig
from mdm.pipeline import run_pipeline
from warehouse.retention.erasure import erase


@pytest.mark.xdist_group("end_to_end")
def test_erasing_a_contact_removes_their_links_and_household_rows(small_demo: MdmConfig) -> None:
    run_pipeline(small_demo)
    con = duckdb.connect()
    con.execute(f"ATTACH '{small_demo.paths.published}' AS pub (READ_ONLY)")
    row = con.execute("""
        SELECT c.golden_id, g.email FROM pub.golden.contact c JOIN pub.golden.customer g USING (golden_id)
        WHERE g.email IS NOT NULL ORDER BY c.golden_id LIMIT 1
    """).fetchone()
    con.close()
    assert row is not None, "the demo's fair badges name organisations: some contact has an e-mail"
    golden_id, email = row

    erase(small_demo, "email", email)

    con = duckdb.connect()
    con.execute(f"ATTACH '{small_demo.paths.published}' AS pub (READ_ONLY)")
    for table in ("golden.contact", "golden.household_member"):
        assert con.execute(f"SELECT count(*) FROM pub.{table} WHERE golden_id = ?", [golden_id]).fetchone() == (0,)
    # every household left has two members or more, and every contact a current customer
    assert con.execute("SELECT count(*) FROM pub.golden.household WHERE members < 2").fetchone() == (0,)
    assert con.execute("""
        SELECT count(*) FROM pub.golden.contact k
        WHERE NOT EXISTS (SELECT 1 FROM pub.golden.customer g WHERE g.golden_id = k.golden_id)
    """).fetchone() == (0,)
    con.close()


@pytest.mark.slow
@pytest.mark.xdist_group("end_to_end")
def test_erasing_a_sole_trader_erases_their_business_to_the_last_byte(small_demo: MdmConfig, find_bytes) -> None:
    """The demo's ERP holds businesses named after their owner (EI), the owner being their contact:
    erasing the owner erases the business's records, its golden organisation and every byte of its
    name and identifiers, in every file under $MDM_HOME (docs/organisations.md, Sole traders)."""
    run_pipeline(small_demo)
    run_pipeline(small_demo)  # a second publication: a version kept for rollback
    con = duckdb.connect(str(small_demo.paths.warehouse), read_only=True)
    try:
        row = con.execute("""
            SELECT o.organisation_id, o.name, g.email, g.phone FROM golden.organisation o
            JOIN golden.contact k USING (organisation_id) JOIN golden.customer g USING (golden_id)
            WHERE o.sole_trader AND o.legal_form = 'EI' AND (g.email IS NOT NULL OR g.phone IS NOT NULL)
            ORDER BY o.name LIMIT 1
        """).fetchone()
        assert row is not None, "the demo's ERP has sole traders whose owner is their contact"
        organisation_id, name, email, phone = row
        identifiers = con.execute("""
            SELECT list(DISTINCT s.siret) FILTER (WHERE s.siret IS NOT NULL),
                   list(DISTINCT s.siren) FILTER (WHERE s.siren IS NOT NULL), count(*)
            FROM golden.organisation_xref x JOIN staging.customers s USING (record_key)
            WHERE x.organisation_id = ?
        """, [organisation_id]).fetchone()
    finally:
        con.close()
    assert identifiers is not None
    sirets, sirens, records = identifiers
    con = duckdb.connect(str(small_demo.paths.warehouse), read_only=True)
    try:  # its versions name it too (golden.organisation_history)
        versions = con.execute("SELECT count(*) FROM golden.organisation_history WHERE organisation_id = ?",
                               [organisation_id]).fetchone()
    finally:
        con.close()
    assert versions is not None and versions[0] >= 1
    needles = [name, organisation_id, *sirets, *sirens]
    assert sirens and records >= 2
    assert find_bytes(small_demo.paths.home, needles)

    result = erase(small_demo, "email" if email else "phone", email or phone)

    assert result.records >= records and not result.pending
    assert find_bytes(small_demo.paths.home, needles) == []
    con = duckdb.connect(str(small_demo.paths.published), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM golden.organisation WHERE name = ?", [name]).fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM golden.organisation_history WHERE organisation_id = ?",
                           [organisation_id]).fetchone() == (0,)
        assert con.execute("SELECT count(*) > 0 FROM golden.organisation").fetchone() == (True,)  # the others stay
    finally:
        con.close()
    # a run with no new input afterwards keeps it gone (suppressed, the files that held it deleted)
    run_pipeline(small_demo)
    assert find_bytes(small_demo.paths.home, needles) == []
