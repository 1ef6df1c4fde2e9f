"""Golden households: who is grouped, what is not a home, and IDs that outlive a re-run."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from matching.merge import households
from warehouse.schema import apply_schema

T1 = datetime(2026, 12, 1)
T2 = datetime(2026, 12, 2)

# golden_id, first, last, email, phone, street, postcode, opt_in
CUSTOMERS = [
    ("g1", "Jean", "Martin", "jean@gmail.com", "+33612345678", "3 rue des Lilas", "69003", True),
    ("g2", "Anne", "Martin", "anne@gmail.com", None, "3, Rue des lilas", "69003", True),  # same address and surname
    ("g3", "Paul", "Durand", None, None, "3 rue des Lilas", "69003", False),  # same building, other surname: alone
    ("g4", "Léa", "Petit", "famille.petit@orange.fr", "+33478000001", "8 av Foch", "75016", False),
    ("g5", "Hugo", "Petit", "famille.petit@orange.fr", None, "12 bd Murat", "75016", True),  # family e-mail
    ("g6", "Zoé", "Roux", None, "+33478000001", None, None, None),  # Léa's landline
    ("g7", "Max", "Bon", "contact@atelier.fr", None, None, None, None),  # a role address: a workplace
    ("g8", "Eva", "Bon", "contact@atelier.fr", None, None, None, None),
]
# record_key, golden_id, email, phone, phone_type, email_flags
RECORDS = [
    ("r1", "g1", "jean@gmail.com", "+33612345678", "mobile", []),
    ("r2", "g2", "anne@gmail.com", None, None, []),
    ("r3", "g3", None, None, None, []),
    ("r4", "g4", "famille.petit@orange.fr", "+33478000001", "fixed_line", []),
    ("r5", "g5", "famille.petit@orange.fr", None, None, []),
    ("r6", "g6", None, "+33478000001", "fixed_line", []),
    ("r7", "g7", "contact@atelier.fr", None, None, ["role_address"]),
    ("r8", "g8", "contact@atelier.fr", None, None, ["role_address"]),
]


def _load(con: duckdb.DuckDBPyConnection, customers: list[tuple[object, ...]]) -> None:
    con.execute("DELETE FROM golden.customer")
    for g in customers:
        con.execute(
            "INSERT INTO golden.customer (golden_id, first_name, last_name, email, phone, street, postcode, opt_in,"
            " record_count, sources, first_seen_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ['s'], ?, ?)",
            [*g, T1, T1],
        )


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    apply_schema(con)
    _load(con, CUSTOMERS)
    for key, gid, email, phone, phone_type, flags in RECORDS:
        con.execute("INSERT INTO golden.xref VALUES (?, 's', ?, ?, NULL)", [key, gid, T1])
        con.execute(
            "INSERT INTO staging.customers (record_key, source, load_id, trust_rank, email, phone, phone_type,"
            " email_flags, standardised_at) VALUES (?, 's', 'L', 1, ?, ?, ?, ?, ?)",
            [key, email, phone, phone_type, flags, T1],
        )
    return con


def _groups(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    rows = con.execute(
        "SELECT household_id, list_sort(list(golden_id)) FROM golden.household_member GROUP BY 1"
    ).fetchall()
    return {h: ids for h, ids in rows}


def test_members_of_one_home_are_grouped_and_a_workplace_is_not(con: duckdb.DuckDBPyConnection) -> None:
    counts = households.build(con, T1)
    assert sorted(_groups(con).values()) == [["g1", "g2"], ["g4", "g5", "g6"]]
    assert counts == {"households": 2, "customers_in_households": 5, "new": 2, "changed": 0, "removed": 0}
    rows = con.execute(
        "SELECT members, reachable_members, consenting_members, linked_by FROM golden.household ORDER BY members"
    ).fetchall()
    assert rows == [(2, 2, 2, ["address_and_surname"]), (3, 3, 1, ["email", "landline"])]


def test_ids_outlive_a_rerun_and_follow_most_members(con: duckdb.DuckDBPyConnection) -> None:
    households.build(con, T1)
    before = {tuple(v): k for k, v in _groups(con).items()}
    assert households.build(con, T2)["new"] == 0
    assert {tuple(v): k for k, v in _groups(con).items()} == before
    updated = con.execute("SELECT DISTINCT updated_at FROM golden.household").fetchall()
    assert updated == [(T1,)]  # nothing changed: not touched
    # Hugo leaves the family mailbox: Léa and Zoé keep the household's ID, Hugo is alone
    con.execute("UPDATE staging.customers SET email = 'hugo@free.fr' WHERE record_key = 'r5'")
    counts = households.build(con, T2)
    assert _groups(con)[before[("g4", "g5", "g6")]] == ["g4", "g6"]
    assert counts["changed"] == 1


def test_a_switchboard_links_nobody(con: duckdb.DuckDBPyConnection) -> None:
    many = [(f"x{i}", "A", f"N{i}", None, "+33100000000", None, None, None) for i in range(households.MAX_HOUSEHOLD_SIZE + 1)]
    _load(con, many)
    con.execute("DELETE FROM golden.xref")
    con.execute("DELETE FROM staging.customers")
    for i, g in enumerate(many):
        con.execute("INSERT INTO golden.xref VALUES (?, 's', ?, ?, NULL)", [f"k{i}", g[0], T1])
        con.execute(
            "INSERT INTO staging.customers (record_key, source, load_id, trust_rank, phone, phone_type,"
            " standardised_at) VALUES (?, 's', 'L', 1, '+33100000000', 'fixed_line', ?)", [f"k{i}", T1],
        )
    assert households.build(con, T1)["households"] == 0


def test_report_counts_households(con: duckdb.DuckDBPyConnection) -> None:
    from mdm.reports.measures import MeasureInput
    from mdm.reports.measures import households as measure

    households.build(con, T1)
    v = {m.metric: m.value for m in measure(con, MeasureInput("r", T1))}
    assert v == {"households": 2.0, "customers_in_households": 5.0, "reachable_per_household": 2.5,
                 "households_several_consents": 1.0}


def _action(i: int, action: str, golden_id: str, others: list[str]) -> dict[str, object]:
    return {"id": i, "action": action, "golden_id": golden_id, "other_ids": others}


def test_a_steward_takes_a_member_out_and_puts_two_customers_together(con: duckdb.DuckDBPyConnection) -> None:
    households.build(con, T1)
    before = {tuple(v): k for k, v in _groups(con).items()}
    # Zoé shares Léa's landline but lives elsewhere; Paul (same building) lives with the Martins
    actions = [_action(1, "apart", "g6", ["g4", "g5"]), _action(2, "together", "g3", ["g1"])]
    counts = households.build(con, T2, actions)
    groups = sorted(_groups(con).values())
    assert groups == [["g1", "g2", "g3"], ["g4", "g5"]]
    assert counts["households"] == 2
    # the households keep their IDs (most of their members stayed)
    assert _groups(con)[before[("g4", "g5", "g6")]] == ["g4", "g5"]
    linked = dict(con.execute("SELECT golden_id, linked_by FROM golden.household_member").fetchall())
    assert linked["g3"] == ["steward"] and "steward" in linked["g1"]
    # kept on the next run: the same corrections give the same households
    households.build(con, T2, actions)
    assert sorted(_groups(con).values()) == groups


def test_the_newest_correction_on_a_pair_wins_and_merged_ids_are_followed(con: duckdb.DuckDBPyConnection) -> None:
    actions = [_action(1, "apart", "g2", ["g1"]), _action(2, "together", "g1", ["g2"])]
    households.build(con, T1, actions)
    assert ["g1", "g2"] in _groups(con).values()
    # g7 was merged into g3 since the steward asked: the correction follows the survivor
    con.execute("INSERT INTO golden.alias (alias_id, golden_id, since, reason) VALUES ('g7', 'g3', ?, 'merge')", [T1])
    households.build(con, T2, [_action(3, "together", "g7", ["g8"])])
    assert ["g3", "g8"] in _groups(con).values()


def test_the_stage_applies_the_store_and_marks_pending_corrections(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    from mdm.stewardship import store

    db = tmp_path / "steward.sqlite"
    s = store.connect(db)
    first = store.add_household_action(s, "apart", "g6", ["g4", "g5"], "alice", T1, household_id="h")
    withdrawn = store.add_household_action(s, "together", "g3", ["g1"], "bob", T1)
    assert store.withdraw_household_action(s, withdrawn, "bob", T2)
    ctx = SimpleNamespace(con=con, now=T2, run_id="run-2",
                          config=SimpleNamespace(paths=SimpleNamespace(steward_db=db)))
    result = households.run(ctx)  # type: ignore[arg-type]
    assert result.counts["steward_corrections"] == 1
    assert sorted(_groups(con).values()) == [["g1", "g2"], ["g4", "g5"]]
    state = {a["id"]: a["state"] for a in store.household_actions_about(s, ["g6", "g3"])}
    assert state == {first: "applied", withdrawn: "withdrawn"}
    assert not store.withdraw_household_action(s, first, "alice", T2)  # applied: too late to withdraw
    households.run(ctx)  # type: ignore[arg-type]
    assert sorted(_groups(con).values()) == [["g1", "g2"], ["g4", "g5"]]  # still in force
    s.close()
