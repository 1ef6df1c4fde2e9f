"""The demo data: a French company's four messy customer files, plus the truth about who is who.

`generate(inbox, truth_path)` writes exactly the files `mdm/demo/mdm.yaml` expects into the inbox and
the truth (`record_key,source,person_id`) outside it. Same seed, same bytes (CSV and NDJSON; the
same cell values for the .xlsx). Dates are relative to `reference_date`, never to today, so the
retention rule expires the same prospects on every run.

    python -m demo.generate --inbox var/inbox --truth var/demo_truth.csv --people 5000 --seed 42
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from mdm.demo.companies import make_b2b, write_erp
from mdm.demo.organisations import (
    contact_persons,
    organisation_records,
    organisation_truth_path,
    write_organisation_canonical_csv,
    write_organisation_truth,
)
from mdm.demo.people import Population, make_population
from mdm.demo.records import SourcePlan, build_records
from mdm.demo.render import date_parts_text, phone_text
from mdm.demo.textops import cat, objects, where_obj
from mdm.demo.truth import assign_keys, person_ids, write_truth
from mdm.demo.writers import write_crm_csv, write_newsletter_csv, write_salon_xlsx, write_webshop_ndjson

REFERENCE_DATE = date(2026, 11, 1)

#: The two fair spreadsheets: (file, title, share of fair visitors, first day of the fair).
SALON_FILES: tuple[tuple[str, str, float, date], ...] = (
    ("salon_lyon_2025.xlsx", "Salon Maison & Jardin – Lyon 2025 – contacts visiteurs", 0.6, date(2025, 3, 14)),
    ("salon_paris_2022.xlsx", "Salon Maison & Jardin – Paris 2022 – contacts visiteurs", 0.4, date(2022, 9, 23)),
)

#: How each demo source samples the people. About 1.5 records per person overall.
DEMO_PLANS: list[SourcePlan] = [
    SourcePlan(
        name="crm", share=0.52, dup_rate=0.05, activity="crm", key_prefix="C", key_width=6,
        fields=frozenset({"title", "name", "email", "phone", "address", "birth", "status"}),
        phone_styles=(40, 20, 20, 10, 5, 5, 0), unacceptable_ok=True, extra={"date_text": True},
    ),
    SourcePlan(
        name="salon", share=0.16, dup_rate=0.04, activity="salon",
        fields=frozenset({"name", "email", "phone", "company"}),
        parts=tuple((share, start) for _, _, share, start in SALON_FILES), extra={"int_key": True},
    ),
    SourcePlan(
        name="webshop", share=0.40, dup_rate=0.03, activity="webshop", key_prefix="W", key_width=6,
        fields=frozenset({"name", "email", "phone", "address", "birth"}),
        phone_styles=(10, 0, 25, 15, 0, 50, 0), unacceptable_ok=True, extra={"date_text": True},
    ),
    SourcePlan(
        name="newsletter", share=0.28, dup_rate=0.0, activity="newsletter",
        fields=frozenset({"first_name", "email"}), extra={"key_field": "email"},
    ),
]

#: Rows no pipeline can accept (no name, no email, no phone), so quarantine has something to show.
UNACCEPTABLE_ROWS = 7

#: Files written into the inbox, relative to it.
CRM_FILE = Path("crm/clients_crm.csv")
WEBSHOP_FILE = Path("webshop/customers.ndjson")
NEWSLETTER_FILE = Path("newsletter/abonnes_newsletter.csv")


@dataclass
class GeneratedDemo:
    files: list[Path]  # files written into the inbox
    truth_path: Path
    records: int  # rows written over all customer files (B2C and ERP)
    organisation_truth_path: Path | None = None


def demo_people(people: int, seed: int, reference_date: date = REFERENCE_DATE) -> tuple[Population, pd.DataFrame]:
    """The population and the keyed records of the B2C sources, with truth and error bits."""
    rng = np.random.default_rng(seed)
    population = make_population(people, rng, reference_date)
    records = build_records(population, DEMO_PLANS, rng, seed, reference_date, unacceptable=UNACCEPTABLE_ROWS)
    return population, assign_keys(records, DEMO_PLANS, rng)


def demo_records(people: int, seed: int, reference_date: date = REFERENCE_DATE) -> pd.DataFrame:
    """The keyed records of the demo's B2C sources (CRM, fair, web shop, newsletter): what the files hold."""
    return demo_people(people, seed, reference_date)[1]


def generate(inbox: Path, truth_path: Path, people: int = 5000, seed: int = 42,
             reference_date: date = REFERENCE_DATE, organisations_csv: Path | None = None) -> GeneratedDemo:
    """Write the four demo sources into `inbox` and the truth to `truth_path` (keep it outside the inbox)."""
    inbox, truth_path = Path(inbox), Path(truth_path)
    population, records = demo_people(people, seed, reference_date)
    style = np.random.default_rng([seed, 1])  # presentation habits, independent of the records
    files: list[Path] = []

    crm = records[records["source"] == "crm"]
    write_crm_csv(crm, inbox / CRM_FILE, style)
    files.append(inbox / CRM_FILE)

    salon = records[records["source"] == "salon"]
    badges = []
    for part, (file_name, title, _, _) in enumerate(SALON_FILES):
        path = inbox / "salon" / file_name
        rows = salon[salon["part"] == part]
        badges.append(write_salon_xlsx(rows, path, title, style, reference_date).assign(
            record_key=rows["record_key"].to_numpy()))
        files.append(path)

    write_webshop_ndjson(records[records["source"] == "webshop"], inbox / WEBSHOP_FILE, style)
    files.append(inbox / WEBSHOP_FILE)
    write_newsletter_csv(records[records["source"] == "newsletter"], inbox / NEWSLETTER_FILE, style)
    files.append(inbox / NEWSLETTER_FILE)

    from mdm.demo.events import write_demo_events

    files += write_demo_events(records, inbox, seed, reference_date)
    b2b = make_b2b(population, seed, reference_date)
    files += write_erp(b2b, inbox)
    contacts = contact_persons(b2b)
    write_truth(pd.concat([records[["record_key", "source", "person"]], contacts], ignore_index=True), truth_path)
    organisations = organisation_records(b2b, pd.concat(badges, ignore_index=True))
    write_organisation_truth(organisations, organisation_truth_path(truth_path))
    if organisations_csv is not None:
        write_organisation_canonical_csv(organisations, Path(organisations_csv))
    return GeneratedDemo(files=files, truth_path=truth_path, records=len(records) + len(b2b.tiers) + len(contacts),
                         organisation_truth_path=organisation_truth_path(truth_path))


CANONICAL_COLUMNS = [
    "record_id", "source", "first_name", "last_name", "email", "phone", "street", "postcode", "city",
    "country", "birth_date", "person_id",
]


def canonical_frame(records: pd.DataFrame, person_width: int = 6) -> pd.DataFrame:
    """Keyed records in canonical column names (`mdm evaluate` input); record_id is the record key."""
    line1 = objects(records["line1"].to_numpy())
    line2 = objects(records["line2"].to_numpy())
    street = np.where(line2 == None, line1, cat(objects(np.where(line1 == None, "", line1)), " ",  # noqa: E711
                                                 objects(np.where(line2 == None, "", line2))))  # noqa: E711
    salon = records["source"].to_numpy() == "salon"
    postcode = objects(records["postcode"].to_numpy())
    # The fair stores postcodes as numbers: 01000 arrives as 1000.
    postcode = np.where(salon, pd.Series(postcode).str.lstrip("0").to_numpy(dtype=object), postcode)
    newsletter = records["source"].to_numpy() == "newsletter"
    frame = pd.DataFrame({
        "record_id": records["record_key"].to_numpy(),
        "source": records["source"].to_numpy(),
        "first_name": records["first_name"].to_numpy(),
        "last_name": records["last_name"].to_numpy(),
        "email": records["email"].to_numpy(),
        "phone": phone_text(records["phone"].to_numpy(), records["phone_style"].to_numpy()),
        "street": objects(street),
        "postcode": where_obj(newsletter, None, postcode),
        "city": objects(np.where(newsletter, None, records["city"].to_numpy())),
        "country": where_obj(newsletter | salon, None, "FR"),
        "birth_date": date_parts_text(records["birth_y"], records["birth_m"], records["birth_d"], "iso"),
        "person_id": person_ids(records["person"].to_numpy(), person_width),
    })
    return frame[CANONICAL_COLUMNS]


def generate_canonical(people: int, seed: int, reference_date: date = REFERENCE_DATE) -> pd.DataFrame:
    """The demo's records in canonical columns plus `person_id` (the truth), same error model."""
    return canonical_frame(demo_records(people, seed, reference_date))


def write_canonical_csv(path: Path, people: int, seed: int, reference_date: date = REFERENCE_DATE) -> Path:
    """`generate_canonical` as a UTF-8 CSV, for `mdm evaluate FILE --truth-column person_id`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    generate_canonical(people, seed, reference_date).to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--inbox", type=Path, required=True)
    parser.add_argument("--truth", type=Path, required=True)
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reference-date", type=date.fromisoformat, default=REFERENCE_DATE)
    parser.add_argument("--canonical", type=Path, help="also write the canonical CSV here")
    parser.add_argument("--canonical-organisations", type=Path,
                        help="also write the records about organisations, canonical columns + organisation_id, here")
    args = parser.parse_args(argv)
    result = generate(args.inbox, args.truth, args.people, args.seed, args.reference_date,
                      organisations_csv=args.canonical_organisations)
    if args.canonical:
        write_canonical_csv(args.canonical, args.people, args.seed, args.reference_date)
    print(f"{result.records} records in {len(result.files)} files; truth: {result.truth_path}")


if __name__ == "__main__":
    main()
