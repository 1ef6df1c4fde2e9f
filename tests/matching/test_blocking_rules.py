"""Default blocking rules for duplicates whose names were both rewritten or swapped with a typo.

FEBRL-style corruption (and forms where first and last name are mixed up) leaves such pairs with
nothing in common but a birth date and a house number, or a postcode and a street name. Without
a rule on those keys they are never compared, whatever their score would be.
"""

from __future__ import annotations

import pandas as pd

from demo.generate import generate_canonical
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


def test_postcode_and_street_name_find_a_pair_with_other_names_and_no_birth_date(match_wh: MatchWarehouse) -> None:
    pair = pd.DataFrame([
        person("zz-c", first_name="Harrison", last_name="Mason", street="132 Kingstown Street Toomba",
               postcode="2234", city="Hobartville"),
        person("zz-d", first_name="Wheatley", last_name="Harrison", street="352 Kingstown Street Toomba",
               postcode="2234", city="Hobarville"),
    ])
    match_wh.load(pd.concat([generate_canonical(150, 8).drop(columns=["person_id"]), pair], ignore_index=True))
    match_wh.run()
    assert _rule_of(match_wh, "zz-c", "zz-d") == "postcode_street_name"


def test_postcode_and_initials_in_either_order_find_swapped_names_with_a_typo(match_wh: MatchWarehouse) -> None:
    """First and last name swapped and one misspelt: neither names nor their phonetic keys agree."""
    pair = pd.DataFrame([
        person("zz-e", first_name="Abby", last_name="Sporn", street="29 Nivison Place Key", postcode="2340",
               city="Joyner"),
        person("zz-f", first_name="Sporn", last_name="Abyb", street="Nivis On Place Key", postcode="2340",
               city="Joyner"),
    ])
    match_wh.load(pd.concat([generate_canonical(150, 9).drop(columns=["person_id"]), pair], ignore_index=True))
    match_wh.run()
    assert _rule_of(match_wh, "zz-e", "zz-f") == "postcode_initials_any_order"
    assert match_wh.same_cluster("zz-e", "zz-f")


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
