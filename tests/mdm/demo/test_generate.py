"""The demo generator: files exactly as mdm/demo/mdm.yaml expects, deterministic, truth complete, errors present."""

from __future__ import annotations

import json
import re
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from python_calamine import CalamineWorkbook

from mdm.config import BUNDLED_DEMO_CONFIG
from mdm.demo.generate import CANONICAL_COLUMNS, REFERENCE_DATE, demo_records, generate, generate_canonical
from mdm.demo.records import ERROR_KINDS, error_mask
from mdm.demo.vocab import FIRST_NAMES, NICKNAMES
from sources.keys import record_key

PEOPLE = 400
SEED = 11


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    generate(root / "inbox", root / "truth.csv", people=PEOPLE, seed=SEED)
    return root


@pytest.fixture(scope="module")
def config() -> dict:
    return {s["name"]: s for s in yaml.safe_load(BUNDLED_DEMO_CONFIG.read_text(encoding="utf-8"))["sources"]}


def read_crm(root: Path) -> pd.DataFrame:
    return pd.read_csv(root / "inbox/crm/clients_crm.csv", sep=";", encoding="cp1252", dtype=str,
                       keep_default_na=False)


def read_newsletter(root: Path) -> pd.DataFrame:
    return pd.read_csv(root / "inbox/newsletter/abonnes_newsletter.csv", encoding="utf-8", dtype=str,
                       keep_default_na=False)


def read_webshop(root: Path) -> list[dict]:
    lines = (root / "inbox/webshop/customers.ndjson").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def read_salon(path: Path) -> list[list[Any]]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Contacts").to_python()


def salon_data(root: Path) -> pd.DataFrame:
    frames = []
    for path in sorted((root / "inbox/salon").glob("*.xlsx")):
        rows = read_salon(path)
        frames.append(pd.DataFrame(rows[3:], columns=rows[2]).assign(file=path.name))
    return pd.concat(frames, ignore_index=True)


def mapped_columns(source: dict) -> set[str]:
    """Every source column the config's mapping and keys refer to."""
    columns = set(source["key_columns"])
    for value in source["mapping"].values():
        if isinstance(value, str):
            columns.add(value)
        elif "split_full_name" in value:
            columns.add(value["split_full_name"])
        elif "join" in value:
            columns.update(value["join"])
        elif "column" in value:
            columns.add(value["column"])
    return columns


# --- the files match the config ---------------------------------------------------------------

def test_every_config_glob_matches_a_file(demo: Path, config: dict) -> None:
    for name, source in config.items():
        assert list((demo / "inbox").glob(source["path"])), name
    written = sorted(str(p.relative_to(demo / "inbox")) for p in (demo / "inbox").rglob("*") if p.is_file())
    assert written == [
        "campagnes/emailing.csv", "crm/clients_crm.csv", "erp/contacts.csv", "erp/tiers.csv", "eshop/commandes.csv",
        "newsletter/abonnes_newsletter.csv",
        "salon/salon_lyon_2025.xlsx", "salon/salon_paris_2022.xlsx", "service_client/appels.xlsx",
        "webshop/customers.ndjson",
    ]
    assert not (demo / "inbox" / "truth.csv").exists()


def test_crm_csv_is_cp1252_semicolon_with_the_configured_headers(demo: Path, config: dict) -> None:
    raw = (demo / "inbox/crm/clients_crm.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # accents are single Windows-1252 bytes
    crm = read_crm(demo)
    assert list(crm.columns) == [
        "Code client", "Civilité", "Nom", "Prénom", "Courriel", "Téléphone", "Adresse", "Code postal", "Ville",
        "Pays", "Date de naissance", "Date de création", "Dernier contact", "Statut",
    ]
    assert mapped_columns(config["crm"]) <= set(crm.columns)
    assert set(crm["Statut"]) == {"prospect", "client", "ancien client"}
    assert crm["Code client"].is_unique
    dates = crm["Date de création"]
    assert dates.str.fullmatch(r"\d\d/\d\d/\d{4}").all()
    assert crm["Code postal"].str.fullmatch(r"\d{5}").all()
    assert crm["Code postal"].str.startswith("0").any()  # departments 01-09 keep their zero here


def test_salon_workbooks_have_title_blank_header_and_numeric_cells(demo: Path, config: dict) -> None:
    numbers: list[int] = []
    for name, year in (("salon_lyon_2025.xlsx", 2025), ("salon_paris_2022.xlsx", 2022)):
        rows = read_salon(demo / "inbox/salon" / name)
        assert isinstance(rows[0][0], str) and "Salon" in rows[0][0] and str(year) in rows[0][0]
        assert all(cell == "" for cell in rows[1])
        assert rows[2] == ["N°", "Nom complet", "Société", "E-mail", "Portable", "CP", "Ville", "Date visite"]
        assert mapped_columns(config["salon"]) <= set(rows[2])
        data = rows[3:]
        assert len(data) > 10
        phones = [r[4] for r in data if r[4] != ""]
        assert phones and all(isinstance(p, float) and p.is_integer() for p in phones)
        assert all(100_000_000 <= p < 800_000_000 for p in phones)  # the leading 0 is lost
        postcodes = [r[5] for r in data]
        assert all(isinstance(p, float) for p in postcodes)
        visits = [r[7] for r in data]
        assert all(isinstance(v, date) and v.year == year for v in visits)
        numbers += [int(r[0]) for r in data]
    assert len(numbers) == len(set(numbers)), "N° must be unique across both fair files"
    # Leading-zero departments lose their zero: 01000 is stored as 1000.
    assert (salon_data(demo)["CP"] < 10_000).any()


def test_webshop_ndjson_has_nested_address_and_iso_timestamps(demo: Path, config: dict) -> None:
    rows = read_webshop(demo)
    keys = {"customer_id", "first_name", "last_name", "email", "phone", "birthdate", "address", "created_at",
            "last_order_at", "orders_count"}
    for row in rows:
        assert set(row) == keys
        assert re.fullmatch(r"W\d{6}", row["customer_id"])
        assert set(row["address"]) == {"line1", "line2", "postcode", "city", "country"}
        assert isinstance(row["address"]["postcode"], str)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", row["created_at"])
        assert row["last_order_at"] is None or row["last_order_at"].endswith("Z")
        assert isinstance(row["orders_count"], int)
    assert {r["address"]["country"] for r in rows} == {"FR", "France"}
    assert any(r["address"]["line2"] is None for r in rows) and any(r["address"]["line2"] for r in rows)


def test_newsletter_csv_headers_and_flags(demo: Path) -> None:
    news = read_newsletter(demo)
    assert list(news.columns) == ["email", "prenom", "opt_in", "date_inscription"]
    assert set(news["opt_in"]) == {"oui", "non", "1", "0"}
    assert (news["prenom"] == "").mean() > 0.6  # few names
    assert news["email"].is_unique and (news["email"] != "").all()
    assert news["date_inscription"].str.fullmatch(r"\d{4}-\d\d-\d\d").all()


# --- determinism ------------------------------------------------------------------------------

def test_same_seed_same_files(demo: Path, tmp_path: Path) -> None:
    time.sleep(1.1)  # a later second: nothing may depend on the wall clock
    generate(tmp_path / "inbox", tmp_path / "truth.csv", people=PEOPLE, seed=SEED)
    for rel in ("crm/clients_crm.csv", "webshop/customers.ndjson", "newsletter/abonnes_newsletter.csv"):
        assert (tmp_path / "inbox" / rel).read_bytes() == (demo / "inbox" / rel).read_bytes(), rel
    assert (tmp_path / "truth.csv").read_bytes() == (demo / "truth.csv").read_bytes()
    for name in ("salon_lyon_2025.xlsx", "salon_paris_2022.xlsx"):
        assert read_salon(tmp_path / "inbox/salon" / name) == read_salon(demo / "inbox/salon" / name)
        # even the workbook bytes (zip entry times and document dates are pinned)
        assert (tmp_path / "inbox/salon" / name).read_bytes() == (demo / "inbox/salon" / name).read_bytes()


def test_other_seed_other_data(demo: Path, tmp_path: Path) -> None:
    generate(tmp_path / "inbox", tmp_path / "truth.csv", people=PEOPLE, seed=SEED + 1)
    assert (tmp_path / "inbox/crm/clients_crm.csv").read_bytes() != (demo / "inbox/crm/clients_crm.csv").read_bytes()


def test_dates_follow_the_reference_date_not_today(tmp_path: Path) -> None:
    later = date(2030, 6, 1)
    generate(tmp_path / "inbox", tmp_path / "truth.csv", people=200, seed=3, reference_date=later)
    crm = read_crm(tmp_path)
    created = pd.to_datetime(crm["Date de création"], format="%d/%m/%Y")
    assert created.max() <= pd.Timestamp(later) and created.max() > pd.Timestamp(later) - pd.Timedelta(days=400)


# --- the truth --------------------------------------------------------------------------------

def file_record_keys(root: Path) -> list[tuple[str, str]]:
    """(record_key, source) of every row of every file, keys computed from the file as read."""
    keys = [(record_key("crm", [c]), "crm") for c in read_crm(root)["Code client"]]
    keys += [(record_key("salon", [n]), "salon") for n in salon_data(root)["N°"]]  # floats, as Excel gives them
    keys += [(record_key("webshop", [r["customer_id"]]), "webshop") for r in read_webshop(root)]
    keys += [(record_key("newsletter", [e]), "newsletter") for e in read_newsletter(root)["email"]]
    keys += [(record_key("erp_contacts", [c]), "erp_contacts") for c in read_erp(root, "contacts")["Code contact"]]
    return keys


def read_erp(root: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(root / f"inbox/erp/{name}.csv", sep=";", encoding="cp1252", dtype=str, keep_default_na=False)


def test_truth_covers_every_row_exactly_once(demo: Path) -> None:
    """Every row about a person is in the person truth; the ERP accounts (organisations) are not."""
    truth = pd.read_csv(demo / "truth.csv", dtype=str)
    assert list(truth.columns) == ["record_key", "source", "person_id"]
    assert truth["record_key"].is_unique
    from_files = file_record_keys(demo)
    assert len(from_files) == len(truth)
    assert sorted(from_files) == sorted(zip(truth["record_key"], truth["source"], strict=True))
    assert truth["person_id"].str.fullmatch(r"P\d{6}").all()


def test_duplicates_within_and_across_sources(demo: Path) -> None:
    truth = pd.read_csv(demo / "truth.csv", dtype=str)
    per_person = truth.groupby("person_id")["source"].agg(["size", "nunique"])
    assert (per_person["nunique"] >= 2).sum() > PEOPLE * 0.25  # across sources
    assert (per_person["size"] > per_person["nunique"]).sum() >= 5  # twice in one source
    within = truth.groupby(["person_id", "source"]).size()
    assert within.loc[:, "crm"].max() >= 2
    assert 1.3 < len(truth) / truth["person_id"].nunique() < 1.8


def test_canonical_frame_matches_the_truth(demo: Path) -> None:
    canonical = generate_canonical(PEOPLE, SEED)
    assert list(canonical.columns) == CANONICAL_COLUMNS
    truth = pd.read_csv(demo / "truth.csv", dtype=str)
    truth = truth[truth["source"] != "erp_contacts"]  # the B2C records; the ERP's are in the organisation CSV
    assert list(canonical["record_id"]) == list(truth["record_key"])
    assert list(canonical["person_id"]) == list(truth["person_id"])
    iso = canonical["birth_date"].dropna()
    assert iso.str.fullmatch(r"\d{4}-\d\d-\d\d").all()


# --- the errors -------------------------------------------------------------------------------

def test_every_error_kind_occurs() -> None:
    records = demo_records(PEOPLE, SEED)
    counts = {kind: int(error_mask(records["errors"], kind).sum()) for kind in ERROR_KINDS}
    assert all(counts.values()), {k: v for k, v in counts.items() if not v}
    # rates stay "a few %": no kind takes over the data
    assert counts["typo_last_name"] < 0.06 * len(records)
    assert counts["invalid_email"] < 0.03 * len(records)


def test_errors_are_visible_in_the_files(demo: Path) -> None:
    crm, news, shop, salon = read_crm(demo), read_newsletter(demo), read_webshop(demo), salon_data(demo)
    emails = pd.concat([crm["Courriel"], news["email"], pd.Series([r["email"] or "" for r in shop]),
                        salon["E-mail"].astype(str)])
    emails = emails[emails != ""]
    assert emails.str.endswith("@").any() or emails.str.startswith("@").any() or emails.str.contains(" ").any()
    typo_domains = r"@(?:gmial\.com|gmail\.fr|gamil\.com|gmail\.con|gmai\.com|oange\.fr|orange\.fe|ornage\.fr|" \
                   r"hotmal\.fr|hotmail\.fe|hotmial\.fr|fre\.fr|free\.fe|yahooo\.fr|yaho\.fr|wanado\.fr|" \
                   r"wanadoo\.com|laposte\.fr|lapost\.net|sfr\.com|outlok\.fr|hotmal\.com|iclould\.com|live\.com)$"
    assert emails.str.contains(typo_domains).any()
    assert emails.str.match(r"(contact|info|accueil|commercial|direction)@").any()

    phones = crm["Téléphone"][crm["Téléphone"] != ""]
    for pattern in (r"0\d( \d\d){4}", r"0\d(\.\d\d){4}", r"0\d{9}", r"\+33 \d( \d\d){4}", r"0033\d{9}", r"\+33\d{9}"):
        assert phones.str.fullmatch(pattern).any(), pattern
    assert (crm["Téléphone"] == "").any()

    births = pd.concat([crm["Date de naissance"],
                        pd.Series([r["birthdate"] or "" for r in shop]).str.replace(
                            r"(\d{4})-(\d\d)-(\d\d)", r"\3/\2/\1", regex=True)])
    births = births[births != ""]
    parsed = pd.to_datetime(births, format="%d/%m/%Y", errors="coerce")
    assert parsed.isna().any()  # 31/02/1980 and friends
    assert (parsed.dt.year == 1850).any()
    assert (parsed > pd.Timestamp(REFERENCE_DATE)).any()

    names = crm["Nom"][crm["Nom"] != ""]
    assert (names.str.upper() == names).any() and (names.str.upper() != names).any()
    assert ((crm["Nom"] == "") & (crm["Prénom"] == "")).any()
    # Diminutives that are not also given names (Tom, Jacky and Tony are both), in any named source.
    diminutives = set(NICKNAMES.values()) - {name for name, _, _ in FIRST_NAMES}
    given = pd.concat([crm["Prénom"], pd.Series([r["first_name"] or "" for r in shop]),
                       salon["Nom complet"].astype(str).str.split().explode()])
    assert given.isin(diminutives).any()


def test_stale_prospects_and_old_fair(demo: Path) -> None:
    crm = read_crm(demo)
    last = pd.to_datetime(crm["Dernier contact"], format="%d/%m/%Y")
    cutoff = pd.Timestamp(REFERENCE_DATE) - pd.Timedelta(days=3 * 365)
    stale = (crm["Statut"] == "prospect") & (last < cutoff)
    fresh = (crm["Statut"] == "prospect") & (last >= cutoff)
    assert stale.sum() >= 3 and fresh.sum() > stale.sum()
    paris = salon_data(demo).query("file == 'salon_paris_2022.xlsx'")
    assert len(paris) > 0
    assert all(datetime.combine(v, datetime.min.time()) < datetime(2026, 11, 1) - timedelta(days=1095)
               for v in paris["Date visite"])


def test_a_few_rows_are_unacceptable(demo: Path) -> None:
    crm = read_crm(demo)
    crm_bad = (crm["Nom"] == "") & (crm["Prénom"] == "") & (crm["Courriel"] == "") & (crm["Téléphone"] == "")
    shop_bad = [r for r in read_webshop(demo) if not (r["first_name"] or r["last_name"] or r["email"] or r["phone"])]
    assert 5 <= int(crm_bad.sum()) + len(shop_bad) <= 10


def test_names_look_french() -> None:
    canonical = generate_canonical(3000, 5)
    last = canonical["last_name"].dropna().str.title()
    top = last.value_counts()
    assert top.index[0] in {"Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois"} \
        or top.iloc[0] >= 5
    assert last.isin(["Martin", "Bernard", "Dubois"]).sum() >= 10
    first = canonical["first_name"].dropna()
    assert first.str.contains("-").any() and first.str.contains("[éèëïôç]").any()


def test_five_thousand_people_in_under_five_seconds(tmp_path: Path) -> None:
    started = time.perf_counter()
    result = generate(tmp_path / "inbox", tmp_path / "truth.csv")
    elapsed = time.perf_counter() - started
    assert 7500 <= result.records <= 8500
    assert elapsed < 5, f"{elapsed:.1f} s"


def test_command_line_writes_inbox_truth_and_canonical(tmp_path: Path) -> None:
    from mdm.demo.generate import main

    main(["--inbox", str(tmp_path / "inbox"), "--truth", str(tmp_path / "truth.csv"), "--people", "150",
          "--seed", "4", "--canonical", str(tmp_path / "canonical.csv")])
    truth = pd.read_csv(tmp_path / "truth.csv", dtype=str)
    canonical = pd.read_csv(tmp_path / "canonical.csv", dtype=str)
    assert list(canonical["record_id"]) == list(truth.loc[truth["source"] != "erp_contacts", "record_key"])
    assert (tmp_path / "inbox/crm/clients_crm.csv").exists()


def test_households_share_address_and_surname_but_are_different_people() -> None:
    canonical = generate_canonical(PEOPLE, SEED).dropna(subset=["street", "last_name"])
    canonical = canonical.assign(name=canonical["last_name"].str.upper())
    people_per_home = canonical.groupby(["street", "postcode", "name"])["person_id"].nunique()
    assert (people_per_home >= 2).sum() >= 3
