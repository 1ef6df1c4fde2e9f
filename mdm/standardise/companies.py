"""Company identifiers for B2B records: SIREN/SIRET (Luhn key) and VAT numbers (format, FR key).

- SIREN is 9 digits, SIRET 14 (SIREN + 5-digit establishment number); both carry a Luhn check
  digit. La Poste's establishments (SIREN 356000000) use a different rule: digit sum divisible by 5.
- French VAT: "FR" + 2-character key + SIREN, key = (12 + 3 * (SIREN mod 97)) mod 97.
- Other EU VAT numbers are checked by their published formats only (no VIES look-up offline).

Luhn is computed column-wise on a digit matrix, not per row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mdm.standardise.text import TEXT, as_text, clean

#: Country prefix -> pattern of the rest of an EU VAT number (after removing spaces, dots, dashes).
VAT_FORMATS: dict[str, str] = {
    "AT": r"U\d{8}", "BE": r"[01]\d{9}", "BG": r"\d{9,10}", "CY": r"\d{8}[A-Z]", "CZ": r"\d{8,10}",
    "DE": r"\d{9}", "DK": r"\d{8}", "EE": r"\d{9}", "EL": r"\d{9}", "ES": r"[A-Z0-9]\d{7}[A-Z0-9]",
    "FI": r"\d{8}", "FR": r"[0-9A-HJ-NP-Z]{2}\d{9}", "HR": r"\d{11}", "HU": r"\d{8}", "IE": r"\d{7}[A-W][A-I]?|\d[A-Z+*]\d{5}[A-W]",
    "IT": r"\d{11}", "LT": r"\d{9}|\d{12}", "LU": r"\d{8}", "LV": r"\d{11}", "MT": r"\d{8}",
    "NL": r"\d{9}B\d{2}", "PL": r"\d{10}", "PT": r"\d{9}", "RO": r"\d{2,10}", "SE": r"\d{12}",
    "SI": r"\d{8}", "SK": r"\d{10}", "XI": r"\d{9}|\d{12}", "GB": r"\d{9}|\d{12}|GD\d{3}|HA\d{3}",
    "CH": r"E\d{9}(?:MWST|TVA|IVA)?",
}

_LA_POSTE_SIREN = "356000000"


def luhn_valid(digits: pd.Series) -> np.ndarray:
    """Luhn check of all-digit strings of equal or differing length; NA -> False."""
    text = as_text(digits)
    out = np.zeros(len(text), dtype=bool)
    lengths = text.str.len().fillna(0).astype(int).to_numpy()
    for length in np.unique(lengths[lengths > 0]):
        rows = np.flatnonzero(lengths == length)
        values = text.iloc[rows].astype(str).to_numpy()
        matrix = np.frombuffer("".join(values).encode("ascii"), dtype=np.uint8).reshape(len(rows), length) - 48
        doubled = matrix.copy()
        # Double every second digit from the right.
        positions = np.arange(length)[::-1] % 2 == 1
        doubled[:, positions] *= 2
        doubled[doubled > 9] -= 9
        out[rows] = doubled.sum(axis=1) % 10 == 0
    return out


def standardise_siret(raw: pd.Series) -> pd.DataFrame:
    """Columns siret (9 or 14 digits as given) and the `siret_invalid` mask."""
    text = clean(raw).str.replace(r"[\s.\-]", "", regex=True).str.replace(r"\.0+$", "", regex=True)
    shape_ok = text.str.fullmatch(r"\d{9}|\d{14}").fillna(False).astype(bool).to_numpy(dtype=bool)
    digits = text.where(shape_ok)
    valid = luhn_valid(digits)
    la_poste = (digits.str.slice(0, 9) == _LA_POSTE_SIREN).fillna(False).to_numpy(dtype=bool)
    if la_poste.any():
        sums = digits[la_poste].map(lambda s: sum(int(c) for c in s))
        valid[la_poste] = (sums % 5 == 0).to_numpy(dtype=bool)
    present = text.notna().to_numpy(dtype=bool)
    return pd.DataFrame(
        {"siret": text.astype(TEXT), "_issue_siret_invalid": present & ~(shape_ok & valid)}, index=raw.index
    )


def french_vat_key(siren: int) -> int:
    return (12 + 3 * (siren % 97)) % 97


def standardise_vat(raw: pd.Series) -> pd.DataFrame:
    """Columns vat_number (upper case, no separators) and the `vat_invalid` mask."""
    text = clean(raw).str.upper().str.replace(r"[\s.\-]", "", regex=True)
    prefix = text.str.slice(0, 2)
    rest = text.str.slice(2)
    ok = np.zeros(len(text), dtype=bool)
    for code, pattern in VAT_FORMATS.items():
        rows = (prefix == code).fillna(False).to_numpy(dtype=bool)
        if rows.any():
            ok[rows] = rest[rows].str.fullmatch(pattern).fillna(False).astype(bool).to_numpy(dtype=bool)
    fr_numeric = ok & (prefix == "FR").fillna(False).to_numpy(dtype=bool) & rest.str.fullmatch(r"\d{11}").fillna(
        False
    ).astype(bool).to_numpy(dtype=bool)
    if fr_numeric.any():
        keys = rest[fr_numeric].str.slice(0, 2).astype(int).to_numpy()
        sirens = rest[fr_numeric].str.slice(2).astype(np.int64).to_numpy()
        ok[fr_numeric] = keys == (12 + 3 * (sirens % 97)) % 97
    present = text.notna().to_numpy(dtype=bool)
    return pd.DataFrame({"vat_number": text.astype(TEXT), "_issue_vat_invalid": present & ~ok}, index=raw.index)
