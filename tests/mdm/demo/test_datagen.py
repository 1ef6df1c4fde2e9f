"""The benchmark data generator: exact sizes, four formats matching bench.yaml, truth, increments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from python_calamine import CalamineWorkbook

from benchmarks.datagen import BENCH_CONFIG, generate_increment, generate_scale, scale_records
from mdm.demo.records import ERROR_KINDS, error_mask
from sources.keys import record_key

RECORDS = 4000


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench")
    generate_scale(RECORDS, out, seed=3)
    return out


def file_keys(inbox: Path) -> list[str]:
    """Record keys of every row of every file, computed from the files as read."""
    keys: list[str] = []
    for path in sorted(inbox.glob("crm/*.csv")):
        crm = pd.read_csv(path, sep=";", encoding="cp1252", dtype=str, keep_default_na=False)
        keys += [record_key("crm", [c]) for c in crm["Code client"]]
    for path in sorted(inbox.glob("salon/*.xlsx")):
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Contacts").to_python()
        assert rows[2][0] == "N°"
        keys += [record_key("salon", [r[0]]) for r in rows[3:]]
    for path in sorted(inbox.glob("webshop/*.ndjson")):
        keys += [record_key("webshop", [json.loads(line)["customer_id"]])
                 for line in path.read_text(encoding="utf-8").splitlines()]
    for path in sorted(inbox.glob("loyalty/*.parquet")):
        keys += [record_key("loyalty", [m]) for m in pq.read_table(path, columns=["member_id"])["member_id"].to_pylist()]
    return keys


def test_exact_record_count_and_truth_matches_files(base: Path) -> None:
    manifest = json.loads((base / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["records"] == RECORDS
    assert set(manifest["per_source"]) == {"crm", "salon", "webshop", "loyalty"}
    assert 0.07 < manifest["per_source"]["salon"] / RECORDS < 0.14  # the Excel part stays about 10 %
    truth = pd.read_csv(base / "truth.csv", dtype=str)
    keys = file_keys(base / "inbox")
    assert len(keys) == len(truth) == RECORDS
    assert sorted(keys) == sorted(truth["record_key"])
    assert truth["person_id"].str.fullmatch(r"P\d{7}").all()


def test_files_match_bench_config(base: Path) -> None:
    sources = {s["name"]: s for s in yaml.safe_load(BENCH_CONFIG.read_text(encoding="utf-8"))["sources"]}
    assert {s["kind"] for s in sources.values()} == {"csv", "excel", "json", "parquet"}
    for name, source in sources.items():
        assert list((base / "inbox").glob(source["path"])), name
    loyalty = pq.read_table(next((base / "inbox").glob(sources["loyalty"]["path"])))
    mapped = {v for v in sources["loyalty"]["mapping"].values() if isinstance(v, str)}
    assert mapped | set(sources["loyalty"]["key_columns"]) <= set(loyalty.column_names)
    assert str(loyalty.schema.field("date_of_birth").type) == "date32[day]"


def test_same_error_model_and_realistic_name_frequencies() -> None:
    records, _ = scale_records(30_000, seed=5)
    assert len(records) == 30_000
    missing = [k for k in ERROR_KINDS if not error_mask(records["errors"], k).any()]
    assert not missing
    last = records["last_name"].dropna().str.title()
    counts = last.value_counts()
    assert counts.index[0] in {"Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard"}
    assert counts.iloc[0] > 30  # a common surname is common ...
    assert (counts == 1).sum() > 1000  # ... and the long tail is long


def test_seeded(base: Path, tmp_path: Path) -> None:
    generate_scale(RECORDS, tmp_path, seed=3)
    assert (tmp_path / "truth.csv").read_bytes() == (base / "truth.csv").read_bytes()
    assert (tmp_path / "inbox/crm/clients_crm.csv").read_bytes() == (base / "inbox/crm/clients_crm.csv").read_bytes()


def test_incremental_batch_has_new_and_changed_records(base: Path, tmp_path: Path) -> None:
    manifest: dict[str, Any] = generate_increment(base, tmp_path, fraction=0.05)
    size = round(0.05 * RECORDS)
    assert manifest["records"] == size and manifest["changed"] + manifest["new"] == size
    batch = pd.read_csv(tmp_path / "truth.csv", dtype=str)
    base_truth = pd.read_csv(base / "truth.csv", dtype=str)
    known = batch["record_key"].isin(base_truth["record_key"])
    assert known.sum() == manifest["changed"] and (~known).sum() == manifest["new"]
    # changed records stay the same person; some new records belong to people already in the base
    joined = batch[known].merge(base_truth, on="record_key", suffixes=("", "_base"))
    assert (joined["person_id"] == joined["person_id_base"]).all()
    new = batch[~known]
    assert new["person_id"].isin(base_truth["person_id"]).any()
    assert (~new["person_id"].isin(base_truth["person_id"])).any()
    assert sorted(file_keys(tmp_path / "inbox")) == sorted(batch["record_key"])
    truth_all = pd.read_csv(tmp_path / "truth_all.csv", dtype=str)
    assert truth_all["record_key"].is_unique and len(truth_all) == RECORDS + manifest["new"]
    assert all("_incr" in f for f in manifest["files"])


def test_canonical_only(tmp_path: Path) -> None:
    manifest: dict[str, Any] = generate_scale(2000, tmp_path, seed=2, canonical=True)
    households = manifest["households"]  # what the generator made, for comparing with demo.figures
    assert set(households) == {"couples", "children", "twin_pairs", "junior_pairs", "shared_mailboxes"}
    assert households["couples"] > 0 and households["children"] > 0 and households["shared_mailboxes"] > 0
    canonical = pd.read_csv(tmp_path / "canonical.csv", dtype=str)
    assert len(canonical) == 2000 and "person_id" in canonical.columns
    assert {"first_name", "last_name", "email", "phone", "street", "postcode", "city", "country",
            "birth_date", "record_id", "source"} <= set(canonical.columns)
    assert canonical["record_id"].is_unique
    assert not (tmp_path / "inbox").exists()
