"""Golden IDs are stable, merges keep the older ID (the other resolves as an alias), splits keep
the ID in the part holding the oldest member, and merges/splits are audited without personal data."""

from __future__ import annotations

import json
import uuid

from matching.merge.steward import resolve_id as resolve_golden_id
from mdm.config import get_salt
from mdm.privacy import fingerprint

T1, T2, T3, T4 = "2026-01-01T00:00:00", "2026-02-01T00:00:00", "2026-03-01T00:00:00", "2026-04-01T00:00:00"


def _people(wh) -> None:
    wh.add("crm:a1", first_name="Marie", last_name="Curie", email="marie@example.fr")
    wh.add("web:a2", first_name="Marie", last_name="Curie", email="marie@example.fr")
    wh.add("crm:b1", first_name="Pierre", last_name="Dupont", email="pierre@example.fr")
    wh.add("crm:c1", first_name="Jeanne", last_name="Martin")


def test_same_inputs_twice_give_identical_ids(wh) -> None:
    _people(wh)
    wh.clusters(["crm:a1", "web:a2"], ["crm:b1"], ["crm:c1"])
    first = wh.merge(T1)
    assert first.counts["golden_customers"] == 3
    assert first.counts["new_golden"] == 3
    ids = {k: wh.gid(k) for k in ("crm:a1", "web:a2", "crm:b1", "crm:c1")}
    assert ids["crm:a1"] == ids["web:a2"]
    uuid.UUID(ids["crm:a1"])  # generated, not a cluster number
    assert ids["crm:a1"] != "crm:a1"
    second = wh.merge(T2)
    assert {k: wh.gid(k) for k in ids} == ids
    assert second.counts["recomputed"] == 0  # nothing moved or changed: no customer recomputed
    assert second.counts == {**second.counts, "new_golden": 0, "merged": 0, "split": 0, "changed": 0}
    # xref rows were not reopened
    assert wh.con.execute("SELECT count(*) FROM golden.xref").fetchone()[0] == 4
    # the cluster numbering of the matcher may change without changing identities
    wh.con.execute("UPDATE match.clusters SET cluster_id = 'zz' || cluster_id")
    wh.merge(T3)
    assert {k: wh.gid(k) for k in ids} == ids


def test_bridging_record_merges_with_older_id_kept(wh) -> None:
    wh.add("crm:b1", first_name="Pierre", last_name="Dupont", email="pierre@example.fr")
    wh.clusters(["crm:b1"])
    wh.merge(T1)
    older = wh.gid("crm:b1")
    wh.add("web:b2", first_name="Pierre", last_name="Dupont", phone="+33612345678")
    wh.clusters(["crm:b1"], ["web:b2"])
    wh.merge(T2)
    younger = wh.gid("web:b2")
    assert older != younger
    # a new record matching both bridges them
    wh.add("news:b3", email="pierre@example.fr", phone="+33612345678")
    wh.clusters(["crm:b1", "web:b2", "news:b3"])
    result = wh.merge(T3)
    assert result.counts["merged"] == 1
    assert result.counts["golden_customers"] == 1
    assert {wh.gid(k) for k in ("crm:b1", "web:b2", "news:b3")} == {older}
    alias = wh.con.execute("SELECT golden_id, reason FROM golden.alias WHERE alias_id = ?", [younger]).fetchone()
    assert alias == (older, "merge")
    assert resolve_golden_id(wh.con, younger) == older
    # web:b2's history: it was in `younger` from T2 to T3, then in `older`
    rows = wh.con.execute(
        "SELECT golden_id, valid_from::VARCHAR, valid_to::VARCHAR FROM golden.xref WHERE record_key = 'web:b2'"
        " ORDER BY valid_from"
    ).fetchall()
    assert rows == [(younger, "2026-02-01 00:00:00", "2026-03-01 00:00:00"), (older, "2026-03-01 00:00:00", None)]
    # the customer row of the merged id is gone, its history is closed
    assert wh.con.execute("SELECT count(*) FROM golden.customer WHERE golden_id = ?", [younger]).fetchone()[0] == 0
    assert wh.con.execute(
        "SELECT count(*) FROM golden.history WHERE golden_id = ? AND valid_to IS NULL", [younger]
    ).fetchone()[0] == 0
    # audited, without personal data
    events = wh.con.execute("SELECT kind, rule, subject_hash, count, detail FROM audit.events").fetchall()
    assert [(e[0], e[1], e[3]) for e in events] == [("merge", "match", 3)]
    salt = get_salt(wh.config)
    assert json.loads(events[0][4]) == {
        "surviving_hash": fingerprint(older, salt), "merged_hash": fingerprint(younger, salt), "records": 3
    }
    flat = json.dumps(events, default=str)
    for secret in ("pierre", "Dupont", "+336", older, younger):  # golden ids lead to a person too
        assert secret.lower() not in flat.lower()


def test_merge_keeps_oldest_by_first_seen_not_by_id(wh) -> None:
    wh.add("crm:x1", last_name="Alpha")
    wh.clusters(["crm:x1"])
    wh.merge(T1)
    wh.add("crm:x2", last_name="Alpha")
    wh.clusters(["crm:x1"], ["crm:x2"])
    wh.merge(T2)
    first, second = wh.gid("crm:x1"), wh.gid("crm:x2")
    # make the younger id sort first, to prove that age (not the id) decides
    wh.con.execute("UPDATE golden.xref SET golden_id = '0000' WHERE golden_id = ?", [second])
    wh.con.execute("UPDATE golden.customer SET golden_id = '0000' WHERE golden_id = ?", [second])
    wh.clusters(["crm:x1", "crm:x2"])
    wh.merge(T3)
    assert wh.gid("crm:x2") == first


def test_split_keeps_id_with_oldest_member(wh) -> None:
    wh.add("crm:s1", last_name="Durand", first_name="Paul")
    wh.clusters(["crm:s1"])
    wh.merge(T1)
    gid = wh.gid("crm:s1")
    wh.add("web:s2", last_name="Durand", first_name="Paula")
    wh.add("news:s3", last_name="Durand", first_name="Paula")
    wh.clusters(["crm:s1", "web:s2", "news:s3"])
    wh.merge(T2)
    assert {wh.gid(k) for k in ("crm:s1", "web:s2", "news:s3")} == {gid}
    # the matcher now separates them: the part with crm:s1 (oldest member) keeps the id
    wh.clusters(["web:s2", "news:s3"], ["crm:s1"])
    result = wh.merge(T3)
    assert result.counts["split"] == 1
    assert result.counts["new_golden"] == 1
    assert wh.gid("crm:s1") == gid
    assert wh.gid("web:s2") == wh.gid("news:s3") != gid
    kinds = wh.con.execute("SELECT kind, count, detail FROM audit.events").fetchall()
    assert kinds[0][0] == "split" and kinds[0][1] == 2
    assert json.loads(kinds[0][2])["new_hashes"] == [fingerprint(wh.gid("web:s2"), get_salt(wh.config))]
    assert gid not in kinds[0][2] and str(wh.gid("web:s2")) not in kinds[0][2]


def test_oldest_member_tie_break_on_record_key(wh) -> None:
    wh.add("crm:t2", last_name="Roux")
    wh.add("crm:t1", last_name="Roux")
    wh.clusters(["crm:t1", "crm:t2"])
    wh.merge(T1)
    gid = wh.gid("crm:t1")
    wh.clusters(["crm:t2"], ["crm:t1"])
    wh.merge(T2)
    assert wh.gid("crm:t1") == gid != wh.gid("crm:t2")


def test_records_that_leave_are_closed_and_empty_customers_deleted(wh) -> None:
    wh.add("crm:e1", last_name="Petit")
    wh.add("crm:e2", last_name="Grand")
    wh.clusters(["crm:e1"], ["crm:e2"])
    wh.merge(T1)
    gone = wh.gid("crm:e2")
    wh.remove("crm:e2")
    result = wh.merge(T2)
    assert result.counts["golden_customers"] == 1
    assert result.counts["emptied"] == 1
    assert wh.con.execute(
        "SELECT valid_to::VARCHAR FROM golden.xref WHERE record_key = 'crm:e2'"
    ).fetchall() == [("2026-02-01 00:00:00",)]
    assert wh.con.execute("SELECT count(*) FROM golden.customer WHERE golden_id = ?", [gone]).fetchone()[0] == 0
