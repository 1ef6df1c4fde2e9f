"""Default blocking rules for duplicates whose names were rewritten, swapped or married.

FEBRL-style corruption (and forms where first and last name are mixed up) leaves such pairs with
nothing in common but a birth date and a house number; a married name leaves a first name and an
address. Without a rule on those keys they are never compared, whatever their score would be.
(Rules for rarer cases, postcode + street name or initials in either order, were dropped when the
defaults were chosen by measured recall per pair: docs/matching.md.)
"""

from __future__ import annotations

import pandas as pd

from mdm.demo.generate import generate_canonical
from tests.matching.match_helpers import MatchWarehouse, person


def _rule_of(match_wh: MatchWarehouse, a: str, b: str) -> str | None:
    row = match_wh.con.execute(
        "SELECT rule FROM match.candidates WHERE record_key_l = ? AND record_key_r = ?", [min(a, b), max(a, b)]
    ).fetchone()
    return str(row[0]) if row else None


def test_birth_date_and_house_number_find_a_pair_with_swapped_misspelt_names(match_wh: MatchWarehouse) -> None:
    pair = pd.DataFrame([
        person("zz-a", first_name="Ashleigh", last_name="Rollins", street="22 McRae Place Mansfield Park",
               postcode="4670", city="Dapto", birth_date="1918-03-07"),
        person("zz-b", first_name="Rolliqns", last_name="Ashleigh", street="22 McRae Place Mansfie L Dpark",
               postcode="4672", city="Dato", birth_date="1918-03-07"),
    ])
    match_wh.load(pd.concat([generate_canonical(150, 7).drop(columns=["person_id"]), pair], ignore_index=True))
    match_wh.run()
    assert _rule_of(match_wh, "zz-a", "zz-b") == "dob_street_number"


def test_postcode_and_first_name_find_a_new_last_name(match_wh: MatchWarehouse) -> None:
    """A married name: same first name and address (with a typo), another last name."""
    pair = pd.DataFrame([
        person("zz-g", first_name="Hugh", last_name="Fenwick", street="Totterdell Street Mariner Views",
               postcode="4814", city="West Perth"),
        person("zz-h", first_name="Hugh", last_name="Deblasio", street="Totterdellqstreet Mariner Views",
               postcode="4814", city="West Perth"),
    ])
    match_wh.load(pd.concat([generate_canonical(150, 10).drop(columns=["person_id"]), pair], ignore_index=True))
    match_wh.run()
    assert _rule_of(match_wh, "zz-g", "zz-h") == "postcode_first_name_any_last_name"


def test_the_defaults_are_few_and_person_like() -> None:
    """Each rule costs a full pass over the records: the defaults stay few (Splink's examples use 5-7)."""
    from matching.settings import BLOCKING_KEYS, MatchingConfig

    rules = MatchingConfig().blocking_rules
    assert len(rules) <= 17
    assert all(set(r.on) <= set(BLOCKING_KEYS) for r in rules)
