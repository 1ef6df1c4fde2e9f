"""The demo's ERP export: real identifiers, establishments, contacts who are also private customers,
sole traders, the dirt it promises, and an organisation truth that covers every record about one."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from stdnum import vatin
from stdnum.fr import siren as fr_siren
from stdnum.fr import siret as fr_siret

from mdm.config import BUNDLED_DEMO_CONFIG
from mdm.demo.generate import generate
from tests.mdm.demo.test_generate import mapped_columns, read_erp


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("b2b")
    generate(root / "inbox", root / "truth.csv", people=5000, seed=42, organisations_csv=root / "organisations.csv")
    return root


@pytest.fixture(scope="module")
def tiers(demo: Path) -> pd.DataFrame:
    return read_erp(demo, "tiers").replace("", None)


@pytest.fixture(scope="module")
def contacts(demo: Path) -> pd.DataFrame:
    return read_erp(demo, "contacts").replace("", None)


def test_files_have_the_configured_columns(tiers: pd.DataFrame, contacts: pd.DataFrame) -> None:
    sources = {s["name"]: s for s in yaml.safe_load(BUNDLED_DEMO_CONFIG.read_text(encoding="utf-8"))["sources"]}
    assert mapped_columns(sources["erp"]) <= set(tiers.columns)
    assert mapped_columns(sources["erp_contacts"]) <= set(contacts.columns)
    assert tiers["Code tiers"].is_unique and contacts["Code contact"].is_unique
    assert set(contacts["Code tiers"]) <= set(tiers["Code tiers"])


def test_identifiers_are_valid_but_for_the_promised_dirt(tiers: pd.DataFrame) -> None:
    siret = tiers["SIRET"].dropna()
    bad = siret[~siret.map(fr_siret.is_valid)]
    assert 1 <= len(bad) <= 0.05 * len(siret)  # a mistyped check digit, a few
    siren = tiers["SIREN"].dropna()
    stripped = siren[siren.str.len() == 8]
    assert len(stripped) >= 1 and stripped.map(lambda s: fr_siren.is_valid("0" + s)).all()  # Excel ate the zero
    assert siren[siren.str.len() == 9].map(fr_siren.is_valid).all()
    vat = tiers["N° TVA intracommunautaire"].dropna()
    assert vat.map(vatin.is_valid).all()  # spaces and lower case are a writing, not an error
    assert vat.str.contains(" ").any() and vat.str.match("fr").any()
    assert vat.str.upper().str[:2].isin(["BE", "DE", "IT"]).any()  # a few customers elsewhere in the EU
    forms = " ".join(tiers["Raison sociale"]) + " " + " ".join(tiers["Forme juridique"].dropna())
    assert all(form in forms for form in ("SARL", "S.A.R.L.", "SAS", "EI"))


def test_some_companies_have_establishments_in_several_towns(tiers: pd.DataFrame) -> None:
    valid = tiers[tiers["SIRET"].notna()].assign(siren=lambda t: t["SIRET"].str[:9])
    towns = valid.groupby("siren")["Ville"].nunique()
    assert (towns >= 2).sum() >= 5
    assert (valid.groupby("siren")["SIRET"].nunique() >= 3).any()


def test_contacts_are_private_customers_too_and_some_serve_two_companies(demo: Path) -> None:
    truth = pd.read_csv(demo / "truth.csv", dtype=str)
    orgs = pd.read_csv(demo / "truth_organisations.csv", dtype=str)
    contacts = truth[truth["source"] == "erp_contacts"].merge(orgs, on=["record_key", "source"])
    b2c = set(truth.loc[truth["source"].isin(["crm", "webshop", "newsletter", "salon"]), "person_id"])
    assert contacts["person_id"].isin(b2c).all()  # every demo person is in a B2C file
    assert (contacts.groupby("person_id")["organisation_id"].nunique() >= 2).sum() >= 2


def test_sole_traders_carry_their_owners_name(tiers: pd.DataFrame, contacts: pd.DataFrame) -> None:
    named = contacts.assign(full=contacts["Prénom"] + " " + contacts["Nom"].str.title())
    owners = named[named.apply(lambda r: r["full"].lower() in r["Raison sociale"].lower(), axis=1)]
    assert len(owners) >= 3
    assert set(owners["Fonction"]) <= {"Gérant", "Gérante", "Comptabilité"}


def test_organisation_truth_covers_every_record_about_one_and_holds_no_personal_data(
        demo: Path, tiers: pd.DataFrame, contacts: pd.DataFrame) -> None:
    text = (demo / "truth_organisations.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == "record_key,source,organisation_id" and "@" not in text
    orgs = pd.read_csv(demo / "truth_organisations.csv", dtype=str)
    assert orgs["record_key"].is_unique
    per_source = orgs["source"].value_counts()
    assert per_source["erp"] == len(tiers) and per_source["erp_contacts"] == len(contacts)
    assert per_source["salon"] > 50  # badges naming the visitor's company
    canonical = pd.read_csv(demo / "organisations.csv", dtype=str)
    assert list(canonical["record_id"]) == list(orgs["record_key"])
    # one organisation per SIREN, whatever the account (double entries included)
    accounts = canonical[canonical["source"] == "erp"].dropna(subset=["siret"])
    assert (accounts.groupby(accounts["siret"].str[:9])["organisation_id"].nunique() == 1).all()

