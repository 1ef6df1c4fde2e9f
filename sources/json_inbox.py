"""JSON (an array of objects, or an object holding one) and NDJSON (one object per line).

Nested objects become dotted columns (`address.postcode`) and arrays become indexed columns
(`phones[0]`), so a mapping names any nested value by its path. Every value is kept as text;
nested values beyond objects and arrays do not exist in JSON, so nothing is lost.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from sources.base import ReadResult, SheetTable, SourceConnector, SourceError, SourceItem
from sources.text import to_text


class JsonOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["auto", "array", "ndjson"] = Field(
        default="auto", description="auto: an array if the file starts with '[' or '{', else NDJSON."
    )
    records_path: str | None = Field(
        default=None, description="Dotted path to the array of records inside a top-level object."
    )
    encoding: str = Field(default="utf-8", description="Text encoding (a UTF-8 BOM is accepted).")


def flatten(value: Any, prefix: str, out: dict[str, str | None]) -> None:
    """Write `value` into `out` under dotted/indexed keys."""
    if isinstance(value, dict):
        if not value and prefix:
            out[prefix] = None
        for key, child in value.items():
            flatten(child, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list):
        if not value and prefix:
            out[prefix] = None
        for index, child in enumerate(value):
            flatten(child, f"{prefix}[{index}]", out)
    else:
        out[prefix or "value"] = to_text(value)


def records_to_table(records: list[Any], label: str) -> pa.Table:
    flat: list[dict[str, str | None]] = []
    columns: dict[str, None] = {}
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise SourceError(f"{label}: record {number} is a {type(record).__name__}, not an object")
        row: dict[str, str | None] = {}
        flatten(record, "", row)
        flat.append(row)
        for key in row:
            columns.setdefault(key, None)
    names = list(columns)
    return pa.table({name: pa.array([row.get(name) for row in flat], type=pa.string()) for name in names})


class JsonInbox(SourceConnector):
    kind = "json"
    description = "JSON arrays and NDJSON; nested paths as address.postcode, phones[0]"
    options_model = JsonOptions

    def read(self, item: SourceItem) -> ReadResult:
        assert item.path is not None
        options: JsonOptions = self.options
        label = item.label
        try:
            text = Path(item.path).read_bytes().decode(options.encoding).lstrip("\ufeff")
        except UnicodeDecodeError as exc:
            raise SourceError(f"{label}: cannot be decoded as {options.encoding} (offset {exc.start})") from None
        stripped = text.lstrip()
        if not stripped:
            raise SourceError(f"{label}: the file is empty")
        fmt = options.format
        if fmt == "auto":
            fmt = "array" if stripped[0] in "[{" and not _looks_ndjson(stripped) else "ndjson"
        records: list[Any]
        if fmt == "array":
            try:
                document = json.loads(stripped)
            except json.JSONDecodeError as exc:
                raise SourceError(f"{label}: invalid JSON at line {exc.lineno} column {exc.colno}") from None
            records = _select(document, options.records_path, label)
        else:
            records = []
            for number, line in enumerate(stripped.splitlines(), start=1):
                if line.strip():
                    try:
                        records.append(json.loads(line))
                    except json.JSONDecodeError:
                        raise SourceError(f"{label}: invalid JSON on line {number}") from None
        return ReadResult(sheets=[SheetTable(sheet=None, table=records_to_table(records, label))])


def _looks_ndjson(text: str) -> bool:
    """An object per line: the first line alone parses as an object."""
    first = text.split("\n", 1)[0].strip()
    if not first.startswith("{") or "\n" not in text.strip():
        return False
    try:
        return isinstance(json.loads(first), dict)
    except json.JSONDecodeError:
        return False


def _select(document: Any, path: str | None, label: str) -> list[Any]:
    node = document
    for part in (path or "").split(".") if path else []:
        if not isinstance(node, dict) or part not in node:
            raise SourceError(f"{label}: records_path {path!r} not found")
        node = node[part]
    if isinstance(node, dict) and path is None:
        arrays = [k for k, v in node.items() if isinstance(v, list)]
        node = node[arrays[0]] if len(arrays) == 1 else [node]
    if not isinstance(node, list):
        raise SourceError(f"{label}: expected an array of records")
    return node
