"""The demo's organisation truth: which records are about which organisation.

`truth_organisations.csv` (beside the person truth, written by `generate`) holds
`record_key,source,organisation_id` for every record about an organisation: the ERP accounts, the
ERP contacts (the person's employer) and the fair badges whose `Société` is filled. Ids and keys
only, no name: like the person truth it may sit under `$MDM_HOME` without holding personal data.

`organisation_records` is the same rows with the organisation columns as written, in canonical
names (`company`, `siret`, `vat_number` ...), for `mdm evaluate FILE --truth-column organisation_id`.
A contact's or a badge's phone and address are the person's, so they are left out there, as the
organisation matcher leaves them out (docs/organisations.md §3).

`published_scores` measures the pipeline's golden organisations against it, per pair of sources:

    python -m mdm.demo.organisations var/published/mdm.duckdb var/demo_truth_organisations.csv
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mdm.demo import vocab
from mdm.demo.companies import B2B
from mdm.demo.truth import record_keys

CANONICAL_COLUMNS = [
    "record_id", "source", "company", "legal_form", "siren", "siret", "vat_number", "website", "email", "street",
    "postcode", "city", "country", "phone", "organisation_id",
]
TIERS_SOURCE, CONTACTS_SOURCE = "erp", "erp_contacts"


def organisation_truth_path(truth_path: Path) -> Path:
    """`.../demo_truth.csv` -> `.../demo_truth_organisations.csv`."""
    return truth_path.with_name(f"{truth_path.stem}_organisations{truth_path.suffix}")


def contact_persons(b2b: B2B) -> pd.DataFrame:
    """The ERP contacts as person-truth rows: `record_key, source, person`."""
    keys = b2b.contacts["Code contact"].to_numpy(dtype=object)
    return pd.DataFrame({
        "record_key": record_keys(np.full(len(keys), CONTACTS_SOURCE, dtype=object), keys),
        "source": CONTACTS_SOURCE,
        "person": b2b.contacts["person"].to_numpy(dtype=np.int64),
    })


def _employer_ids(b2b: B2B) -> dict[str, str]:
    """Company name -> truth id, for every company a record names (the fair's employers that are not
    ERP accounts get ids after the ERP's)."""
    ids = {c.name: c.org_id for c in b2b.companies}
    for name, _ in vocab.COMPANIES:
        ids.setdefault(name, f"O{len(ids) + 1:04d}")
    return ids


def organisation_records(b2b: B2B, badges: pd.DataFrame) -> pd.DataFrame:
    """Every record about an organisation, in canonical columns, with `organisation_id`."""
    tiers, contacts = b2b.tiers, b2b.contacts
    badges = badges[badges["Société"].notna()]
    ids = _employer_ids(b2b)
    frames = [
        pd.DataFrame({
            "record_id": record_keys(np.full(len(tiers), TIERS_SOURCE, dtype=object), tiers["Code tiers"].to_numpy()),
            "source": TIERS_SOURCE, "company": tiers["Raison sociale"], "legal_form": tiers["Forme juridique"],
            "siren": tiers["SIREN"], "siret": tiers["SIRET"], "vat_number": tiers["N° TVA intracommunautaire"],
            "website": tiers["Site web"], "street": tiers["Adresse"], "postcode": tiers["Code postal"],
            "city": tiers["Ville"], "country": tiers["Pays"], "phone": tiers["Téléphone"],
            "organisation_id": tiers["org_id"],
        }),
        pd.DataFrame({
            "record_id": record_keys(np.full(len(contacts), CONTACTS_SOURCE, dtype=object),
                                     contacts["Code contact"].to_numpy()),
            "source": CONTACTS_SOURCE, "company": contacts["Raison sociale"], "siret": contacts["SIRET"],
            "email": contacts["E-mail"], "organisation_id": contacts["org_id"],
        }),
        pd.DataFrame({
            "record_id": badges["record_key"].to_numpy(), "source": "salon", "company": badges["Société"].to_numpy(),
            "email": badges["E-mail"].to_numpy(),
            "organisation_id": [ids[name] for name in badges["Société"]],
        }),
    ]
    out = pd.concat([f.reset_index(drop=True) for f in frames], ignore_index=True)
    return out.reindex(columns=CANONICAL_COLUMNS).astype(object).where(out.reindex(columns=CANONICAL_COLUMNS).notna(), None)


def write_organisation_truth(records: pd.DataFrame, path: Path) -> None:
    """`record_key,source,organisation_id`, UTF-8: ids and keys only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    records.rename(columns={"record_id": "record_key"})[["record_key", "source", "organisation_id"]].to_csv(
        path, index=False, encoding="utf-8", lineterminator="\n")


def write_organisation_canonical_csv(records: pd.DataFrame, path: Path) -> Path:
    """The records in canonical columns with `organisation_id`, for `mdm evaluate`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    records.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return path


def published_scores(published: Path, truth_path: Path) -> pd.DataFrame:
    """Pairwise precision and recall of the published golden organisations against the
    organisation truth, pooled and per pair of sources (records still published only: expired and
    quarantined ones are left out). One row per scope: true pairs, found pairs, both."""
    import duckdb

    con = duckdb.connect(str(published), read_only=True)
    try:
        predicted = con.execute("SELECT record_key, organisation_id AS predicted FROM golden.organisation_xref").df()
    finally:
        con.close()
    truth = pd.read_csv(truth_path, dtype=str)
    records = truth.merge(predicted, on="record_key")
    pairs = records.merge(records, how="cross", suffixes=("_l", "_r"))
    pairs = pairs[pairs["record_key_l"] < pairs["record_key_r"]]
    pairs = pairs.assign(
        scope=[" / ".join(sorted(p)) for p in zip(pairs["source_l"], pairs["source_r"], strict=True)],
        true=pairs["organisation_id_l"] == pairs["organisation_id_r"],
        found=pairs["predicted_l"] == pairs["predicted_r"],
    )
    pairs = pairs[pairs["true"] | pairs["found"]]
    per = pairs.groupby("scope")[["true", "found"]].sum()
    per["both"] = (pairs["true"] & pairs["found"]).groupby(pairs["scope"]).sum()
    per.loc["all"] = per.sum()
    return per.assign(precision=per["both"] / per["found"], recall=per["both"] / per["true"]).round(3)


if __name__ == "__main__":
    import sys

    print(published_scores(Path(sys.argv[1]), Path(sys.argv[2])).to_string())
