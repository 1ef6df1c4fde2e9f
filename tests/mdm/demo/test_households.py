"""The look-alikes the generator must make: households, namesakes at real frequencies, juniors, twins."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mdm.demo import people as P
from mdm.demo import vocab
from mdm.demo.figures import household_figures, main
from mdm.demo.generate import generate_canonical
from mdm.demo.people import (
    KIN_CHILD,
    KIN_JUNIOR,
    KIN_NONE,
    KIN_PARTNER,
    KIN_TWIN,
    Population,
    make_population,
)

N = 20_000
REF = date(2026, 11, 1)


@pytest.fixture(scope="module")
def pop() -> Population:
    return make_population(N, np.random.default_rng(7), REF)


def home_key(pop: Population, idx: np.ndarray) -> pd.DataFrame:
    fields = pop.home.__dataclass_fields__
    return pd.DataFrame({f: getattr(pop.home, f)[idx] for f in fields})


def age(pop: Population, idx: np.ndarray) -> np.ndarray:
    return (np.datetime64(REF, "D") - pop.birth[idx]).astype(np.int64) / 365.25


# --- the name lists ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["first_names.csv", "surnames.csv"])
def test_name_files_name_their_source_and_licence(name: str) -> None:
    header = (Path(P.__file__).parent / name).read_text(encoding="utf-8").split("\n", 12)
    comments = " ".join(line for line in header if line.startswith("#"))
    assert "INSEE" in comments and "Licence Ouverte" in comments and "nothing was downloaded" in comments


def test_name_lists_are_weighted_and_large_enough() -> None:
    sexes = pd.Series([s for _, s, _ in vocab.FIRST_NAMES]).value_counts()
    assert sexes["M"] >= 150 and sexes["F"] >= 150
    weights = {(n, s): w for n, s, w in vocab.FIRST_NAMES}
    assert weights[("Jean", "M")] > 50 * weights[("Hadrien", "M")]  # not a uniform list
    assert weights[("Marie", "F")] == max(w for (_, s), w in weights.items() if s == "F")
    assert 300 <= len(vocab.HEAD_SURNAMES) <= 1000
    assert [n for n, _ in vocab.HEAD_SURNAMES[:3]] == ["Martin", "Bernard", "Thomas"]
    births = [b for _, b in vocab.HEAD_SURNAMES]
    assert births == sorted(births, reverse=True)
    for name, _, _ in vocab.FIRST_NAMES:
        name.encode("cp1252")  # the CRM export's encoding
    for name, _ in vocab.HEAD_SURNAMES:
        name.encode("cp1252")


def test_surname_shares_follow_the_statistic_and_the_tail_continues_it() -> None:
    names, p = vocab.surname_table()
    head = len(vocab.HEAD_SURNAMES)
    assert names[0] == "Martin" and p[0] == pytest.approx(235_000 / vocab.BIRTHS_1891_1990, rel=0.01)
    assert 0.10 < p[:head].sum() < 0.20  # the listed names: about one person in seven
    assert p[head] == pytest.approx(p[head - 1], rel=0.05)  # no jump where the synthetic tail starts
    assert np.all(np.diff(p[head:]) <= 0)


# --- households -------------------------------------------------------------------------------

def test_shares_of_each_kind_of_household(pop: Population) -> None:
    counts = pop.kin_counts()
    assert counts["couples"] == int(N * P.COUPLE_SHARE)
    assert counts["children"] == int(N * P.CHILD_SHARE)
    assert counts["twin_pairs"] == int(counts["children"] * P.TWIN_SHARE / 2)
    juniors = counts["junior_pairs"] / (counts["children"] - 2 * counts["twin_pairs"])
    assert juniors == pytest.approx(P.JUNIOR_SHARE, abs=0.02)
    assert (pop.relative[pop.kin == KIN_NONE] == -1).all() and (pop.relative[pop.kin != KIN_NONE] >= 0).all()


def test_children_live_with_a_parent_a_generation_older(pop: Population) -> None:
    child = np.flatnonzero(np.isin(pop.kin, [KIN_CHILD, KIN_JUNIOR]))
    parent = pop.relative[child]
    assert (pop.last[child] == pop.last[parent]).all()
    assert home_key(pop, child).equals(home_key(pop, parent))
    assert (pop.landline[child] == pop.landline[parent]).all()
    assert len(np.unique(pop.mobile)) == pop.n  # the mobile stays one's own
    gap = age(pop, parent) - age(pop, child)
    assert gap.min() >= P.GENERATION_GAP[0] - 0.01 and gap.max() <= P.GENERATION_GAP[1] + 0.01
    assert age(pop, child).min() > 18 - 2 / 365  # birth dates are whole days
    assert not np.isin(parent, child).any()  # nobody is both a child and a parent here
    assert len(np.unique(parent)) < len(parent)  # some parents have several children at home


def test_juniors_carry_their_parents_first_name(pop: Population) -> None:
    junior = np.flatnonzero(pop.kin == KIN_JUNIOR)
    senior = pop.relative[junior]
    assert len(junior) > 0
    assert (pop.first[junior] == pop.first[senior]).all() and (pop.female[junior] == pop.female[senior]).all()
    assert (pop.last[junior] == pop.last[senior]).all()
    assert (age(pop, senior) - age(pop, junior) >= P.GENERATION_GAP[0] - 0.01).all()


def test_twins_share_surname_birth_date_and_home_but_not_first_name(pop: Population) -> None:
    second = np.flatnonzero(pop.kin == KIN_TWIN)
    first = pop.relative[second]
    assert len(second) > 0 and (pop.kin[first] == KIN_CHILD).all()
    assert (pop.birth[second] == pop.birth[first]).all()
    assert (pop.last[second] == pop.last[first]).all()
    assert home_key(pop, second).equals(home_key(pop, first))
    assert (pop.first[second] != pop.first[first]).all()


def test_only_households_share_a_mailbox(pop: Population) -> None:
    root = np.arange(pop.n)
    for _ in range(4):  # twin -> first twin -> parent -> partner's head: at most three steps
        root = np.where(pop.relative[root] >= 0, pop.relative[root], root)
    mailbox = pd.DataFrame({"local": pop.email_local, "domain": pop.email_domain, "root": root})
    holders = mailbox.groupby(["local", "domain"])["root"].agg(["size", "nunique"])
    shared = holders[holders["size"] >= 2]
    assert len(shared) == pop.kin_counts()["shared_mailboxes"] > 0
    assert (shared["nunique"] == 1).all()  # strangers never share one
    assert shared.index.get_level_values("local").str.contains("famille").any()
    partners = np.flatnonzero(pop.kin == KIN_PARTNER)
    same = (pop.email_local[partners] == pop.email_local[pop.relative[partners]])
    assert same.mean() == pytest.approx(P.COUPLE_EMAIL_SHARE, abs=0.02)


# --- what a matcher sees ----------------------------------------------------------------------

def test_figures_count_look_alikes_on_a_known_frame() -> None:
    rows = [
        # person, first, last, email, phone, street, postcode, birth
        ("P1", "Jean", "Martin", "famille.martin@orange.fr", "06 12 34 56 78", "3 rue Pasteur", "69001", "1960-04-02"),
        ("P2", "JEAN", "MARTIN", "Famille.Martin@orange.fr", "+33612345678", "3 rue Pasteur", "69001", "1988-09-30"),
        ("P3", "Léa", "Roux", "lea.roux@gmail.com", "0712345678", "8 av. Foch", "75016", "1999-01-05"),
        ("P4", "Hugo", "Roux", "hugo.roux@gmail.com", None, "8 av. Foch", "75016", "1999-01-05"),
        ("P4", "Hugo", "Roux", "hugo.roux@gmail.com", "0798765432", None, None, None),
        ("P5", "Lea", "Roux", "lea.roux2@gmail.com", "0711111111", "1 rue Thiers", "13001", "1950-01-01"),
    ]
    frame = pd.DataFrame(rows, columns=["person_id", "first_name", "last_name", "email", "phone", "street",
                                        "postcode", "birth_date"])
    figures = household_figures(frame)
    assert figures["people"] == 5 and figures["records"] == 6
    assert figures["emails_shared"] == pytest.approx(1 / 4)  # famille.martin, whatever the case
    assert figures["phones_shared"] == pytest.approx(1 / 4)  # 0612345678 in two formats
    assert figures["names_shared"] == pytest.approx(2 / 3)  # JEAN MARTIN, LEA ROUX (accents folded)
    assert figures["twin_pairs"] == 1  # Léa and Hugo Roux; Lea Roux of 1950 lives elsewhere
    assert figures["same_name_parent_child_pairs"] == 1  # Jean Martin, 28 years apart, one mailbox


def test_the_demo_shows_every_kind_of_look_alike(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    canonical = generate_canonical(5000, 42)
    figures = household_figures(canonical)
    assert 0.005 < figures["emails_shared"] < 0.015  # about 0.9 %, as in the customer base
    assert figures["phones_shared"] > 0 and figures["names_shared"] > 0
    assert figures["twin_pairs"] >= 3 and figures["same_name_parent_child_pairs"] >= 3
    canonical.to_csv(tmp_path / "c.csv", index=False)
    main([str(tmp_path / "c.csv")])
    assert '"twin_pairs": ' + str(figures["twin_pairs"]) in capsys.readouterr().out
