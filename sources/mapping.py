"""A source's `mapping:` -> one DuckDB expression per canonical field over `raw.records.payload`.

It lives with the sources because both landings use it: the standardise stage over a customer
row's JSON payload, the event landing (`sources.event_landing`) over an event file's columns.

The payload is a JSON object {source column: text}; nested JSON arrives flattened to dotted keys
(`address.postcode`), which the JSON path quotes so the dot is literal. All mapped columns are
read in ONE `json_extract_string(payload, [paths])` call (the JSON is parsed once per row), with
the paths bound as a parameter: column names come from the config, never spliced into SQL.

Mapping values:
- `"Nom"` or `{column: "Nom"}`        -> that column
- `{split_full_name: "Nom complet"}`  -> that column (the standardiser splits it; target `full_name`)
- `{join: [A, B], sep: " "}`          -> the non-empty parts joined
- `{constant: V}`                     -> V on every row
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from mdm.config import ConfigError


def json_path(column: str) -> str:
    """`$."<column>"` with quotes and backslashes escaped, so any column name is one literal key."""
    return '$."' + column.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class Extraction:
    """SQL select-list items (referencing `_v`, the list of extracted values) and their parameters."""

    paths: list[str]
    select_sql: str
    params: list[Any]
    #: The source column each path reads, in the same order (`_v[i]` is `columns[i - 1]`): the event
    #: landing builds `_v` from Arrow columns instead of JSON paths (sources/event_landing.py).
    columns: list[str]


def source_columns(spec: Any) -> list[str]:
    """The source columns one mapping value reads."""
    if isinstance(spec, str):
        return [spec]
    if isinstance(spec, dict):
        if "column" in spec:
            return [str(spec["column"])]
        if "split_full_name" in spec:
            return [str(spec["split_full_name"])]
        if "join" in spec:
            return [str(c) for c in spec["join"]]
        if "constant" in spec:
            return []
    raise ConfigError(f"unsupported mapping value {json.dumps(spec, ensure_ascii=False)}")


def build_extraction(mapping: dict[str, Any], value_sql: str = "_v[{}]") -> Extraction:
    """One select-list item per mapped canonical field; `_v` is the extracted list. `value_sql`
    gives the SQL of the i-th source column (1-based): the event landing names columns `_c{}`
    directly, as building a list per row to index it again costs twice as much there."""
    paths: list[str] = []
    columns: list[str] = []
    position: dict[str, int] = {}

    def slot(column: str) -> str:
        if column not in position:
            paths.append(json_path(column))
            columns.append(column)
            position[column] = len(paths)
        return f"nullif(trim({value_sql.format(position[column])}), '')"

    items: list[str] = []
    params: list[Any] = []
    for field, spec in mapping.items():
        if not field.isidentifier():
            raise ConfigError(f"mapping target {field!r} is not a field name")
        if isinstance(spec, dict) and "join" in spec:
            sep = str(spec.get("sep", " "))
            parts = ", ".join(slot(c) for c in source_columns(spec))
            items.append(f"nullif(concat_ws(?, {parts}), '') AS {field}")
            params.append(sep)
        elif isinstance(spec, dict) and "constant" in spec:
            items.append(f"CAST(? AS VARCHAR) AS {field}")
            params.append(None if spec["constant"] is None else str(spec["constant"]))
        else:
            (column,) = source_columns(spec)
            items.append(f"{slot(column)} AS {field}")
    return Extraction(paths=paths, select_sql=", ".join(items), params=params, columns=columns)
