"""Steward split/merge requests from the stewardship store: applied by the next run, audited,
marked applied, and still holding on later runs although the matcher re-clusters."""

from __future__ import annotations

import json
from datetime import datetime

from matching.merge import stage as merge_stage
from matching.merge.stage import rebuild_golden
from matching.merge.steward import resolve_id
from mdm.config import get_salt
from mdm.privacy import fingerprint
from mdm.stewardship import store

T1, T2, T3, T4 = "2026-01-01T00:00:00", "2026-02-01T00:00:00", "2026-03-01T00:00:00", "2026-04-01T00:00:00"


def _request(wh, action: str, golden_id: str, **kw) -> int:
    con = store.connect(wh.config.paths.steward_db)
    try:
        return store.add_golden_action(con, action, golden_id, "alice", datetime(2026, 1, 15), **kw)
    finally:
        con.close()


def _pending(wh) -> list:
    con = store.connect(wh.config.paths.steward_db)
    try:
        return store.pending_golden_actions(con)
    finally:
        con.close()


def test_steward_split_keeps_id_with_oldest_and_holds_on_next_runs(wh) -> None:
    wh.add("crm:1", last_name="Moreau", first_name="Luc")
    wh.clusters(["crm:1"])
    wh.merge(T1)
    gid = wh.gid("crm:1")
    wh.add("web:2", last_name="Moreau", first_name="Lucie")
    wh.add("news:3", last_name="Moreau", first_name="Lucie")
    wh.clusters(["crm:1", "web:2", "news:3"])
    wh.merge(T2)
    action_id = _request(wh, "split", gid, record_keys=["web:2", "news:3"])
    result = wh.merge(T3)  # the matcher still clusters the three together
    assert result.counts["split"] == 1 and result.counts["steward_actions_applied"] == 1
    assert wh.gid("crm:1") == gid
    assert wh.gid("web:2") == wh.gid("news:3") != gid
    assert _pending(wh) == []
    kinds = wh.con.execute("SELECT kind, rule FROM audit.events").fetchall()
    assert kinds == [("split", f"steward_split:{action_id}")]
    other = wh.gid("web:2")
    again = wh.merge(T4)
    assert again.counts["split"] == 0 and again.counts["merged"] == 0
    assert (wh.gid("crm:1"), wh.gid("web:2")) == (gid, other)


def test_steward_merge_keeps_older_id_and_alias_resolves(wh) -> None:
    wh.add("crm:1", last_name="Blanc")
    wh.clusters(["crm:1"])
    wh.merge(T1)
    wh.add("web:2", last_name="Leblanc")
    wh.clusters(["crm:1"], ["web:2"])
    wh.merge(T2)
    older, younger = wh.gid("crm:1"), wh.gid("web:2")
    _request(wh, "merge", younger, other_golden_id=older)
    result = wh.merge(T3)
    assert result.counts["merged"] == 1
    assert wh.gid("web:2") == wh.gid("crm:1") == older
    assert resolve_id(wh.con, younger) == older
    assert wh.con.execute("SELECT reason FROM golden.alias WHERE alias_id = ?", [younger]).fetchone() == (
        "steward_merge",
    )
    event = wh.con.execute("SELECT kind, rule, detail FROM audit.events").fetchone()
    assert event[0] == "merge" and event[1].startswith("steward_merge:")
    assert json.loads(event[2])["merged_hash"] == fingerprint(younger, get_salt(wh.config))
    wh.merge(T4)  # still together although the matcher keeps them apart
    assert wh.gid("web:2") == older


def test_invalid_request_is_ignored_and_reported(wh) -> None:
    wh.add("crm:1", last_name="Noir")
    wh.clusters(["crm:1"])
    wh.merge(T1)
    _request(wh, "split", wh.gid("crm:1"), record_keys=["crm:1"])
    result = wh.merge(T2)
    assert result.counts["steward_actions_ignored"] == 1
    assert result.warnings and "ignored" in result.warnings[0]
    assert _pending(wh) == []


def test_rebuild_golden_after_records_are_deleted(wh) -> None:
    wh.add("crm:1", last_name="Faure", email="f@example.fr", trust_rank=1)
    wh.add("web:2", last_name="Faure", phone="+33622222222", trust_rank=2)
    wh.add("crm:3", last_name="Seul")
    wh.clusters(["crm:1", "web:2"], ["crm:3"])
    wh.merge(T1)
    gid, lone = wh.gid("crm:1"), wh.gid("crm:3")
    # retention deletes records, then asks for a rebuild of the customers concerned
    wh.con.execute("DELETE FROM staging.customers WHERE record_key IN ('crm:1', 'crm:3')")
    counts = rebuild_golden(wh.ctx(T2), [gid, lone])
    assert counts["removed"] == 1 and counts["xref_closed"] == 2
    c = wh.customer(gid)
    assert (c["email"], c["phone"], c["record_count"]) == (None, "+33622222222", 1)
    assert set(wh.lineage(gid)) == {"last_name", "phone", "country"}
    assert {k for k, _ in wh.lineage(gid).values()} == {"web:2"}
    assert wh.con.execute("SELECT count(*) FROM golden.customer WHERE golden_id = ?", [lone]).fetchone()[0] == 0


def test_request_survives_a_run_whose_commit_was_lost(wh) -> None:
    wh.add("crm:1", last_name="Blanc")
    wh.add("web:2", last_name="Leblanc")
    wh.clusters(["crm:1"], ["web:2"])
    wh.merge(T1)
    first, second = wh.gid("crm:1"), wh.gid("web:2")
    _request(wh, "merge", first, other_golden_id=second)
    # a run applies it, marks it applied in the store, then its DuckDB transaction is rolled back
    ctx = wh.ctx(T2)
    wh.con.execute("BEGIN TRANSACTION")
    merge_stage.run(ctx)
    wh.con.execute("ROLLBACK")
    assert _pending(wh) == []
    assert wh.gid("crm:1") != wh.gid("web:2")
    result = wh.merge(T3)  # the next run takes the request again
    assert result.counts["merged"] == 1
    assert wh.gid("crm:1") == wh.gid("web:2")
