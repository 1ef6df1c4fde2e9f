"""National identifiers: a person's number issued outside the company (national identity, tax or
social-security number), the same in every source that holds it.

Countries write them in many shapes (Italy's codice fiscale, Spain's DNI, Sweden's personnummer,
Belgium's national register number, an Australian tax file number), and checking each country's
key is out of scope. What matters for matching is that the same number compares equal however it
was typed, and that a placeholder never does: so separators go, letters are upper-cased, and a
value that cannot be a real identifier (too short or long, fewer than four digits, one repeated
character, a counting sequence) is dropped with the issue `national_id_invalid` instead of
pairing every record that holds it. The value as received stays in `raw.records`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mdm.standardise.text import TEXT, clean

#: What people type between the parts of an identifier (a regular expression DuckDB's RE2 reads
#: too: erasure applies it to raw payloads).
SEPARATORS = r"[\s.\-/_]"
#: Shortest and longest identifier kept (after separators are removed).
MIN_LENGTH = 5
MAX_LENGTH = 20
#: Every national, tax or social-security number has digits (Italy's codice fiscale has 7, a UK
#: National Insurance number 6); a value with fewer is a word typed into the box (UNKNOWN, INCONNU).
MIN_DIGITS = 4
#: Counting sequences of every allowed length, up or down ('12345', '0123456789', '987654321').
_COUNTING = frozenset(
    (digits * 3)[start:start + length]
    for digits in ("0123456789", "9876543210")
    for start in range(10)
    for length in range(MIN_LENGTH, MAX_LENGTH + 1)
)


def _placeholder(values: pd.Series) -> np.ndarray:
    """'000000000', 'XXXXXXX', '123456789': what a form gets when the person gave nothing."""
    # One character repeated: the value equals itself shifted by one character.
    repeated = (values.str.slice(1) == values.str.slice(0, -1)).fillna(False).astype(bool).to_numpy(dtype=bool)
    counting = values.isin(_COUNTING).fillna(False).astype(bool).to_numpy(dtype=bool)
    return repeated | counting


def standardise_national_ids(raw: pd.Series) -> pd.DataFrame:
    """Columns national_id (upper case, no spaces, dots, dashes or slashes; NULL when invalid)
    and the `_issue_national_id_invalid` mask."""
    text = clean(raw).str.upper().str.replace(SEPARATORS, "", regex=True)
    text = text.where(text != "", pd.NA)
    present = text.notna().to_numpy(dtype=bool)
    shape_ok = text.str.fullmatch(rf"[0-9A-Z]{{{MIN_LENGTH},{MAX_LENGTH}}}").fillna(False).astype(bool)
    digits = text.str.count(r"[0-9]").fillna(0).to_numpy(dtype=int) >= MIN_DIGITS
    valid = shape_ok.to_numpy(dtype=bool) & digits & ~_placeholder(text)
    return pd.DataFrame(
        {"national_id": text.where(valid, pd.NA).astype(TEXT), "_issue_national_id_invalid": present & ~valid},
        index=raw.index,
    )
