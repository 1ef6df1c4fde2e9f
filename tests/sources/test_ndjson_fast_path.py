"""The Arrow NDJSON reader gives exactly the text of the line-by-line reader, or steps aside."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from sources.base import SourceError, SourceItem
from sources.config import SourceConfig
from sources.json_inbox import JsonInbox, read_ndjson_arrow, records_to_table

LINES: list[dict[str, object]] = [
    {"id": "W1", "name": "Zoé", "created_at": "2018-11-04T08:06:46Z", "orders": 3, "score": 1.5,
     "vip": True, "address": {"line1": "4 rue Voltaire", "postcode": "01000"}, "phones": ["06", "07"]},
    {"id": "W2", "name": "", "created_at": None, "orders": 2.0, "score": None, "vip": False,
     "address": None, "phones": []},
    {"id": "W3", "name": "Ana", "created_at": "2024-02-30 10:00", "orders": None, "score": 0.1,
     "vip": None, "address": {"line1": None, "postcode": "75001", "city": "Paris"}, "phones": ["01"]},
]


def _exact(data: bytes) -> pa.Table:
    records = [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]
    return records_to_table(records, "test")


def _ndjson(rows: list[dict[str, object]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


def test_same_text_as_the_line_by_line_reader() -> None:
    data = _ndjson(LINES)
    fast = read_ndjson_arrow(data)
    exact = _exact(data)
    assert fast is not None
    # The exact reader adds an all-null `phones` column for the empty list; values are the same.
    assert exact.column("phones").null_count == exact.num_rows
    assert fast.to_pylist() == exact.drop_columns(["phones"]).select(fast.column_names).to_pylist()
    row = fast.to_pylist()[0]
    assert row["created_at"] == "2018-11-04T08:06:46Z"  # a timestamp-looking string stays as written
    assert row["orders"] == "3" and row["score"] == "1.5" and row["vip"] == "true"
    assert fast.to_pylist()[1]["name"] is None and fast.to_pylist()[1]["orders"] == "2"
    assert fast.to_pylist()[1]["address.postcode"] is None  # null parent: null children


def test_a_bom_and_blank_lines_are_accepted() -> None:
    data = b"\xef\xbb\xbf" + _ndjson(LINES[:1]) + b"\n  \n" + _ndjson(LINES[2:])
    fast = read_ndjson_arrow(data)
    assert fast is not None and fast.num_rows == 2


@pytest.mark.parametrize("data", [
    b'{"a": 1}\n{"a": "x"}\n',  # a number here, a string there
    b'{"a": 123456789012345678901234}\n',  # more digits than a double holds
    b'{"a": 1}\n[1, 2]\n',  # not an object
    b'{"a": 1}\n{bad\n',  # invalid JSON
])
def test_steps_aside_when_it_could_not_give_the_same_text(data: bytes) -> None:
    assert read_ndjson_arrow(data) is None


def _connector() -> JsonInbox:
    return JsonInbox(SourceConfig(name="shop", kind="json", path="*.ndjson", key_columns=["a"],
                                  mapping={"email": "a"}))


def test_the_connector_falls_back_to_the_exact_reader(tmp_path: Path) -> None:
    path = tmp_path / "mixed.ndjson"
    path.write_bytes(b'{"a": 1, "b": "x"}\n{"a": "two", "b": 123456789012345678901234}\n')
    table = _connector().read(SourceItem(label="mixed.ndjson", path=path)).sheets[0].table
    assert table.to_pylist() == [{"a": "1", "b": "x"}, {"a": "two", "b": "123456789012345678901234"}]


def test_a_bad_line_is_still_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.ndjson"
    path.write_bytes(b'{"a": 1}\n{"a": 2}\n{bad\n')
    with pytest.raises(SourceError, match="line 3"):
        _connector().read(SourceItem(label="bad.ndjson", path=path))
