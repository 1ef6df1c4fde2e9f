"""Source keys, record keys and the truth file.

Each source's rows get the key a real export would have (a CRM code, a badge number, a web-shop
id, the newsletter's email), and from it the pipeline's record key. The record key is computed
in DuckDB with `sources.keys.record_key_sql`, the very expression the ingest stage uses, which is
identical to `sources.keys.record_key` and stays fast at a million rows.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from mdm.demo.records import SourcePlan
from mdm.demo.textops import cat, objects
from sources.keys import record_key_sql


def _padded(numbers: np.ndarray, width: int) -> np.ndarray:
    if len(numbers) == 0:
        return np.empty(0, dtype=object)
    return objects(np.char.zfill(numbers.astype(str), width).astype(object))


def assign_keys(records: pd.DataFrame, plans: list[SourcePlan], rng: np.random.Generator,
                start: dict[str, int] | None = None) -> pd.DataFrame:
    """Order each source's rows as its export would (by creation date) and give them their keys.

    Adds `key` (the key column's value as written: text, or an int for the fair's N°) and
    `record_key`. Sources keyed by email drop rows without an email and repeated emails (a list
    keyed by email cannot hold the same address twice). `start` offsets the numbering per source
    (incremental batches continue after the base).
    """
    start = start or {}
    tiebreak = rng.random(len(records))
    frames = []
    for plan in plans:
        rows = records[records["source"] == plan.name].copy()
        rows["_tie"] = tiebreak[rows.index.to_numpy()]
        if plan.extra.get("key_field") == "email":
            rows = rows[rows["email"].notna()]
            rows = rows[~rows["email"].duplicated()]
        rows = rows.sort_values(["created", "_tie"], kind="stable")
        number = np.arange(1, len(rows) + 1) + start.get(plan.name, 0)
        if plan.extra.get("key_field") == "email":
            rows["key"] = rows["email"].to_numpy()
        elif plan.extra.get("int_key"):
            rows["key"] = number.astype(np.int64)
        else:
            rows["key"] = cat(plan.key_prefix, _padded(number, plan.key_width))
        frames.append(rows.drop(columns="_tie"))
    keyed = pd.concat(frames, ignore_index=True)
    keyed["record_key"] = record_keys(keyed["source"].to_numpy(), keyed["key"].to_numpy())
    return keyed


def record_keys(sources: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """`sources.keys.record_key(source, [key])` for whole arrays, in DuckDB."""
    text = pd.Series(keys, dtype=object).astype(str).str.strip().to_numpy(dtype=object)
    frame = pd.DataFrame({"i": np.arange(len(keys)), "source": sources, "k": text})
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.register("keys_in", frame)
        expression = record_key_sql("source", ["k"])
        out = con.execute(f"SELECT {expression} AS record_key FROM keys_in ORDER BY i").fetchnumpy()
    finally:
        con.close()
    return objects(out["record_key"])


def person_ids(person: np.ndarray, width: int = 6) -> np.ndarray:
    """Truth labels: P000001 for person 0."""
    return cat("P", _padded(np.asarray(person) + 1, width))


def write_truth(records: pd.DataFrame, path: Path, width: int = 6) -> None:
    """`record_key,source,person_id`, one row per generated row, UTF-8."""
    path.parent.mkdir(parents=True, exist_ok=True)
    truth = pd.DataFrame({
        "record_key": records["record_key"].to_numpy(),
        "source": records["source"].to_numpy(),
        "person_id": person_ids(records["person"].to_numpy(), width),
    })
    truth.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
