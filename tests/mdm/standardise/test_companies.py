"""Company standardisation: identifiers checked by python-stdnum, names split into display, legal form and key."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from mdm.standardise.companies import (
    company_identifiers,
    legal_forms,
    standardise_company_names,
    standardise_siret,
    standardise_vat,
    web_domain,
)
from mdm.standardise.frame import SourceRules, standardise_frame


def _s(values: list[object]) -> pd.Series:
    return pd.Series(values, dtype=object)


def _values(series: pd.Series) -> list[object]:
    return [None if pd.isna(v) else v for v in series.tolist()]


@pytest.mark.parametrize(
    ("raw", "invalid", "siren"),
    [
        ("732 829 320", False, "732829320"),  # a SIREN in the SIRET box
        ("73282932000074", False, "732829320"),
        ("73282932000075", True, None),  # wrong Luhn key
        ("356000000", False, "356000000"),  # La Poste's SIREN (the old hand-written rule refused it)
        ("35600000000048", False, "356000000"),  # La Poste's head office
        ("35600000000010", False, "356000000"),  # La Poste: digit sum divisible by 5, not Luhn
        ("35600000000011", True, None),
        ("7.3282932000074E13", True, None),  # Excel's scientific notation: digits lost, never guessed
        ("73282932000074.0", False, "732829320"),  # Excel's float suffix
        ("1234", True, None),
        (None, False, None),
    ],
)
def test_siret(raw: str | None, invalid: bool, siren: str | None) -> None:
    out = standardise_siret(_s([raw]))
    assert bool(out["_issue_siret_invalid"].iloc[0]) is invalid
    assert _values(out["siren"]) == [siren]


@pytest.mark.parametrize(
    ("raw", "invalid"),
    [
        ("FR 44 732829320", False),
        ("fr44.732.829.320", False),
        ("FR45732829320", True),  # wrong key
        ("DE136695976", False),
        ("DE123456789", True),  # right shape, wrong check digit (the old format check passed it)
        ("NL004495445B01", False),
        ("BE0403019261", False),
        ("ATU13585627", False),
        ("ESA13585625", False),
        ("EL094259216", False),  # Greece writes EL
        ("IT00743110157", False),
        ("PL5260250274", False),
        ("XI980780684", False),  # Northern Ireland
        ("CHE-116.281.710 MWST", False),  # outside the EU, stdnum knows it
        ("IT1234567890", True),
        ("XX123", True),
        ("123456789", True),  # no country prefix
    ],
)
def test_vat(raw: str, invalid: bool) -> None:
    out = standardise_vat(_s([raw]))
    assert bool(out["_issue_vat_invalid"].iloc[0]) is invalid


def test_siren_comes_from_siret_then_french_vat() -> None:
    out = company_identifiers(
        _s(["73282932000074", None, None, "bad"]), _s([None, None, "356000000", None]),
        _s([None, "FR40303265045", "FR40303265045", "DE136695976"]),
    )
    assert _values(out["siren"]) == ["732829320", "303265045", "356000000", None]
    assert out["_issue_siret_invalid"].tolist() == [False, False, False, True]


@pytest.mark.parametrize(
    ("raw", "display", "form", "key"),
    [
        ("Véranda Confort SARL", "Véranda Confort SARL", "SARL", "veranda confort"),
        ("VERANDA CONFORT S.A.R.L.", "VERANDA CONFORT S.A.R.L.", "SARL", "veranda confort"),
        ("SARL Véranda Confort", "SARL Véranda Confort", "SARL", "veranda confort"),
        ("Dupont & Fils", "Dupont & Fils", None, "dupont fils"),
        ("Dupont et Fils", "Dupont et Fils", None, "dupont fils"),
        ("Dupont and Fils SAS", "Dupont and Fils SAS", "SAS", "dupont fils"),
        ("Ets Martin", "Ets Martin", None, "etablissements martin"),
        ("Boulangerie de la Gare", "Boulangerie de la Gare", None, "boulangerie gare"),
        ("Müller GmbH & Co. KG", "Müller GmbH & Co. KG", "GmbH & Co. KG", "muller"),
        ("Banco Bilbao Vizcaya Argentaria, S.A.", "Banco Bilbao Vizcaya Argentaria, S.A.", "SA",
         "banco bilbao vizcaya argentaria"),
        ("Koninklijke Philips N.V.", "Koninklijke Philips N.V.", "NV", "koninklijke philips"),
        ("Acme Inc.", "Acme Inc.", "Inc", "acme"),
        ("Intesa Sanpaolo S.p.A.", "Intesa Sanpaolo S.p.A.", "SpA", "intesa sanpaolo"),
        ("Telefónica S.L.", "Telefónica S.L.", "S.L.", "telefonica"),
        ("As You Like It", "As You Like It", None, "as you like it"),  # a short form starts no name
        ("SA", "SA", "SA", "sa"),  # nothing but a form: the key keeps it
        ("  ", None, None, None),
    ],
)
def test_company_names(raw: str, display: str | None, form: str | None, key: str | None) -> None:
    out = standardise_company_names(_s([raw]))
    assert _values(out["company"]) == [display]
    assert _values(out["legal_form"]) == [form]
    assert _values(out["company_key"]) == [key]


def test_legal_forms_cover_the_issue_list() -> None:
    codes = set(legal_forms().values())
    assert {"SA", "SAS", "SASU", "SARL", "EURL", "SCI", "SNC", "GmbH", "AG", "Ltd", "LLC", "Inc", "BV", "NV",
            "SpA", "S.L."} <= codes


def test_web_domain_skips_webmail() -> None:
    out = web_domain(
        _s(["https://www.veranda-confort.fr/contact", None, None, "pas un site", None]),
        _s(["a@autre.fr", "marie@gmail.com", "x@veranda-confort.fr", None, "y@orange.fr"]),
    )
    assert _values(out) == ["veranda-confort.fr", None, "veranda-confort.fr", None, None]


def test_party_kind_from_what_a_row_holds() -> None:
    frame = pd.DataFrame({
        "first_name": ["Marie", None, "Paul", None],
        "last_name": ["Durand", None, "Martin", None],
        "company": ["Véranda Confort", "Véranda Confort SARL", None, None],
        "siret": [None, None, None, "73282932000074"],
        "email": ["marie.durand@veranda-confort.fr", "contact@veranda-confort.fr", "paul@gmail.com", None],
    })
    out = standardise_frame(frame, SourceRules(), datetime(2026, 12, 7))
    assert out["party_kind"].tolist() == ["contact", "organisation", "person", "organisation"]
    assert _values(out["company_domain"]) == ["veranda-confort.fr", "veranda-confort.fr", None, None]
    assert _values(out["siren"]) == [None, None, None, "732829320"]
