"""The matching model, visible: m and u per comparison level, the match-weight histogram, and how
many pairs sit at each threshold (what Splink users look for first).

Read from what the run stores: the model file (`$MDM_HOME/models/current.json` -> the fitted
`model-<version>.json`: prior, and per comparison the labels, m and u) and the published
`match.pairs` (each stored pair's match weight and decision). Only pairs at or above
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


def model_page(cur: duckdb.DuckDBPyConnection, models: Path, matching: Any) -> dict[str, Any]:
    """Everything the model page shows; `model` is None when no model was fitted yet."""
    model = load_current(models)
    bins = histogram(cur)
    tallest = max((b["pairs"] for b in bins), default=0)
    return {
        "model": None if model is None else {
            "version": model.version, "trained_at": model.trained_at, "records": model.records,
            "prior": model.prior, "prior_weight": model.prior_weight,
        },
        "comparisons": model_levels(model) if model is not None else [],
        "histogram": bins,
        "tallest": tallest,
        "thresholds": thresholds(cur, matching),
    }
