"""Scale data for the benchmarks: N raw records over CSV, Excel, NDJSON and Parquet, with the truth.

Same people model and error model as the demo (`demo.people`, `demo.records`), vectorised, with
realistic name frequencies (a common surname stays common at a million records). Layout of DIR:

    DIR/inbox/crm/clients_crm.csv           CSV, Windows-1252, ';' (as the demo CRM)
    DIR/inbox/salon/salon_*.xlsx            Excel, about 10 % of the records (as the demo fair)
    DIR/inbox/webshop/customers.ndjson      NDJSON (as the demo web shop)
    DIR/inbox/loyalty/members.parquet       Parquet, typed columns (loyalty programme)
    DIR/truth.csv                           record_key,source,person_id
    DIR/manifest.json                       what was generated, counts, timings
    DIR/state/records.parquet               generator state, for --incremental-from

The config for this inbox is benchmarks/bench.yaml. Examples:

    python -m benchmarks.datagen --records 1000000 --out /tmp/bench1m --seed 1
    python -m benchmarks.datagen --incremental-from /tmp/bench1m --fraction 0.01 --out /tmp/bench1m_inc
    python -m benchmarks.datagen --records 100000 --canonical --out /tmp/match100k   # canonical.csv only
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mdm.demo.generate import REFERENCE_DATE, SALON_FILES, canonical_frame
from mdm.demo.people import (
    CITY_NAMES,
    CITY_POSTCODES,
    STREET_NAMES,
    STREET_TYPES,
    Population,
    make_addresses,
    make_population,
)
from mdm.demo.records import ERROR_BIT, SourcePlan, build_records
from mdm.demo.render import date_parts_text, phone_text
from mdm.demo.textops import NUMBERS, cat, objects
from mdm.demo.truth import assign_keys, person_ids, record_keys, write_truth
from mdm.demo.writers import street_text, write_crm_csv, write_salon_xlsx, write_webshop_ndjson

BENCH_CONFIG = Path(__file__).resolve().parent / "bench.yaml"

#: The four benchmark sources. Shares are tuned so that the fair spreadsheet holds about 10 %
#: of the records (100,000 at a million) and a person has about 1.6 records.
BENCH_PLANS: list[SourcePlan] = [
    SourcePlan(
        name="crm", share=0.50, dup_rate=0.05, activity="crm", key_prefix="C", key_width=7,
        fields=frozenset({"title", "name", "email", "phone", "address", "birth", "status"}),
        phone_styles=(40, 20, 20, 10, 5, 5, 0), unacceptable_ok=True, extra={"date_text": True},
    ),
    SourcePlan(
        name="salon", share=0.155, dup_rate=0.03, activity="salon",
        fields=frozenset({"name", "email", "phone", "company"}),
        parts=tuple((share, start) for _, _, share, start in SALON_FILES), extra={"int_key": True},
    ),
    SourcePlan(
        name="webshop", share=0.40, dup_rate=0.03, activity="webshop", key_prefix="W", key_width=7,
        fields=frozenset({"name", "email", "phone", "address", "birth"}),
        phone_styles=(10, 0, 25, 15, 0, 50, 0), unacceptable_ok=True, extra={"date_text": True},
    ),
    SourcePlan(
        name="loyalty", share=0.35, dup_rate=0.02, activity="loyalty", key_prefix="L", key_width=8,
        fields=frozenset({"name", "email", "phone", "address", "birth"}),
        phone_styles=(0, 0, 30, 0, 0, 70, 0),
    ),
]

CRM_FILE = Path("crm/clients_crm.csv")
WEBSHOP_FILE = Path("webshop/customers.ndjson")
LOYALTY_FILE = Path("loyalty/members.parquet")
PERSON_WIDTH = 7


def records_per_person(plans: list[SourcePlan]) -> float:
    """Expected records per person under `demo.records._membership` (nobody is in no source)."""
    shares = np.array([p.share for p in plans])
    sizes = np.array([1 + p.dup_rate for p in plans])
    nowhere = float(np.prod(1 - shares))
    return float((shares * sizes).sum() + nowhere * (shares / shares.sum() * sizes).sum())


def scale_records(records: int, seed: int, reference_date: date = REFERENCE_DATE,
                  plans: list[SourcePlan] | None = None) -> tuple[pd.DataFrame, Population]:
    """Exactly `records` keyed records (people drawn with a small margin, the surplus dropped)."""
    plans = plans or BENCH_PLANS
    rng = np.random.default_rng(seed)
    people = max(1, int(np.ceil(records / records_per_person(plans) * 1.03)))
    population = make_population(people, rng, reference_date)
    unacceptable = max(6, records // 100_000)
    built = build_records(population, plans, rng, seed, reference_date, unacceptable=unacceptable)
    protected = (built["errors"].to_numpy() & ERROR_BIT["unacceptable"]) != 0
    surplus = len(built) - records
    if surplus > 0:
        drop = rng.choice(np.flatnonzero(~protected), size=surplus, replace=False)
        built = built.drop(index=drop).reset_index(drop=True)
    return assign_keys(built, plans, rng), population


def loyalty_table(rows: pd.DataFrame) -> pa.Table:
    """The loyalty programme's Parquet export: typed columns, dates as dates (so no 31/02 here)."""
    birth = date_parts_text(rows["birth_y"], rows["birth_m"], rows["birth_d"], "iso")
    birth_dates = pd.to_datetime(pd.Series(birth, dtype=object), format="%Y-%m-%d", errors="coerce")
    street = street_text(rows, ", ")
    return pa.table({
        "member_id": pa.array(rows["key"].to_numpy(dtype=object), pa.string()),
        "given_name": pa.array(rows["first_name"].to_numpy(dtype=object), pa.string()),
        "family_name": pa.array(rows["last_name"].to_numpy(dtype=object), pa.string()),
        "email_address": pa.array(rows["email"].to_numpy(dtype=object), pa.string()),
        "mobile": pa.array(phone_text(rows["phone"].to_numpy(), rows["phone_style"].to_numpy()), pa.string()),
        "street_address": pa.array(objects(street), pa.string()),
        "zip": pa.array(rows["postcode"].to_numpy(dtype=object), pa.string()),
        "town": pa.array(rows["city"].to_numpy(dtype=object), pa.string()),
        "country_code": pa.array(np.full(len(rows), "FR", dtype=object), pa.string()),
        "date_of_birth": pa.array(birth_dates.dt.date.to_numpy(dtype=object), pa.date32()),
        "enrolled_at": pa.array(rows["created"].to_numpy().astype("datetime64[s]"), pa.timestamp("s")),
        "last_purchase_at": pa.array(rows["last_activity"].to_numpy().astype("datetime64[s]"), pa.timestamp("s")),
        "points": pa.array((rows["orders_count"].to_numpy() * 37) % 5000, pa.int32()),
    })


def write_sources(records: pd.DataFrame, inbox: Path, seed: int, reference_date: date, suffix: str = "",
                  timings: dict[str, float] | None = None) -> list[Path]:
    """Write each source's file(s) into the inbox; `suffix` names an incremental batch's files."""
    style = np.random.default_rng([seed, 1])
    timings = timings if timings is not None else {}
    files: list[Path] = []

    def timed(name: str, action: Callable[[], None]) -> None:
        started = time.perf_counter()
        action()
        timings[name] = round(time.perf_counter() - started, 2)

    def named(path: Path) -> Path:
        return path.with_name(f"{path.stem}{suffix}{path.suffix}")

    by_source = {name: rows for name, rows in records.groupby("source", sort=False)}
    if "crm" in by_source:
        path = inbox / named(CRM_FILE)
        timed("write_csv", lambda: write_crm_csv(by_source["crm"], path, style))
        files.append(path)
    if "salon" in by_source:
        salon = by_source["salon"]
        for part, (file_name, title, _, _) in enumerate(SALON_FILES):
            rows = salon[salon["part"] == part]
            if len(rows):
                path = inbox / "salon" / named(Path(file_name))
                timed(f"write_xlsx_{part}", partial(write_salon_xlsx, rows, path, title, style, reference_date))
                files.append(path)
    if "webshop" in by_source:
        path = inbox / named(WEBSHOP_FILE)
        timed("write_ndjson", lambda: write_webshop_ndjson(by_source["webshop"], path, style))
        files.append(path)
    if "loyalty" in by_source:
        path = inbox / named(LOYALTY_FILE)
        path.parent.mkdir(parents=True, exist_ok=True)
        timed("write_parquet", lambda: pq.write_table(loyalty_table(by_source["loyalty"]), path))
        files.append(path)
    return files


def _save_state(records: pd.DataFrame, out: Path) -> None:
    (out / "state").mkdir(parents=True, exist_ok=True)
    records.assign(key=records["key"].astype(str)).to_parquet(out / "state" / "records.parquet", index=False)


def _write_manifest(out: Path, manifest: dict[str, object]) -> None:
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")


def generate_scale(records: int, out: Path, seed: int = 1, reference_date: date = REFERENCE_DATE,
                   canonical: bool = False) -> dict[str, object]:
    """The full data set (or, with `canonical`, only DIR/canonical.csv). Returns the manifest."""
    started = time.perf_counter()
    timings: dict[str, float] = {}
    keyed, population = scale_records(records, seed, reference_date)
    timings["generate"] = round(time.perf_counter() - started, 2)
    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    if canonical:
        t = time.perf_counter()
        path = out / "canonical.csv"
        canonical_frame(keyed, PERSON_WIDTH).to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
        timings["write_canonical"] = round(time.perf_counter() - t, 2)
        files.append(path)
    else:
        files = write_sources(keyed, out / "inbox", seed, reference_date, timings=timings)
        t = time.perf_counter()
        write_truth(keyed, out / "truth.csv", PERSON_WIDTH)
        _save_state(keyed, out)
        timings["write_truth_state"] = round(time.perf_counter() - t, 2)
    timings["total"] = round(time.perf_counter() - started, 2)
    manifest: dict[str, object] = {
        "kind": "canonical" if canonical else "base",
        "seed": seed,
        "records": len(keyed),
        "people": population.n,
        "persons_in_truth": int(keyed["person"].max()) + 1,
        "households": population.kin_counts(),
        "reference_date": reference_date.isoformat(),
        "per_source": {k: int(v) for k, v in keyed["source"].value_counts().sort_index().items()},
        "key_counters": _key_counters(keyed),
        "files": [str(p.relative_to(out)) for p in files],
        "seconds": timings,
    }
    _write_manifest(out, manifest)
    return manifest


def _key_counters(keyed: pd.DataFrame) -> dict[str, int]:
    """Highest running number used per source, so an incremental batch continues after it."""
    counters: dict[str, int] = {}
    for source, keys in keyed.groupby("source")["key"]:
        text = keys.astype(str).str.replace(r"\D", "", regex=True)
        counters[str(source)] = int(pd.to_numeric(text, errors="coerce").max())
    return counters


def generate_increment(base_dir: Path, out: Path, fraction: float = 0.01, seed: int | None = None) -> dict[str, object]:
    """A nightly batch: `fraction` x base records, half changed existing records, half new ones.

    Changed records keep their key (same CRM code, web-shop id, member id) with a new address,
    phone or email and a recent activity date. New records are new accounts of existing people
    (duplicates to link to their golden record) and brand-new people. Files land in DIR/inbox with
    an `_incr` suffix; DIR/truth.csv holds the batch, DIR/truth_all.csv base plus batch.
    """
    started = time.perf_counter()
    manifest = json.loads((base_dir / "manifest.json").read_text(encoding="utf-8"))
    base_seed = int(manifest["seed"])
    seed = base_seed + 1_000 if seed is None else seed
    day = date.fromisoformat(str(manifest["reference_date"])) + timedelta(days=1)
    base = pd.read_parquet(base_dir / "state" / "records.parquet")
    rng = np.random.default_rng(seed)
    size = max(2, round(fraction * len(base)))
    n_changed, n_new = size // 2, size - size // 2
    batch_plans = [p for p in BENCH_PLANS if p.name != "salon"]  # a past fair's sheet does not grow

    # Changed: existing keyed records from sources whose exports carry updates.
    changeable = np.flatnonzero(base["source"].isin([p.name for p in batch_plans]).to_numpy()
                                & ((base["errors"].to_numpy() & ERROR_BIT["unacceptable"]) == 0))
    changed = base.iloc[rng.choice(changeable, size=min(n_changed, len(changeable)), replace=False)].copy()
    changed = _change(changed, rng, day)

    # New: accounts of existing people, then new people, numbered after everyone in the base.
    rebuilt = make_population(int(manifest["people"]), np.random.default_rng(base_seed),
                              date.fromisoformat(str(manifest["reference_date"])))
    existing = rebuilt.subset(rng.choice(rebuilt.n, size=int(n_new * 0.6), replace=False))
    newcomers = make_population(max(1, n_new - existing.n), rng, day)
    newcomers.ids = int(manifest["persons_in_truth"]) + np.arange(newcomers.n)
    quiet = [replace(p, share=p.share * 0.25, dup_rate=0.0) for p in batch_plans]
    fresh = pd.concat([build_records(existing, quiet, rng, seed, day), build_records(newcomers, quiet, rng, seed + 1, day)],
                      ignore_index=True)
    fresh = fresh.iloc[rng.permutation(len(fresh))[:n_new]].reset_index(drop=True)
    recent = np.datetime64(day, "s") - rng.integers(0, 86_400, len(fresh)).astype("timedelta64[s]")
    fresh["created"] = recent
    fresh["last_activity"] = recent
    counters = {k: int(v) for k, v in dict(manifest["key_counters"]).items()}
    fresh = assign_keys(fresh, batch_plans, rng, start=counters)

    batch = pd.concat([changed, fresh], ignore_index=True)
    timings = {"generate": round(time.perf_counter() - started, 2)}
    files = write_sources(batch, out / "inbox", seed, day, suffix="_incr", timings=timings)
    write_truth(batch, out / "truth.csv", PERSON_WIDTH)
    merged = pd.concat([base[~base["record_key"].isin(changed["record_key"])], batch], ignore_index=True)
    write_truth(merged, out / "truth_all.csv", PERSON_WIDTH)
    _save_state(merged, out)
    timings["total"] = round(time.perf_counter() - started, 2)
    result: dict[str, object] = {
        "kind": "incremental",
        "base": str(base_dir),
        "seed": seed,
        "records": len(batch),
        "changed": len(changed),
        "new": len(fresh),
        "people": manifest["people"],
        "persons_in_truth": int(max(int(manifest["persons_in_truth"]), int(batch["person"].max()) + 1)),
        "reference_date": day.isoformat(),
        "per_source": {k: int(v) for k, v in batch["source"].value_counts().sort_index().items()},
        "key_counters": {**counters, **_key_counters(fresh)},
        "files": [str(p.relative_to(out)) for p in files],
        "seconds": timings,
    }
    _write_manifest(out, result)
    return result


def _change(rows: pd.DataFrame, rng: np.random.Generator, day: date) -> pd.DataFrame:
    """New values for existing records: a third move house, a third change phone, a third change email."""
    n = len(rows)
    what = rng.integers(0, 3, size=n)
    moved = what == 0
    address = make_addresses(rng, n)
    line1 = cat(NUMBERS[address.number], " ", STREET_TYPES[address.street_type], " ", STREET_NAMES[address.street])
    rows["line1"] = np.where(moved, line1, rows["line1"].to_numpy(dtype=object))
    rows["line2"] = np.where(moved, None, rows["line2"].to_numpy(dtype=object))
    rows["postcode"] = np.where(moved, CITY_POSTCODES[address.city], rows["postcode"].to_numpy(dtype=object))
    rows["city"] = np.where(moved, CITY_NAMES[address.city], rows["city"].to_numpy(dtype=object))
    rows["errors"] = np.where(moved, rows["errors"].to_numpy() | ERROR_BIT["moved_address"], rows["errors"].to_numpy())
    new_phone = 600_000_000 + rng.integers(0, 200_000_000, size=n)
    rows["phone"] = np.where(what == 1, new_phone, rows["phone"].to_numpy())
    email = rows["email"].to_numpy(dtype=object)
    has_email = pd.notna(email)
    local = pd.Series(email).str.split("@").str[0].to_numpy(dtype=object)
    new_email = cat(objects(np.where(has_email, local, "client")), NUMBERS[rng.integers(1, 99, n)], "@gmail.com")
    rows["email"] = np.where((what == 2) & has_email, new_email, email)
    rows["last_activity"] = np.datetime64(day, "s") - rng.integers(0, 86_400, n).astype("timedelta64[s]")
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Generate benchmark data (see module docstring).")
    parser.add_argument("--records", type=int, default=1_000_000, help="raw records to generate")
    parser.add_argument("--out", type=Path, required=True, help="output folder (inbox, truth, manifest)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reference-date", type=date.fromisoformat, default=REFERENCE_DATE)
    parser.add_argument("--canonical", action="store_true", help="write only DIR/canonical.csv (with person_id)")
    parser.add_argument("--incremental-from", type=Path, help="base folder: write a batch of new and changed records")
    parser.add_argument("--fraction", type=float, default=0.01, help="batch size as a share of the base records")
    args = parser.parse_args(argv)
    if args.incremental_from:
        manifest = generate_increment(args.incremental_from, args.out, args.fraction)
    else:
        manifest = generate_scale(args.records, args.out, args.seed, args.reference_date, args.canonical)
    print(json.dumps(manifest, indent=2, default=str))


if __name__ == "__main__":
    main()


__all__ = ["BENCH_CONFIG", "BENCH_PLANS", "generate_increment", "generate_scale", "person_ids", "record_keys"]
