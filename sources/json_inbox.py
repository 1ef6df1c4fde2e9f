"""JSON (an array of objects, or an object holding one) and NDJSON (one object per line).

Nested objects become dotted columns (`address.postcode`) and arrays become indexed columns
(`phones[0]`), so a mapping names any nested value by its path. Every value is kept as text;
nested values beyond objects and arrays do not exist in JSON, so nothing is lost.

NDJSON in UTF-8 is read first by Arrow's multi-threaded JSON reader (`read_ndjson_arrow`: the
benchmark's 85,000-line web-shop export in 3.4 s instead of 8.9 s on a loaded machine, and the
NDJSON share of a 1M-record ingest fell from 41 % to 2 %). It gives the same text: strings Arrow
would take for timestamps are re-read as strings, so "2018-11-04T08:06:46Z" stays as written.
Anything it cannot read the same way (a field that is a number in one record and a string in
another, an integer too big for a double, a line that is not an object, invalid JSON) goes on to
the readers below, down to the exact line-by-line reader, which names the bad line.

The DuckDB reader (`read_json_duckdb`) is set-based too and takes what Arrow refuses: mixed
types (a postcode 75001 beside "01000"), JSON arrays, a BOM, another encoding. 300,000 web-shop
records with a mixed-type postcode: 1.9 s into raw.records instead of 6-11 s; as a JSON array
1.9 s instead of 4.6-5.1 s. It gives the exact reader's text too, or steps aside (records inside
an object, an object here and an array there, integers beyond a double's exact range).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Literal

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson
from pydantic import BaseModel, ConfigDict, Field

from sources.base import ReadResult, SheetTable, SourceConnector, SourceError, SourceItem
from sources.limits import read_file_capped
from sources.text import flatten_arrow, table_to_text, to_text

#: Doubles at or above this magnitude may not be the integer the file holds (2**53).
_EXACT_DOUBLE = float(2**53)
_UTF8 = {"utf-8", "utf8", "utf_8"}


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
            data = read_file_capped(Path(item.path), label, self.limits)
            text = data.decode(options.encoding).lstrip("\ufeff")
        except UnicodeDecodeError as exc:
            raise SourceError(f"{label}: cannot be decoded as {options.encoding} (offset {exc.start})") from None
        stripped = text.lstrip()
        if not stripped:
            raise SourceError(f"{label}: the file is empty")
        fmt = options.format
        if fmt == "auto":
            fmt = "array" if stripped[0] in "[{" and not _looks_ndjson(stripped) else "ndjson"
        utf8 = options.encoding.lower() in _UTF8
        if fmt == "ndjson" and utf8:
            fast = read_ndjson_arrow(data)
            if fast is not None:
                return ReadResult(sheets=[SheetTable(sheet=None, table=fast)])
        from_file = utf8 and not data.startswith(b"\xef\xbb\xbf")
        vectorised = read_json_duckdb(Path(item.path), stripped, fmt, options.records_path, from_file)
        if vectorised is not None:
            return ReadResult(sheets=[SheetTable(sheet=None, table=vectorised)])
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


def _temporal_as_text(kind: pa.DataType) -> pa.DataType:
    """The type with every timestamp/date/time leaf (text Arrow parsed) turned back into a string."""
    if pa.types.is_struct(kind):
        return pa.struct([pa.field(f.name, _temporal_as_text(f.type)) for f in kind])
    if pa.types.is_list(kind):
        return pa.list_(_temporal_as_text(kind.value_type))
    if pa.types.is_temporal(kind):
        return pa.string()
    return kind


def read_ndjson_arrow(data: bytes) -> pa.Table | None:
    """NDJSON bytes (UTF-8) as an all-text table with Arrow, or None to use the exact reader."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        inferred = pajson.read_json(pa.BufferReader(data))
        schema = pa.schema([pa.field(f.name, _temporal_as_text(f.type)) for f in inferred.schema])
        table = inferred
        if not schema.equals(inferred.schema):
            options = pajson.ParseOptions(explicit_schema=schema)
            table = pajson.read_json(pa.BufferReader(data), parse_options=options)
        flat = flatten_arrow(table)
    except (pa.ArrowException, ValueError):
        return None
    if table.num_rows == 0:
        return None
    for column in flat.columns:
        kind = column.type
        if pa.types.is_struct(kind) and kind.num_fields == 0:
            return None  # `{}` everywhere: the exact reader keeps it as an empty column
        if pa.types.is_floating(kind) and column.null_count < len(column):
            largest = pc.max(pc.abs(column)).as_py()
            if largest is not None and largest >= _EXACT_DOUBLE:
                return None  # a big integer Arrow holds as a double: keep its digits exactly
    return table_to_text(flat)



# ---- The general vectorised reader (DuckDB) -------------------------------------------------

#: The text of one JSON value `{e}` (an element of `json_extract(record, [paths])`), equal to
#: `to_text(json.loads(value))`: strings unquoted ('' -> NULL), integers as written, doubles
#: without a spurious `.0` (DuckDB's DOUBLE -> VARCHAR is Python's repr), booleans true/false,
#: null and empty {} / [] -> NULL. A non-empty object or array where records disagree on the
#: shape, or an integer beyond a double's exact range, raises: the exact reader takes over.
_VALUE_TEXT = """CASE coalesce(json_type({e}), 'NULL')
    WHEN 'VARCHAR' THEN nullif(json_extract_string({e}, '$'), '')
    WHEN 'BIGINT' THEN {e}::VARCHAR
    WHEN 'UBIGINT' THEN {e}::VARCHAR
    WHEN 'BOOLEAN' THEN {e}::VARCHAR
    WHEN 'NULL' THEN NULL
    WHEN 'DOUBLE' THEN CASE
        WHEN NOT isfinite({e}::DOUBLE) OR abs({e}::DOUBLE) >= 9007199254740992.0
            THEN error('json: a number the text form cannot keep exactly')
        WHEN {e}::DOUBLE = floor({e}::DOUBLE) THEN ({e}::DOUBLE)::BIGINT::VARCHAR
        ELSE ({e}::DOUBLE)::VARCHAR END
    ELSE CASE WHEN {e}::VARCHAR IN ('{{}}', '[]') THEN NULL
        ELSE error('json: records disagree on the shape of a value') END
END"""
_RECORDS = "_mdm_json_records"


class _NotVectorisable(Exception):
    """The file needs the exact reader (odd keys, mixed shapes, huge numbers, invalid JSON...)."""


def _member(path: str, key: str) -> str:
    """`path` extended by the object member `key` (quoted: dots and spaces are fine)."""
    if not key or '"' in key or "\\" in key:
        raise _NotVectorisable("a key JSON paths cannot quote")
    return f'{path}."{key}"'


def _leaf_paths(con: duckdb.DuckDBPyConnection, structure: Any, records: str) -> list[tuple[str, str, str]]:
    """(column name, JSON path, type) of every leaf; arrays expand to the longest array in the data.

    Walks the merged structure of all records (`json_group_structure`) breadth first: one query
    per nesting level finds the longest length of every array met at that level.
    """
    if not isinstance(structure, dict) or not structure:
        raise _NotVectorisable("records are not objects with keys")
    leaves: list[tuple[str, str, str]] = []
    level: list[tuple[str, str, Any]] = [
        (str(key), _member("$", str(key)), child) for key, child in structure.items()
    ]
    while level:
        arrays: list[tuple[str, str, Any]] = []
        following: list[tuple[str, str, Any]] = []
        for name, path, node in level:
            if isinstance(node, dict):
                following.extend((f"{name}.{key}", _member(path, str(key)), child) for key, child in node.items())
            elif isinstance(node, list):
                arrays.append((name, path, node[0] if node else "NULL"))
            else:
                leaves.append((name, path, str(node)))
        if arrays:
            aggregates = ", ".join("max(json_array_length(json, ?))" for _ in arrays)
            row = _one(con, f"SELECT {aggregates} FROM {records}", [p for _, p, _ in arrays])
            for (name, path, element), longest in zip(arrays, row, strict=True):
                following.extend((f"{name}[{i}]", f"{path}[{i}]", element) for i in range(longest or 0))
        level = following
    return leaves


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> tuple[Any, ...]:
    """The single row of a query, fetched whole (DuckDB 2 refuses new work while a result is open)."""
    rows = con.execute(sql, params).fetchall()
    return tuple(rows[0])


def _load_records(con: duckdb.DuckDBPyConnection, path: Path, text: str, fmt: str, records_path: str | None,
                  from_file: bool) -> None:
    """Create the table `_RECORDS` of the records as JSON (column `json`, in file order).

    DuckDB reads the file itself, in parallel. A file it cannot read as is (a BOM, another
    encoding) is first written as plain UTF-8 to a private temporary file, deleted right after.
    Records inside an object (`records_path`, or `{"customers": [...]}`) are left to the exact
    reader: DuckDB unpacks a single huge document on one thread, slower than Python.
    """
    body = text.lstrip()
    if fmt != "ndjson" and (records_path or not body.startswith("[")):
        raise _NotVectorisable("records inside an object")
    layout = "newline_delimited" if fmt == "ndjson" else "array"
    sql = f"CREATE TEMP TABLE {_RECORDS} AS SELECT json FROM read_json_objects(?, format='{layout}')"
    if from_file:
        con.execute(sql, [str(path)])
        return
    with tempfile.TemporaryDirectory(prefix="mdm-json-") as folder:
        plain = Path(folder) / "records.json"
        plain.write_text(body, encoding="utf-8")
        con.execute(sql, [str(plain)])


#: Leaf types of `json_group_structure` whose text `json_extract_string` gives exactly as the
#: exact reader does (all values of the leaf are of that type, or null).
_AS_STRING = {"VARCHAR", "BIGINT", "UBIGINT", "BOOLEAN", "NULL"}


def read_json_duckdb(path: Path, text: str, fmt: str, records_path: str | None = None,
                     from_file: bool = False) -> pa.Table | None:
    """JSON or NDJSON as an all-text, flattened table, set-based in DuckDB; None if it cannot.

    Unlike Arrow's reader it accepts a field that is a number in one record and a string in
    another, JSON arrays, and records inside an object, so such files are not flattened in a
    Python loop. The text of every value is what the exact reader gives (see `_VALUE_TEXT`).
    """
    con = duckdb.connect()
    try:
        _load_records(con, path, text, fmt, records_path, from_file)
        records = _RECORDS
        count, structure = _one(con, f"SELECT count(*), json_group_structure(json) FROM {records}", [])
        if not count or structure is None:
            return None
        leaves = _leaf_paths(con, json.loads(structure), records)
        names = [name for name, _, _ in leaves]
        if len(set(names)) != len(names):
            return None  # `"a.b"` beside `{"a": {"b"}}`: the exact reader merges them
        plain = [i for i, (_, _, kind) in enumerate(leaves) if kind in _AS_STRING]
        typed = [i for i, (_, _, kind) in enumerate(leaves) if kind not in _AS_STRING]
        expressions: dict[int, str] = {}
        for n, i in enumerate(plain, start=1):
            expressions[i] = f"nullif(s[{n}], '')"
        for n, i in enumerate(typed, start=1):
            expressions[i] = _VALUE_TEXT.format(e=f"v[{n}]")
        columns = ", ".join(f"{expressions[i]} AS c{i}" for i in range(len(leaves)))
        table = con.sql(
            f"SELECT {columns} FROM (SELECT json_extract_string(json, ?::VARCHAR[]) AS s, "
            f"json_extract(json, ?::VARCHAR[]) AS v FROM {records})",
            params=[[leaves[i][1] for i in plain], [leaves[i][1] for i in typed]],
        ).to_arrow_table()
        # Array elements share one merged structure, so `tags[0].v` exists there even when only
        # `tags[1]` has a `v`: keep such an all-null column only if some record holds the path.
        unsure = [i for i, (_, path, _) in enumerate(leaves)
                  if "[" in path and table.column(i).null_count == table.num_rows]
        if unsure:
            checks = ", ".join("bool_or(json_exists(json, ?))" for _ in unsure)
            held = _one(con, f"SELECT {checks} FROM {records}", [leaves[i][1] for i in unsure])
            dropped = {i for i, exists in zip(unsure, held, strict=True) if not exists}
            keep = [i for i in range(len(leaves)) if i not in dropped]
            table, names = table.select(keep), [names[i] for i in keep]
    except (duckdb.Error, _NotVectorisable):
        return None
    finally:
        con.close()
    return pa.table([pc.cast(c, pa.string()) for c in table.columns], names=names)


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
