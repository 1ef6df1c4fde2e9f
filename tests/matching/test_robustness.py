"""The matcher never crashes on data nobody here generated, and households stay apart.

Property-based tests (hypothesis) generate random canonical frames: any Unicode, empty or
constant columns, one usable column, all duplicates or none, two records; and random company
frames, matched as organisations. Whatever comes in, the run completes and every record gets
exactly one cluster.
"""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.comparisons import HOUSEHOLD_LABEL, build
from matching.em import PRIOR_EPSILON, Patterns, _posterior, clamp_prior
from matching.evaluation import evaluate, match_frame, standardise_records
from matching.model import ComparisonParams
from matching.settings import MatchingConfig
from matching.training import u_from_patterns
from tests.matching.match_helpers import final_vector

NOW = datetime(2026, 12, 1)

# Accents, combining marks, emoji, right-to-left letters, CJK: what real exports hold.
_ALPHABET = st.sampled_from(list("aeéèêàçnoöøßłœ") + ["e\u0301", "😀", "ש", "م", "字", " ", "-", "'", "1"])
_TEXT = st.lists(_ALPHABET, min_size=0, max_size=8).map("".join)
_COLUMNS = ("first_name", "last_name", "email", "phone", "street", "postcode", "city", "birth_date", "national_id")


@st.composite
def canonical_frames(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.Series]:
    """A random canonical frame: some columns, some rows repeated (duplicates), some values empty."""
    n_people = draw(st.integers(min_value=1, max_value=6))
    columns = draw(st.lists(st.sampled_from(_COLUMNS), min_size=1, max_size=len(_COLUMNS), unique=True))
    people = []
    for _ in range(n_people):
        row = {}
        for col in columns:
            if col == "birth_date":
                row[col] = draw(st.one_of(st.none(), st.dates(datetime(1920, 1, 1).date(), datetime(2005, 1, 1).date())
                                          .map(str)))
            elif col == "email":
                local = draw(_TEXT)
                row[col] = draw(st.one_of(st.none(), st.just(f"{local}@example.org"), st.just(local)))
            else:
                row[col] = draw(st.one_of(st.none(), _TEXT))
        people.append(row)
    copies = draw(st.lists(st.integers(min_value=0, max_value=n_people - 1), min_size=2, max_size=14))
    frame = pd.DataFrame([people[i] for i in copies], columns=list(columns)).astype(object)
    frame = frame.where(frame.notna(), None)
    frame.insert(0, "record_id", [f"r{i}" for i in range(len(frame))])
    return frame, pd.Series([f"p{i}" for i in copies])


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(canonical_frames())
def test_any_canonical_frame_completes_with_one_cluster_per_record(case: tuple[pd.DataFrame, pd.Series]) -> None:
    frame, truth = case
    result = evaluate(frame, truth, now=NOW)
    assert result.records == len(frame)
    assert 1 <= result.clusters <= len(frame)
    assert 0.0 <= result.f1 <= 1.0


_COMPANY_COLUMNS = ("company", "siret", "vat_number", "website", "phone", "street", "postcode", "city")
#: Valid and invalid identifiers, Excel's float among them.
_SIRETS = st.sampled_from(["73282932000074", "7.3282932000074E13", "73282932000074.0", "732829320", "12345678901234",
                           "35600000000048", ""])


@st.composite
def company_frames(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.Series]:
    """A random frame of company columns (matched as organisations): any Unicode in the names and
    addresses, identifiers valid, invalid or damaged, some rows repeated, some values empty."""
    n_orgs = draw(st.integers(min_value=1, max_value=6))
    columns = ["company", *draw(st.lists(st.sampled_from(_COMPANY_COLUMNS[1:]), max_size=7, unique=True))]
    orgs = []
    for _ in range(n_orgs):
        row = {}
        for col in columns:
            if col == "siret":
                row[col] = draw(st.one_of(st.none(), _SIRETS))
            elif col == "company":
                row[col] = draw(st.one_of(st.none(), _TEXT, _TEXT.map(lambda t: f"{t} SARL")))
            else:
                row[col] = draw(st.one_of(st.none(), _TEXT))
        orgs.append(row)
    copies = draw(st.lists(st.integers(min_value=0, max_value=n_orgs - 1), min_size=2, max_size=14))
    frame = pd.DataFrame([orgs[i] for i in copies], columns=columns).astype(object)
    frame = frame.where(frame.notna(), None)
    frame.insert(0, "record_id", [f"r{i}" for i in range(len(frame))])
    return frame, pd.Series([f"o{i}" for i in copies])


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(company_frames())
def test_any_company_frame_completes_with_one_cluster_per_record(case: tuple[pd.DataFrame, pd.Series]) -> None:
    frame, truth = case
    result = evaluate(frame, truth, now=NOW, party="organisation")
    assert result.records == len(frame)
    assert 1 <= result.clusters <= len(frame)
    assert 0.0 <= result.f1 <= 1.0


def test_accented_strings_of_equal_length_but_other_byte_counts_do_not_crash() -> None:
    """`hamming` compares bytes: 'é' against 'e' at the same character count used to stop the run."""
    frame = pd.DataFrame({
        "record_id": ["1", "2", "3", "4"],
        "first_name": ["Zoé", "Zoe", "Zoë", "Zoé"],
        "last_name": ["Lefèvre", "Lefevre", "Lefèvre", "Léfèvre"],
        "email": ["zoé.lefèvre@exemple.fr", "zoe.lefevre@exemple.fr", "zoë.lefèvre@exemple.fr", "zoe@exemple.fr"],
        "birth_date": ["1990-01-02"] * 4,
    })
    result = evaluate(frame, pd.Series(["a", "a", "a", "a"]), now=NOW)
    assert result.records == 4 and result.clusters >= 1


@pytest.mark.parametrize("prior", [0.0, 1.0, -3.0, 7.0, float("nan")])
def test_posterior_is_finite_whatever_the_prior(prior: float) -> None:
    patterns = Patterns(np.zeros((3, 1), dtype=np.int64), np.ones(3), np.array([-1, -1, 1]))
    post = _posterior(patterns, np.array([-1.0, -50.0, 0.0]), np.array([-2.0, -1.0, 0.0]), prior)
    assert np.isfinite(post).all()
    assert post[2] == 1.0                      # a steward's label stays observed truth
    assert PRIOR_EPSILON <= clamp_prior(prior) <= 1 - PRIOR_EPSILON


def test_weights_are_finite_when_m_or_u_is_zero_or_one() -> None:
    params = ComparisonParams(labels=["missing", "exact", "different"], m=[1.0, 1.0, 0.0], u=[1.0, 0.0, 1.0])
    assert all(math.isfinite(w) for w in params.weights())


def test_an_empty_column_gives_uniform_u_and_a_warning_naming_the_step() -> None:
    comparisons = build(["first_name", "email"])
    gammas = np.array([[1, 0], [11, 0]], dtype=np.int64)   # e-mail never held by both records
    notes: list[str] = []
    u = u_from_patterns(gammas, np.array([5.0, 95.0]), comparisons, notes)
    assert notes == ["u of email: no random pair holds it on both sides; u set uniform"]
    assert np.isfinite(np.log(u["email"])).all()


def test_too_few_pairs_for_the_sessions_fall_back_with_a_warning() -> None:
    frame = pd.DataFrame({"record_id": ["1", "2"], "first_name": ["Ann", "Ann"], "last_name": ["Lee", "Lee"]})
    result = evaluate(frame, pd.Series(["a", "a"]), now=NOW)
    assert result.outcome is not None
    assert any("EM sessions had too few pairs" in w for w in result.outcome.warnings)


def test_no_candidate_pair_is_said_once() -> None:
    # One record: nothing to learn m from, said once, and not also "fitted by one EM over all candidates"
    frame = pd.DataFrame({"record_id": ["1"], "first_name": ["Ann"], "last_name": ["Lee"]})
    result = evaluate(frame, pd.Series(["a"]), now=NOW)
    assert result.outcome is not None
    m_notes = [w for w in result.outcome.warnings if "training: m:" in w]
    assert m_notes == ["match model training: m: no candidate pairs to learn from; m keeps its generic start"]


def _household(first_names: list[str], birth_dates: list[str | None]) -> pd.DataFrame:
    n = len(first_names)
    return pd.DataFrame({
        "record_id": [str(i) for i in range(n)],
        "first_name": first_names,
        "last_name": ["Martin"] * n,
        "email": ["famille.martin@orange.fr"] * n,
        "phone": ["01 45 67 89 12"] * n,
        "street": ["12 rue des Lilas"] * n,
        "postcode": ["75020"] * n,
        "city": ["Paris"] * n,
        "birth_date": birth_dates,
    })


def _background(n: int = 150) -> pd.DataFrame:
    """Unrelated people, each twice (the second copy without phone, one e-mail typo), so that both
    u (random pairs) and m (duplicates) have something to learn from."""
    rng = np.random.default_rng(7)
    firsts = ["Paul", "Claire", "Louis", "Emma", "Hugo", "Lina", "Jules", "Rose", "Adam", "Léa", "Noah", "Chloé"]
    lasts = ["Bernard", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau", "Laurent", "Simon", "Michel"]
    people = pd.DataFrame({
        "first_name": rng.choice(firsts, n),
        "last_name": [f"{rng.choice(lasts)}{chr(97 + i % 26)}{chr(97 + i // 26 % 26)}" for i in range(n)],
        "email": [f"person{i}@exemple.fr" for i in range(n)],
        "phone": [f"06 {i // 100 + 10:02d} {i % 100:02d} 11 22" for i in range(n)],
        "street": [f"{i % 90 + 1} avenue {rng.choice(lasts)}" for i in range(n)],
        "postcode": [f"{69000 + i % 9:05d}" for i in range(n)],
        "city": ["Lyon"] * n,
        "birth_date": [f"{1940 + i % 60}-{i % 12 + 1:02d}-{i % 28 + 1:02d}" for i in range(n)],
    })
    copy = people.assign(phone=None, email=[f"persn{i}@exemple.fr" for i in range(n)])
    both = pd.concat([people, copy], ignore_index=True)
    both.insert(0, "record_id", [f"b{i}" for i in range(len(both))])
    return both


def _clusters_of_family(family: pd.DataFrame) -> list[str]:
    """The cluster of each family record, matched among the background people."""
    frame = pd.concat([family, _background()], ignore_index=True)
    records = standardise_records(frame, NOW)
    clusters, _ = match_frame(records, MatchingConfig(), NOW)
    by_key = dict(zip(clusters["record_key"], clusters["cluster_id"], strict=True))
    return [by_key[k] for k in family["record_id"]]


def test_a_household_sharing_address_phone_and_email_is_not_merged_into_one_customer() -> None:
    family = _household(["Jean", "Sophie", "Lucas"], ["1962-04-03", "1965-09-12", "1994-01-30"])
    assert len(set(_clusters_of_family(family))) == 3


def test_twins_at_one_address_stay_two_people() -> None:
    family = _household(["Louise", "Camille"], ["2001-06-14", "2001-06-14"])
    assert len(set(_clusters_of_family(family))) == 2


def test_father_and_son_with_one_name_at_one_address_stay_two_people() -> None:
    family = _household(["Jean", "Jean"], ["1950-05-05", "1981-11-20"])
    assert len(set(_clusters_of_family(family))) == 2


def test_siblings_at_one_address_without_their_first_names_confirming_stay_two_people() -> None:
    """Another birth date, not a slip of one, at the same address, and first names that do not
    agree exactly (one missing, or merely alike): two children of the house, not one person."""
    family = _household(["Aniylah", "Anika", None], ["2010-10-09", "2007-01-25", "2004-03-17"])
    family = family.assign(email=None, phone=None)
    assert len(set(_clusters_of_family(family))) == 3


def test_the_address_rule_for_another_birth_date_needs_a_shared_address() -> None:
    """At a shared e-mail (nearly personal) the same evidence does not rule two people; the vector
    keeps the e-mail's agreement counted."""
    from matching.comparisons import PERSON_HOUSEHOLD, vector_sql
    from matching.spec import person_spec

    comparisons = list(person_spec(MatchingConfig()).comparisons)
    sql = vector_sql(comparisons, "x", PERSON_HOUSEHOLD)
    names = [c.name for c in comparisons]
    first = comparisons[names.index("first_name")]
    exact = [i for i, level in enumerate(first.levels) if level.tf_column]
    assert f"g_street = 1 AND g_first_name NOT IN ({', '.join(map(str, exact))})" in sql
    assert "g_email = 1 AND g_first_name NOT IN" not in sql


def test_the_same_person_twice_at_the_household_address_is_still_merged() -> None:
    family = _household(["Jean", "Jean"], ["1962-04-03", None])
    assert len(set(_clusters_of_family(family))) == 1


def test_a_surname_at_an_address_does_not_say_which_member() -> None:
    """No first name and no birth date: only what the household shares agrees. Its surname is not
    counted, so the record stays apart from Jean; a record of Jean's own does not. (An initial
    fires the rule too: see the vector test below. Whether "J." then joins Jean, at a street only
    they hold in this small world, is the model's call on the initial and the street alone.)"""
    unknown = _household(["Jean", None], ["1962-04-03", None]).assign(email=None, phone=None)
    assert len(set(_clusters_of_family(unknown))) == 2
    jean = _household(["Jean", "Jean"], ["1962-04-03", None]).assign(email=None, phone=None)
    assert len(set(_clusters_of_family(jean))) == 1


def _namesakes(birth_dates: list[str], streets: list[str], postcodes: list[str], cities: list[str]) -> pd.DataFrame:
    """Two Jean Martin records with one e-mail address built from the name."""
    family = _household(["Jean", "Jean"], birth_dates).assign(email="jean.martin@orange.fr", phone=None)
    return family.assign(street=streets, postcode=postcodes, city=cities)


def test_namesakes_sharing_an_email_with_other_birth_dates_and_addresses_stay_two_people() -> None:
    """One name, one e-mail built from it, and nothing else of the person agrees: two people. The
    same e-mail and date after a move, or another date at the same address, is still one person."""
    apart = _namesakes(["1962-04-03", "1971-09-18"], ["12 rue des Lilas", "3 avenue Foch"], ["75020", "69006"], ["Paris", "Lyon"])
    assert len(set(_clusters_of_family(apart))) == 2
    moved = apart.assign(birth_date="1962-04-03")
    assert len(set(_clusters_of_family(moved))) == 1
    at_home = apart.assign(street="12 rue des Lilas", postcode="75020", city="Paris")
    assert len(set(_clusters_of_family(at_home))) == 1


def _final_vector(raw: dict[str, int]) -> dict[str, int]:
    """The person spec's final comparison vector for a raw one (missing wherever `raw` is silent)."""
    from matching.spec import person_spec

    return final_vector(person_spec(MatchingConfig()), raw)


def test_the_unknown_member_level_moves_the_surname_only_and_is_no_cannot_link() -> None:
    import duckdb

    from matching.comparisons import MEMBER_UNKNOWN, PERSON_HOUSEHOLD, household_split_sql
    from matching.spec import person_spec

    comparisons = list(person_spec(MatchingConfig()).comparisons)
    last = next(c for c in comparisons if c.name == "last_name")
    unknown = last.index_of(MEMBER_UNKNOWN)
    assert unknown in last.neutral and last.household_index != unknown
    at_address = {"street": 1, "last_name": 1, "postcode": 1, "city": 1}
    vector = _final_vector(at_address)
    assert vector["g_last_name"] == unknown
    assert (vector["g_street"], vector["g_postcode"], vector["g_city"]) == (1, 1, 1)     # the address still counts
    assert _final_vector({**at_address, "first_name": 1})["g_last_name"] == 1          # Jean and Jean
    initial = next(c for c in comparisons if c.name == "first_name").labels.index("initial only")
    assert _final_vector({**at_address, "first_name": initial})["g_last_name"] == unknown  # J. and Jean
    assert _final_vector({**at_address, "birth_date": 1})["g_last_name"] == 1          # one birth date
    assert _final_vector({**at_address, "national_id": 1})["g_last_name"] == 1         # one person's ID
    assert _final_vector({"email": 1, "last_name": 1})["g_last_name"] == 1             # an address only
    split = household_split_sql(comparisons, PERSON_HOUSEHOLD)
    assert split is not None
    values = ", ".join(f"{vector[f'g_{c.name}']}::TINYINT AS g_{c.name}" for c in comparisons)
    with duckdb.connect() as con:
        assert con.execute(f"SELECT {split} FROM (SELECT {values})").fetchone() == (False,)


def test_a_record_without_first_name_does_not_bridge_a_household() -> None:
    """It agrees with each member on surname, address, phone and e-mail; the members are cannot-links."""
    family = _household(["Jean", "Sophie", None], ["1962-04-03", "1965-09-12", None])
    clusters = _clusters_of_family(family)
    assert clusters[0] != clusters[1]
def test_the_household_level_is_neutral_and_never_picked_by_the_level_sql() -> None:
    for comp in build(["last_name", "email", "phone", "street", "postcode", "city"]):
        index = comp.household_index
        assert index is not None and comp.labels[index] == HOUSEHOLD_LABEL
        assert index in comp.neutral
        assert f"WHEN FALSE THEN {index}" in comp.gamma_sql()


def test_a_shared_email_is_a_household_channel_when_the_date_and_the_postcode_both_disagree() -> None:
    import duckdb

    from matching.comparisons import DIFFERENT, PERSON_HOUSEHOLD, SAME_YEAR, household_split_sql
    from matching.spec import person_spec

    comparisons = {c.name: c for c in person_spec(MatchingConfig()).comparisons}
    apart = {"first_name": 1, "last_name": 1, "email": 1,
             "birth_date": comparisons["birth_date"].index_of(DIFFERENT),
             "postcode": comparisons["postcode"].index_of(DIFFERENT)}
    vector = _final_vector(apart)
    assert vector["g_email"] == comparisons["email"].household_index
    assert vector["g_last_name"] == comparisons["last_name"].household_index
    same_year = {**apart, "birth_date": comparisons["birth_date"].index_of(SAME_YEAR)}
    assert _final_vector(same_year)["g_email"] == comparisons["email"].household_index
    assert _final_vector({**apart, "postcode": 1})["g_email"] == 1          # the same place: a slip of the date
    assert _final_vector({**apart, "postcode": 0})["g_email"] == 1          # no postcode: nothing says two places
    assert _final_vector({**apart, "birth_date": 0})["g_email"] == 1        # no date: nothing says two people
    split = household_split_sql(list(comparisons.values()), PERSON_HOUSEHOLD)
    assert split is not None
    values = ", ".join(f"{vector[f'g_{name}']}::TINYINT AS g_{name}" for name in comparisons)
    with duckdb.connect() as con:
        assert con.execute(f"SELECT {split} FROM (SELECT {values})").fetchone() == (True,)
