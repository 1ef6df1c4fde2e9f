"""The DuckDB JSON reader gives exactly the text of the record-by-record reader, or steps aside.

It takes over where Arrow's reader cannot (a field that is a number in one record and a string in
another, JSON arrays, a BOM, another encoding), so those files are no longer flattened in a
Python loop. The reference is `records_to_table`, the exact reader.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow as pa
import pytest

from sources.base import SourceItem
from sources.config import SourceConfig
from sources.json_inbox import JsonInbox, read_json_duckdb, records_to_table
from sources.testing import make_config, query, run_ingest

RECORDS: list[dict[str, object]] = [
    {"id": "W1", "created_at": "2018-11-04T08:06:46Z", "birth": "1983-03-05", "orders": 3, "score": 1.5,
     "ratio": 0.1, "tiny": 1e-05, "vip": True, "note": "", "big": 9007199254740991,
     "address": {"line1": "4 rue Voltaire", "postcode": "01000", "geo": {"lat": 45.75, "lon": 4.85}},
     "phones": ["0612345678", "0147000000"], "tags": [{"k": "a"}, {"k": "b", "v": 2}]},
    {"id": "W2", "created_at": None, "birth": "1977-03-24", "orders": 2.0, "score": -0.0, "ratio": 3,
     "tiny": None, "vip": False, "note": "x \"quoted\" \\ é 🙂", "big": None,
     "address": {"line1": None, "postcode": 75001, "geo": None},  # a number here, text elsewhere
     "phones": ["0698765432"], "tags": []},
    {"id": "W3", "created_at": "2024-02-30 10:00", "orders": None, "score": 12345678.9, "ratio": "n/a",
     "vip": None, "address": {"postcode": "69003", "city": "Lyon", "extra": {}},
     "phones": [], "new.field": "dotted key"},
]


def _equal_to_exact(fast: pa.Table, records: list[dict[str, object]]) -> None:
    """Same rows, same text; the exact reader may add all-null columns for null/empty containers."""
    exact = records_to_table(records, "test")
    assert set(fast.column_names) <= set(exact.column_names)
    extra = [name for name in exact.column_names if name not in fast.column_names]
    assert all(exact.column(name).null_count == exact.num_rows for name in extra), extra
    assert all(fast.schema.field(name).type == pa.string() for name in fast.column_names)
    assert fast.to_pylist() == exact.select(fast.column_names).to_pylist()


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _ndjson(records: list[dict[str, object]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


@pytest.mark.parametrize("fmt", ["ndjson", "array"])
def test_same_text_as_the_exact_reader(tmp_path: Path, fmt: str) -> None:
    text = _ndjson(RECORDS) if fmt == "ndjson" else json.dumps(RECORDS, ensure_ascii=False, indent=2)
    path = _write(tmp_path, f"shop.{fmt}", text)
    fast = read_json_duckdb(path, text, fmt, from_file=True)
    assert fast is not None
    _equal_to_exact(fast, RECORDS)
    first, second, third = fast.to_pylist()
    assert first["created_at"] == "2018-11-04T08:06:46Z" and first["birth"] == "1983-03-05"  # as written
    assert first["address.postcode"] == "01000" and second["address.postcode"] == "75001"
    assert first["phones[1]"] == "0147000000" and second["phones[1]"] is None
    assert first["address.geo.lat"] == "45.75" and first["tags[1].v"] == "2"
    assert second["orders"] == "2" and second["score"] == "0" and first["tiny"] == "1e-05"
    assert first["vip"] == "true" and second["note"] == 'x "quoted" \\ é 🙂' and first["note"] is None
    assert first["big"] == "9007199254740991" and third["ratio"] == "n/a" and third["new.field"] == "dotted key"


def test_random_records_match_the_exact_reader(tmp_path: Path) -> None:
    rng = random.Random(7)
    scalars: list[object] = [None, "", "01000", "2020-01-01T00:00:00Z", 0, -12, 2**40, 1.0, 0.5, -3.25, 1e-7,
                             123456.789, True, False, "é\u2028x", {}, []]
    records: list[dict[str, object]] = []
    for _ in range(300):
        record: dict[str, object] = {f"k{i}": rng.choice(scalars) for i in range(rng.randint(0, 5))}
        if rng.random() < 0.7:
            record["address"] = {"postcode": rng.choice(scalars[:14]), "city": rng.choice(["Lyon", None, 69])}
        if rng.random() < 0.5:
            record["phones"] = [rng.choice(["06", 6, None]) for _ in range(rng.randint(0, 3))]
        records.append(record)
    records.append({"k0": "last"})
    text = _ndjson(records)
    fast = read_json_duckdb(_write(tmp_path, "r.ndjson", text), text, "ndjson", from_file=True)
    assert fast is not None
    _equal_to_exact(fast, records)


def test_a_bom_and_another_encoding_are_read_from_the_decoded_text(tmp_path: Path) -> None:
    text = _ndjson(RECORDS[:2])
    bom = _write(tmp_path, "bom.ndjson", "\ufeff" + text)
    latin = _write(tmp_path, "latin.ndjson", _ndjson([{"id": "W9", "city": "Orléans"}]), "latin-1")
    fast = read_json_duckdb(bom, text, "ndjson", from_file=False)
    assert fast is not None
    _equal_to_exact(fast, RECORDS[:2])
    source = SourceConfig(name="s", kind="json", path="*", mapping={}, options={"encoding": "latin-1"})
    table = JsonInbox(source).read(SourceItem(label="latin.ndjson", path=latin)).sheets[0].table
    assert table.to_pylist() == [{"id": "W9", "city": "Orléans"}]


@pytest.mark.parametrize("text", [
    '{"a": {"b": 1}}\n{"a": [1, 2]}\n',  # an object here, an array there: the exact reader names both
    '{"a": 1.5}\n{"a": 123456789012345678901234}\n',  # more digits than a double holds
    '{"a": 1}\n[1, 2]\n',  # not an object
    '{"a": 1}\n{bad\n',  # invalid JSON: the exact reader names the line
    '{"a.b": 1, "a": {"b": 2}}\n',  # two values for one column name
])
def test_steps_aside_when_it_could_not_give_the_same_text(tmp_path: Path, text: str) -> None:
    assert read_json_duckdb(_write(tmp_path, "x.ndjson", text), text, "ndjson", from_file=True) is None


def test_records_inside_an_object_are_left_to_the_exact_reader(tmp_path: Path) -> None:
    text = json.dumps({"meta": {"count": 2}, "customers": RECORDS[:2]})
    path = _write(tmp_path, "wrapped.json", text)
    assert read_json_duckdb(path, text, "array", from_file=True) is None
    source = SourceConfig(name="s", kind="json", path="*", mapping={})
    table = JsonInbox(source).read(SourceItem(label="wrapped.json", path=path)).sheets[0].table
    assert table.num_rows == 2 and table.column("address.postcode").to_pylist() == ["01000", "75001"]


def test_mixed_types_reach_the_raw_layer_as_written(tmp_path: Path) -> None:
    """Through ingest: the file Arrow cannot read lands whole, every value as the exact reader's text."""
    config = make_config(tmp_path / "home", [{
        "name": "shop", "kind": "json", "path": "shop/*.json", "key_columns": ["id"],
        "mapping": {"postcode": "address.postcode", "phone": "phones[0]"},
    }])
    folder = config.paths.inbox / "shop"
    folder.mkdir(parents=True)
    (folder / "export.json").write_text(json.dumps(RECORDS, ensure_ascii=False), encoding="utf-8")
    result = run_ingest(config)
    assert result.counts["received"]["shop"] == 3
    payloads = [json.loads(p) for (p,) in query(config, "SELECT payload FROM raw.records ORDER BY row_number")]
    assert [p["address.postcode"] for p in payloads] == ["01000", "75001", "69003"]
    assert payloads[0]["created_at"] == "2018-11-04T08:06:46Z" and payloads[1]["orders"] == "2"
