"""Record keys of a whole Arrow sheet at once: the key parts as columns and the SQL hashing them.

Shared by the two landing tables (`raw.records` in `sources.ingest`, `raw.event_rows` in
`sources.event_landing`), so an event and a customer row are keyed by the same rule.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from sources.config import SourceConfig
from sources.keys import record_key_sql


def key_parts(table: pa.Table, columns: list[str]) -> list[pa.Array]:
    """Key columns normalised like `sources.keys.normalise_key_part` (text, stripped)."""
    return [pc.utf8_trim_whitespace(table.column(c).combine_chunks()) for c in columns]


def _add_parts(columns: dict[str, pa.Array], prefix: str, parts: list[pa.Array]) -> list[str]:
    refs = []
    for index, part in enumerate(parts):
        columns[f"{prefix}{index}"] = part
        refs.append(f"{prefix}{index}")
    return refs


def _any_all_empty(parts: list[pa.Array]) -> bool:
    """True when at least one row has every key part empty or null."""
    empty = None
    for part in parts:
        blank = pc.fill_null(pc.equal(part, ""), True)
        empty = blank if empty is None else pc.and_(empty, blank)
    return bool(empty is not None and pc.any(empty).as_py())


def keyed_batch(source: SourceConfig, table: pa.Table) -> tuple[dict[str, pa.Array], str, list[Any]]:
    """The key parts of a sheet as Arrow columns, and the SQL computing each row's record key over
    them (with its parameters). A row whose key columns are all empty (and every row of a source
    without key columns) is keyed on all its values instead."""
    names = table.column_names
    keys = key_parts(table, source.key_columns or names)
    columns: dict[str, pa.Array] = {"_row": pa.array(range(1, table.num_rows + 1), type=pa.int64())}
    key_refs = _add_parts(columns, "_k", keys)
    key_sql = record_key_sql("?", key_refs)
    params: list[Any] = [source.name]
    if source.key_columns and _any_all_empty(keys):
        # Only when some row has no key at all: key those rows on their whole content instead.
        row_refs = _add_parts(columns, "_r", key_parts(table, names))
        all_empty = " AND ".join(f"coalesce({ref}, '') = ''" for ref in key_refs)
        key_sql = f"CASE WHEN {all_empty} THEN {record_key_sql('?', row_refs)} ELSE {key_sql} END"
        params = [source.name, source.name]
    return columns, key_sql, params
