"""The merge and publish stages on the real demo data, through the whole pipeline."""

from __future__ import annotations

import pytest

from matching.merge.config import GOLDEN_FIELDS
from mdm.config import MdmConfig
from mdm.pipeline import run_pipeline
from warehouse.connection import open_reader
from warehouse.publication import contract


@pytest.mark.slow
def test_demo_golden_records_are_explained_stable_and_published(small_demo: MdmConfig) -> None:
    first = run_pipeline(small_demo)
    merge = first.counts()["merge"]
    assert merge["golden_customers"] > 100
    assert first.counts()["publish"]["golden_customers"] > 100
    con = open_reader(small_demo.paths.published)
    try:
        # lineage explains every non-null golden value, from a current member record
        unexplained = con.execute(
            "SELECT count(*) FROM (UNPIVOT (SELECT golden_id, "
            + ", ".join(f"{f}::VARCHAR AS {f}" for f in GOLDEN_FIELDS)
            + f" FROM golden.customer) ON {', '.join(GOLDEN_FIELDS)} INTO NAME field VALUE value) u "
            "WHERE NOT EXISTS (SELECT 1 FROM golden.lineage l JOIN golden.xref x ON x.golden_id = l.golden_id "
            "AND x.record_key = l.record_key AND x.valid_to IS NULL "
            "WHERE l.golden_id = u.golden_id AND l.field = u.field)"
        ).fetchall()
        assert unexplained == [(0,)]
        values = con.execute("SELECT count(*) FROM golden.lineage").fetchall()[0][0]
        assert values > 5 * merge["golden_customers"]
        # every current record of a customer is in staging, and record_count agrees
        wrong_counts = con.execute(
            "SELECT count(*) FROM golden.customer g WHERE record_count <> "
            "(SELECT count(*) FROM golden.xref x WHERE x.golden_id = g.golden_id AND x.valid_to IS NULL)"
        ).fetchall()
        assert wrong_counts == [(0,)]
        # never an address mixed from two records
        mixed = con.execute(
            "SELECT count(*) FROM (SELECT golden_id FROM golden.lineage WHERE field IN "
            "('street', 'postcode', 'city', 'country') GROUP BY golden_id HAVING count(DISTINCT record_key) > 1)"
        ).fetchall()
        assert mixed == [(0,)]
        assert contract.drift(con, "published", required=("golden.customer", "golden.xref")) == []
        before = con.execute("SELECT record_key, golden_id FROM golden.xref WHERE valid_to IS NULL").fetchall()
    finally:
        con.close()
    second = run_pipeline(small_demo)
    assert second.counts()["merge"]["new_golden"] == 0
    assert second.counts()["merge"]["changed"] == 0
    con = open_reader(small_demo.paths.published)
    try:
        after = con.execute("SELECT record_key, golden_id FROM golden.xref WHERE valid_to IS NULL").fetchall()
    finally:
        con.close()
    assert sorted(after) == sorted(before)
