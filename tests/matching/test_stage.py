"""The match stage end to end on a warehouse: outputs, counts, steward constraints, determinism."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from matching.evaluation import pairwise_scores
from matching.stage import SUMMARY_KEYS
from mdm.config import load_config
from mdm.context import StageResult
from mdm.demo.generate import generate_canonical
from mdm.stewardship.store import add_pair_decision, connect, ordered_pair
from tests.matching.match_helpers import NOW, MatchWarehouse, frame, person
from warehouse.connection import open_writer

DECISIONS = {"auto_match", "review", "non_match", "steward_match", "steward_non_match"}


def background(people: int = 250, seed: int = 3) -> pd.DataFrame:
    return generate_canonical(people, seed)


def test_stage_outputs_and_counts(match_wh: MatchWarehouse) -> None:
    data = background()
    match_wh.load(data.drop(columns=["person_id"]))
    result = match_wh.run()

    for key in SUMMARY_KEYS:
        assert isinstance(result.counts[key], int)
    clusters = match_wh.clusters()
    assert set(clusters) == set(data["record_id"])                       # every valid record, once
    n_clusters = len(set(clusters.values()))
    assert result.counts["clusters"] == n_clusters
    assert result.counts["duplicates_found"] == len(clusters) - n_clusters
    assert result.counts["auto_matches"] > 0
    for cluster_id in set(clusters.values()):
        members = [k for k, c in clusters.items() if c == cluster_id]
        assert cluster_id == min(members)

    pairs = match_wh.pairs()
    assert pairs and all(left < right for left, right, *_ in pairs)
    assert {p[3] for p in pairs} <= DECISIONS
    explanation = json.loads(pairs[0][4])
    assert set(explanation) == {"first_name", "last_name", "email", "phone", "birth_date", "street",
                                "postcode", "city", "national_id"}
    assert all(set(v) == {"level", "weight"} for v in explanation.values())

    truth = data.set_index("record_id")["person_id"]
    predicted = pd.Series(clusters).reindex(truth.index)
    precision, recall, f1 = pairwise_scores(predicted, truth)
    assert f1 >= 0.95, (precision, recall, f1)

    models = match_wh.config.paths.models
    assert (models / "current.json").exists()
    assert len(list(models.glob("model-*.json"))) == 1


def test_clusters_are_linked_only_by_accepted_pairs(match_wh: MatchWarehouse) -> None:
    """Review pairs are not merged: clusters are exactly the components of auto/steward matches."""
    match_wh.load(background().drop(columns=["person_id"]))
    match_wh.run()
    clusters = pd.Series(match_wh.clusters()).sort_index()
    keys = pd.Index(clusters.index)
    edges = match_wh.con.execute(
        "SELECT record_key_l, record_key_r FROM match.pairs WHERE decision IN ('auto_match', 'steward_match')"
    ).df()
    left, right = keys.get_indexer(edges["record_key_l"]), keys.get_indexer(edges["record_key_r"])
    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(len(keys), len(keys)))
    _, labels = connected_components(graph, directed=False)
    assert pd.Series(labels).groupby(clusters.to_numpy()).nunique().max() == 1
    assert pd.Series(clusters.to_numpy()).groupby(labels).nunique().max() == 1
    reviewed = match_wh.con.execute(
        "SELECT count(*) FROM match.pairs WHERE decision = 'review'").fetchall()[0][0]
    assert reviewed >= 0


CHAIN = [
    person("t:a", first_name="Amélie", last_name="Vandenbroucke", email="amelie.vdb@example.fr",
           phone="06 11 22 33 44", birth_date="1984-03-12", postcode="59000", city="Lille",
           street="3 rue Nationale"),
    person("t:b", first_name="Amelie", last_name="Vandenbroucke", email="amelie.vdb@example.fr",
           phone="06 11 22 33 44", birth_date="1984-03-12", postcode="59000", city="Lille",
           street="3 rue Nationale"),
    person("t:c", first_name="Amélie", last_name="Vandenbroucke", email="amelie.vdb@example.fr",
           phone="0611223344", birth_date="1984-03-12", postcode="59000", city="Lille", street="3, rue Nationale"),
]


def _decide(match_wh: MatchWarehouse, a: str, b: str, decision: str) -> None:
    store = connect(match_wh.config.paths.steward_db)
    try:
        add_pair_decision(store, a, b, decision, "alice", NOW)
    finally:
        store.close()


def test_steward_non_match_holds_through_chains(match_wh: MatchWarehouse) -> None:
    match_wh.load(pd.concat([background().drop(columns=["person_id"]), frame(*CHAIN)]))
    match_wh.run()
    assert match_wh.same_cluster("t:a", "t:c") and match_wh.same_cluster("t:a", "t:b")

    _decide(match_wh, "t:a", "t:c", "non_match")
    result = match_wh.run()
    assert not match_wh.same_cluster("t:a", "t:c")
    decisions = dict(
        ((left, right), (d, reason)) for left, right, d, reason in match_wh.con.execute(
            "SELECT record_key_l, record_key_r, decision, reason FROM match.pairs WHERE record_key_l LIKE 't:%'"
        ).fetchall()
    )
    assert decisions[ordered_pair("t:a", "t:c")][0] == "steward_non_match"
    refused = [v for k, v in decisions.items() if v[0] == "review"]
    assert refused and all("steward" in (reason or "") for _, reason in refused)
    assert result.counts["cannot_link_refusals"] >= 1
    mirrored = match_wh.con.execute(
        "SELECT decision, decided_by FROM match.decisions WHERE record_key_l = 't:a' AND record_key_r = 't:c'"
    ).fetchall()
    assert mirrored == [("non_match", "alice")]


def test_steward_match_merges_what_the_model_would_not(match_wh: MatchWarehouse) -> None:
    odd = [
        person("t:x", first_name="Zoé", last_name="Quennehen", email="zq@example.org", postcode="13001"),
        person("t:y", first_name="Paul", last_name="Ardouin", phone="0145454545", postcode="29200"),
    ]
    match_wh.load(pd.concat([background().drop(columns=["person_id"]), frame(*odd)]))
    match_wh.run()
    assert not match_wh.same_cluster("t:x", "t:y")
    _decide(match_wh, "t:x", "t:y", "match")
    match_wh.run()
    assert match_wh.same_cluster("t:x", "t:y")
    row = match_wh.con.execute(
        "SELECT decision, contributions FROM match.pairs WHERE record_key_l = 't:x' AND record_key_r = 't:y'"
    ).fetchall()
    assert row[0][0] == "steward_match" and json.loads(row[0][1])["first_name"]["level"] == "different"


def test_same_input_same_output(match_wh: MatchWarehouse) -> None:
    match_wh.load(background().drop(columns=["person_id"]))
    match_wh.run()
    first_pairs, first_clusters = match_wh.pairs(), match_wh.clusters()
    result = match_wh.run()
    assert result.counts["mode"] == "incremental" and result.counts["new_pairs_compared"] == 0
    assert match_wh.pairs() == first_pairs and match_wh.clusters() == first_clusters


def test_a_changed_threshold_rescores_and_reclusters_everything(match_wh: MatchWarehouse) -> None:
    match_wh.load(background().drop(columns=["person_id"]))
    match_wh.run()
    same = match_wh.run()
    assert same.counts["pairs_rescored"] == 0 and same.counts["records_reclustered"] == 0
    match_wh.config.matching.max_cluster_size = 3
    changed = match_wh.run()
    assert changed.counts["mode"] == "incremental" and changed.counts["model_version"] == same.counts["model_version"]
    assert changed.counts["pairs_rescored"] == changed.counts["pairs_scored"]
    assert changed.counts["records_reclustered"] == changed.counts["records"]


@pytest.mark.slow
def test_incremental_run_equals_full_run(match_wh: MatchWarehouse, tmp_path, monkeypatch) -> None:
    data = background(people=400, seed=11).drop(columns=["person_id"])
    data = data.sample(frac=1.0, random_state=1).reset_index(drop=True)
    base, extra = data.iloc[:450], data.iloc[450:]
    match_wh.load(base)
    first = match_wh.run()
    # new records, one changed record, one removed record
    changed = base.iloc[[5]].copy()
    changed["email"] = "someone.else@example.net"
    match_wh.load(pd.concat([extra, changed]))
    match_wh.remove([base.iloc[7]["record_id"]])
    second = match_wh.run()
    assert second.counts["mode"] == "incremental"
    assert second.counts["model_version"] == first.counts["model_version"]
    assert second.counts["removed_records"] == 1

    assert second.counts["records_reclustered"] < second.counts["records"]
    assert second.counts["pairs_rescored"] == second.counts["new_pairs_compared"]

    full = _full_run_elsewhere(match_wh, tmp_path, monkeypatch, pd.concat([base.drop(index=[5, 7]), changed, extra]))
    # the incremental run compared only the pairs that touch new or changed records
    assert second.counts["new_pairs_compared"] < full.counts["new_pairs_compared"]


def _full_run_elsewhere(match_wh: MatchWarehouse, tmp_path, monkeypatch, final: pd.DataFrame) -> StageResult:
    """A full run on `final`, in another home, with the same model, settings and steward decisions;
    asserts it gives the pairs, clusters and counts the incremental warehouse `match_wh` holds.

    The same model is its file plus the term frequencies frozen with it (hashed with the salt,
    the same in both homes here: $MDM_SALT).
    """
    monkeypatch.setenv("MDM_HOME", str(tmp_path / "other"))
    other = load_config(match_wh.config.config_path)
    other.matching = match_wh.config.matching.model_copy(deep=True)
    other.paths.ensure()
    shutil.copytree(match_wh.config.paths.models, other.paths.models, dirs_exist_ok=True)
    if match_wh.config.paths.steward_db.exists():
        shutil.copy(match_wh.config.paths.steward_db, other.paths.steward_db)
    frozen = match_wh.con.execute("SELECT * FROM match.term_frequencies").df()
    assert len(frozen) > 0
    con = open_writer(other.paths)
    try:
        con.register("frozen_tf", frozen)
        con.execute("INSERT INTO match.term_frequencies SELECT * FROM frozen_tf")
        con.unregister("frozen_tf")
        full_wh = MatchWarehouse(other, con)
        full_wh.load(final)
        full = full_wh.run()
        assert full.counts["mode"] == "full" and full.counts["records_reclustered"] == len(final)
        assert full_wh.pairs() == match_wh.pairs()
        assert full_wh.clusters() == match_wh.clusters()
        assert full_wh.con.execute("SELECT * FROM match.decisions WHERE decided_by <> 'model' ORDER BY ALL").fetchall() \
            == match_wh.con.execute("SELECT * FROM match.decisions WHERE decided_by <> 'model' ORDER BY ALL").fetchall()
        assert full_wh.con.execute("SELECT record_key_l, record_key_r FROM match.decisions ORDER BY ALL").fetchall() \
            == match_wh.con.execute("SELECT record_key_l, record_key_r FROM match.decisions ORDER BY ALL").fetchall()
        assert full_wh.con.execute("SELECT * FROM match.record_links ORDER BY ALL").fetchall() \
            == match_wh.con.execute("SELECT * FROM match.record_links ORDER BY ALL").fetchall()
        return full
    finally:
        con.close()


#: t:a and t:c link only through t:b (t:a has no address or birth date, t:c no e-mail or phone).
BRIDGE = [
    person("t:a", first_name="Gwenaëlle", last_name="Kerhervé", email="gwen.kerherve@example.fr",
           phone="06 98 76 54 32"),
    person("t:b", first_name="Gwenaëlle", last_name="Kerhervé", email="gwen.kerherve@example.fr",
           phone="06 98 76 54 32", birth_date="1979-07-21", postcode="29000", city="Quimper",
           street="14 rue Kéréon"),
    person("t:c", first_name="Gwenaelle", last_name="Kerherve", birth_date="1979-07-21", postcode="29000",
           city="Quimper", street="14, rue Kereon"),
]


def _counts_agree(incremental: StageResult, full: StageResult) -> None:
    for key in ("clusters", "duplicates_found", "auto_matches", "review", "steward_matches",
                "steward_non_matches", "cannot_link_refusals", "suspicious_clusters"):
        assert incremental.counts[key] == full.counts[key], key


@pytest.mark.slow
def test_changed_steward_decision_on_an_old_pair_applies_incrementally(
    match_wh: MatchWarehouse, tmp_path, monkeypatch
) -> None:
    match_wh.config.matching.training.retrain = "never"      # keep the model: no full rescore
    data = pd.concat([background().drop(columns=["person_id"]), frame(*CHAIN)])
    match_wh.load(data)
    first = match_wh.run()
    assert match_wh.same_cluster("t:a", "t:c")
    _decide(match_wh, "t:a", "t:c", "non_match")
    second = match_wh.run()
    assert second.counts["mode"] == "incremental"
    assert second.counts["model_version"] == first.counts["model_version"]
    assert second.counts["pairs_rescored"] == 1 and second.counts["records_reclustered"] == 3
    assert not match_wh.same_cluster("t:a", "t:c")
    # the background may hold refusals of its own (two people of one household): count from there
    assert second.counts["cannot_link_refusals"] >= first.counts["cannot_link_refusals"] + 1
    _counts_agree(second, _full_run_elsewhere(match_wh, tmp_path, monkeypatch, data))

    # the steward changes their mind: the pair is the model's again, and merged again
    _decide(match_wh, "t:a", "t:c", "match")
    third = match_wh.run()
    assert third.counts["mode"] == "incremental" and third.counts["pairs_rescored"] == 1
    assert match_wh.same_cluster("t:a", "t:c")
    assert third.counts["cannot_link_refusals"] == first.counts["cannot_link_refusals"]


@pytest.mark.slow
def test_a_record_removed_between_runs_splits_its_cluster(match_wh: MatchWarehouse, tmp_path, monkeypatch) -> None:
    """An expiry or erasure deletes a record's rows (match tables included) between two runs:
    the next run must re-cluster what the record held together."""
    from warehouse.retention.cascade import delete_records, repair_clusters

    data = pd.concat([background().drop(columns=["person_id"]), frame(*BRIDGE)])
    match_wh.load(data)
    first = match_wh.run()
    assert match_wh.same_cluster("t:a", "t:b") and match_wh.same_cluster("t:b", "t:c")
    linked = match_wh.con.execute(
        "SELECT decision FROM match.pairs WHERE record_key_l = 't:a' AND record_key_r = 't:c'").fetchall()
    assert not linked or linked[0][0] not in ("auto_match", "steward_match")   # only t:b links them

    match_wh.con.execute("CREATE TEMP TABLE _retire_keys AS SELECT 't:b' AS record_key")
    delete_records(match_wh.con)
    repair_clusters(match_wh.con)
    match_wh.con.execute("DROP TABLE _retire_keys")
    second = match_wh.run()
    assert second.counts["mode"] == "incremental"
    assert second.counts["model_version"] == first.counts["model_version"]
    assert second.counts["records_reclustered"] == 2
    assert not match_wh.same_cluster("t:a", "t:c")
    _counts_agree(second, _full_run_elsewhere(match_wh, tmp_path, monkeypatch, data[data["record_id"] != "t:b"]))


def test_retrains_only_when_needed(match_wh: MatchWarehouse) -> None:
    match_wh.load(background().drop(columns=["person_id"]))
    v1 = match_wh.run().counts["model_version"]
    match_wh.runs += 10                      # a later run id
    assert match_wh.run().counts["model_version"] == v1
    keys = sorted(match_wh.clusters())
    # one steward decision applies at once but does not refit (retrain_labels, default 50)...
    _decide(match_wh, keys[0], keys[1], "non_match")
    assert match_wh.run().counts["model_version"] == v1
    # ...enough of them do
    match_wh.config.matching.training.retrain_labels = 2
    _decide(match_wh, keys[2], keys[3], "non_match")
    v2 = match_wh.run().counts["model_version"]
    assert v2 != v1
    assert len(list(match_wh.config.paths.models.glob("model-*.json"))) == 2


def test_blocking_recall_by_rule_on_labelled_data(match_wh: MatchWarehouse) -> None:
    from matching.blocking_report import recall_by_rule

    data = background()
    match_wh.load(data.drop(columns=["person_id"]))
    result = match_wh.run()
    truth = data.rename(columns={"record_id": "record_key", "person_id": "truth"})[["record_key", "truth"]]
    match_wh.con.register("truth_frame", truth)
    report = recall_by_rule(match_wh.con, "truth_frame")
    assert report[0]["rule"] == "email"
    assert sum(r["pairs"] for r in report) == result.counts["pairs_scored"]
    recalls = [r["cumulative_recall"] for r in report]
    assert recalls == sorted(recalls) and recalls[-1] >= 0.9
    stats = match_wh.con.execute("SELECT count(*) FROM match.blocking_stats WHERE run_id = 'run-1'").fetchall()
    assert stats[0][0] == len(result.counts["blocking"])


def test_empty_input_then_data(match_wh: MatchWarehouse) -> None:
    empty = match_wh.run()
    assert {k: empty.counts[k] for k in SUMMARY_KEYS} == dict.fromkeys(SUMMARY_KEYS, 0)
    match_wh.load(background(people=60).drop(columns=["person_id"]))
    result = match_wh.run()
    assert result.counts["model_version"] != empty.counts["model_version"]     # refitted on real data
    assert result.counts["clusters"] > 0 and result.counts["auto_matches"] > 0


def test_rows_about_an_organisation_alone_are_left_to_the_organisation_matcher(match_wh: MatchWarehouse) -> None:
    # A one-person business: the firm's row (no names) holds its owner's e-mail, phone and address.
    shared = {"email": "jm.quennehen@example.org", "phone": "0145454546", "street": "4 rue des Lilas",
              "postcode": "29200", "city": "Brest"}
    rows = [person("t:p", first_name="Jean-Marc", last_name="Quennehen", birth_date="1971-03-02", **shared),
            person("t:o", **shared),
            person("t:c", first_name="Jean-Marc", last_name="Quennehen", **shared)]
    match_wh.load(pd.concat([background(60).drop(columns=["person_id"]), frame(*rows)]))
    match_wh.con.execute("UPDATE staging.customers SET party_kind = 'contact' WHERE record_key = 't:c'")
    match_wh.run()
    assert match_wh.same_cluster("t:p", "t:o")       # read as a person, the firm's row joins its owner

    match_wh.con.execute("UPDATE staging.customers SET party_kind = 'organisation' WHERE record_key = 't:o'")
    result = match_wh.run()
    clusters = match_wh.clusters()
    assert "t:o" not in clusters and match_wh.same_cluster("t:p", "t:c")   # a contact is a person
    assert result.counts["records"] == len(clusters)
    in_pairs = match_wh.con.execute(
        "SELECT count(*) FROM match.candidates WHERE 't:o' IN (record_key_l, record_key_r)").fetchone()
    assert in_pairs == (0,)
