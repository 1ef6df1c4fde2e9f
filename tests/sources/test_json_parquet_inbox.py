"""JSON/NDJSON and Parquet connectors: the contract kit, nested paths, typed values as text."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sources.base import SourceItem
from sources.config import SourceConfig
from sources.json_inbox import JsonInbox
from sources.parquet_inbox import ParquetInbox
from sources.testing import REFUSED, ROWS, Scenario, SourceContractSuite

RECORDS: list[dict[str, Any]] = [
    {"customer_id": 1, "email": "a@x.fr", "address": {"line1": "1 rue A", "postcode": "01000"},
     "phones": ["+33 6 12", "01 02"], "vip": True, "score": 2.0},
    {"customer_id": 2, "email": "b@x.fr", "address": {"line1": "2 rue B", "postcode": None},
     "phones": [], "vip": False, "score": 2.5},
    {"customer_id": 3, "email": None, "address": None, "phones": ["07"]},
]
MAPPING = {"email": "email", "street": {"join": ["address.line1"], "sep": " "}, "postcode": "address.postcode"}


def ndjson(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


class TestJsonContract(SourceContractSuite):
    connector = JsonInbox
    source = {"path": "mdm/web/*", "key_columns": ["customer_id"], "mapping": MAPPING}
    files = {
        "good.ndjson": ndjson(RECORDS),
        "array.json": json.dumps(RECORDS),
        "wrapped.json": json.dumps({"count": 3, "customers": RECORDS}),
        "truncated.ndjson": ndjson(RECORDS)[:-20],
        "not_objects.json": json.dumps([1, 2, 3]),
        "bad_header.ndjson": ndjson([{"customer_id": 1, "mail": "secret@x.fr"}]),
        "empty.json": "  \n",
    }
    scenarios = [
        Scenario("good.ndjson", expect=ROWS(3)),
        Scenario("array.json", expect=ROWS(3)),
        Scenario("wrapped.json", expect=ROWS(3)),
        Scenario("truncated.ndjson", expect=REFUSED, error_contains="invalid JSON on line 3"),
        Scenario("not_objects.json", expect=REFUSED, error_contains="not an object"),
        Scenario("bad_header.ndjson", expect=REFUSED, error_contains="missing column", private=("secret@x.fr",)),
        Scenario("empty.json", expect=REFUSED, error_contains="empty"),
    ]


def test_json_nested_paths_and_text(tmp_path: Path) -> None:
    path = tmp_path / "w.ndjson"
    path.write_text(ndjson(RECORDS))
    source = SourceConfig(name="w", kind="json", path="*", mapping={})
    table = JsonInbox(source).read(SourceItem(label="w.ndjson", path=path)).sheets[0].table
    data = table.to_pydict()
    assert data["address.postcode"] == ["01000", None, None]
    assert data["phones[0]"] == ["+33 6 12", None, "07"] and data["phones[1]"] == ["01 02", None, None]
    assert data["customer_id"] == ["1", "2", "3"]
    assert data["vip"] == ["true", "false", None] and data["score"] == ["2", "2.5", None]


def parquet_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


TYPED = pa.table(
    {
        "customer_id": pa.array([1, 2, 3], pa.int64()),
        "email": ["a@x.fr", "", None],
        "phone": pa.array([612345678.0, 33.5, None]),
        "seen": pa.array([dt.datetime(2026, 1, 2, 3, 4, 5), None, dt.datetime(2026, 1, 3)], pa.timestamp("us")),
        "born": pa.array([dt.date(1980, 5, 1), None, None], pa.date32()),
        "address": pa.array([{"postcode": "01000"}, None, {"postcode": "75001"}]),
        "tags": pa.array([["a", "b"], [], None]),
    }
)


class TestParquetContract(SourceContractSuite):
    connector = ParquetInbox
    source = {"path": "pq/*.parquet", "key_columns": ["customer_id"],
              "mapping": {"email": "email", "postcode": "address.postcode"}}
    files = {
        "good.parquet": parquet_bytes(TYPED),
        "bad_header.parquet": parquet_bytes(TYPED.drop_columns(["email"])),
        "corrupt.parquet": b"PAR1 not really parquet PAR1",
    }
    scenarios = [
        Scenario("good.parquet", expect=ROWS(3)),
        Scenario("bad_header.parquet", expect=REFUSED, error_contains="['email']"),
        Scenario("corrupt.parquet", expect=REFUSED, error_contains="not a readable Parquet file"),
    ]


def test_parquet_types_become_text(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    path.write_bytes(parquet_bytes(TYPED))
    source = SourceConfig(name="p", kind="parquet", path="*", mapping={})
    data = ParquetInbox(source).read(SourceItem(label="t.parquet", path=path)).sheets[0].table.to_pydict()
    assert data["customer_id"] == ["1", "2", "3"]
    assert data["email"] == ["a@x.fr", None, None]
    assert data["phone"] == ["612345678", "33.5", None]
    assert data["seen"] == ["2026-01-02T03:04:05", None, "2026-01-03T00:00:00"]
    assert data["born"] == ["1980-05-01", None, None]
    assert data["address.postcode"] == ["01000", None, "75001"]
    assert data["tags[0]"] == ["a", None, None] and data["tags[1]"] == ["b", None, None]
