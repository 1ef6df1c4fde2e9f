"""Expectation-maximisation for the Fellegi-Sunter model over distinct comparison vectors.

Why a module of its own: the EM variants (both classes free, u held, the prior alone) and the
sessions that anchor them are the statistics; `training.py` gathers the data (random pairs,
candidate patterns) and writes the model. Everything here is numpy over a few thousand
distinct patterns, whatever the number of pairs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from matching.comparisons import Comparison
from matching.settings import TrainingConfig

PROB_FLOOR = 1e-6
M_PSEUDO_COUNT = 1.0
#: A prior (a share of matches) is kept this far from 0 and 1: its log and the log of its
#: complement must stay finite whatever a session or an extrapolation estimated.
PRIOR_EPSILON = 1e-9


def clamp_prior(prior: float) -> float:
    """`prior` within [PRIOR_EPSILON, 1 - PRIOR_EPSILON]; NaN (nothing to estimate from) -> PRIOR_EPSILON."""
    if not math.isfinite(prior):
        return PRIOR_EPSILON
    return min(max(prior, PRIOR_EPSILON), 1.0 - PRIOR_EPSILON)


def neutralise(gammas: np.ndarray, comparisons: list[Comparison]) -> np.ndarray:
    """Map neutral levels (missing, or counted elsewhere) to 0: they take no part in estimation."""
    out = gammas.copy()
    for k, comp in enumerate(comparisons):
        for i in comp.neutral[1:]:
            out[out[:, k] == i, k] = 0
    return out


@dataclass
class Patterns:
    gammas: np.ndarray      # (P, K) level index per comparison
    counts: np.ndarray      # (P,)
    labels: np.ndarray      # (P,) -1 unlabelled, 1 steward match, 0 steward non-match


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


def initial_m(n_levels: int) -> np.ndarray:
    m = np.ones(n_levels)
    agree = n_levels - 2                      # levels between missing and else
    m[1 : 1 + agree] = 0.5 ** np.arange(agree)
    m[-1] = 0.05
    m[1:] /= m[1:].sum()
    return m


def generic_m(comparisons: list[Comparison]) -> dict[str, np.ndarray]:
    """Every comparison's generic start (`initial_m`), neutral levels fixed: EM's start and pseudo-pair."""
    return {c.name: fix_neutral(initial_m(len(c.levels)), c) for c in comparisons}


def m_step(g: np.ndarray, w: np.ndarray, n_levels: int, pseudo: np.ndarray) -> np.ndarray:
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


def log_probability(g: np.ndarray, comparisons: list[Comparison], probs: dict[str, np.ndarray]) -> np.ndarray:
    """Per pattern, the log of its probability under one class (m or u), comparisons independent."""
    out = np.zeros(len(g))
    for k, c in enumerate(comparisons):
        out += np.log(probs[c.name][g[:, k]])
    return out


def _posterior(patterns: Patterns, log_m: np.ndarray, log_u: np.ndarray, prior: float) -> np.ndarray:
    """Chance that each pattern is a match, in log space for stability; labelled patterns keep their label."""
    prior = clamp_prior(prior)
    a = math.log(prior) + log_m
    b = math.log(1 - prior) + log_u
    post = 1.0 / (1.0 + np.exp(np.clip(b - a, -700, 700)))
    labelled = patterns.labels >= 0
    post[labelled] = patterns.labels[labelled]
    return post


def run_em(
    patterns: Patterns,
    comparisons: list[Comparison],
    u: dict[str, np.ndarray],
    cfg: TrainingConfig,
    start_m: dict[str, np.ndarray] | None = None,
    start_prior: float = 0.3,
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
    initial = generic_m(comparisons)
    m = {name: values.copy() for name, values in (start_m or initial).items()}
    uc = {c.name: u[c.name].copy() for c in comparisons}
    prior = start_prior
    iterations = 0
    for iterations in range(1, cfg.em_iterations + 1):  # noqa: B007 - used after the loop
        post = _posterior(patterns, log_probability(g, comparisons, m), log_probability(g, comparisons, uc), prior)
        w_match = weights * post
        w_non = weights * (1.0 - post)
        new_prior = float(np.clip(w_match.sum() / weights.sum(), 1e-6, 1 - 1e-6)) if weights.sum() else prior
        delta = abs(new_prior - prior)
        for k, c in enumerate(comparisons):
            n_levels = len(c.levels)
            new_m = fix_neutral(m_step(g[:, k], w_match, n_levels, initial[c.name]), c)
            new_u = fix_neutral(m_step(g[:, k], w_non, n_levels, u[c.name]), c)
            delta = max(delta, float(np.abs(new_m - m[c.name]).max()), float(np.abs(new_u - uc[c.name]).max()))
            m[c.name], uc[c.name] = new_m, new_u
        prior = new_prior
        if delta < cfg.em_tolerance:
            break
    return m, prior, iterations


@dataclass
class Session:
    """One EM training session: the candidate pairs that agree exactly on `fixed` comparisons."""

    fixed: tuple[str, ...]
    pairs: int
    expected_matches: float
    iterations: int
    estimated: tuple[str, ...]


def agreeing(gammas: np.ndarray, comp: Comparison) -> np.ndarray:
    """Whether each vector agrees on `comp`: exactly or give or take a slip, not at a neutral,
    weak (an initial, the same year, a loose similarity) or "different" level."""
    return np.isin(gammas, comp.close)


def session_patterns(patterns: Patterns, comparisons: list[Comparison], fixed: list[str]) -> Patterns:
    """Patterns agreeing closely (see `agreeing`) on every `fixed` comparison, those neutralised.

    Those pairs are the ones a blocking rule on the same fields would produce: non-matches among
    them agree on the *other* fields about as often as random pairs do, which is what lets EM hold
    u at its random-pair value. The fixed comparisons say nothing here (every pair agrees on them),
    so they are set to 0 and take no part.

    Why closely and not exactly: where each duplicate carries one error (a typo in one field), the
    pairs agreeing *exactly* on two fields are just the duplicates whose error sits in the third,
    and EM then learns that a duplicate never agrees exactly on it (m of an exact surname 0.005 on
    RLdata). A typo in a fixed field does not keep a pair out here. Why not at weak levels too:
    they let in crowds of strangers (same first name, same birth year) and the prior came out
    eight times too high.
    """
    index = {c.name: k for k, c in enumerate(comparisons)}
    keep = np.ones(len(patterns.counts), dtype=bool)
    for name in fixed:
        k = index[name]
        keep &= agreeing(patterns.gammas[:, k], comparisons[k])
    gammas = patterns.gammas[keep].copy()
    for name in fixed:
        gammas[:, index[name]] = 0
    return Patterns(gammas, patterns.counts[keep], patterns.labels[keep])


def share_from_disagreement(patterns: Patterns, comparisons: list[Comparison], u: dict[str, np.ndarray]) -> float | None:
    """A session's match share when it leaves one comparison free; None when it leaves more (EM finds it).

    With one free comparison and u held, every match share fits the data along a ridge: any share
    explains the level counts with some m, and EM stopped wherever it met the ridge (RLdata 10000:
    the names' session put 19 % of the duplicates' birth dates a generation apart or "different",
    where none are, and counted 1,189 matches for about 980). The one fact that tells the share is
    how much rarer outright disagreement ("different") is among the session's pairs than among
    strangers: duplicates (almost) never disagree outright, so the pairs that do are strangers.
    """
    free = [k for k, c in enumerate(comparisons) if np.isin(patterns.gammas[:, k], c.weighed).any()]
    if len(free) != 1:
        return None
    comp, g = comparisons[free[0]], patterns.gammas[:, free[0]]
    held = float(patterns.counts[np.isin(g, comp.weighed)].sum())
    different = len(comp.levels) - 1
    strangers = float(u[comp.name][different] / max(float(u[comp.name][comp.weighed].sum()), PROB_FLOOR))
    if strangers <= 0:
        return None
    observed = float(patterns.counts[g == different].sum()) / held
    return float(np.clip(1.0 - observed / strangers, PROB_FLOOR, 1.0 - PROB_FLOOR))


def m_at_share(
    patterns: Patterns, comparisons: list[Comparison], u: dict[str, np.ndarray], share: float,
) -> dict[str, np.ndarray]:
    """m that explains each comparison's level counts at a known match share, u held (unlabelled pairs).

    Counts = share * m + (1 - share) * u, so m = (counts - (1 - share) * u) / share, floored at 0.
    EM started elsewhere creeps towards a level whose m is 0 (it shrinks by a factor close to 1 per
    iteration), so a session with a known share starts here.
    """
    m = generic_m(comparisons)
    for k, c in enumerate(comparisons):
        free = c.weighed
        observed = np.bincount(patterns.gammas[:, k], weights=patterns.counts, minlength=len(c.levels))
        if observed[free].sum() <= 0:
            continue
        values = np.zeros(len(c.levels))
        values[free] = np.maximum(
            observed[free] / observed[free].sum() - (1 - share) * u[c.name][free] / u[c.name][free].sum(), 0.0
        ) / share
        m[c.name] = fix_neutral(np.maximum(values, PROB_FLOOR), c)
    return m


def run_em_fixed_u(
    patterns: Patterns, comparisons: list[Comparison], u: dict[str, np.ndarray], cfg: TrainingConfig,
    share: float | None = None,
) -> tuple[dict[str, np.ndarray], float, int]:
    """EM with u held at its random-pair value: only m and the session's match share move (Splink's way).

    `share`: the session's match share when known otherwise (`share_from_disagreement`): held, and
    only m moves, from the m that share implies."""
    g = patterns.gammas
    weights = patterns.counts.copy()
    labelled = patterns.labels >= 0
    weights[labelled] *= cfg.steward_label_weight
    initial = generic_m(comparisons)
    if share is None:
        m, prior = {name: values.copy() for name, values in initial.items()}, 0.5
    else:
        m, prior = m_at_share(patterns, comparisons, u, share), share
    log_u = log_probability(g, comparisons, u)
    iterations = 0
    for iterations in range(1, cfg.em_iterations + 1):  # noqa: B007 - used after the loop
        post = _posterior(patterns, log_probability(g, comparisons, m), log_u, prior)
        w_match = weights * post
        new_prior = float(np.clip(w_match.sum() / weights.sum(), 1e-6, 1 - 1e-6)) if share is None else share
        delta = abs(new_prior - prior)
        for k, c in enumerate(comparisons):
            new_m = fix_neutral(m_step(g[:, k], w_match, len(c.levels), initial[c.name]), c)
            delta = max(delta, float(np.abs(new_m - m[c.name]).max()))
            m[c.name] = new_m
        prior = new_prior
        if delta < cfg.em_tolerance:
            break
    return m, prior, iterations


def train_by_sessions(
    patterns: Patterns, comparisons: list[Comparison], u: dict[str, np.ndarray], cfg: TrainingConfig,
    presence: dict[str, float] | None = None,
) -> tuple[dict[str, np.ndarray], float, list[Session]] | None:
    """m per comparison from EM sessions over pairs agreeing on other fields; None if they cannot cover all.

    Each comparison's m is the average of the sessions that estimated it, weighted by each
    session's expected matches. The number of matches among *all* candidates (for the prior) is
    extrapolated from each session: a session holds the matches whose two records both hold its
    fixed fields (`presence`: the share of random pairs where both do, 1 if not given) and agree
    on them exactly (the other sessions' m). An EM over all candidates for that number alone,
    with m and u held, doubled it on a million records: millions of strangers sharing a surname
    each add a little probability.
    """
    names = {c.name for c in comparisons}
    by_name = {c.name: c for c in comparisons}
    sums = {c.name: np.zeros(len(c.levels)) for c in comparisons}
    seen = {c.name: np.zeros(len(c.levels)) for c in comparisons}
    totals = dict.fromkeys(names, 0.0)
    sessions: list[Session] = []
    for fixed in cfg.em_sessions:
        if not set(fixed) <= names:
            continue
        part = session_patterns(patterns, comparisons, fixed)
        if part.counts.sum() < cfg.em_session_min_pairs:
            continue
        m, share, iterations = run_em_fixed_u(part, comparisons, u, cfg, share_from_disagreement(part, comparisons, u))
        expected = share * float(part.counts.sum())
        estimated = tuple(c.name for c in comparisons if c.name not in fixed)
        session = Session(tuple(fixed), int(part.counts.sum()), expected, iterations, estimated)
        sessions.append(session)
        for k, c in enumerate(comparisons):
            if c.name in estimated:
                sums[c.name] += expected * m[c.name]
                totals[c.name] += expected
                seen[c.name] += np.bincount(part.gammas[:, k], weights=part.counts, minlength=len(c.levels))
    if any(totals[name] <= 0 for name in names):
        return None
    m_final = {c.name: fix_neutral(sums[c.name] / totals[c.name], c) for c in comparisons}
    # all matches ~ session matches / P(a match agrees exactly on the session's fixed comparisons)
    estimates = []
    for session in sessions:
        # a match enters the session if both records hold the fixed fields and agree on them closely
        recall = float(np.prod([(presence or {}).get(name, 1.0) * float(m_final[name][by_name[name].close].sum())
                                for name in session.fixed]))
        if recall > 0:
            estimates.append((session.expected_matches / recall, session.expected_matches))
    weight = sum(w for _, w in estimates)
    matches = sum(n * w for n, w in estimates) / weight if weight > 0 else 0.0
    n_candidates = max(float(patterns.counts.sum()), 1.0)
    candidate_share = min(max(matches / n_candidates, 1e-6), 0.99)
    m_final = fill_unseen_levels(patterns, comparisons, m_final, u, candidate_share, seen)
    return m_final, matches, sessions


def fill_unseen_levels(
    patterns: Patterns, comparisons: list[Comparison], m: dict[str, np.ndarray], u: dict[str, np.ndarray],
    candidate_share: float, seen: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """m for levels no session can see, from all candidates judged by the *other* comparisons.

    A session's pairs agree exactly on its fixed comparisons, which rules some levels out: two
    records whose first and last names are swapped never agree exactly on either name, so the
    swap level of `first_name` is in no session and EM would give it the pseudo-count's tiny m.
    For such a level, every candidate pair's match probability is computed without the
    comparison itself (so the level cannot vote for its own pairs), and m is the level's share of
    the expected matches; the levels the sessions did see keep their relative values.
    """
    out = {name: values.copy() for name, values in m.items()}
    g, counts = patterns.gammas, patterns.counts
    if not len(counts):
        return out
    log_ratio = np.zeros((len(g), len(comparisons)))
    for k, c in enumerate(comparisons):
        log_ratio[:, k] = np.log(m[c.name][g[:, k]]) - np.log(u[c.name][g[:, k]])
    total = log_ratio.sum(axis=1) + math.log(candidate_share / (1 - candidate_share))
    for k, c in enumerate(comparisons):
        present = np.bincount(g[:, k], weights=counts, minlength=len(c.levels))
        unseen = [i for i in c.weighed if seen[c.name][i] == 0 and present[i] > 0]
        if not unseen:
            continue
        post = 1.0 / (1.0 + np.exp(-np.clip(total - log_ratio[:, k], -700, 700)))
        expected = np.bincount(g[:, k], weights=counts * post, minlength=len(c.levels))
        free = c.weighed
        if expected[free].sum() <= 0:
            continue
        share = expected / expected[free].sum()
        values = out[c.name].copy()
        filled = float(share[unseen].sum())
        kept = [i for i in free if i not in unseen]
        values[kept] *= (1.0 - filled) / max(float(values[kept].sum()), PROB_FLOOR)
        values[unseen] = np.maximum(share[unseen], PROB_FLOOR)
        out[c.name] = fix_neutral(values, c)
    return out


#: The anchored fit is refused when a comparison's exact-level m moves further than this from the sessions'.
RUNAWAY_DISTANCE = 0.5


#: ... or when its number of matches is more than this many times the sessions' (or less than its inverse).
RUNAWAY_MATCH_RATIO = 2.0


def ran_away(
    anchor: dict[str, np.ndarray], fitted: dict[str, np.ndarray], comparisons: list[Comparison],
    anchor_matches: float = 0.0, fitted_matches: float = 0.0,
) -> bool:
    """Whether EM over all candidates left the sessions' solution for another split of the pairs.

    On a million records it once settled on "same town" versus "other town" (m of an exact
    birth date 0.07): a split with a higher likelihood that is not match versus non-match. On
    RLdata 10000 it settled on "same name" (92 % of the candidates "matches", ten times the
    sessions' count) with every m close to the sessions': the match count gives that one away.
    """
    if anchor_matches > 0 and fitted_matches > 0:
        ratio = fitted_matches / anchor_matches
        if ratio > RUNAWAY_MATCH_RATIO or ratio < 1 / RUNAWAY_MATCH_RATIO:
            return True
    return any(abs(float(fitted[c.name][1]) - float(anchor[c.name][1])) > RUNAWAY_DISTANCE for c in comparisons)
