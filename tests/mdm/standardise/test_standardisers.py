"""Each standardiser on tricky values, table-driven: (raw input, expected output)."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from mdm.standardise.addresses import standardise_addresses
from mdm.standardise.booleans import parse_booleans
from mdm.standardise.dates import standardise_birth_dates, standardise_timestamp
from mdm.standardise.emails import standardise_emails
from mdm.standardise.frame import SourceRules, standardise_frame
from mdm.standardise.names import case_name, split_full_name, standardise_names
from mdm.standardise.national_ids import standardise_national_ids
from mdm.standardise.phones import standardise_phones

NOW = datetime(2026, 11, 23, 12, 0)


def _s(values: list[object]) -> pd.Series:
    return pd.Series(values, dtype=object)


def _values(series: pd.Series) -> list[object]:
    return [None if pd.isna(v) else v for v in series.tolist()]


# --- names ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("DUPONT", "Dupont"),
        ("jean-pierre", "Jean-Pierre"),
        ("DE LA FONTAINE", "de la Fontaine"),
        ("LE GOFF", "Le Goff"),
        ("VAN DER BERG", "van der Berg"),
        ("MCDONALD", "McDonald"),
        ("O'BRIEN", "O'Brien"),
        ("D'ARTAGNAN", "d'Artagnan"),
        ("McDonald", "McDonald"),  # mixed case is what the person typed: kept
        ("de Villiers", "de Villiers"),
        ("ÉLOÏSE", "Éloïse"),
    ],
)
def test_case_name(raw: str, expected: str) -> None:
    assert case_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "first", "last"),
    [
        ("DUPONT Jean", "Jean", "DUPONT"),
        ("Jean DUPONT", "Jean", "DUPONT"),
        ("Dupont, Jean", "Jean", "Dupont"),
        ("Jean de la Fontaine", "Jean", "de la Fontaine"),
        ("Marie Le Goff", "Marie", "Le Goff"),
        ("Jean-Pierre Martin", "Jean-Pierre", "Martin"),
        ("Martin", None, "Martin"),
        ("DE LA FONTAINE Jean", "Jean", "DE LA FONTAINE"),
    ],
)
def test_split_full_name(raw: str, first: str | None, last: str | None) -> None:
    assert split_full_name(raw) == (first, last)


def test_names_titles_keys_and_full_name_split() -> None:
    index = pd.RangeIndex(5)
    out = standardise_names(
        first=_s(["  jean-pierre ", "M. Paul", None, "Éloïse", None]),
        last=_s(["DUPONT", "MARTIN", None, "Lefèvre", None]),
        full=_s([None, None, "Mme DUPONT Marie", None, None]),
        title=_s(["Monsieur", None, None, "MADAME", None]),
        index=index,
    )
    assert _values(out["first_name"]) == ["Jean-Pierre", "Paul", "Marie", "Éloïse", None]
    assert _values(out["last_name"]) == ["Dupont", "Martin", "Dupont", "Lefèvre", None]
    assert _values(out["title"]) == ["M.", "M.", "Mme", "Mme", None]
    assert _values(out["first_name_key"]) == ["jean pierre", "paul", "marie", "eloise", None]
    assert _values(out["last_name_key"]) == ["dupont", "martin", "dupont", "lefevre", None]


# --- emails -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "email", "status", "suggestion", "typo", "role"),
    [
        ("Jean.Dupont@Gmail.COM", "jean.dupont@gmail.com", "valid", None, False, False),
        (" jean.dupont@gmial.com ", "jean.dupont@gmial.com", "valid", "jean.dupont@gmail.com", True, False),
        ("marie@hotmal.fr", "marie@hotmal.fr", "valid", "marie@hotmail.fr", True, False),
        ("paul@wanado.fr", "paul@wanado.fr", "valid", "paul@wanadoo.fr", True, False),
        ("contact@entreprise.fr", "contact@entreprise.fr", "valid", None, False, True),
        ("jean.dupont@", None, "invalid", None, False, False),
        ("@gmail.com", None, "invalid", None, False, False),
        ("jean dupont@gmail", None, "invalid", None, False, False),
        ("élodie@société.fr", "élodie@société.fr", "valid", None, False, False),
        ("mailto:<luc@free.fr>", "luc@free.fr", "valid", None, False, False),
        (None, None, "missing", None, False, False),
        ("", None, "missing", None, False, False),
    ],
)
def test_emails(raw: str | None, email: str | None, status: str, suggestion: str | None, typo: bool,
                role: bool) -> None:
    out = standardise_emails(_s([raw]))
    assert _values(out["email"]) == [email]
    assert out["email_status"].iloc[0] == status
    assert _values(out["email_suggestion"]) == [suggestion]
    assert bool(out["_flag_domain_typo"].iloc[0]) is typo
    assert bool(out["_flag_role_address"].iloc[0]) is role
    if raw:
        assert out["email_raw"].iloc[0] == raw.strip()  # the raw value is kept


# --- phones -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "region", "phone", "status", "kind", "repaired"),
    [
        ("06 12 34 56 78", "FR", "+33612345678", "valid", "mobile", False),
        ("06.12.34.56.78", "FR", "+33612345678", "valid", "mobile", False),
        ("+33 (0)6 12 34 56 78", "FR", "+33612345678", "valid", "mobile", False),
        ("0033 6 12 34 56 78", "FR", "+33612345678", "valid", "mobile", False),
        ("612345678.0", "FR", "+33612345678", "valid", "mobile", True),  # Excel float, lost zero
        ("612345678", "FR", "+33612345678", "valid", "mobile", True),  # lost leading zero
        ("01 45 67 89 10", "FR", "+33145678910", "valid", "fixed_line", False),
        ("+44 20 7946 0958", "FR", "+442079460958", "valid", "fixed_line", False),
        ("030 1234567", "DE", "+49301234567", "valid", "fixed_line", False),
        ("06 94 85 93 69", "FR", None, "invalid", None, False),  # overseas range: not a +33 mobile
        ("12", "FR", None, "invalid", None, False),
        ("not a phone", "FR", None, "invalid", None, False),
        (None, "FR", None, "missing", None, False),
    ],
)
def test_phones(raw: str | None, region: str, phone: str | None, status: str, kind: str | None,
                repaired: bool) -> None:
    out = standardise_phones(_s([raw]), region)
    assert _values(out["phone"]) == [phone]
    assert out["phone_status"].iloc[0] == status
    assert _values(out["phone_type"]) == [kind]
    assert bool(out["_issue_phone_repaired"].iloc[0]) is repaired
    assert bool(out["_issue_phone_invalid"].iloc[0]) is (status == "invalid")


# --- addresses --------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("postcode", "country", "expected_postcode", "expected_country", "invalid", "repaired"),
    [
        ("75001", None, "75001", "FR", False, False),
        ("1000", "France", "01000", "FR", False, True),  # leading zero lost by a spreadsheet
        ("75001.0", "FR", "75001", "FR", False, False),
        ("7500", "FR", "07500", "FR", False, True),
        ("ABCDE", "FR", "ABCDE", "FR", True, False),
        ("sw1a 1aa", "Royaume-Uni", "SW1A 1AA", "GB", False, False),
        ("SW1A1AA", "United Kingdom", "SW1A 1AA", "GB", False, False),
        ("10115", "Allemagne", "10115", "DE", False, False),
        ("28013", "Espagne", "28013", "ES", False, False),
        ("00184", "Italie", "00184", "IT", False, False),
        ("1000", "Belgique", "1000", "BE", False, False),
        ("1234 ab", "Pays-Bas", "1234 AB", "NL", False, False),
    ],
)
def test_postcodes_and_countries(postcode: str, country: str | None, expected_postcode: str,
                                 expected_country: str, invalid: bool, repaired: bool) -> None:
    index = pd.RangeIndex(1)
    out = standardise_addresses(None, _s([postcode]), _s(["Ville"]), _s([country]), "FR", index)
    assert out["postcode"].iloc[0] == expected_postcode
    assert out["country"].iloc[0] == expected_country
    assert bool(out["_issue_postcode_invalid"].iloc[0]) is invalid
    assert bool(out["_issue_postcode_repaired"].iloc[0]) is repaired


@pytest.mark.parametrize(
    ("street", "key"),
    [
        ("12 av. Foch", "12 avenue foch"),
        ("3 bd des Italiens", "3 boulevard des italiens"),
        ("5 bld Voltaire", "5 boulevard voltaire"),
        ("8 r. Victor Hugo", "8 rue victor hugo"),
        ("2 imp. des Lilas", "2 impasse des lilas"),
        ("1 ch. des Vignes", "1 chemin des vignes"),
        ("10, Rue de l'Église", "10 rue de l eglise"),
    ],
)
def test_street_keys(street: str, key: str) -> None:
    out = standardise_addresses(_s([street]), None, None, None, "FR", pd.RangeIndex(1))
    assert out["street_key"].iloc[0] == key
    assert out["street"].iloc[0] == street  # display value untouched


@pytest.mark.parametrize(
    ("city", "key"),
    [
        ("PARIS 15E", "paris"),
        ("Paris 15ème arrondissement", "paris"),
        ("Lyon CEDEX 03", "lyon"),
        ("BOULOGNE-BILLANCOURT CEDEX", "boulogne billancourt"),
        ("St-Étienne", "saint etienne"),
        ("Marseille 8e", "marseille"),
    ],
)
def test_city_keys(city: str, key: str) -> None:
    out = standardise_addresses(None, None, _s([city]), None, "FR", pd.RangeIndex(1))
    assert out["city_key"].iloc[0] == key


def test_unknown_country_is_flagged_and_no_address_means_no_country() -> None:
    out = standardise_addresses(None, _s(["75001", None]), _s(["Paris", None]), _s(["Atlantide", None]), "FR",
                                pd.RangeIndex(2))
    assert bool(out["_issue_country_unknown"].iloc[0])
    assert _values(out["country"]) == [None, None]


# --- dates ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "fmt", "expected", "status", "issue"),
    [
        ("03/04/1980", "%d/%m/%Y", date(1980, 4, 3), "valid", None),
        ("03/04/1980", "%m/%d/%Y", date(1980, 3, 4), "valid", None),  # the declared format decides
        ("1980-04-03", "%d/%m/%Y", date(1980, 4, 3), "valid", None),  # ISO is unambiguous
        ("29314", "%d/%m/%Y", date(1980, 4, 3), "valid", None),  # Excel serial
        ("03/04/1980", None, None, "invalid", "birth_date_unparseable"),  # no format: never guessed
        ("31/02/1980", "%d/%m/%Y", None, "invalid", "birth_date_unparseable"),
        ("01/01/2030", "%d/%m/%Y", None, "invalid", "birth_date_impossible"),  # future
        ("01/01/1850", "%d/%m/%Y", None, "invalid", "birth_date_impossible"),  # > 120 years ago
        (None, "%d/%m/%Y", None, "missing", None),
    ],
)
def test_birth_dates(raw: str | None, fmt: str | None, expected: date | None, status: str,
                     issue: str | None) -> None:
    out = standardise_birth_dates(_s([raw]), fmt, NOW)
    value = out["birth_date"].iloc[0]
    assert (None if pd.isna(value) else value.date()) == expected
    assert out["birth_date_status"].iloc[0] == status
    for code in ("birth_date_unparseable", "birth_date_impossible"):
        assert bool(out[f"_issue_{code}"].iloc[0]) is (code == issue)


def test_timestamps_iso_with_zone_excel_and_future() -> None:
    values, unparseable, future = standardise_timestamp(
        _s(["2024-05-01T10:22:33Z", "2024-05-01T12:22:33+02:00", "45000", "12/03/2024 14:05", "2099-01-01",
            "demain"]),
        "%d/%m/%Y", NOW,
    )
    assert values.iloc[0] == pd.Timestamp("2024-05-01 10:22:33")
    assert values.iloc[1] == pd.Timestamp("2024-05-01 10:22:33")  # converted to UTC
    assert values.iloc[2] == pd.Timestamp("2023-03-15")
    assert values.iloc[3] == pd.Timestamp("2024-03-12 14:05")
    assert pd.isna(values.iloc[4]) and bool(future[4])
    assert pd.isna(values.iloc[5]) and bool(unparseable[5])


# --- companies and flags ----------------------------------------------------------------

# SIREN, SIRET and VAT: tests/mdm/standardise/test_companies.py


@pytest.mark.parametrize(
    ("raw", "expected", "invalid"),
    [
        ("1 80 03 75 115 042 17", "180037511504217", False),  # French NIR (keyed or not: kept as typed)
        ("078-05-1120", "078051120", False),                 # US SSN
        ("ab.12/345_67", "AB1234567", False),
        ("  ", None, False),
        (None, None, False),
        ("1234", None, True),                                # too short to identify anyone
        ("000000000", None, True),                           # placeholder typed to get past a form
        ("123456789", None, True),
        ("9876543210", None, True),
        ("123456789#", None, True),                          # not an identifier
        ("unknown", None, True),                             # a word typed into the box
        ("RSSMRA85T10A562S", "RSSMRA85T10A562S", False),     # Italian codice fiscale: 7 digits
    ],
)
def test_national_ids(raw: str | None, expected: str | None, invalid: bool) -> None:
    out = standardise_national_ids(_s([raw]))
    assert _values(out["national_id"]) == [expected]
    assert bool(out["_issue_national_id_invalid"].iloc[0]) is invalid


def test_opt_in() -> None:
    values, unknown = parse_booleans(_s(["oui", "Non", "YES", "0", "1", "true", "Faux", "peut-être", None]))
    assert _values(values) == [True, False, True, False, True, True, False, None, None]
    assert unknown.tolist() == [False] * 7 + [True, False]


# --- the whole frame --------------------------------------------------------------------

def test_frame_issues_and_retention_category() -> None:
    df = pd.DataFrame({
        "last_name": ["DUPONT", "Martin"],
        "first_name": ["jean", "Marie"],
        "email": ["jean@gmial.com", "pas un email"],
        "phone": ["612345678.0", "12"],
        "postcode": ["1000", "75001"],
        "city": ["Bourg", "Paris"],
        "birth_date": ["03/04/1980", "31/02/1980"],
        "customer_status": ["Ancien client", "client"],
    })
    rules = SourceRules(date_format="%d/%m/%Y", retention_category="customer",
                        status_categories={"ancien client": "former_customer"})
    out = standardise_frame(df, rules, NOW)
    assert list(out["retention_category"]) == ["former_customer", "customer"]
    assert set(out["issues"].iloc[0]) == {"email_domain_typo", "phone_repaired", "postcode_repaired"}
    assert set(out["issues"].iloc[1]) == {"email_invalid", "phone_invalid", "birth_date_unparseable"}
    assert list(out["email_flags"].iloc[0]) == ["domain_typo"]
    assert out["email_raw"].iloc[1] == "pas un email"
