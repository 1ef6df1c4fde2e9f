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
