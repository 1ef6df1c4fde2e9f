"""`mdm golden show/find/split/merge` and `mdm rollback`, driven in-process over a real publication."""

from __future__ import annotations

import json

from click.testing import CliRunner, Result

from mdm.cli import mdm
from mdm.pipeline import execute_stage
from mdm.stewardship import store
from warehouse.connection import open_writer

T1, T2, T3 = "2026-01-01T00:00:00", "2026-02-01T00:00:00", "2026-03-01T00:00:00"


def _publish(wh, at: str) -> None:
    wh.merge(at)
    execute_stage(wh.ctx(at), "publish")


def _setup(wh) -> tuple[str, str]:
    wh.add("crm:1", first_name="Hélène", last_name="Garnier", email="helene@example.fr", phone="+33612345678",
           trust_rank=1)
    wh.add("web:1", first_name="Helene", last_name="Garnier", email="helene@example.fr", trust_rank=2)
    wh.add("crm:2", first_name="Hugo", last_name="Garnier", email="hugo@example.fr")
    wh.clusters(["crm:1"], ["crm:2"])
    _publish(wh, T1)
    wh.clusters(["crm:1"], ["crm:2"], ["web:1"])
    _publish(wh, T2)
    return wh.gid("crm:1"), wh.gid("web:1")


def _invoke(*args: str) -> Result:
    result = CliRunner().invoke(mdm, list(args), catch_exceptions=False)
    return result


def test_show_find_and_alias_resolution(wh) -> None:
    older, younger = _setup(wh)
    wh.clusters(["crm:1", "web:1"], ["crm:2"])
    _publish(wh, T3)
    result = _invoke("golden", "show", younger, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["golden_id"] == older and data["resolved_from_alias"] is True
    assert data["customer"]["first_name"] == "Hélène"
    assert {row["field"] for row in data["lineage"]} >= {"first_name", "last_name", "email", "phone"}
    assert {r["record_key"] for r in data["records"]} == {"crm:1", "web:1"}
    assert [a["alias_id"] for a in data["aliases"]] == [younger]
    assert [h["version"] for h in data["history"]] == [1, 2]
    text = _invoke("golden", "show", older)
    assert "Hélène" in text.output and "trust" in text.output
    # what we knew between T2 and T3: version 1, one record
    then = json.loads(_invoke("golden", "show", older, "--at", "2026-02-15", "--json").output)["as_of"]
    assert then["version"]["version"] == 1 and then["record_keys"] == ["crm:1"]
    before = json.loads(_invoke("golden", "show", older, "--at", "2025-12-01", "--json").output)["as_of"]
    assert before["version"] is None and before["record_keys"] == []

    found = json.loads(_invoke("golden", "find", "--email", "HELENE@example.fr", "--json").output)
    assert [c["golden_id"] for c in found["customers"]] == [older]
    found = json.loads(_invoke("golden", "find", "--phone", "06 12 34 56 78", "--json").output)
    assert [c["golden_id"] for c in found["customers"]] == [older]
    found = json.loads(_invoke("golden", "find", "--name", "garnier", "--json").output)
    assert found["count"] == 2
    missing = _invoke("golden", "show", "no-such-id")
    assert missing.exit_code == 1 and "no golden customer" in missing.output


def test_split_request_is_checked_and_saved(wh) -> None:
    older, _ = _setup(wh)
    bad = _invoke("golden", "split", older, "--records", "crm:2")
    assert bad.exit_code == 1 and "not records of" in bad.output
    alone = _invoke("golden", "split", older, "--records", "crm:1")
    assert alone.exit_code == 1 and "each side" in alone.output  # crm:1 is its only record
    wh.clusters(["crm:1", "web:1"], ["crm:2"])
    _publish(wh, T3)
    ok = _invoke("golden", "split", older, "--records", "web:1", "--user", "alice", "--json")
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["outcome"].startswith("saved")
    con = store.connect(wh.config.paths.steward_db)
    try:
        pending = store.pending_golden_actions(con)
    finally:
        con.close()
    assert [(p["action"], p["golden_id"], p["record_keys"], p["user_name"]) for p in pending] == [
        ("split", older, ["web:1"], "alice")
    ]
    wh.merge("2026-04-01T00:00:00")  # the next run applies it: web:1 leaves, crm:1 keeps the id
    assert wh.gid("crm:1") == older != wh.gid("web:1")


def test_merge_now_applies_and_publishes(wh) -> None:
    older, younger = _setup(wh)
    wh.monkeypatch.setenv("MDM_NOW", T3)
    wh.con.close()  # as in real use: no other connection to the warehouse in the CLI's process
    result = _invoke("golden", "merge", younger, older, "--now", "--user", "alice", "--json")
    wh.con = open_writer(wh.config.paths)
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["outcome"].startswith("applied and published")
    shown = json.loads(_invoke("golden", "show", younger, "--json").output)
    assert shown["golden_id"] == older
    assert {r["record_key"] for r in shown["records"]} == {"crm:1", "web:1"}


def test_rollback_cli(wh) -> None:
    _setup(wh)
    listed = json.loads(_invoke("rollback", "--list", "--json").output)
    assert len(listed["versions"]) == 2 and listed["versions"][0]["current"] is True
    previous = listed["versions"][1]["version"]
    rolled = _invoke("rollback", "--json")
    assert rolled.exit_code == 0, rolled.output
    assert json.loads(rolled.output)["version"] == previous
    assert json.loads(_invoke("rollback", "--list", "--json").output)["current"] == previous
    bad = _invoke("rollback", "--to", "nope")
    assert bad.exit_code == 1 and "no kept version" in bad.output
