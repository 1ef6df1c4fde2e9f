"""The pipeline benchmark's own measuring tools: pairwise F1 and the per-section memory peak."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from benchmarks.bench_pipeline import PeakMeter, link_inbox, match_quality


def _home_with_xref(home: Path, rows: list[tuple[str, str, str | None]]) -> None:
    """A warehouse holding only golden.xref: (record_key, golden_id, valid_to)."""
    home.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    con.execute("CREATE SCHEMA golden")
    con.execute("CREATE TABLE golden.xref (record_key VARCHAR, source VARCHAR, golden_id VARCHAR, "
                "valid_from TIMESTAMP, valid_to TIMESTAMP)")
    for key, golden, valid_to in rows:
        con.execute("INSERT INTO golden.xref VALUES (?, 's', ?, TIMESTAMP '2026-01-01', ?)", [key, golden, valid_to])
    con.close()


def _truth(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text("record_key,source,person_id\n" + "".join(f"{k},s,{p}\n" for k, p in rows), encoding="utf-8")
    return path


def test_pairwise_scores_count_pairs_of_current_rows_only(tmp_path: Path) -> None:
    # Truth: {a,b,c} one person, {d,e} another. Prediction: {a,b}, {c,d,e}; a's old row is history.
    _home_with_xref(tmp_path / "home", [
        ("a", "G1", None), ("b", "G1", None), ("c", "G2", None), ("d", "G2", None), ("e", "G2", None),
        ("a", "G2", "2026-01-02"),
    ])
    truth = _truth(tmp_path / "truth.csv", [("a", "P1"), ("b", "P1"), ("c", "P1"), ("d", "P2"), ("e", "P2"),
                                            ("z", "P3")])
    scores = match_quality(tmp_path / "home", truth)
    # predicted pairs: ab, cd, ce, de = 4; true pairs: ab, ac, bc, de = 4; both: ab, de = 2
    assert scores["precision"] == pytest.approx(0.5)
    assert scores["recall"] == pytest.approx(0.5)
    assert scores["f1"] == pytest.approx(0.5)
    assert scores["records_scored"] == 5
    assert scores["records_in_truth"] == 6


def test_perfect_clusters_score_one(tmp_path: Path) -> None:
    _home_with_xref(tmp_path / "home", [("a", "G1", None), ("b", "G1", None), ("c", "G2", None)])
    truth = _truth(tmp_path / "truth.csv", [("a", "P1"), ("b", "P1"), ("c", "P2")])
    assert match_quality(tmp_path / "home", truth)["f1"] == pytest.approx(1.0)


def test_peak_meter_sees_a_short_lived_allocation() -> None:
    meter = PeakMeter()
    try:
        meter.start()
        baseline = meter.peak_mb()
        block = bytearray(300 * 2**20)
        block[:: 4096] = b"x" * len(block[:: 4096])  # touch every page so it is resident
        del block
        assert meter.peak_mb() >= baseline + 250
        meter.start()  # a new section forgets the old peak (where the kernel allows the reset)
        if meter.clear_refs:
            assert meter.peak_mb() < baseline + 250
    finally:
        meter.close()


def test_link_inbox_mirrors_the_data_set_folders(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "inbox" / "crm").mkdir(parents=True)
    (data / "inbox" / "crm" / "a.csv").write_text("x\n", encoding="utf-8")
    link_inbox(data, tmp_path / "home")
    assert (tmp_path / "home" / "inbox" / "crm" / "a.csv").read_text(encoding="utf-8") == "x\n"


def test_the_benchmark_knows_the_runner_stages() -> None:
    from benchmarks.bench_pipeline import STAGE_NAMES
    from mdm.pipeline import STAGES

    # the runner's stages, then the compaction `mdm run` does once the writer is closed
    assert list(STAGE_NAMES) == [*STAGES, "compact"]
