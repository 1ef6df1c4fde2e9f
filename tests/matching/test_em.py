"""The EM fits on simulated comparison vectors whose true m and u are known.

The simulation mimics what blocking a million French records produced: for every true pair,
forty pairs of strangers who share a town and a surname (a `last_name + city` rule). EM over all
candidates from a generic start mistook that split for the match split (on the real data; this
simple simulation does not reproduce the trap); the sessions and the anchored EM must recover
the true m here.
"""

from __future__ import annotations

import numpy as np
import pytest

from matching import em
from matching.comparisons import Comparison, build
from matching.settings import MatchingConfig, TrainingConfig

COMPARISONS = build(MatchingConfig().comparisons)
INDEX = {c.name: k for k, c in enumerate(COMPARISONS)}


def level(name: str, label: str) -> int:
    return COMPARISONS[INDEX[name]].labels.index(label)


def _distribution(comp: Comparison, weights: dict[str, float]) -> np.ndarray:
    """Probabilities over the levels: `weights` by label, the rest of the mass on 'different'."""
    probs = np.zeros(len(comp.levels))
    for label, p in weights.items():
        probs[comp.labels.index(label)] = p
    probs[-1] = 1.0 - probs.sum()
    return probs


TRUE_M = {
    "first_name": {"exact": 0.85, "nickname or initials": 0.05, "very similar (jaro-winkler >= 0.92)": 0.05},
    "last_name": {"exact": 0.9, "very similar (jaro-winkler >= 0.92)": 0.05},
    "email": {"exact": 0.9},
    "phone": {"exact (E.164)": 0.9},
    "birth_date": {"exact": 0.95, "day and month transposed": 0.02},
    "street": {"exact": 0.85, "partly similar (token overlap >= 0.3)": 0.05},
    "postcode": {"exact": 0.9},
    "city": {"exact": 0.9},
    "national_id": {"exact": 0.95},
}
TRUE_U = {
    "first_name": {"exact": 0.01, "very similar (jaro-winkler >= 0.92)": 0.002},
    "last_name": {"exact": 0.001, "very similar (jaro-winkler >= 0.92)": 0.001},
    "email": {"exact": 1e-6},
    "phone": {"exact (E.164)": 1e-6},
    "birth_date": {"exact": 4e-5, "day and month transposed": 1e-5},
    "street": {"exact": 1e-4, "partly similar (token overlap >= 0.3)": 0.04},
    "postcode": {"exact": 0.01},
    "city": {"exact": 0.02},
    "national_id": {"exact": 1e-7},
}


def _sample(rng: np.random.Generator, n: int, probs: dict[str, dict[str, float]]) -> np.ndarray:
    out = np.zeros((n, len(COMPARISONS)), dtype=np.int64)
    for k, comp in enumerate(COMPARISONS):
        out[:, k] = rng.choice(len(comp.levels), size=n, p=_distribution(comp, probs[comp.name]))
    return out


def simulated(matches: int = 20_000, strangers_per_match: int = 40, swapped: float = 0.03) -> em.Patterns:
    rng = np.random.default_rng(7)
    true = _sample(rng, matches, TRUE_M)
    n_swapped = int(matches * swapped)       # names typed in each other's field
    true[:n_swapped, INDEX["first_name"]] = level("first_name", "first and last name swapped")
    true[:n_swapped, INDEX["last_name"]] = 0
    strangers = _sample(rng, matches * strangers_per_match, TRUE_U)
    strangers[:, INDEX["last_name"]] = level("last_name", "exact")      # blocked on surname + town
    strangers[:, INDEX["city"]] = level("city", "exact")
    # few customer files carry a national ID: nine pairs in ten lack it on one side
    for block in (true, strangers):
        block[rng.random(len(block)) < 0.9, INDEX["national_id"]] = 0
    rows, counts = np.unique(np.vstack([true, strangers]), axis=0, return_counts=True)
    gammas = em.neutralise(rows, COMPARISONS)
    return em.Patterns(gammas, counts.astype(float), np.full(len(counts), -1))


def random_u() -> dict[str, np.ndarray]:
    """u as training estimates it: smoothed, so that no level is impossible."""
    out = {}
    for c in COMPARISONS:
        probs = np.maximum(_distribution(c, TRUE_U[c.name]), 1e-7)
        out[c.name] = em.fix_neutral(probs / probs[1:].sum(), c)
    return out


@pytest.fixture(scope="module")
def patterns() -> em.Patterns:
    return simulated()


def test_sessions_recover_m_under_forty_blocked_strangers_per_match(patterns: em.Patterns) -> None:
    cfg = TrainingConfig()
    fitted = em.train_by_sessions(patterns, COMPARISONS, random_u(), cfg)
    assert fitted is not None
    m, matches, sessions = fitted
    assert len(sessions) == 3
    assert m["birth_date"][1] == pytest.approx(0.95, abs=0.03)
    assert m["email"][1] == pytest.approx(0.9, abs=0.03)
    assert m["first_name"][1] == pytest.approx(0.85 * 0.97, abs=0.05)


def test_anchored_em_stays_on_the_match_split(patterns: em.Patterns) -> None:
    cfg = TrainingConfig()
    fitted = em.train_by_sessions(patterns, COMPARISONS, random_u(), cfg)
    assert fitted is not None
    m_sessions, matches, _ = fitted
    share = matches / patterns.counts.sum()
    m, prior, _ = em.run_em(patterns, COMPARISONS, random_u(), cfg, m_sessions, share)
    assert not em.ran_away(m_sessions, m, COMPARISONS)
    assert m["birth_date"][1] == pytest.approx(0.95, abs=0.03)
    assert prior * patterns.counts.sum() == pytest.approx(20_000, rel=0.05)


def test_a_level_no_session_can_see_gets_its_m_from_the_other_comparisons(patterns: em.Patterns) -> None:
    fitted = em.train_by_sessions(patterns, COMPARISONS, random_u(), TrainingConfig())
    assert fitted is not None
    swap = level("first_name", "first and last name swapped")
    # 3 % of the true pairs are swaps; every session fixes a name, so none of them holds one
    assert fitted[0]["first_name"][swap] == pytest.approx(0.03, abs=0.01)


def test_ran_away_flags_a_fit_far_from_the_anchor() -> None:
    anchor = {c.name: em.fix_neutral(_distribution(c, TRUE_M[c.name]), c) for c in COMPARISONS}
    moved = {name: values.copy() for name, values in anchor.items()}
    assert not em.ran_away(anchor, moved, COMPARISONS)
    moved["birth_date"][1] = 0.07
    assert em.ran_away(anchor, moved, COMPARISONS)


def test_too_few_pairs_for_the_sessions_falls_back() -> None:
    small = simulated(matches=3, strangers_per_match=2)
    assert em.train_by_sessions(small, COMPARISONS, random_u(), TrainingConfig()) is None


def test_the_match_count_allows_for_fields_that_are_missing() -> None:
    base = simulated()
    # two pairs in three lack a birth date on one side (newsletter records hold little else):
    # every pattern's count is split, so that the share holds for pairs, not for patterns
    without = base.gammas.copy()
    without[:, INDEX["birth_date"]] = 0
    gammas = np.vstack([base.gammas, without])
    rows, inverse = np.unique(gammas, axis=0, return_inverse=True)
    counts = np.bincount(inverse.ravel(), weights=np.concatenate([base.counts / 3, base.counts * 2 / 3]))
    patterns = em.Patterns(rows, counts, np.full(len(counts), -1))
    presence = {c.name: 1.0 for c in COMPARISONS} | {"birth_date": 1 / 3, "national_id": 0.1}
    fitted = em.train_by_sessions(patterns, COMPARISONS, random_u(), TrainingConfig(), presence)
    naive = em.train_by_sessions(patterns, COMPARISONS, random_u(), TrainingConfig())
    assert fitted is not None and naive is not None
    assert fitted[1] == pytest.approx(20_000, rel=0.1)
    assert naive[1] < 0.85 * 20_000                    # without it, the birth-date sessions undercount


def names_and_birth_dates_only(matches: int = 1_000, strangers_per_match: int = 9) -> em.Patterns:
    """A register with names and birth dates alone (RLdata's shape): every session leaves one field free.

    Each duplicate carries one error: a typo in a first name (20 %) or a surname (20 %), or a birth
    date one digit off (45 %) or one part wrong (15 %). The strangers a `names` rule brings share
    both names and have birth dates as random pairs do.
    """
    rng = np.random.default_rng(11)
    k_first, k_last, k_date = INDEX["first_name"], INDEX["last_name"], INDEX["birth_date"]
    true = np.zeros((matches, len(COMPARISONS)), dtype=np.int64)
    true[:, k_first], true[:, k_last] = level("first_name", "exact"), level("last_name", "exact")
    true[:, k_date] = level("birth_date", "exact")
    error = rng.choice(4, size=matches, p=[0.2, 0.2, 0.45, 0.15])
    true[error == 0, k_first] = level("first_name", "very similar (jaro-winkler >= 0.92)")
    true[error == 1, k_last] = level("last_name", "very similar (jaro-winkler >= 0.92)")
    true[error == 2, k_date] = level("birth_date", "one digit off or two digits swapped")
    true[error == 3, k_date] = level("birth_date", "the same but for the day, the month or the year")
    strangers = np.zeros((matches * strangers_per_match, len(COMPARISONS)), dtype=np.int64)
    strangers[:, k_first], strangers[:, k_last] = level("first_name", "exact"), level("last_name", "exact")
    u_date = random_u()["birth_date"]
    strangers[:, k_date] = rng.choice(len(u_date) - 1, size=len(strangers), p=u_date[1:]) + 1
    rows, counts = np.unique(np.vstack([true, strangers]), axis=0, return_counts=True)
    return em.Patterns(em.neutralise(rows, COMPARISONS), counts.astype(float), np.full(len(counts), -1))


def test_a_session_with_one_free_field_takes_its_match_share_from_outright_disagreement() -> None:
    # With u held and one field free, every match share fits the data with some m: EM stopped
    # wherever it met that ridge, and put a fifth of the duplicates' birth dates at "different".
    fitted = em.train_by_sessions(names_and_birth_dates_only(), COMPARISONS, random_u(), TrainingConfig())
    assert fitted is not None
    m, matches, sessions = fitted
    names_session = next(s for s in sessions if set(s.fixed) == {"first_name", "last_name"})
    assert names_session.expected_matches == pytest.approx(1_000, rel=0.1)
    assert m["birth_date"][-1] < 0.01
    assert m["birth_date"][level("birth_date", "exact")] == pytest.approx(0.4, abs=0.05)
