"""Column-wise text helpers shared by the standardisers (pyarrow compute under pandas Series).

Every function takes a whole column and returns a whole column with the same index, so the
standardisers never loop over rows; the few slow library calls (phonenumbers, email-validator,
name casing) go through `map_distinct`, which calls a function once per distinct value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

TEXT = pd.StringDtype("pyarrow")

#: Letters NFKD does not decompose, folded by hand for matching keys.
_LIGATURES = {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L"}


def as_text(values: pd.Series | list[Any]) -> pd.Series:
    """Any column as Arrow-backed text; numbers keep their text form ("612345678.0" stays as is)."""
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    if series.dtype == TEXT:
        return series
    return series.astype(object).where(series.notna(), None).astype(TEXT)


def arrow(series: pd.Series) -> pa.ChunkedArray:
    """The Arrow text array behind a column (no copy when it is already Arrow-backed text)."""
    data = pa.array(as_text(series).array)
    return data if isinstance(data, pa.ChunkedArray) else pa.chunked_array([data])


def wrap(array: pa.Array | pa.ChunkedArray, index: pd.Index) -> pd.Series:
    """An Arrow text array back into a column with the given index."""
    chunked = array if isinstance(array, pa.ChunkedArray) else pa.chunked_array([array])
    return pd.Series(pd.arrays.ArrowStringArray(chunked), index=index, dtype=TEXT)


def blank_to_null(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr)


def clean(series: pd.Series) -> pd.Series:
    """NFC, whitespace (incl. non-breaking) collapsed to one space, trimmed; empty -> NA."""
    arr = arrow(series)
    arr = pc.utf8_normalize(arr, "NFC")
    arr = pc.replace_substring_regex(arr, r"[\s\x{00A0}\x{202F}]+", " ")
    arr = pc.utf8_trim_whitespace(arr)
    arr = blank_to_null(arr)
    return wrap(arr, series.index)


def fold(series: pd.Series) -> pd.Series:
    """Accent-folded lower case (for matching keys): "Éloïse Œuvray" -> "eloise oeuvray"."""
    arr = arrow(series)
    for letter, plain in _LIGATURES.items():
        arr = pc.replace_substring(arr, letter, plain)
    arr = pc.utf8_normalize(arr, "NFKD")
    arr = pc.replace_substring_regex(arr, r"\p{Mn}+", "")
    arr = pc.utf8_lower(arr)
    return wrap(arr, series.index)


def key(series: pd.Series) -> pd.Series:
    """Matching key: folded, punctuation (hyphens, apostrophes, dots) as spaces, collapsed; empty -> NA."""
    arr = arrow(fold(series))
    arr = pc.replace_substring_regex(arr, r"[^\p{L}\p{N}]+", " ")
    arr = pc.utf8_trim_whitespace(arr)
    arr = blank_to_null(arr)
    return wrap(arr, series.index)


def map_distinct(series: pd.Series, fn: Callable[[Any], Any], dtype: Any = object) -> pd.Series:
    """Apply `fn` once per distinct non-null value and broadcast back (the per-value cache)."""
    mask = series.notna()
    if not mask.any():
        return pd.Series([None] * len(series), index=series.index, dtype=dtype)
    codes, uniques = pd.factorize(series[mask], sort=False)
    mapped = np.empty(len(uniques), dtype=object)
    for i, value in enumerate(uniques):
        mapped[i] = fn(value)
    out = np.full(len(series), None, dtype=object)
    out[mask.to_numpy()] = mapped[codes]
    return pd.Series(out, index=series.index).astype(dtype) if dtype is not object else pd.Series(
        out, index=series.index, dtype=object
    )


def map_distinct_tuple(series: pd.Series, fn: Callable[[Any], tuple[Any, ...]], width: int) -> list[pd.Series]:
    """Like `map_distinct` for a function returning a fixed-width tuple: one Series per element."""
    mask = series.notna().to_numpy()
    out = [np.full(len(series), None, dtype=object) for _ in range(width)]
    if mask.any():
        codes, uniques = pd.factorize(series[mask], sort=False)
        results = [fn(v) for v in uniques]
        for j in range(width):
            column = np.empty(len(uniques), dtype=object)
            column[:] = [r[j] for r in results]
            out[j][mask] = column[codes]
    return [pd.Series(o, index=series.index, dtype=object) for o in out]


def by_distinct(series: pd.Series, fn: Callable[[pd.Series], pd.DataFrame]) -> pd.DataFrame:
    """Run a column-wise standardiser on the distinct values only, then broadcast to every row.

    Names, cities, postcodes, dates and statuses repeat a lot: a million rows may hold a few
    thousand distinct values, so this turns most of the work into a `take`. `fn` receives the
    distinct values (NA included once) with a fresh RangeIndex and returns one row per value.
    """
    codes, uniques = pd.factorize(as_text(series), use_na_sentinel=False)
    distinct = pd.Series(uniques, dtype=TEXT)
    result = fn(distinct)
    out = result.take(codes)
    out.index = series.index
    return out
