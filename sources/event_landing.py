"""An event source's rows -> `raw.event_rows`: one text column per canonical event field.

Why not `raw.records`: a customer row keeps its whole payload as JSON (the standardise stage and
the stewards read any column of it), but an event source can send ten million rows a night, and
writing a JSON document per row, then parsing it again in the events stage, was most of the cost
(about 15 µs a row). Here the connector's Arrow table goes straight into DuckDB: the source's
`mapping:` is applied at load (the customers' own mapping code, `sources.mapping`), the
record key is computed as for any source (`sources.batch_keys.keyed_batch`), and only the mapped
fields are kept. Columns nobody mapped are not stored at all, which also keeps less about people.

The load is the same all-or-nothing item as any other (`sources.ingest.ingest_item`): the same
connectors, limits, `rejected/` folder and `raw.loads` row; only the table differs. Erasure
finds a person's raw event rows by their e-mail, phone or customer key columns
(`warehouse.retention.erasure.keys_carrying`) and retention's cascade deletes them by
`record_key` like any table naming one.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from mdm.canonical import EVENT_FIELDS
from sources.batch_keys import keyed_batch
from sources.config import SourceConfig
from sources.mapping import build_extraction

_BATCH = "_mdm_event_landing"


def insert_event_rows(
    con: duckdb.DuckDBPyConnection,
    source: SourceConfig,
    load_id: str,
    file: str,
    sheet: str | None,
    table: pa.Table,
    ingested_at: Any,
) -> None:
    """One set-based INSERT of a whole sheet of events into `raw.event_rows`.

    The mapped source columns become `_c1.._cN` (names from the file never reach the SQL text),
    which the mapping's SQL reads where a customer row's reads `_v[i]` from its JSON payload. A
    mapped column absent from the file (an `optional_columns` one) is NULL.
    """
    extraction = build_extraction(dict(source.mapping), value_sql="_c{}")
    columns, key_sql, params = keyed_batch(source, table)
    present = set(table.column_names)
    for index, column in enumerate(extraction.columns, start=1):
        present_column = table.column(column).combine_chunks() if column in present else None
        columns[f"_c{index}"] = present_column if present_column is not None else pa.nulls(table.num_rows, pa.string())
    fields = [f for f in EVENT_FIELDS if f in source.mapping]
    key_refs = [name for name in columns if name.startswith("_k")]
    event_key = f"nullif(concat_ws(chr(31), {', '.join(key_refs)}), '')" if source.key_columns else "NULL::VARCHAR"
    mapped = extraction.select_sql or "NULL::VARCHAR AS _none"
    con.register(_BATCH, pa.table(columns))
    try:
        con.execute(
            f"""
            INSERT INTO raw.event_rows (record_key, source, load_id, file, sheet, row_number, ingested_at,
                                        event_key, {", ".join(fields)})
            SELECT _key, ?, ?, ?, ?, _row, ?, _event_key, {", ".join(fields)}
            FROM (SELECT {key_sql} AS _key, _row, {event_key} AS _event_key, {mapped}
                  FROM {_BATCH})
            """,
            [source.name, load_id, file, sheet, ingested_at, *params, *extraction.params],
        )
    finally:
        con.unregister(_BATCH)
