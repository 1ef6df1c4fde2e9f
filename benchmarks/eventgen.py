"""Benchmark events at scale: orders, tickets and campaign events for the records of a `datagen` base.

    python -m benchmarks.eventgen --base benchmarks/data/base-100000-s1 --events 1000000 --out DIR
    python -m benchmarks.eventgen --base ... --events 10000 --first 1000000 --out DIR_BATCH   # a nightly batch

Writes `DIR/inbox/events/events_<source>.parquet`, one file per customer source (crm, webshop,
loyalty), each event naming its customer by that source's key, 3 % by e-mail only (no key), and
`DIR/events.yaml`: the event sources to append to `benchmarks/bench.yaml`. Vectorised numpy and
Arrow: 10,000,000 events take about a minute. Dates lie between each record's creation and its last
activity (never after the reference date). `--first` numbers a batch's events after the base's.
"""

from __future__ import annotations

import argparse
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

CUSTOMER_SOURCES = ("crm", "webshop", "loyalty")
#: event type, share, channel, initiated by the customer, has an amount.
TYPES = (
    ("order", 0.55, "web", True, True),
    ("ticket", 0.12, "phone", True, False),
    ("campaign_send", 0.23, "email", False, False),
    ("campaign_reply", 0.07, "email", True, False),
    ("visit", 0.03, "store", True, False),
)


def event_sources() -> list[dict[str, Any]]:
    """The `sources:` entries that read these files (appended to bench.yaml by the benchmark)."""
    return [
        {
            "name": f"events_{source}", "kind": "parquet", "path": f"events/events_{source}*.parquet",
            "records": "events", "key_columns": ["event_id"], "customer_source": source,
            "mapping": {"customer_key": "customer_ref", "email": "email", "event_type": "type",
                        "occurred_at": "occurred_at", "channel": "channel", "amount": "amount",
                        "currency": "currency", "initiated_by_customer": "by_customer"},
        }
        for source in CUSTOMER_SOURCES
    ]


def _events_table(rows: pd.DataFrame, first: int, rng: np.random.Generator, reference: datetime) -> pa.Table:
    n = len(rows)
    created = rows["created"].to_numpy(dtype="datetime64[s]").astype(np.int64)
    last = np.minimum(rows["last_activity"].fillna(rows["created"]).to_numpy(dtype="datetime64[s]").astype(np.int64),
                      np.int64(reference.timestamp()))
    last = np.maximum(last, created)
    when = created + (rng.random(n) * (last - created)).astype(np.int64)
    kind = rng.choice(len(TYPES), size=n, p=[t[1] for t in TYPES])
    names = np.array([t[0] for t in TYPES], dtype=object)[kind]
    amount = np.round(rng.lognormal(4.0, 0.7, n), 2)
    has_amount = np.array([t[4] for t in TYPES])[kind]
    email_only = rng.random(n) < 0.03
    ids = pc.utf8_lpad(pa.array(np.arange(first, first + n).astype(str)), 10, "0")
    return pa.table({
        "event_id": pc.binary_join_element_wise("E", ids, ""),
        "customer_ref": pa.array(np.where(email_only, None, rows["key"].to_numpy(dtype=object)), pa.string()),
        "email": pa.array(np.where(email_only, rows["email"].to_numpy(dtype=object), None), pa.string()),
        "type": pa.array(names, pa.string()),
        "occurred_at": pa.array(when.astype("datetime64[s]"), pa.timestamp("s")),
        "channel": pa.array(np.array([t[2] for t in TYPES], dtype=object)[kind], pa.string()),
        "amount": pa.array(np.where(has_amount, amount, np.nan), pa.float64(), mask=~has_amount),
        "currency": pa.array(np.where(has_amount, "EUR", ""), pa.string(), mask=~has_amount),
        "by_customer": pa.array(np.array([t[3] for t in TYPES])[kind], pa.bool_()),
    })


def generate_events(base: Path, events: int, out: Path, seed: int = 1, first: int = 0,
                    reference_date: date | None = None) -> dict[str, Any]:
    """Write `events` events over the base's customer records; returns the manifest."""
    manifest = json.loads((base / "manifest.json").read_text(encoding="utf-8"))
    reference = datetime.combine(reference_date or date.fromisoformat(manifest["reference_date"]), datetime.min.time())
    state = pd.read_parquet(base / "state" / "records.parquet",
                            columns=["source", "key", "email", "created", "last_activity"])
    owners = state[state["source"].isin(CUSTOMER_SOURCES)].reset_index(drop=True)
    rng = np.random.default_rng([seed, 3, first])
    rows = owners.iloc[rng.integers(0, len(owners), events)].reset_index(drop=True)
    folder = out / "inbox" / "events"
    folder.mkdir(parents=True, exist_ok=True)
    per_source: dict[str, int] = {}
    suffix = f"_{first}" if first else ""
    offset = first
    for source in CUSTOMER_SOURCES:
        part = rows[rows["source"] == source]
        pq.write_table(_events_table(part, offset, rng, reference), folder / f"events_{source}{suffix}.parquet")
        per_source[source] = len(part)
        offset += len(part)
    (out / "events.yaml").write_text(yaml.safe_dump({"sources": event_sources()}, allow_unicode=True), encoding="utf-8")
    result = {"kind": "events", "base": str(base), "events": events, "first": first, "per_source": per_source,
              "reference_date": reference.date().isoformat()}
    (out / "manifest.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--base", type=Path, required=True, help="a datagen base folder (with state/)")
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--first", type=int, default=0, help="number of the first event (a batch after a base)")
    parser.add_argument("--reference-date", type=date.fromisoformat)
    args = parser.parse_args(argv)
    print(json.dumps(generate_events(args.base, args.events, args.out, args.seed, args.first, args.reference_date)))


if __name__ == "__main__":
    main()
