"""Comparison levels on hand-made pairs, through the real standardiser and the real SQL."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd
import pytest

from matching import blocking
from matching.comparisons import build
from matching.evaluation import standardise_records
from matching.prepare import prepare_input
from matching.settings import COMPARISONS, BlockingRuleConfig

NOW = datetime(2026, 11, 23)


def _con(rows: list[dict[str, str]]) -> duckdb.DuckDBPyConnection:
    frame = standardise_records(pd.DataFrame(rows), NOW)
    frame["birth_date"] = pd.to_datetime(frame["birth_date"], errors="coerce")
    con = duckdb.connect()
    con.execute("CREATE SCHEMA staging")
    con.register("f", frame)
    con.execute("CREATE TABLE staging.valid_customers AS SELECT * REPLACE (CAST(birth_date AS DATE) AS birth_date)"
                " FROM f")
    prepare_input(con)
    return con


def level(a: dict[str, str], b: dict[str, str], comparison: str) -> str:
    con = _con([{"record_id": "a", **a}, {"record_id": "b", **b}])
    comp = build([comparison])[0]
    row = con.execute(f"SELECT {comp.gamma_sql()} FROM match_input l, match_input r "
                      "WHERE l.record_key = 'a' AND r.record_key = 'b'").fetchall()
    return comp.labels[row[0][0]]


@pytest.mark.parametrize(
    ("a", "b", "comparison", "expected"),
    [
        ({"first_name": "Jean-Baptiste"}, {"first_name": "jean-baptiste"}, "first_name", "exact"),
        ({"first_name": "Hélène"}, {"first_name": "HELENE"}, "first_name", "equal without accents"),
        ({"first_name": "Alexandre"}, {"first_name": "Alex"}, "first_name", "nickname or initials"),
        ({"first_name": "William"}, {"first_name": "Bill"}, "first_name", "nickname or initials"),
        ({"first_name": "Jean-Baptiste"}, {"first_name": "JB"}, "first_name", "nickname or initials"),
        ({"first_name": "Jean-Pierre"}, {"first_name": "Jean"}, "first_name", "part of a compound name"),
        ({"first_name": "Dupont", "last_name": "Marie"}, {"first_name": "Marie", "last_name": "Dupont"},
         "first_name", "first and last name swapped"),
        ({"first_name": "Dupont", "last_name": "Marie"}, {"first_name": "Marie", "last_name": "Dupont"},
         "last_name", "missing, or swapped (see first_name)"),
        ({"first_name": "Sébastien"}, {"first_name": "Sebastein"}, "first_name", "very similar (jaro-winkler >= 0.92)"),
        ({"last_name": "Martin-Durand"}, {"last_name": "Durand"}, "last_name",
         "shares a name (compound or married name)"),
        ({"email": "jean.dupont@gmail.com"}, {"email": "jean.dupont@gmial.com"}, "email",
         "same local part, typo in domain"),
        ({"email": "jean.dupont@gmail.com"}, {"email": "jean.duopnt@gmail.com"}, "email", "typo in local part"),
        ({"email": "jean.dupont@gmail.com"}, {"email": "jean.dupont@orange.fr"}, "email",
         "same local part, other domain"),
        ({"phone": "06 12 34 56 78"}, {"phone": "+33612345678"}, "phone", "exact (E.164)"),
        ({"phone": "06 12 34 56 78"}, {"phone": "06 12 34 56 79"}, "phone", "one digit typo"),
        ({"birth_date": "1980-03-04"}, {"birth_date": "1980-04-03"}, "birth_date", "day and month transposed"),
        ({"birth_date": "1980-03-04"}, {"birth_date": "1980-03-14"}, "birth_date",
         "one digit off or two digits swapped"),
        ({"birth_date": "1980-03-04"}, {"birth_date": "1980-11-24"}, "birth_date", "same year"),
        ({"birth_date": "1994-11-15"}, {"birth_date": "1997-11-14"}, "birth_date", "two digits off"),
        # a short name's typo stays under the Jaro-Winkler bars
        ({"first_name": "Tra"}, {"first_name": "Tara"}, "first_name", "one typo"),
        # a first name typed, misspelt, in the last-name box: counted once, under first_name
        ({"first_name": "Haklra", "last_name": "Hokly"}, {"first_name": "Holly", "last_name": "Webb"},
         "first_name", "equals the other record's last name (swapped)"),
        ({"first_name": "Haklra", "last_name": "Hokly"}, {"first_name": "Holly", "last_name": "Webb"},
         "last_name", "missing, or swapped (see first_name)"),
        ({"street": "9"}, {"street": "9 Archdall Street Boxwood Hill"}, "street",
         "same house number, no street name on one side"),
        ({"street": "15 Jodayne"}, {"street": "15 Dampier Crescent Jodayfne"}, "street",
         "partly similar (token overlap >= 0.3)"),
        ({"street": "15 Jodayne"}, {"street": "51 Dampier Crescent Jodayfne"}, "street", "different"),
        ({"street": "12 rue de la Paix"}, {"street": "12, r. de la paix"}, "street", "exact"),
        ({"street": "12 rue de la Paix", "postcode": "75002"}, {"street": "12 rue Paix", "postcode": "75002"},
         "street", "similar (token overlap >= 0.6 or jaro-winkler >= 0.92)"),
        # French postcodes as places (mdm.places): districts of one town, one town by name, a slip
        # inside a département, the same département; across départements "one typo" is another place
        ({"postcode": "75002"}, {"postcode": "75020"}, "postcode", "same town or district"),
        ({"postcode": "13001", "city": "Marseille"}, {"postcode": "13016"}, "postcode", "same town or district"),
        ({"postcode": "31000", "city": "Toulouse"}, {"postcode": "31500", "city": "TOULOUSE"}, "postcode",
         "same town or district"),
        ({"postcode": "38100", "city": "Grenoble"}, {"postcode": "38180", "city": "Seyssins"}, "postcode",
         "one typo, same département"),
        ({"postcode": "33000", "city": "Bordeaux"}, {"postcode": "33150", "city": "Cenon"}, "postcode",
         "same département"),
        ({"postcode": "75001"}, {"postcode": "57001"}, "postcode", "different"),
        ({"postcode": "20000", "city": "Ajaccio"}, {"postcode": "20200", "city": "Bastia"}, "postcode", "different"),
        ({"postcode": "97400", "city": "Saint-Denis"}, {"postcode": "97410", "city": "Saint-Pierre"}, "postcode",
         "one typo, same département"),
        ({"postcode": "97400", "city": "Saint-Denis"}, {"postcode": "97411", "city": "Saint-Paul"}, "postcode",
         "same département"),
        ({"postcode": "97100", "city": "Basse-Terre"}, {"postcode": "97200", "city": "Fort-de-France"}, "postcode",
         "different"),
        # other countries' postcodes as strings
        ({"postcode": "2000", "country": "AU"}, {"postcode": "2001", "country": "AU"}, "postcode", "one typo"),
        ({"postcode": "2000", "country": "AU"}, {"postcode": "2099", "country": "AU"}, "postcode",
         "same area (first 2 characters)"),
        ({"postcode": "10001", "country": "US"}, {"postcode": "10002", "country": "US"}, "postcode", "one typo"),
        ({"postcode": "75001", "country": "FR"}, {"postcode": "75002", "country": "DE"}, "postcode", "one typo"),
        ({"postcode": "75008", "city": "Paris"}, {"postcode": "75001", "city": "PARIS"}, "city",
         "missing or implied by the postcode"),
        ({"postcode": "33000", "city": "Bordeaux"}, {"postcode": "33700", "city": "Merignac"}, "city", "different"),
        ({"postcode": "75002", "city": "Paris"}, {"postcode": "75002", "city": "Pariss"}, "city",
         "missing or implied by the postcode"),
        ({"city": "Saint-Étienne"}, {"city": "St Etienne"}, "city", "exact"),
        ({"city": "Marseille"}, {"city": "Marseile"}, "city", "similar (jaro-winkler >= 0.9)"),
        ({"city": "Marseille"}, {"city": "Lyon"}, "city", "different"),
        ({"email": "a@b.fr"}, {"phone": "0612345678"}, "email", "missing"),
        ({"national_id": "180 03 75 115 042"}, {"national_id": "180037511504-2"}, "national_id", "exact"),
        ({"national_id": "1800375115042"}, {"national_id": "1800375115043"}, "national_id", "one typo"),
        ({"national_id": "1800375115042"}, {"national_id": "2920613055017"}, "national_id", "different"),
        ({"national_id": "1800375115042"}, {"email": "a@b.fr"}, "national_id", "missing"),
    ],
)
def test_levels(a: dict[str, str], b: dict[str, str], comparison: str, expected: str) -> None:
    assert level(a, b, comparison) == expected


def test_every_comparison_has_missing_first_and_else_last() -> None:
    for comp in build(list(COMPARISONS)):
        assert comp.levels[0].is_null and comp.levels[-1].sql == "TRUE"


def test_oversized_block_is_capped_with_a_warning() -> None:
    rows = [{"record_id": f"r{i}", "phone": "01 45 45 45 45", "first_name": f"P{i}"} for i in range(6)]
    rows += [{"record_id": "x1", "phone": "06 11 11 11 11"}, {"record_id": "x2", "phone": "06 11 11 11 11"}]
    con = _con(rows)
    con.execute("ALTER TABLE match_input ADD COLUMN is_new BOOLEAN DEFAULT TRUE")
    rule = blocking.BlockingRule.from_config(BlockingRuleConfig(name="phone", on=["phone"]))
    result = blocking.block(con, [rule], max_block_size=5, max_candidate_pairs=1000)
    assert result.candidate_pairs == 1                         # only x1-x2; the shared line is skipped
    assert result.rules[0].capped_blocks == 1 and result.warnings
    assert "6 records" in result.warnings[0] or "(6 records)" in result.warnings[0]


def test_blocking_refuses_an_explosion() -> None:
    from matching.blocking import BlockingTooLarge

    con = _con([{"record_id": f"r{i}", "postcode": "75001"} for i in range(30)])
    con.execute("ALTER TABLE match_input ADD COLUMN is_new BOOLEAN DEFAULT TRUE")
    rule = blocking.BlockingRule.from_config(BlockingRuleConfig(name="pc", on=["postcode"]))
    with pytest.raises(BlockingTooLarge, match="max_candidate_pairs"):
        blocking.block(con, [rule], max_block_size=100, max_candidate_pairs=100)


def test_behaviour_follows_level_fields_and_objects_not_labels() -> None:
    """Term-frequency adjustment follows `Level.tf_column`, the household rule follows the level
    objects: rewording a label changes neither (issue 19 item 8)."""
    import dataclasses

    from matching.comparisons import DIFFERENT, PERSON_HOUSEHOLD, Comparison, vector_sql
    from matching.model import ComparisonParams, MatchModel
    from matching.scoring import weight_sql

    first = build(["first_name"])[0]
    assert first.tf_columns == ["fn"]
    relabelled = Comparison(first.name, tuple(
        dataclasses.replace(level, label=f"renamed {i}") if level is not DIFFERENT else level
        for i, level in enumerate(first.levels)
    ))
    params = ComparisonParams(relabelled.labels, [0.5] * len(first.levels), [0.01] * len(first.levels))
    model = MatchModel("v", "", 0.001, {"first_name": params})
    sql = weight_sql(relabelled, model, True, 1e-6)
    assert sql.count("t.tf_fn") == 2            # exact and equal-without-accents, whatever their labels
    # the household rule names "different" by the object: a relabelled copy is another level
    copy = dataclasses.replace(DIFFERENT, label="different")
    with pytest.raises(ValueError, match="has no level"):
        Comparison("first_name", (*first.levels[:-1], copy)).index_of(DIFFERENT)
    assert "g_first_name = " in vector_sql(build(["first_name", "email", "last_name"]), "x", PERSON_HOUSEHOLD)


def test_a_shared_address_weighs_by_how_many_records_hold_it() -> None:
    """A care home, a campus or a barracks is one street line for hundreds of people: sharing it
    says far less than sharing a family's address, so the street's exact level is weighted by the
    value's frequency, like names (docs/matching.md §4)."""
    from matching.model import ComparisonParams, MatchModel
    from matching.scoring import weight_sql
    from matching.settings import MatchingConfig

    street = build(["street"])[0]
    assert street.tf_columns == ["street"] and "street" in MatchingConfig().tf_adjust
    params = ComparisonParams(street.labels, [0.5] * len(street.levels), [0.01] * len(street.levels))
    sql = weight_sql(street, MatchModel("v", "", 0.001, {"street": params}), True, 1e-6)
    assert sql.count("t.tf_street") == 1
