"""A nightly run prepares the matching keys of new and changed records only, and reuses the rest."""

from __future__ import annotations

from mdm.demo.generate import generate_canonical
from tests.matching.match_helpers import MatchWarehouse


def _stored_keys(match_wh: MatchWarehouse) -> int:
    return int(match_wh.con.execute("SELECT count(*) FROM match.prepared").fetchall()[0][0])


def test_only_new_and_changed_records_are_prepared(match_wh: MatchWarehouse) -> None:
    data = generate_canonical(200, 9).drop(columns=["person_id"]).reset_index(drop=True)
    base, extra = data.iloc[:250], data.iloc[250:260]
    match_wh.load(base)
    first = match_wh.run()
    assert first.counts["records_prepared"] == first.counts["records"] == _stored_keys(match_wh)

    changed = base.iloc[[3]].assign(email="new.address@example.org")
    match_wh.load(changed)
    match_wh.load(extra)
    match_wh.remove([base.iloc[4]["record_id"]])
    second = match_wh.run()
    assert second.counts["mode"] == "incremental"
    assert second.counts["records_prepared"] == len(extra) + 1
    assert _stored_keys(match_wh) == second.counts["records"] == len(base) + len(extra) - 1
    # the stored keys of the changed record are its new ones
    changed_key = match_wh.con.execute(
        "SELECT record_key FROM staging.customers WHERE email = 'new.address@example.org'"
    ).fetchall()
    stored = match_wh.con.execute(
        "SELECT email FROM match.prepared WHERE record_key = ?", [changed_key[0][0]]
    ).fetchall()
    assert stored == [("new.address@example.org",)]

    quiet = match_wh.run()
    assert quiet.counts["records_prepared"] == 0


def test_keys_made_by_other_code_are_not_reused(match_wh: MatchWarehouse) -> None:
    match_wh.load(generate_canonical(60, 2).drop(columns=["person_id"]))
    first = match_wh.run()
    match_wh.con.execute("UPDATE match.state SET value = 'older-code' WHERE key = 'prepared_version'")
    again = match_wh.run()
    assert again.counts["records_prepared"] == first.counts["records"]
