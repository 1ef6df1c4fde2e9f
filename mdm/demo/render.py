"""Text forms of generated values, built by table lookup over whole arrays (no per-row formatting).

Phones come in the formats French files really contain; dates in each source's own format,
including impossible ones (31/02/1980) that a date type could not hold.
"""

from __future__ import annotations

import numpy as np

from mdm.demo.textops import NUMBERS, TWO_DIGITS, cat, objects

#: Phone styles, by code. 06 12 34 56 78 is the French norm; the others are what forms collect.
PHONE_STYLES: tuple[str, ...] = (
    "06 12 34 56 78",
    "06.12.34.56.78",
    "0612345678",
    "+33 6 12 34 56 78",
    "0033612345678",
    "+33612345678",
    "06-12-34-56-78",
)


def phone_text(number: np.ndarray, style: np.ndarray) -> np.ndarray:
    """National numbers without the leading 0 (612345678) as text in the given style; 0 -> None."""
    number = np.asarray(number, dtype=np.int64)
    lead = NUMBERS[number // 100_000_000]
    pairs = [TWO_DIGITS[(number // 10**p) % 100] for p in (6, 4, 2, 0)]
    a, b, c, d = pairs
    forms = [
        cat("0", lead, " ", a, " ", b, " ", c, " ", d),
        cat("0", lead, ".", a, ".", b, ".", c, ".", d),
        cat("0", lead, a, b, c, d),
        cat("+33 ", lead, " ", a, " ", b, " ", c, " ", d),
        cat("0033", lead, a, b, c, d),
        cat("+33", lead, a, b, c, d),
        cat("0", lead, "-", a, "-", b, "-", c, "-", d),
    ]
    out = objects(np.select([style == i for i in range(len(forms))], forms, default=forms[0]))
    out[number <= 0] = None
    return out


def date_parts_text(year: np.ndarray, month: np.ndarray, day: np.ndarray, order: str) -> np.ndarray:
    """Dates from integer parts, 'dmy' -> 31/02/1980 or 'iso' -> 1980-02-31; year 0 -> None.

    Parts are not checked on purpose: the generator writes impossible dates as a real file would.
    """
    year = np.asarray(year, dtype=np.int64)
    y = NUMBERS[np.clip(year, 0, 9999)]
    m = TWO_DIGITS[np.clip(month, 0, 99)]
    d = TWO_DIGITS[np.clip(day, 0, 99)]
    out = cat(d, "/", m, "/", y) if order == "dmy" else cat(y, "-", m, "-", d)
    out[year <= 0] = None
    return out


def days_text(days: np.ndarray, order: str) -> np.ndarray:
    """datetime64 values (any unit) as dd/mm/yyyy ('dmy') or yyyy-mm-dd ('iso'); NaT -> None."""
    days = np.asarray(days).astype("datetime64[D]")
    iso = objects(np.datetime_as_string(days, unit="D"))
    missing = np.isnat(days)
    if order == "dmy":
        good = ~missing
        kept = iso[good]
        iso[good] = cat(_slice(kept, 8, 10), "/", _slice(kept, 5, 7), "/", _slice(kept, 0, 4))
    iso[missing] = None
    return iso


def timestamp_text(values: np.ndarray) -> np.ndarray:
    """datetime64 values as ISO 8601 UTC with a Z (2024-05-01T10:00:00Z); NaT -> None."""
    values = np.asarray(values).astype("datetime64[s]")
    out = cat(objects(np.datetime_as_string(values, unit="s")), "Z")
    out[np.isnat(values)] = None
    return out


def _slice(values: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Substring of every element (numpy's C string kernels)."""
    as_str = np.asarray(values.astype(str), dtype=np.dtypes.StringDType())
    return objects(np.strings.slice(as_str, start, stop).astype(object))
