"""Organisations matched by the same engine: legal forms, identifiers, establishments, co-located firms."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from stdnum import luhn

from matching.evaluation import Evaluation, evaluate, match_frame, party_of, standardise_records
from matching.settings import MatchingConfig

NOW = datetime(2026, 12, 7)
TRADES = ["Boulangerie", "Menuiserie", "Plomberie", "Garage", "Pharmacie", "Cabinet", "Transports", "Imprimerie"]
NAMES = ["Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Laurent", "Simon", "Michel", "Garnier", "Faure",
         "Rousseau", "Blanc", "Guerin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu"]
BRANDS = ["Véranda Confort", "Atelier Vert", "Piscines Soleil", "Bâti Concept", "Domotique Plus", "Éco Habitat",
          "Terrasses & Bois", "Jardins du Rhône", "Lumière d'Intérieur", "Cuisines Créatives", "Toits de France",
          "Clim Service", "Parquets Anciens", "Fenêtres Azur", "Chauffage Express", "Carrelage Design",
          "Isolation Nord", "Peinture Pro", "Serrures Rapides", "Électricité Générale", "Béton Plus", "Ardoise Bleue",
          "Verrières du Sud", "Jardin Secret", "Maison Bois", "Pierre et Sable", "Ferronnerie d'Art",
          "Stores Soleil", "Portails Alu", "Toiture Atlantique", "Cheminées Flamme", "Volets Roulants Express",
          "Escaliers Bois", "Dallage Provence", "Menuiserie Alu Confort", "Plâtrerie Moderne", "Vitrerie Centrale",
          "Géothermie Ouest", "Solaire Énergie", "Puits et Forages"]
FORMS = ["SARL", "SAS", "S.A.R.L.", "EURL", "SA", ""]
TOWNS = [("69003", "Lyon"), ("75011", "Paris"), ("13001", "Marseille"), ("33000", "Bordeaux"), ("59000", "Lille")]


def _siren(i: int) -> str:
    base = f"{400000000 + i * 7919:09d}"[:8]
    return base + luhn.calc_check_digit(base)


def _siret(siren: str, establishment: int) -> str:
    base = siren + f"{establishment:04d}"
    return base + luhn.calc_check_digit(base)


def organisations(n: int = 80, seed: int = 7) -> tuple[pd.DataFrame, pd.Series]:
    """Records of `n` organisations from an ERP, a CRM and a fair, with their legal unit as truth."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        # a trade and a family name ("Boulangerie Martin"), or a brand ("Véranda Confort")
        name = (f"{TRADES[rng.integers(len(TRADES))]} {NAMES[rng.integers(len(NAMES))]}" if i % 2 else
                f"{BRANDS[i // 2 % len(BRANDS)]}")
        siren = _siren(i)
        phone = f"04{72000000 + i * 37:08d}"
        postcode, town = TOWNS[i % len(TOWNS)]
        street = f"{i % 90 + 1} rue {NAMES[i % len(NAMES)]}"
        domain = f"{'-'.join(name.lower().replace('&', ' ').replace(chr(39), ' ').split())}-{i}.fr"
        form = FORMS[i % len(FORMS)]
        # the ERP: legal name with its form, SIRET, VAT (key computed), head office
        vat = f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"
        rows.append((f"erp{i}", i, f"{name} {form}".strip(), _siret(siren, 1), vat, phone, street, postcode, town,
                     f"compta@{domain}"))
        # the CRM: upper case, no form, "et" for "&", no identifiers, the same phone written otherwise
        crm_name = name.upper() if rng.random() < 0.5 else name
        rows.append((f"crm{i}", i, crm_name, None, None, phone[:2] + " " + phone[2:], street, postcode, town, None))
        # a second establishment in another town for one in four: same SIREN, another SIRET
        if i % 4 == 0:
            postcode2, town2 = TOWNS[(i + 2) % len(TOWNS)]
            rows.append((f"est{i}", i, f"{name} {form}".strip(), _siret(siren, 2), None,
                         f"05{56000000 + i * 41:08d}", f"{i % 50 + 2} avenue Foch", postcode2, town2, None))
        # a fair badge for one in three: the name with a typo, a business e-mail
        if i % 3 == 0:
            typo = name[:-2] + name[-1] + name[-2]
            rows.append((f"fair{i}", i, typo, None, None, None, None, postcode, town, f"contact@{domain}"))
    # two firms of a business centre: one address, one switchboard, other names: not one organisation
    for j, other in enumerate(["Conseil Habitat Ouest", "Optique Lumière"]):
        rows.append((f"bc{j}", n + j, other, None, None, "0478999999", "10 place Bellecour", "69002", "Lyon", None))
    frame = pd.DataFrame(rows, columns=["record_id", "truth", "company", "siret", "vat_number", "phone", "street",
                                        "postcode", "city", "email"])
    return frame.drop(columns="truth"), frame["truth"].astype(str)


@pytest.fixture(scope="module")
def result() -> Evaluation:
    frame, truth = organisations()
    return evaluate(frame, truth, now=NOW, party="organisation")


def test_organisations_are_matched(result: Evaluation) -> None:
    # legal forms, capitals, "&" / "et", a typo on a badge, a phone written otherwise, establishments
    assert result.precision >= 0.97
    assert result.recall >= 0.9



@pytest.fixture(scope="module")
def clusters() -> pd.DataFrame:
    frame, truth = organisations()
    records = standardise_records(frame, NOW)
    found, _ = match_frame(records, MatchingConfig(), NOW, party="organisation")
    return found.set_index("record_key")["cluster_id"]


def test_establishments_of_one_legal_unit_are_one_organisation(clusters: pd.Series) -> None:
    # another town, another phone, another SIRET: the same SIREN says the same organisation
    assert clusters["est0"] == clusters["erp0"] == clusters["crm0"]
    assert clusters["est4"] == clusters["erp4"]


def test_firms_sharing_a_site_stay_apart(clusters: pd.Series) -> None:
    assert clusters["bc0"] != clusters["bc1"]


def test_a_file_of_company_columns_is_matched_as_organisations() -> None:
    frame, truth = organisations(20)
    assert party_of(frame) == "organisation"
    assert party_of(frame.assign(first_name="Marie")) == "person"
    assert evaluate(frame, truth, now=NOW).precision == 1.0
