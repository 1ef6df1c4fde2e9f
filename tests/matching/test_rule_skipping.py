"""Loose blocking rules are judged once and kept while the data stays about the same size.

A rule near `max_rule_pairs_per_record` used to flip with each night's batch, and a flip forces a
full rebuild of the stored candidate pairs (issue 10). These tests pin the stored decision.
"""

from __future__ import annotations

import json

from mdm.demo.generate import generate_canonical
from tests.matching.match_helpers import MatchWarehouse


def _stored(match_wh: MatchWarehouse) -> dict:
    row = match_wh.con.execute("SELECT value FROM match.state WHERE key = 'skipped_rules'").fetchone()
    assert row is not None
    return json.loads(row[0])


def test_skip_decision_is_kept_for_a_small_batch_and_rejudged_after_growth(match_wh: MatchWarehouse) -> None:
    data = generate_canonical(400, 5).drop(columns=["person_id"]).reset_index(drop=True)
    base, batch, growth = data.iloc[:400], data.iloc[400:410], data.iloc[410:]
    match_wh.load(base)
    first = match_wh.run()
    judged = _stored(match_wh)
    assert judged["skipped"] == first.counts["blocking_rules_skipped"]

    # pretend last night's judgement skipped one more rule: a small batch must not re-judge it
    pretend = [*judged["skipped"], "email"]
    match_wh.con.execute(
        "UPDATE match.state SET value = ? WHERE key = 'skipped_rules'", [json.dumps({**judged, "skipped": pretend})]
    )
    match_wh.load(batch)
    second = match_wh.run()
    assert second.counts["blocking_rules_skipped"] == pretend
    assert second.counts["mode"] == "full"          # the pretend change itself changes the candidate set once
    match_wh.load(batch.iloc[:2].assign(email="changed@example.org"))
    third = match_wh.run()
    assert third.counts["blocking_rules_skipped"] == pretend and third.counts["mode"] == "incremental"

    # many more records: judged again on the data
    match_wh.load(growth)
    fourth = match_wh.run()
    assert len(base) + len(growth) > 1.25 * len(base)
    assert "email" not in fourth.counts["blocking_rules_skipped"]
    assert _stored(match_wh)["records"] == fourth.counts["records"]
