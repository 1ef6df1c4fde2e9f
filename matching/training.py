"""Fit the Fellegi-Sunter model without labels: u from random pairs, m (and the prior) by EM.

- u (how often two *different* people agree at a level) comes from a seeded random sample of
  record pairs: almost all random pairs are non-matches.
- m (how often the *same* person agrees at a level) is fitted in two steps:
  1. **Sessions** (Splink's way): EM over the candidate pairs that agree exactly on a few fields
     (last name + birth date; first name + birth date; both names), those fields held out and u
     held at its random-pair value. Among such pairs a non-match agrees on the other fields about
     as often as two random records, so EM has only one split to find: match or not.
  2. **Anchored EM** over all candidate pairs, both classes free, started from the sessions'
     estimates. Alone, from a generic start, this EM found "same town / other town" on a
     million records (blocking on town + surname supplies millions of such pairs) and merged
     strangers; started from the sessions it stays on match / non-match and uses every pair. A
     fit that moves far from the sessions anyway is refused (`ran_away`).
  EM runs on distinct comparison vectors with their counts (a few thousand rows even for
  millions of pairs), so it is numpy over a small matrix.
- Steward-labelled pairs enter EM as observed truth (posterior fixed at 1 or 0), which refines m.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import duckdb
import numpy as np

from matching.comparisons import Comparison, HouseholdRule, vector_sql
from matching.em import (
    Patterns,
    Session,
    clamp_prior,
    fix_neutral,
    neutralise,
    ran_away,
    run_em,
    train_by_sessions,
)
from matching.model import ComparisonParams, MatchModel
from matching.prepare import INPUT_TABLE
from matching.settings import TrainingConfig
from matching.spec import ModelSpec
from matching.sql import one, scalar_int

U_REFINEMENTS = 10


def gamma_columns(comparisons: list[Comparison]) -> list[str]:
    return [f"g_{c.name}" for c in comparisons]


def random_patterns(
    con: duckdb.DuckDBPyConnection, comparisons: list[Comparison], household: HouseholdRule | None,
    sample_pairs: int, seed: int,
) -> tuple[np.ndarray, np.ndarray, set[str]]:
    """Comparison vectors (distinct, with counts) of all pairs within a seeded record sample, and the
    comparisons some sampled record holds a value for (the others are not in the data at all)."""
    n_records = scalar_int(con, f"SELECT count(*) FROM {INPUT_TABLE}")
    n_sample = min(n_records, int(math.sqrt(2 * sample_pairs)) + 1)
    gammas = ", ".join(f"{c.gamma_sql()} AS g_{c.name}" for c in comparisons)
    cols = ", ".join(gamma_columns(comparisons))
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE match_u_sample AS
        SELECT * FROM {INPUT_TABLE} ORDER BY md5(record_key || ?), record_key LIMIT ?
        """,
        [str(seed), n_sample],
    )
    inner = f"SELECT {gammas} FROM match_u_sample l JOIN match_u_sample r ON l.record_key < r.record_key"
    rows = con.execute(f"""
        SELECT {cols}, count(*) FROM ({vector_sql(comparisons, inner, household)}) GROUP BY ALL ORDER BY ALL
    """).fetchall()
    held = ", ".join(f"bool_or(NOT ({c.levels[0].sql})) AS h_{c.name}" for c in comparisons)
    row = one(con, f"SELECT {held} FROM match_u_sample l JOIN match_u_sample r USING (record_key)")
    con.execute("DROP TABLE match_u_sample")
    present = {c.name for c, flag in zip(comparisons, row or (), strict=False) if flag}
    k = len(comparisons)
    gam = np.array([r[:k] for r in rows], dtype=np.int64).reshape(-1, k)
    return neutralise(gam, comparisons), np.array([r[k] for r in rows], dtype=float), present


def u_from_patterns(
    gammas: np.ndarray, weights: np.ndarray, comparisons: list[Comparison], warnings: list[str] | None = None,
    present: set[str] | None = None,
) -> dict[str, np.ndarray]:
    """u per level from (weighted) random pairs; half a pair for levels never seen: rare, not impossible.

    A comparison no random pair holds on both sides has nothing to learn from: its u is uniform,
    which a note in `warnings` names when the field is in the data at all (`present`; None: all).
    """
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
            if warnings is not None and (present is None or comp.name in present):
                warnings.append(f"u of {comp.name}: no random pair holds it on both sides; u set uniform")
        u[comp.name] = fix_neutral(probs, comp)
    return u


def match_posterior(
    gammas: np.ndarray, comparisons: list[Comparison], m: dict[str, np.ndarray], u: dict[str, np.ndarray],
    prior: float,
) -> np.ndarray:
    prior = clamp_prior(prior)
    weight = np.full(len(gammas), math.log(prior / (1 - prior)))
    for k, c in enumerate(comparisons):
        weight += np.log(m[c.name][gammas[:, k]]) - np.log(u[c.name][gammas[:, k]])
    return 1.0 / (1.0 + np.exp(-np.clip(weight, -700, 700)))


def load_patterns(con: duckdb.DuckDBPyConnection, comparisons: list[Comparison], schema: str) -> Patterns:
    """Distinct comparison vectors of the candidate pairs (`<schema>.candidates`), with counts and steward labels."""
    cols = ", ".join(f"c.{g}" for g in gamma_columns(comparisons))
    rows = con.execute(f"""
        SELECT {cols},
               CASE s.decision WHEN 'match' THEN 1 WHEN 'non_match' THEN 0 ELSE -1 END AS label,
               count(*) AS n
        FROM {schema}.candidates c
        LEFT JOIN match_steward s ON s.record_key_l = c.record_key_l AND s.record_key_r = c.record_key_r
        GROUP BY ALL ORDER BY ALL
    """).fetchall()
    k = len(comparisons)
    arr = np.array([r[:k] for r in rows], dtype=np.int64).reshape(-1, k)
    return Patterns(
        neutralise(arr, comparisons), np.array([r[k + 1] for r in rows], dtype=float), np.array([r[k] for r in rows])
    )


def steward_decision_count(con: duckdb.DuckDBPyConnection) -> int:
    row = one(con, "SELECT count(*) FROM match_steward")
    return int(row[0]) if row else 0


def labels_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    rows = con.execute(
        "SELECT record_key_l, record_key_r, decision FROM match_steward ORDER BY ALL"
    ).fetchall()
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:16]


@dataclass
class MFit:
    """m per comparison and what the fit says about the matches among the candidates."""

    m: dict[str, np.ndarray]
    expected_matches: float
    candidate_prior: float
    iterations: int
    method: str
    sessions: list[Session]


def fit_m(
    patterns: Patterns, comparisons: list[Comparison], u: dict[str, np.ndarray], cfg: TrainingConfig,
    presence: dict[str, float], notes: list[str],
) -> MFit:
    """m by the configured method: sessions, then (anchored) EM over all candidates unless it runs
    away, or one EM over all candidates when the sessions cannot cover every comparison."""
    n_candidates = float(patterns.counts.sum())
    fitted = train_by_sessions(patterns, comparisons, u, cfg, presence) if cfg.method != "candidates" else None
    if fitted is None:
        if cfg.method != "candidates" and n_candidates > 0:  # none at all: `train` has said so
            notes.append(
                f"m: the EM sessions had too few pairs (under {cfg.em_session_min_pairs}) to estimate every "
                "comparison; fitted by one EM over all candidate pairs"
            )
        # Too little data for the sessions (or asked for): one EM over all candidates, both classes free.
        m, prior, iterations = run_em(patterns, comparisons, u, cfg)
        return MFit(m, prior * n_candidates, prior, iterations, "candidates", [])
    m, expected_matches, sessions = fitted
    fit = MFit(m, expected_matches, expected_matches / max(n_candidates, 1.0),
               max(s.iterations for s in sessions), "sessions", sessions)
    if cfg.method == "anchored":
        m_all, prior_all, iterations_all = run_em(patterns, comparisons, u, cfg, m, fit.candidate_prior)
        if ran_away(m, m_all, comparisons, expected_matches, prior_all * n_candidates):
            fit.method = "sessions (EM over all candidates ran away)"
        else:
            fit = MFit(m_all, prior_all * n_candidates, prior_all, iterations_all, "anchored", sessions)
    return fit


def train(
    con: duckdb.DuckDBPyConnection, spec: ModelSpec, settings_fingerprint: str, version: str, trained_at: str
) -> MatchModel:
    """Fit a model on `match_input` (for u) and `<schema>.candidates` (for m); nothing is written here.

    `settings_fingerprint`: what the model was fitted for (the spec and its levels), stored in it."""
    notes: list[str] = []
    comparisons, cfg = list(spec.comparisons), spec.training
    rand_g, rand_n, present = random_patterns(con, comparisons, spec.household, cfg.u_sample_pairs, cfg.seed)
    random_pairs = int(rand_n.sum())
    u = u_from_patterns(rand_g, rand_n, comparisons, notes, present)
    patterns = load_patterns(con, comparisons, spec.schema)
    if not len(patterns.counts):
        notes.append("m: no candidate pairs to learn from; m keeps its generic start")
    n_records = scalar_int(con, f"SELECT count(*) FROM {INPUT_TABLE}")
    total_pairs = max(n_records * (n_records - 1) / 2, 1.0)
    # how often both records of a pair hold each field (a newsletter record has no birth date)
    presence = {
        c.name: float(rand_n[rand_g[:, k] != 0].sum() / max(rand_n.sum(), 1.0)) for k, c in enumerate(comparisons)
    }
    fit = fit_m(patterns, comparisons, u, cfg, presence, notes)
    m, expected_matches = fit.m, fit.expected_matches
    # The prior is the share of matches among *all* pairs (as Splink does), not among candidates,
    # which depends on how tight the blocking is: agreement has to be earned by the comparisons,
    # not granted by having been blocked together.
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
        training=_training_record(con, random_pairs, patterns, fit, notes),
    )


def _training_record(
    con: duckdb.DuckDBPyConnection, random_pairs: int, patterns: Patterns, fit: MFit, notes: list[str]
) -> dict[str, object]:
    """What the model file says about its fit: counts, method, sessions and warnings (no data values)."""
    return {
        "random_pairs": random_pairs,
        "candidate_pairs": int(patterns.counts.sum()),
        "patterns": len(patterns.counts),
        "steward_labelled_pairs": int(patterns.counts[patterns.labels >= 0].sum()),
        "steward_decisions": steward_decision_count(con),
        "em_iterations": fit.iterations,
        "method": fit.method,
        "sessions": [
            {"fixed": list(x.fixed), "pairs": x.pairs, "expected_matches": round(x.expected_matches, 1),
             "em_iterations": x.iterations}
            for x in fit.sessions
        ],
        "candidate_prior": round(fit.candidate_prior, 6),
        "warnings": notes,
        "expected_matches": round(fit.expected_matches, 1),
    }
