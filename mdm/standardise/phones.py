"""Phone numbers: E.164 with phonenumbers, the source's default region, and Excel repairs.

Excel damage repaired before parsing (and reported as `phone_repaired`, not hidden):
- a number stored as a float: "612345678.0" -> "612345678";
- the lost leading zero of a national number: with a French default region, a 9-digit number
  starting 1-9 is the 10-digit national number without its "0".
Anything phonenumbers does not recognise as a valid number is flagged invalid, never guessed.

Speed: separators are stripped column-wise; ordinary national and "+cc"/"00cc" forms of the
default region are turned into (country code, national number) without `phonenumbers.parse`
(the slow part); the rest is parsed. Validity and type are looked up once per distinct number.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers import PhoneMetadata, PhoneNumber, PhoneNumberType
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

from mdm.standardise.text import TEXT, arrow, as_text, clean, map_distinct_tuple

_TYPE_NAMES: dict[int, str] = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal_number",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
}

#: Regions whose national numbers are "0" + the national significant number, so the fast path
#: can build the number without parsing. Others (Italy keeps its leading zero) are parsed.
_TRUNK_ZERO_REGIONS = frozenset({"FR", "BE", "CH", "DE", "GB", "NL", "LU", "AT", "PT", "IE", "MC"})

#: Lengths of a national number *without* its trunk zero, per region, for the lost-zero repair.
_NSN_LENGTH = {"FR": 9, "BE": 8, "CH": 9, "NL": 9}


@lru_cache(maxsize=1_000_000)
def _classify(country_code: int, national_number: int) -> tuple[str | None, str | None]:
    """(E.164, type) of a valid number, (None, None) otherwise."""
    number = PhoneNumber(country_code=country_code, national_number=national_number)
    kind = phonenumbers.number_type(number)
    if kind == PhoneNumberType.UNKNOWN:
        return (None, None)
    return (f"+{country_code}{national_number}", _TYPE_NAMES.get(kind, "other"))


@lru_cache(maxsize=200_000)
def _parse(text: str, region: str) -> tuple[str | None, str | None]:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return (None, None)
    if not phonenumbers.is_valid_number(number):
        return (None, None)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return (e164, _TYPE_NAMES.get(phonenumbers.number_type(number), "other"))


#: phonenumbers' own order of type tests (`_number_type_helper`), before fixed line / mobile.
_TYPE_ORDER: tuple[tuple[str, int], ...] = (
    ("premium_rate", PhoneNumberType.PREMIUM_RATE),
    ("toll_free", PhoneNumberType.TOLL_FREE),
    ("shared_cost", PhoneNumberType.SHARED_COST),
    ("voip", PhoneNumberType.VOIP),
    ("personal_number", PhoneNumberType.PERSONAL_NUMBER),
    ("pager", PhoneNumberType.PAGER),
    ("uan", PhoneNumberType.UAN),
    ("voicemail", PhoneNumberType.VOICEMAIL),
)


def _desc_mask(national: pa.ChunkedArray, lengths: np.ndarray, desc: object) -> np.ndarray:
    """Column-wise `phonenumbers._is_number_matching_desc`: possible length, then full pattern."""
    if desc is None:
        return np.zeros(len(national), dtype=bool)
    possible = tuple(getattr(desc, "possible_length", ()) or ())
    pattern = getattr(desc, "national_number_pattern", None)
    ok = np.isin(lengths, possible) if possible else np.ones(len(national), dtype=bool)
    if not pattern:
        return np.zeros(len(national), dtype=bool)
    matched = pc.match_substring_regex(national, f"^(?:{pattern})$").to_numpy(zero_copy_only=False)
    return ok & np.asarray(matched, dtype=bool)


def classify_national(national: pd.Series, region: str) -> tuple[np.ndarray, np.ndarray]:
    """(valid mask, type names) of national significant numbers of `region`, column-wise.

    The same decision as `phonenumbers.number_type`, with the region's metadata patterns run by
    Arrow's regex engine over the whole column instead of once per number in Python.
    """
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        return np.zeros(len(national), dtype=bool), np.full(len(national), None, dtype=object)
    arr = arrow(national.fillna(""))
    lengths = pc.utf8_length(arr).to_numpy(zero_copy_only=False)
    kinds = np.full(len(national), None, dtype=object)
    undecided = _desc_mask(arr, lengths, metadata.general_desc)
    for attr, kind in _TYPE_ORDER:
        hit = undecided & _desc_mask(arr, lengths, getattr(metadata, attr))
        kinds[hit] = _TYPE_NAMES[kind]
        undecided &= ~hit
    fixed = undecided & _desc_mask(arr, lengths, metadata.fixed_line)
    mobile = _desc_mask(arr, lengths, metadata.mobile)
    if metadata.same_mobile_and_fixed_line_pattern:
        kinds[fixed] = _TYPE_NAMES[PhoneNumberType.FIXED_LINE_OR_MOBILE]
    else:
        kinds[fixed & mobile] = _TYPE_NAMES[PhoneNumberType.FIXED_LINE_OR_MOBILE]
        kinds[fixed & ~mobile] = _TYPE_NAMES[PhoneNumberType.FIXED_LINE]
        kinds[undecided & ~fixed & mobile] = _TYPE_NAMES[PhoneNumberType.MOBILE]
    return np.array([k is not None for k in kinds], dtype=bool), kinds


def _fast_or_parse(token: str, region: str, country_code: int) -> tuple[str | None, str | None]:
    """`token` is "N:<national>" (fast path, default region) or "P:<text>" (parse)."""
    if token.startswith("N:"):
        return _classify(country_code, int(token[2:]))
    if token.startswith("I:"):
        code, _, national = token[2:].partition(":")
        return _classify(int(code), int(national))
    return _parse(token[2:], region)


def standardise_phones(raw: pd.Series, region: str) -> pd.DataFrame:
    """Columns phone (E.164), phone_raw, phone_status, phone_type, plus issue masks.

    Over 60 lines on purpose: one vectorised pass in which each repair reads the masks the one
    before it set; split up, those masks would travel through every signature."""
    region = region.upper()
    country_code = phonenumbers.country_code_for_region(region)
    phone_raw = clean(raw)
    text = phone_raw.str.replace(r"\.0+$", "", regex=True)  # Excel float
    excel_float = (text != phone_raw).fillna(False).to_numpy(dtype=bool)
    # Keep a leading +, drop separators and "(0)" in "+33 (0)6 ...".
    compact = text.str.replace(r"\(0\)", "", regex=True).str.replace(r"[\s.\-()/]", "", regex=True)
    compact = compact.str.replace(r"^\+", "00", regex=True)

    digits_only = compact.str.fullmatch(r"\d{6,17}").fillna(False).astype(bool).to_numpy()
    lost_zero = np.zeros(len(raw), dtype=bool)
    if region in _NSN_LENGTH:
        lost_zero = digits_only & compact.str.fullmatch(rf"[1-9]\d{{{_NSN_LENGTH[region] - 1}}}").fillna(
            False
        ).astype(bool).to_numpy()
        compact = compact.where(~lost_zero, "0" + compact)

    token = "P:" + text
    if region in _TRUNK_ZERO_REGIONS:
        national = compact.str.fullmatch(r"0[1-9]\d{4,13}").fillna(False).astype(bool).to_numpy()
        token = token.where(~(national & digits_only), "N:" + compact.str.slice(1))
        own_intl = compact.str.fullmatch(rf"00{country_code}0?[1-9]\d{{4,13}}").fillna(False).astype(bool).to_numpy()
        token = token.where(
            ~own_intl,
            "N:" + compact.str.slice(2 + len(str(country_code))).str.lstrip("0"),
        )
    else:
        own_intl = np.zeros(len(raw), dtype=bool)
    # Other international numbers written with 00: parse them as "+..." so the region is ignored.
    other_intl = compact.str.fullmatch(r"00[1-9]\d{5,15}").fillna(False).astype(bool).to_numpy() & ~own_intl
    token = token.where(~other_intl, "P:+" + compact.str.slice(2))
    token = as_text(token.where(phone_raw.notna()))

    e164 = pd.Series(None, index=raw.index, dtype=object)
    kind = pd.Series(None, index=raw.index, dtype=object)
    national_rows = token.str.startswith("N:").fillna(False).to_numpy(dtype=bool)
    if COUNTRY_CODE_TO_REGION_CODE.get(country_code) == (region,) and national_rows.any():
        # The default region owns its country code: classify its numbers column-wise.
        nsn = token[national_rows].str.slice(2)
        valid_nsn, kinds = classify_national(nsn, region)
        rows = np.flatnonzero(national_rows)
        e164.iloc[rows[valid_nsn]] = ("+" + str(country_code) + nsn[valid_nsn]).astype(object).to_numpy()
        kind.iloc[rows] = kinds
        rest = token.where(~national_rows)
    else:
        rest = token
    slow_e164, slow_kind = map_distinct_tuple(as_text(rest), lambda t: _fast_or_parse(t, region, country_code), 2)
    e164 = e164.where(e164.notna(), slow_e164)
    kind = kind.where(kind.notna(), slow_kind)
    present = phone_raw.notna().to_numpy()
    valid = e164.notna().to_numpy()
    status = np.where(~present, "missing", np.where(valid, "valid", "invalid"))
    return pd.DataFrame(
        {
            "phone": as_text(e164),
            "phone_raw": phone_raw,
            "phone_status": pd.Series(status, index=raw.index, dtype=TEXT),
            "phone_type": as_text(kind),
            "_issue_phone_invalid": present & ~valid,
            "_issue_phone_repaired": (excel_float | lost_zero) & valid,
        },
        index=raw.index,
    )
