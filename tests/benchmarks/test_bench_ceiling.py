"""The ceiling benchmark's arithmetic, on a kept evaluation database small enough to count by hand."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from benchmarks.bench_ceiling import ceiling
from matching.evaluation import evaluate

NOW = datetime(2026, 12, 7)


def test_ceiling_counts_vectors_by_their_truth_rate(tmp_path: Path) -> None:
    # Ann Lee twice with one birth date: a true pair alone in its vector. Cid Moe four times,
    # birth dates decades apart: six pairs in one vector, three of them true (rate 1/2).
    frame = pd.DataFrame({
        "record_id": ["1", "2", "3", "4", "5", "6"],
        "first_name": ["Ann", "Ann", "Cid", "Cid", "Cid", "Cid"],
        "last_name": ["Lee", "Lee", "Moe", "Moe", "Moe", "Moe"],
        "birth_date": ["1980-01-01", "1980-01-01", "1930-05-05", "1950-09-09", "1970-03-03", "1990-07-07"],
    })
    kept = tmp_path / "kept.duckdb"
    evaluate(frame, pd.Series(["a", "a", "c", "c", "c", "e"]), now=NOW, keep_database=kept)
    with duckdb.connect(str(kept), read_only=True) as con:
        top = ceiling(con, 0.9)
    assert top.true_pairs == 4 and top.candidate_recall == 1.0
    # at 0.9 only Ann's vector is merged: 1 of 4 true pairs, no false one -> F1 2 / (1 + 4)
    assert top.at_threshold == pytest.approx(0.4)
    # the best cut adds Cid's vector, 3 true and 3 false pairs: F1 2 * 4 / (7 + 4)
    assert top.at_best == pytest.approx(8 / 11)
