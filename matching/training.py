"""Fit the Fellegi-Sunter model without labels: u from random pairs, m (and the prior) by EM.

- u (how often two *different* people agree at a level) comes from a seeded random sample of
  record pairs: almost all random pairs are non-matches.
- m (how often the *same* person agrees at a level) and the share of matches among candidate
  pairs come from expectation-maximisation over the candidate pairs' comparison vectors, with u
  held fixed. EM runs on distinct comparison vectors with their counts (a few thousand rows even
  for millions of pairs), so it is numpy over a small matrix.
- Steward-labelled pairs enter EM as observed truth (posterior fixed at 1 or 0), which refines m.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import duckdb
import numpy as np

from matching.comparisons import Comparison
from matching.model import ComparisonParams, MatchModel
from matching.settings import TrainingConfig
from matching.sql import one

PROB_FLOOR = 1e-6
M_PSEUDO_COUNT = 1.0
U_REFINEMENTS = 10


def gamma_columns(comparisons: list[Comparison]) -> list[str]:
    return [f"g_{c.name}" for c in comparisons]


def random_patterns(
    con: duckdb.DuckDBPyConnection, comparisons: list[Comparison], sample_pairs: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Comparison vectors (distinct, with counts) of all pairs within a seeded record sample."""
    row = one(con, "SELECT count(*) FROM match_input")
    n_records = int(row[0]) if row else 0
    n_sample = min(n_records, int(math.sqrt(2 * sample_pairs)) + 1)
    gammas = ", ".join(f"{c.gamma_sql()} AS g_{c.name}" for c in comparisons)
    cols = ", ".join(gamma_columns(comparisons))
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE match_u_sample AS
        SELECT * FROM match_input ORDER BY md5(record_key || ?), record_key LIMIT ?
        """,
        [str(seed), n_sample],
    )
    rows = con.execute(f"""
        SELECT {cols}, count(*) FROM (
            SELECT {gammas} FROM match_u_sample l JOIN match_u_sample r ON l.record_key < r.record_key
        ) GROUP BY ALL ORDER BY ALL
    """).fetchall()
    con.execute("DROP TABLE match_u_sample")
    k = len(comparisons)
    gam = np.array([r[:k] for r in rows], dtype=np.int64).reshape(-1, k)
    return neutralise(gam, comparisons), np.array([r[k] for r in rows], dtype=float)


def neutralise(gammas: np.ndarray, comparisons: list[Comparison]) -> np.ndarray:
    """Map neutral levels (missing, or counted elsewhere) to 0: they take no part in estimation."""
    out = gammas.copy()
    for k, comp in enumerate(comparisons):
        for i in comp.neutral[1:]:
            out[out[:, k] == i, k] = 0
    return out


def fix_neutral(probs: np.ndarray, comp: Comparison) -> np.ndarray:
    """Neutral levels get probability 1 (weight 0); the others are renormalised among themselves."""
    out = probs.copy()
    neutral = comp.neutral
    out[neutral] = 0.0
    total = out[1:].sum()
    if total > 0:
        out[1:] /= total
    out[neutral] = 1.0
    return out


def u_from_patterns(gammas: np.ndarray, weights: np.ndarray, comparisons: list[Comparison]) -> dict[str, np.ndarray]:
    """u per level from (weighted) random pairs; half a pair for levels never seen: rare, not impossible."""
    u: dict[str, np.ndarray] = {}
    for k, comp in enumerate(comparisons):
        n_levels = len(comp.levels)
        counts = np.bincount(gammas[:, k], weights=weights, minlength=n_levels).astype(float)
        probs = np.ones(n_levels)
        if counts[1:].sum() > 0:
            smoothed = np.maximum(counts[1:], 0.5)
            probs[1:] = smoothed / smoothed.sum()
        else:
            probs[1:] = 1.0 / (n_levels - 1)
        u[comp.name] = fix_neutral(probs, comp)
    return u


def match_posterior(
    gammas: np.ndarray, comparisons: list[Comparison], m: dict[str, np.ndarray], u: dict[str, np.ndarray],
    prior: float,
) -> np.ndarray:
    weight = np.full(len(gammas), math.log(prior / (1 - prior)))
    for k, c in enumerate(comparisons):
        weight += np.log(m[c.name][gammas[:, k]]) - np.log(u[c.name][gammas[:, k]])
    return 1.0 / (1.0 + np.exp(-np.clip(weight, -700, 700)))


@dataclass
class Patterns:
    gammas: np.ndarray      # (P, K) level index per comparison
    counts: np.ndarray      # (P,)
    labels: np.ndarray      # (P,) -1 unlabelled, 1 steward match, 0 steward non-match


def load_patterns(con: duckdb.DuckDBPyConnection, comparisons: list[Comparison]) -> Patterns:
    """Distinct comparison vectors of the candidate pairs, with counts and steward labels."""
    cols = ", ".join(f"c.{g}" for g in gamma_columns(comparisons))
    rows = con.execute(f"""
        SELECT {cols},
               CASE s.decision WHEN 'match' THEN 1 WHEN 'non_match' THEN 0 ELSE -1 END AS label,
               count(*) AS n
        FROM match.candidates c
        LEFT JOIN match_steward s ON s.record_key_l = c.record_key_l AND s.record_key_r = c.record_key_r
        GROUP BY ALL ORDER BY ALL
    """).fetchall()
    k = len(comparisons)
    arr = np.array([r[:k] for r in rows], dtype=np.int64).reshape(-1, k)
    return Patterns(
        neutralise(arr, comparisons), np.array([r[k + 1] for r in rows], dtype=float), np.array([r[k] for r in rows])
    )


def _initial_m(n_levels: int) -> np.ndarray:
    m = np.ones(n_levels)
    agree = n_levels - 2                      # levels between missing and else
    m[1 : 1 + agree] = 0.5 ** np.arange(agree)
    m[-1] = 0.05
    m[1:] /= m[1:].sum()
    return m


def _m_step(g: np.ndarray, w: np.ndarray, n_levels: int, pseudo: np.ndarray) -> np.ndarray:
    """Level distribution from weighted counts, plus one pseudo-pair spread like `pseudo`.

    The pseudo-pair keeps a level never seen among the candidates at a small probability instead
    of zero (whose weight would be minus infinity). Index 0 (missing) is always 1: neutral.
    """
    counts = np.bincount(g, weights=w, minlength=n_levels).astype(float)
    out = np.ones(n_levels)
    smoothed = counts[1:] + M_PSEUDO_COUNT * pseudo[1:]
    out[1:] = np.maximum(smoothed / smoothed.sum(), PROB_FLOOR)
    out[1:] /= out[1:].sum()
    return out


def run_em(
    patterns: Patterns,
    comparisons: list[Comparison],
    u: dict[str, np.ndarray],
    cfg: TrainingConfig,
) -> tuple[dict[str, np.ndarray], float, int]:
    """Two-class EM over the candidate pairs; returns m per comparison, the prior and the iterations.

    Both class distributions are free here. The non-match class among *candidates* is not the
    random-pair u: blocking made those pairs agree on something (a postcode, a birth date), and
    holding u at its random-pair value makes EM explain every such agreement as a match. So EM
    fits its own candidate-level u (started from the random one) and only m is kept; scoring
    then uses m with the random-pair u, as Fellegi-Sunter intends.
    """
    g = patterns.gammas
    weights = patterns.counts.copy()
    labelled = patterns.labels >= 0
    weights[labelled] *= cfg.steward_label_weight
    initial = {c.name: fix_neutral(_initial_m(len(c.levels)), c) for c in comparisons}
    m = {name: values.copy() for name, values in initial.items()}
    uc = {c.name: u[c.name].copy() for c in comparisons}
    prior = 0.3
    iterations = 0
    for iterations in range(1, cfg.em_iterations + 1):  # noqa: B007 - used after the loop
        log_m = np.zeros(len(g))
        log_u = np.zeros(len(g))
        for k, c in enumerate(comparisons):
            log_m += np.log(m[c.name][g[:, k]])
            log_u += np.log(uc[c.name][g[:, k]])
        # posterior that a pattern is a match, computed in log space for stability
        a = math.log(prior) + log_m
        b = math.log(1 - prior) + log_u
        post = 1.0 / (1.0 + np.exp(np.clip(b - a, -700, 700)))
        post[labelled] = patterns.labels[labelled]
        w_match = weights * post
        w_non = weights * (1.0 - post)
        new_prior = float(np.clip(w_match.sum() / weights.sum(), 1e-6, 1 - 1e-6)) if weights.sum() else prior
        delta = abs(new_prior - prior)
        for k, c in enumerate(comparisons):
            n_levels = len(c.levels)
            new_m = fix_neutral(_m_step(g[:, k], w_match, n_levels, initial[c.name]), c)
            new_u = fix_neutral(_m_step(g[:, k], w_non, n_levels, u[c.name]), c)
            delta = max(delta, float(np.abs(new_m - m[c.name]).max()), float(np.abs(new_u - uc[c.name]).max()))
            m[c.name], uc[c.name] = new_m, new_u
        prior = new_prior
        if delta < cfg.em_tolerance:
            break
    return m, prior, iterations


def labels_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    rows = con.execute(
        "SELECT record_key_l, record_key_r, decision FROM match_steward ORDER BY ALL"
    ).fetchall()
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:16]


def train(
    con: duckdb.DuckDBPyConnection,
    comparisons: list[Comparison],
    cfg: TrainingConfig,
    settings_fingerprint: str,
    version: str,
    trained_at: str,
) -> MatchModel:
    """Fit a model on `match_input` (for u) and `match.candidates` (for m); nothing is written here."""
    rand_g, rand_n = random_patterns(con, comparisons, cfg.u_sample_pairs, cfg.seed)
    random_pairs = int(rand_n.sum())
    u = u_from_patterns(rand_g, rand_n, comparisons)
    patterns = load_patterns(con, comparisons)
    m, candidate_prior, iterations = run_em(patterns, comparisons, u, cfg)
    row = one(con, "SELECT count(*) FROM match_input")
    n_records = int(row[0]) if row else 0
    # EM's prior is the share of matches among *candidate* pairs, which depends on how tight the
    # blocking is. Scoring uses the share among *all* pairs (as Splink does), so that agreement
    # has to be earned by the comparisons, not granted by having been blocked together.
    total_pairs = max(n_records * (n_records - 1) / 2, 1.0)
    expected_matches = candidate_prior * float(patterns.counts.sum())
    prior = min(max(expected_matches / total_pairs, 1e-12), 0.5)
    # Random pairs include a few true matches, and for identifying fields (email, phone) they
    # are most of the random agreements: u would say "two strangers share an email 1 time in
    # 5,000". Re-estimate u with each random pair weighted by its chance of being a non-match.
    for _ in range(U_REFINEMENTS):
        non_match = 1.0 - match_posterior(rand_g, comparisons, m, u, prior)
        u = u_from_patterns(rand_g, rand_n * non_match, comparisons)
    params = {
        c.name: ComparisonParams(
            labels=c.labels,
            m=[round(float(x), 10) for x in m[c.name]],
            u=[round(float(x), 10) for x in u[c.name]],
        )
        for c in comparisons
    }
    return MatchModel(
        version=version,
        settings_fingerprint=settings_fingerprint,
        prior=float(f"{prior:.10g}"),
        comparisons=params,
        trained_at=trained_at,
        records=n_records,
        labels_fingerprint=labels_fingerprint(con),
        training={
            "random_pairs": random_pairs,
            "candidate_pairs": int(patterns.counts.sum()),
            "patterns": len(patterns.counts),
            "steward_labelled_pairs": int(patterns.counts[patterns.labels >= 0].sum()),
            "em_iterations": iterations,
            "candidate_prior": round(candidate_prior, 6),
            "expected_matches": round(expected_matches, 1),
        },
    )
