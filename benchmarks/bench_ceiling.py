"""How far each public set's F1 is from the best any calibrated model over our comparisons could reach.

Why: a set where we trail Splink can be a model that is fitted badly (work on training pays) or
comparison vectors that cannot tell the pairs apart (only a new comparison, or a new field,
pays). This tells the two apart. For each person set in the shared folder it runs the real
evaluation (`matching.evaluation.evaluate_csv`, default settings), keeps its database, and
groups the candidate pairs by their comparison vector (one level per comparison). A vector's
*truth rate* is the share of its pairs that are true. A perfectly calibrated model over these
vectors (without term frequencies) gives each pair its vector's truth rate, so merging at
p >= 0.9 merges exactly the vectors whose rate is >= 0.9: its pairwise F1 is the **ceiling at
the threshold**. The **ceiling at any threshold** ranks vectors by rate and takes the best cut.
Both are measured on the very pairs they judge (in-sample), so they are upper bounds, and
generous on small sets; both are pairwise, without the transitive closure that clustering adds.
**Candidate recall** is the share of true pairs that blocking compared at all.

    .venv/bin/python -m benchmarks.bench_ceiling                    # every shared person set
    .venv/bin/python -m benchmarks.bench_ceiling --sets rldata_10000

Prints one line per set; docs/matching.md §9 quotes it.
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np

from benchmarks.bench_quality import SHARED, TRUTH, figures_to_beat, person_sets
from matching.evaluation import TRUTH_TABLE, evaluate_csv
from matching.settings import MatchingConfig


@dataclass
class Ceiling:
    true_pairs: int
    candidate_recall: float
    at_threshold: float
    at_best: float


def _f1(tp: np.ndarray, fp: np.ndarray, total: int) -> np.ndarray:
    """Pairwise F1 for each (true positives, false positives) against `total` true pairs."""
    return np.where(tp > 0, 2 * tp / np.maximum(tp + fp + total, 1), 0.0)


def ceiling(con: duckdb.DuckDBPyConnection, threshold: float, schema: str = "match") -> Ceiling:
    """The ceilings of a kept evaluation database (see the module's docstring)."""
    vector = ", ".join(
        f"c.{name}" for (name,) in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = 'candidates' AND column_name LIKE 'g\\_%' ESCAPE '\\'",
            [schema],
        ).fetchall()
    )
    total_row = con.execute(f"""
        SELECT coalesce(sum(n * (n - 1) / 2), 0)::BIGINT
        FROM (SELECT count(*) AS n FROM {TRUTH_TABLE} WHERE truth IS NOT NULL GROUP BY truth)
    """).fetchone()
    total = int(total_row[0]) if total_row else 0
    rows = con.execute(f"""
        SELECT count(*) FILTER (WHERE l.truth = r.truth) AS true_pairs, count(*) AS pairs
        FROM {schema}.candidates c
        JOIN {TRUTH_TABLE} l ON l.record_key = c.record_key_l AND l.truth IS NOT NULL
        JOIN {TRUTH_TABLE} r ON r.record_key = c.record_key_r AND r.truth IS NOT NULL
        GROUP BY {vector}
    """).fetchall()
    if not total or not rows:
        return Ceiling(total, 0.0, 0.0, 0.0)
    true_pairs = np.array([r[0] for r in rows], dtype=float)
    pairs = np.array([r[1] for r in rows], dtype=float)
    rate = true_pairs / pairs
    merged = rate >= threshold
    at_threshold = _f1(true_pairs[merged].sum(), (pairs - true_pairs)[merged].sum(), total)
    order = np.argsort(-rate, kind="stable")
    best = _f1(np.cumsum(true_pairs[order]), np.cumsum((pairs - true_pairs)[order]), total).max()
    return Ceiling(total, float(true_pairs.sum() / total), float(at_threshold), float(best))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="*", help="shared person sets by file stem (default: all)")
    args = parser.parse_args(argv)
    data = SHARED / "data"
    to_beat = figures_to_beat(SHARED / "README.md")
    cfg = MatchingConfig()
    print(f"{'set':<28} {'true pairs':>10} {'cand. recall':>12} {'ours F1':>8} {'ceiling @' + str(cfg.auto_match_threshold):>12}"
          f" {'ceiling any':>11} {'Splink':>7}")
    for name in args.sets or person_sets(data):
        with tempfile.TemporaryDirectory() as tmp:
            kept = Path(tmp) / "evaluation.duckdb"
            ours = evaluate_csv(data / f"{name}.csv", TRUTH, cfg, keep_database=kept)
            with duckdb.connect(str(kept), read_only=True) as con:
                top = ceiling(con, cfg.auto_match_threshold)
        beat = to_beat.get(name)
        print(f"{name:<28} {top.true_pairs:>10,} {top.candidate_recall:>12.4f} {ours.f1:>8.4f} {top.at_threshold:>12.4f}"
              f" {top.at_best:>11.4f} {beat if beat is not None else '-':>7}")


if __name__ == "__main__":
    main()
