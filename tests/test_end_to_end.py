"""Issue 2, end to end on generated demo data: nothing vanishes, matching is good, runs are idempotent,
and a failed run leaves the published database intact."""

from __future__ import annotations

import csv
from collections import defaultdict
from itertools import combinations
from pathlib import Path

import duckdb
import pytest

from mdm.config import MdmConfig, get_salt
from mdm.pipeline import PipelineFailed, RunSummary, run_pipeline
from mdm.privacy import fingerprint
from warehouse.connection import open_reader

pytestmark = pytest.mark.xdist_group("end_to_end")


def _truth(config: MdmConfig) -> dict[str, str]:
    with (config.paths.home / "demo_truth.csv").open(encoding="utf-8") as handle:
        return {row["record_key"]: row["person_id"] for row in csv.DictReader(handle)}


def _organisation_truth(config: MdmConfig) -> dict[str, str]:
    """Records about organisations -> organisation (the ERP accounts are in no person truth)."""
    with (config.paths.home / "demo_truth_organisations.csv").open(encoding="utf-8") as handle:
        return {row["record_key"]: row["organisation_id"] for row in csv.DictReader(handle)}


def _published(config: MdmConfig, sql: str) -> list[tuple]:
    con = open_reader(config.paths.published)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _pairs(groups: dict[str, set[str]]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for members in groups.values():
        out.update(combinations(sorted(members), 2))
    return out


def pairwise_f1(predicted: dict[str, str], truth: dict[str, str]) -> tuple[float, float, float]:
    """Pairwise precision/recall/F1 of a record -> cluster assignment against record -> person."""
    keys = set(predicted) & set(truth)
    pred_groups: dict[str, set[str]] = defaultdict(set)
    true_groups: dict[str, set[str]] = defaultdict(set)
    for key in keys:
        pred_groups[predicted[key]].add(key)
        true_groups[truth[key]].add(key)
    pred, true = _pairs(pred_groups), _pairs(true_groups)
    tp = len(pred & true)
    precision = tp / len(pred) if pred else 1.0
    recall = tp / len(true) if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def test_every_raw_row_is_accounted_for_exactly_once(small_demo: MdmConfig) -> None:
    summary = run_pipeline(small_demo)
    assert summary.status == "succeeded"
    truth = {**_organisation_truth(small_demo), **_truth(small_demo)}  # every customer-file row, once
    # A row about an organisation alone is linked to a golden organisation, not to a customer.
    linked = {k for (k,) in _published(
        small_demo,
        "SELECT record_key FROM golden.xref WHERE valid_to IS NULL UNION SELECT record_key FROM golden.organisation_xref",
    )}
    quarantined = {
        k for (k, reasons) in _published(small_demo, "SELECT record_key, reasons FROM quarantine.rows") if reasons
    }
    salt = get_salt(small_demo)
    expired_hashes = {
        h for (h,) in _published(
            small_demo, "SELECT subject_hash FROM audit.events WHERE kind IN ('expire', 'anonymise', 'archive')"
        )
    }
    outcomes: dict[str, list[str]] = {}
    for key in truth:
        places = []
        if key in linked:
            places.append("linked")
        if key in quarantined:
            places.append("quarantined")
        if fingerprint(key, salt) in expired_hashes:
            places.append("expired")
        outcomes[key] = places
    lost = [k for k, p in outcomes.items() if not p]
    twice = [k for k, p in outcomes.items() if len(p) > 1]
    assert not lost, f"{len(lost)} records vanished"
    assert not twice, f"{len(twice)} records counted twice"
    assert any(p == ["quarantined"] for p in outcomes.values())
    assert any(p == ["expired"] for p in outcomes.values())
    counts = summary.counts()
    event_sources = {s.name for s in small_demo.sources if s.records == "events"}
    received = counts["ingest"]["received"]
    assert sum(n for s, n in received.items() if s not in event_sources) == len(truth)
    # Events too: every event row read is staged or quarantined; every staged one is on the timeline,
    # held with a reason, or went with an expired customer record.
    events = counts["events"]
    assert sum(events["received"].values()) + sum(events["quarantined"].values()) == sum(
        n for s, n in received.items() if s in event_sources)
    con = duckdb.connect(str(small_demo.paths.warehouse), read_only=True)
    try:
        resolved, held, no_reason = con.execute(
            "SELECT count(customer_record_key), count(held_reason), "
            "count(*) FILTER (WHERE customer_record_key IS NULL AND held_reason IS NULL) FROM events.staged"
        ).fetchall()[0]
        timeline = con.execute("SELECT count(*) FROM golden.customer_event").fetchall()[0][0]
    finally:
        con.close()
    assert no_reason == 0 and resolved == timeline
    assert resolved + held + counts["expire"].get("events_retired", 0) == sum(events["received"].values())


@pytest.mark.slow
def test_matching_on_full_demo_scores_f1_at_least_095(demo_config: MdmConfig) -> None:
    from mdm.demo.generate import generate

    generate(demo_config.paths.inbox, demo_config.paths.home / "demo_truth.csv", people=5000, seed=42)
    run_pipeline(demo_config)
    truth = _truth(demo_config)
    predicted = dict(_published(demo_config, "SELECT record_key, golden_id FROM golden.xref WHERE valid_to IS NULL"))
    precision, recall, f1 = pairwise_f1(predicted, truth)
    print(f"demo matching: precision={precision:.4f} recall={recall:.4f} f1={f1:.4f} records={len(predicted)}")
    assert f1 >= 0.95, (precision, recall, f1)


def _state(config: MdmConfig) -> tuple[list[tuple], list[tuple]]:
    customers = _published(config, "SELECT * EXCLUDE (updated_at) FROM golden.customer ORDER BY golden_id")
    xref = _published(
        config, "SELECT record_key, golden_id FROM golden.xref WHERE valid_to IS NULL ORDER BY record_key"
    )
    return customers, xref


def _summary_figures(config: MdmConfig, summary: RunSummary) -> list[str]:
    """The lines of `mdm run`'s summary that describe the data (not what the run read or did)."""
    from mdm.cli.run import format_summary

    kept = ("quarantined", "golden customers", "events held", "on the timeline", "segments")
    return [line.strip() for line in format_summary(config, summary).splitlines() if line.strip().startswith(kept)]


def test_second_run_on_same_inbox_changes_nothing_and_new_file_only_adds(small_demo: MdmConfig) -> None:
    first = run_pipeline(small_demo)
    before, shown = _state(small_demo), _summary_figures(small_demo, first)
    second = run_pipeline(small_demo)
    assert _state(small_demo) == before
    # what the summary shows stays too: the held events were counted before expiry took some
    assert _summary_figures(small_demo, second) == shown
    assert sum(second.counts()["ingest"]["received"].values()) == 0
    assert second.counts()["publish"]["golden_customers"] == first.counts()["publish"]["golden_customers"]

    newsletter = small_demo.paths.inbox / "newsletter" / "abonnes_decembre.csv"
    newsletter.write_text(
        "email,prenom,opt_in,date_inscription\n"
        "zelie.quintard-nouvelle@example.org,Zélie,oui,2026-11-20\n",
        encoding="utf-8",
    )
    third = run_pipeline(small_demo)
    assert third.counts()["ingest"]["received"]["newsletter"] == 1
    customers, xref = _state(small_demo)
    old_customers, old_xref = before
    assert set(old_xref) <= set(xref), "existing records keep their golden ids"
    assert len(xref) == len(old_xref) + 1
    assert len(customers) == len(old_customers) + 1


def test_failed_run_leaves_published_database_intact(small_demo: MdmConfig) -> None:
    run_pipeline(small_demo)
    before = _state(small_demo)
    published_bytes = small_demo.paths.published.read_bytes()

    # A real failure in the middle of a run: the stewards' decisions store, read by the matcher
    # after ingest, standardise and validate have committed, is corrupt.
    for suffix in ("", "-wal", "-shm"):
        Path(f"{small_demo.paths.steward_db}{suffix}").unlink(missing_ok=True)
    small_demo.paths.steward_db.write_bytes(b"this is not a SQLite database" * 100)
    (small_demo.paths.inbox / "newsletter" / "late.csv").write_text(
        "email,prenom,opt_in,date_inscription\nlate.subscriber@example.org,,oui,2026-11-21\n", encoding="utf-8"
    )
    with pytest.raises(PipelineFailed) as failure:
        run_pipeline(small_demo)
    assert failure.value.stage not in ("ingest", "publish")
    assert small_demo.paths.published.read_bytes() == published_bytes
    assert _state(small_demo) == before

    small_demo.paths.steward_db.unlink()
    recovered = run_pipeline(small_demo)
    assert recovered.status == "succeeded"
