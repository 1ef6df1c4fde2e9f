"""Turning whatever a file or a database holds into text, the one type of the raw layer.

Why text: the raw layer keeps every value as received so that the standardiser, not the reader,
decides what a value means. A phone stored by Excel as the number 612345678 must reach the
standardiser as "612345678" (not "612345678.0"), and a date as ISO text, whatever the format.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc


def to_text(value: Any) -> str | None:
    """One value as text: None for empty, integral floats without `.0`, dates as ISO."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value != "" else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer() and abs(value) < 1e18:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.replace(microsecond=0).isoformat() if value.microsecond == 0 else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, Decimal):
        return str(int(value)) if value == value.to_integral_value() else str(value)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def text_column(values: Iterable[Any]) -> pa.Array:
    """A Python column of mixed values as an Arrow string array."""
    return pa.array([to_text(v) for v in values], type=pa.string())


def unique_names(names: Iterable[Any]) -> list[str]:
    """Header cells as usable, unique column names: blanks become `column_N`, repeats get `_2`."""
    result: list[str] = []
    seen: set[str] = set()
    for index, raw in enumerate(names, start=1):
        name = (to_text(raw) or "").strip() or f"column_{index}"
        candidate, n = name, 1
        while candidate in seen:
            n += 1
            candidate = f"{name}_{n}"
        seen.add(candidate)
        result.append(candidate)
    return result


def _array_to_text(array: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Vectorised text form of one typed Arrow column (no nesting)."""
    kind = array.type
    if pa.types.is_string(kind):
        empty = pc.equal(array, "")
        if not pc.any(empty).as_py():
            return array  # nothing to blank: skip copying the strings
        return pc.if_else(empty, pa.scalar(None, pa.string()), array)
    if pa.types.is_large_string(kind):
        return _array_to_text(pc.cast(array, pa.string()))
    if pa.types.is_null(kind):
        return pc.cast(array, pa.string())
    if pa.types.is_boolean(kind):
        return pc.if_else(array, "true", "false")
    if pa.types.is_floating(kind):
        as_float = pc.cast(array, pa.float64())
        finite = pc.and_(pc.is_finite(as_float), pc.less(pc.abs(as_float), 1e18))
        integral = pc.and_(finite, pc.equal(pc.floor(as_float), as_float))
        safe_int = pc.if_else(integral, as_float, 0.0)
        as_int_text = pc.cast(pc.cast(safe_int, pa.int64()), pa.string())
        text = pc.if_else(integral, as_int_text, pc.cast(as_float, pa.string()))
        return pc.if_else(pc.is_nan(as_float), pa.scalar(None, pa.string()), text)
    if pa.types.is_timestamp(kind):
        # Arrow's %S carries the fraction: truncate to whole seconds first (local wall time if zoned).
        if kind.tz is not None:
            array = pc.local_timestamp(array)
        return pc.strftime(pc.cast(array, pa.timestamp("s"), safe=False), format="%Y-%m-%dT%H:%M:%S")
    if pa.types.is_date(kind):
        return pc.strftime(array, format="%Y-%m-%d")
    if pa.types.is_decimal(kind) or pa.types.is_integer(kind) or pa.types.is_time(kind):
        return pc.cast(array, pa.string())
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        return pa.array([to_text(v) for v in array.to_pylist()], type=pa.string())
    return pa.array([to_text(v) for v in array.to_pylist()], type=pa.string())


def flatten_arrow(table: pa.Table) -> pa.Table:
    """Structs become dotted columns (`address.postcode`), lists become `phones[0]`, `phones[1]`..."""
    while True:
        names: list[str] = []
        columns: list[pa.ChunkedArray] = []
        changed = False
        for name, column in zip(table.column_names, table.columns, strict=True):
            kind = column.type
            if pa.types.is_struct(kind):
                changed = True
                # StructArray.flatten nulls a child wherever its parent is null, without a copy
                # of the strings (the Arrow kernel only combines the validity bitmaps).
                children = [chunk.flatten() for chunk in column.chunks]
                for index in range(kind.num_fields):
                    names.append(f"{name}.{kind.field(index).name}")
                    columns.append(pa.chunked_array([c[index] for c in children], type=kind.field(index).type))
            elif pa.types.is_list(kind) or pa.types.is_large_list(kind):
                changed = True
                lengths = pc.list_value_length(column)
                longest = pc.max(lengths).as_py() or 0
                for index in range(longest):
                    has = pc.greater(pc.fill_null(lengths, 0), index)
                    safe = pc.if_else(has, column, pa.scalar(None, kind))
                    element = pc.list_element(pc.fill_null(safe, pa.scalar([None] * (index + 1), kind)), index)
                    names.append(f"{name}[{index}]")
                    columns.append(pc.if_else(has, element, pa.scalar(None, element.type)))
            else:
                names.append(name)
                columns.append(column)
        table = pa.table(columns, names=names)
        if not changed:
            return table


def table_to_text(table: pa.Table) -> pa.Table:
    """Any Arrow table as an all-string table with flattened nested columns."""
    flat = flatten_arrow(table)
    names = unique_names(flat.column_names)
    columns = [_array_to_text(column) for column in flat.columns]
    return pa.table(columns, names=names)
