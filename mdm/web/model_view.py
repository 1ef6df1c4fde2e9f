"""The matching model, visible: m and u per comparison level, the match-weight histogram, and how
many pairs sit at each threshold (what Splink users look for first).

Read from what the run stores: the model file that scored the published pairs (`model-<version>.json`
under `$MDM_HOME/models`: prior, and per comparison the labels, m and u) and the published
`match.pairs` (each stored pair's match weight and decision). Which version scored them is in the
published file: the match stage reports its `model_version`, and `ops.runs.summary` keeps it per run;
the newest run there that matched is the one whose scores the file holds (a later run's stages never
reach this file). The newest model file (`current.json`) may be newer: a run that failed after
training, or one not published yet. That one is named on the page, not shown as if it had scored. Only pairs at or above
`matching.store_threshold` are stored, so the histogram starts there: the mass of clear
non-matches below it is not kept by any run.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import duckdb

from matching.model import MatchModel, load_current
from mdm.web.explain import level_words, relation

#: At most about this many histogram bars; their width (in match weight) is the smallest of
#: NICE_WIDTHS that keeps to it (a weight of +1 doubles the odds).
MAX_BINS = 20
NICE_WIDTHS = (1, 2, 5, 10, 20, 50)


def weight_of(probability: float) -> float:
    """The match weight of a probability (log2 of the odds); ±inf at 0 and 1."""
    if probability <= 0:
        return -math.inf
    if probability >= 1:
        return math.inf
    return math.log2(probability / (1 - probability))


def model_levels(model: MatchModel) -> list[dict[str, Any]]:
    """Per comparison, per level: plain words, m, u and the weight log2(m/u) the scorer uses."""
    out = []
    for name, params in model.comparisons.items():
        weights = params.weights()
        levels = [{"label": label, "words": level_words(label, relation(label)), "m": m, "u": u, "weight": w}
                  for label, m, u, w in zip(params.labels, params.m, params.u, weights, strict=False)]
        out.append({"comparison": name, "levels": levels})
    return out


def bin_width(low: float, high: float) -> int:
    """The narrowest nice width that shows the range in at most about MAX_BINS bars."""
    span = max(high - low, 1.0)
    return next((w for w in NICE_WIDTHS if span / w <= MAX_BINS), NICE_WIDTHS[-1])


def histogram(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Stored pairs per match-weight bin, with the decisions in each bin."""
    row = cur.execute("SELECT min(match_weight), max(match_weight) FROM match.pairs").fetchone()
    if not row or row[0] is None:
        return []
    width = bin_width(float(row[0]), float(row[1]))
    rows = cur.execute(
        "SELECT floor(match_weight / ?) * ? AS lo, count(*), "
        "count(*) FILTER (WHERE decision IN ('auto_match', 'steward_match')), "
        "count(*) FILTER (WHERE decision = 'review') "
        "FROM match.pairs GROUP BY lo ORDER BY lo", [width, width]
    ).fetchall()
    return [{"from": float(lo), "to": float(lo) + width, "pairs": int(n), "matched": int(m), "review": int(r)}
            for lo, n, m, r in rows]


def thresholds(cur: duckdb.DuckDBPyConnection, matching: Any) -> list[dict[str, Any]]:
    """Each threshold as a probability and a weight, and how many stored pairs reach it."""
    out = []
    for key, probability in (("store", matching.store_threshold), ("review", matching.review_threshold),
                             ("auto_match", matching.auto_match_threshold)):
        row = cur.execute("SELECT count(*) FROM match.pairs WHERE match_probability >= ?", [probability]).fetchone()
        out.append({"threshold": key, "probability": probability, "weight": weight_of(probability),
                    "pairs_at_or_above": int(row[0]) if row else 0})
    return out


#: The run whose match stage scored the pairs of this file: the newest run in the published
#: `ops.runs` that reports a model version (the publishing run, or the last one that matched).
#: Newest by `seq`, the order runs started in: start times tie under a frozen clock.
SCORING_RUN_SQL = """
SELECT run_id, summary->'match'->>'model_version' FROM ops.runs
WHERE (summary->'match'->>'model_version') IS NOT NULL
ORDER BY seq DESC LIMIT 1
"""


def scoring_run(cur: duckdb.DuckDBPyConnection) -> tuple[str, str] | None:
    """(run_id, model version) of the run that scored the published pairs; None when the file
    does not say (a publication from before runs reported it)."""
    row = cur.execute(SCORING_RUN_SQL).fetchone()
    return (str(row[0]), str(row[1])) if row else None


def load_version(models: Path, version: str) -> MatchModel | None:
    """The model file of `version`, None when it is no longer kept."""
    path = models / Path(f"model-{version}.json").name  # a name, never a path from the database
    return MatchModel.from_json(path.read_text(encoding="utf-8")) if path.is_file() else None


def _about(model: MatchModel) -> dict[str, Any]:
    return {"version": model.version, "trained_at": model.trained_at, "records": model.records,
            "prior": model.prior, "prior_weight": model.prior_weight}


def model_page(cur: duckdb.DuckDBPyConnection, models: Path, matching: Any) -> dict[str, Any]:
    """Everything the model page shows: the model that scored the published pairs (`model`, None
    when no model was fitted yet or its file is gone), the run that used it, and a newer model file
    when there is one (`newer`: it scores from the next run on)."""
    scored = scoring_run(cur)
    current = load_current(models)
    model = load_version(models, scored[1]) if scored else current
    bins = histogram(cur)
    return {
        "model": None if model is None else _about(model),
        "scored_by": None if scored is None else {"run_id": scored[0], "version": scored[1]},
        "newer": _about(current) if current is not None and model is not None
        and current.version != model.version else None,
        "comparisons": model_levels(model) if model is not None else [],
        "histogram": bins,
        "tallest": max((b["pairs"] for b in bins), default=0),
        "thresholds": thresholds(cur, matching),
    }
