"""Dates and timestamps: the source's declared format, ISO 8601, or Excel serial numbers.

Day/month order is never guessed: "03/04/1980" is read with the source's `date_format` only.
A value that fits neither the declared format, nor ISO (unambiguous), nor an Excel serial
(a spreadsheet date stored as a number) is unparseable and reported as such.

Birth dates in the future or more than 120 years before the run are impossible: the value is
dropped from `birth_date` (status 'invalid') and reported. Activity timestamps in the future
(beyond a day of clock skew) are dropped and reported too, because retention rules count from them.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from mdm.standardise.text import TEXT, arrow, by_distinct, clean

#: Excel's day zero (the 1900 leap-year bug included).
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
#: Plausible Excel serials: 1900-01-01 .. 2173-10-14.
_EXCEL_SERIAL = r"\d{1,5}(?:\.\d+)?"
_ISO = r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?"

#: strptime directive -> an RE2 pattern accepting at least what pandas' strptime accepts for it.
_DIGIT = r"\p{Nd}"
_DIRECTIVES = {
    "d": rf"[ {_DIGIT}]?{_DIGIT}", "m": rf"[ {_DIGIT}]?{_DIGIT}", "H": rf"{_DIGIT}{{1,2}}",
    "M": rf"{_DIGIT}{{1,2}}", "S": rf"{_DIGIT}{{1,2}}", "Y": rf"{_DIGIT}{{4}}", "y": rf"{_DIGIT}{{2}}",
    "f": rf"{_DIGIT}{{1,9}}", "%": "%",
}


def format_shape(fmt: str) -> str | None:
    """A regex that every value `fmt` can parse matches whole, or None for other directives.

    Why: pandas' strptime with errors="coerce" costs ~10 us per value it REJECTS, and a timestamp
    column of a million distinct ISO values goes through three declared formats that all reject
    it before the ISO step. A vectorised shape test first sends only plausible values to strptime;
    it never rejects a value strptime would accept, so the result is the same.
    """
    parts: list[str] = []
    i = 0
    while i < len(fmt):
        char = fmt[i]
        if char == "%":
            pattern = _DIRECTIVES.get(fmt[i + 1]) if i + 1 < len(fmt) else None
            if pattern is None:
                return None
            parts.append(pattern)
            i += 2
        elif char.isspace():
            if not parts or parts[-1] != r"\s+":
                parts.append(r"\s+")
            i += 1
        else:
            parts.append(re.escape(char))
            i += 1
    return "(?i)^" + "".join(parts) + "$"


def _fits(text: pd.Series, fmt: str) -> np.ndarray:
    """Mask of the values that may parse with `fmt` (all True when its shape is unknown)."""
    shape = format_shape(fmt)
    if shape is None:
        return np.ones(len(text), dtype=bool)
    values = arrow(text) if text.dtype == TEXT else pa.array(text.astype(object).to_numpy(), type=pa.string())
    return pc.fill_null(pc.match_substring_regex(values, shape), False).to_numpy(zero_copy_only=False)


def parse_datetimes(raw: pd.Series, date_format: str | None) -> tuple[pd.Series, np.ndarray]:
    """(naive UTC datetime64 column, mask of values given but unparseable), parsed once per
    distinct value (dates repeat: a million rows hold a few thousand days)."""

    def parse(values: pd.Series) -> pd.DataFrame:
        parsed, bad = _parse(values, date_format)
        return pd.DataFrame({"value": parsed, "bad": bad}, index=values.index)

    out = by_distinct(raw, parse)
    return out["value"], out["bad"].to_numpy(dtype=bool)


def _parse(raw: pd.Series, date_format: str | None) -> tuple[pd.Series, np.ndarray]:
    text = clean(raw)
    result = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    todo = text.notna().to_numpy(dtype=bool)

    if date_format:
        for fmt in (date_format, date_format + " %H:%M", date_format + " %H:%M:%S"):
            if not todo.any():
                break
            rows = np.flatnonzero(todo)
            rows = rows[_fits(text.iloc[rows], fmt)]
            if not len(rows):
                continue
            parsed = pd.to_datetime(text.iloc[rows].astype(object), format=fmt, errors="coerce")
            ok = parsed.notna().to_numpy(dtype=bool)
            result.iloc[rows[ok]] = parsed[ok].to_numpy()
            todo[rows[ok]] = False

    if todo.any():
        sub = text[todo]
        iso = sub.str.fullmatch(_ISO).fillna(False).astype(bool).to_numpy(dtype=bool)
        if iso.any():
            parsed = pd.to_datetime(sub[iso].astype(object), format="ISO8601", utc=True, errors="coerce")
            parsed = parsed.dt.tz_convert(None)
            ok = parsed.notna().to_numpy(dtype=bool)
            rows = np.flatnonzero(todo)[np.flatnonzero(iso)[ok]]
            result.iloc[rows] = parsed[ok].to_numpy()
            todo[rows] = False

    if todo.any():
        sub = text[todo]
        serial = sub.str.fullmatch(_EXCEL_SERIAL).fillna(False).astype(bool).to_numpy(dtype=bool)
        if serial.any():
            days = pd.to_numeric(sub[serial].astype(object), errors="coerce").to_numpy(dtype=float)
            ok = (days >= 1) & (days < 100_000)
            rows = np.flatnonzero(todo)[np.flatnonzero(serial)[ok]]
            result.iloc[rows] = (EXCEL_EPOCH + pd.to_timedelta(days[ok], unit="D")).round("s").to_numpy()
            todo[rows] = False

    return result, todo


def standardise_birth_dates(raw: pd.Series, date_format: str | None, now: datetime) -> pd.DataFrame:
    """Columns birth_date (date), birth_date_status, and issue masks."""
    parsed, unparseable = parse_datetimes(raw, date_format)
    parsed = parsed.dt.normalize()
    too_old = pd.Timestamp(now) - pd.DateOffset(years=120)
    impossible = (parsed.notna() & ((parsed > pd.Timestamp(now)) | (parsed < too_old))).to_numpy(dtype=bool)
    birth = parsed.where(~impossible)
    present = clean(raw).notna().to_numpy(dtype=bool)
    status = np.where(~present, "missing", np.where(birth.notna().to_numpy(), "valid", "invalid"))
    return pd.DataFrame(
        {
            "birth_date": birth,  # datetime64 at midnight: DuckDB casts it to DATE (no Python date objects)
            "birth_date_status": status,
            "_issue_birth_date_unparseable": unparseable,
            "_issue_birth_date_impossible": impossible,
        },
        index=raw.index,
    )


def standardise_timestamp(raw: pd.Series, date_format: str | None, now: datetime) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """(timestamps with future ones dropped, unparseable mask, in-future mask)."""
    parsed, unparseable = parse_datetimes(raw, date_format)
    future = (parsed > pd.Timestamp(now) + timedelta(days=1)).fillna(False).to_numpy(dtype=bool)
    return parsed.where(~future), unparseable, future
