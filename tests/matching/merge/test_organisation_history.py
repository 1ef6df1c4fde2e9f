"""Versions of golden organisations: created, changed (with what changed), gone; nothing on a quiet run."""

from __future__ import annotations

from datetime import datetime

import duckdb

from matching.merge import organisation_history, organisations
from tests.matching.merge.test_golden_organisations import con  # noqa: F401  (the fixture)

T1, T2, T3, T4 = (datetime(2026, 12, d) for d in (1, 2, 3, 4))


def _versions(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("""
        SELECT o.name, h.version, h.change, h.changed, h.city, h.valid_from, h.valid_to, h.run_id
        FROM golden.organisation_history h LEFT JOIN golden.organisation_xref x
             ON x.organisation_id = h.organisation_id AND x.record_key = 'erp:1'
        LEFT JOIN golden.organisation o ON o.organisation_id = x.organisation_id
        WHERE x.record_key IS NOT NULL ORDER BY h.version
    """).fetchall()


def _run(con: duckdb.DuckDBPyConnection, at: datetime, run_id: str) -> dict[str, int]:
    organisations.build(con, at)
    return organisation_history.write(con, at, run_id)


def test_created_then_nothing_then_changed(con: duckdb.DuckDBPyConnection) -> None:  # noqa: F811
    assert _run(con, T1, "r1") == {"created": 2, "changed": 0, "gone": 0}
    assert _run(con, T2, "r2") == {"created": 0, "changed": 0, "gone": 0}  # nothing new: no version
    assert con.execute("SELECT count(*) FROM golden.organisation_history").fetchone() == (2,)
    # the head office moved
    con.execute("UPDATE staging.customers SET street = '8 rue Oberkampf', city = 'Paris 11e' WHERE record_key = 'erp:1'")
    assert _run(con, T3, "r3") == {"created": 0, "changed": 1, "gone": 0}
    assert _versions(con) == [
        ("Véranda Confort SARL", 1, "created", [], "Paris", T1, T3, "r1"),
        ("Véranda Confort SARL", 2, "changed", ["street", "city"], "Paris 11e", T3, None, "r3"),
    ]


def test_gone_and_forgotten(con: duckdb.DuckDBPyConnection) -> None:  # noqa: F811
    _run(con, T1, "r1")
    paul = con.execute("SELECT organisation_id FROM golden.organisation WHERE name = 'Paul Roux EI'").fetchone()
    assert paul is not None
    con.execute("DELETE FROM match_org.clusters WHERE cluster_id = 'c2'")
    assert _run(con, T2, "r2") == {"created": 0, "changed": 0, "gone": 1}
    gone = con.execute("SELECT version, change, name, valid_from, valid_to FROM golden.organisation_history"
                       " WHERE organisation_id = ? ORDER BY version", [paul[0]]).fetchall()
    assert gone == [(1, "created", "Paul Roux EI", T1, T2), (2, "gone", None, T2, T2)]
    assert _run(con, T3, "r3") == {"created": 0, "changed": 0, "gone": 0}
    assert organisation_history.forget(con, [paul[0]]) == 2
    assert con.execute("SELECT count(*) FROM golden.organisation_history WHERE organisation_id = ?",
                       [paul[0]]).fetchone() == (0,)
