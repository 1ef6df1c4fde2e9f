"""Organisations matched by the same engine: legal forms, identifiers, establishments, co-located firms."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from stdnum import luhn

from matching.evaluation import Evaluation, evaluate, match_frame, party_of, standardise_records
from matching.settings import MatchingConfig
from tests.matching.match_helpers import final_vector

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


def _world_with(extra: list[tuple[str | None, ...]]) -> pd.Series:
    """Clusters of the 80-organisation world plus `extra` rows (record_id, company, siret, website,
    phone, street, postcode, city)."""
    frame, _ = organisations()
    added = pd.DataFrame(extra, columns=["record_id", "company", "siret", "website", "phone", "street", "postcode",
                                         "city"])
    records = standardise_records(pd.concat([frame, added], ignore_index=True), NOW)
    found, _ = match_frame(records, MatchingConfig(), NOW, party="organisation")
    return found.set_index("record_key")["cluster_id"]


def test_subsidiaries_sharing_a_group_domain_stay_apart() -> None:
    # Two legal units (two valid SIRENs) under one group's web domain and name head, each also in
    # a file without its SIRET: the domain is the group's, not evidence of one organisation
    # (SHARED_SITE: the domain's neutral level, and a cannot-link between the two SIRENs).
    found = _world_with([
        ("grpA", "Vidal", _siret(_siren(500), 1), "www.groupe-vidal.fr", "0491000001",
         "3 rue Paradis", "13001", "Marseille"),
        ("grpA2", "VIDAL", None, "groupe-vidal.fr", None, "3 rue Paradis", "13001", "Marseille"),
        ("grpB", "Vidal Immobilier", _siret(_siren(501), 1), "www.groupe-vidal.fr", "0556000002",
         "8 quai Louis XVIII", "33000", "Bordeaux"),
        ("grpB2", "Vidal Immobilier", None, "http://www.groupe-vidal.fr/", None, None, "33000", "Bordeaux"),
    ])
    assert found["grpA"] == found["grpA2"]
    assert found["grpB"] == found["grpB2"]
    assert found["grpA"] != found["grpB"]


def test_a_typo_in_a_short_name_at_one_site_is_one_organisation() -> None:
    # "Glrard" at Girard's address and switchboard: a slip, not another firm sharing the site.
    found = _world_with([
        ("typo1", "Girard", None, None, "0472555555", "12 rue Tronchet", "69006", "Lyon"),
        ("typo2", "Glrard", None, None, "04 72 55 55 55", "12 rue Tronchet", "69006", "Lyon"),
    ])
    assert found["typo1"] == found["typo2"]


def test_a_rare_name_weighs_more_than_one_every_town_has(tmp_path: Path) -> None:
    # The exact name's weight comes from the name's frequency: "Pharmacie de la Gare" is in many
    # towns, "Ardoises Kerbrat" in one; the same agreement says far more for the rare name.
    generic = [(f"gen{k}", "Pharmacie de la Gare", None, None, f"05{61000000 + k * 13:08d}", f"{k} avenue de la Gare",
                f"{31000 + k * 10}", f"Ville{k}") for k in range(12)]
    rare = [(f"rare{k}", "Ardoises Kerbrat", None, None, "0298444444", "1 rue de Brest", "29200", "Brest")
            for k in range(2)]
    frame, _ = organisations()
    added = pd.DataFrame([*generic, ("gen_dup", "Pharmacie de la Gare", None, None, "05 61 00 00 00",
                                     "0 avenue de la Gare", "31000", "Ville0"), *rare],
                         columns=["record_id", "company", "siret", "website", "phone", "street", "postcode", "city"])
    records = standardise_records(pd.concat([frame, added], ignore_index=True), NOW)
    database = tmp_path / "orgs.duckdb"
    match_frame(records, MatchingConfig(), NOW, party="organisation", database=database)
    con = duckdb.connect(str(database), read_only=True)
    weights = dict(con.execute("""
        SELECT record_key_l || '-' || record_key_r, CAST(contributions->'$.company_name.weight' AS DOUBLE)
        FROM match_org.pairs WHERE contributions->>'$.company_name.level' LIKE 'exact%'
          AND record_key_l IN ('gen0', 'gen_dup', 'rare0', 'rare1') AND record_key_r IN ('gen0', 'gen_dup', 'rare0', 'rare1')
    """).fetchall())
    con.close()
    generic_pair = weights.get("gen0-gen_dup", weights.get("gen_dup-gen0"))
    rare_pair = weights.get("rare0-rare1", weights.get("rare1-rare0"))
    assert generic_pair is not None and rare_pair is not None, weights
    assert rare_pair > generic_pair + 2


def _org_vector(raw: dict[str, int]) -> dict[str, int]:
    """The organisation spec's final comparison vector for a raw one (missing wherever `raw` is silent)."""
    from matching.organisations import organisation_spec

    return final_vector(organisation_spec(), raw)


def test_a_shared_domain_under_two_sirens_is_not_counted() -> None:
    """The domain is a channel of SHARED_SITE: with two different SIRENs (or names that disagree
    outright) its agreement moves to the neutral level, as the street's and the phone's do. Until
    2026-12-08 the domain had no such level, and a group's subsidiaries merged through it."""
    from matching.comparisons import DIFFERENT
    from matching.organisations import organisation_spec

    by_name = {c.name: c for c in organisation_spec().comparisons}
    domain, siren, name = by_name["domain"], by_name["siren"], by_name["company_name"]
    neutral = domain.household_index
    assert neutral is not None and domain.levels[neutral].label.startswith("shared with another organisation")
    contained = next(i for i, level in enumerate(name.levels) if level.label.startswith("one name within"))
    group = {"domain": 1, "siren": siren.index_of(DIFFERENT), "company_name": contained}
    assert _org_vector(group)["g_domain"] == neutral
    assert _org_vector({"domain": 1, "company_name": name.index_of(DIFFERENT)})["g_domain"] == neutral
    # one SIREN, or none known: the shared domain counts
    assert _org_vector({**group, "siren": 1})["g_domain"] == 1
    assert _org_vector({"domain": 1, "company_name": contained})["g_domain"] == 1


def test_a_loose_name_rule_still_pairs_a_rare_name(tmp_path: Path) -> None:
    """Limits so tight that every name rule is loose (as "Pharmacie de la Gare" in every town makes
    them on a big file): the name rules keep their small blocks, so two establishments of one
    company sharing nothing but a rare name are still compared (they were never compared before
    2026-12-08, when a loose rule was skipped whole)."""
    frame, _ = organisations()
    generic = [(f"gen{k}", "Pharmacie de la Gare", f"05{61000000 + k * 13:08d}", f"{k} avenue de la Gare",
                f"{31000 + k * 10}", f"Ville{k}") for k in range(40)]
    sites = [("kb1", "Ardoises Kerbrat", "0298444444", "1 rue de Brest", "29200", "Brest"),
             ("kb2", "ARDOISES KERBRAT SARL", "0298555555", "4 route de Quimper", "29000", "Quimper")]
    added = pd.DataFrame([*generic, *sites], columns=["record_id", "company", "phone", "street", "postcode", "city"])
    records = standardise_records(pd.concat([frame, added], ignore_index=True), NOW)
    database = tmp_path / "orgs.duckdb"
    cfg = MatchingConfig(max_rule_pairs_per_record=0.5, min_rule_pairs=0)
    _, outcome = match_frame(records, cfg, NOW, party="organisation", database=database)
    assert outcome.counts["blocking_rules_kept_small_blocks"].get("company_name", 0) >= 2
    with duckdb.connect(str(database), read_only=True) as con:
        found = con.execute("SELECT count(*) FROM match_org.candidates WHERE record_key_l = 'kb1' AND record_key_r = 'kb2'"
                            ).fetchall()
        generic_pairs = con.execute("SELECT count(*) FROM match_org.candidates WHERE record_key_l LIKE 'gen%' "
                                    "AND record_key_r LIKE 'gen%' AND rule = 'company_name'").fetchall()
    assert found == [(1,)]
    assert generic_pairs == [(0,)]               # the block of 40 is the one left out
