"""Companies: identifiers checked with python-stdnum, names split into display, legal form and key.

- **SIREN / SIRET** (France): `stdnum.fr.siren` and `stdnum.fr.siret`, which know the Luhn key
  and La Poste's own rule (SIREN 356000000, whose establishments' SIRET only has a digit sum
  divisible by 5). A SIRET box holding 9 digits holds a SIREN: kept as given, checked as one.
  The SIREN is also read from a valid SIRET (its first 9 digits) and from a French VAT number
  (its last 9), so one legal unit has one key whatever identifier a source gives.
- **VAT**: the country prefix picks stdnum's module for that country (every EU member, Northern
  Ireland's XI, and others stdnum knows such as GB, CH or NO), which checks format and check
  digits. Greece's prefix is EL. No online look-up (VIES): the machine has no internet.
- **Names**: `company` keeps the name for display; `legal_form` the recognised form (SAS, GmbH,
  Ltd...) from the data table `data/legal_forms.csv`; `company_key` is what matching compares:
  accents off, "&" / "et" / "and" and other small words dropped, common abbreviations spelt out
  (`data/company_words.csv`), the legal form removed.
- **Web domain**: from a website, or from a business e-mail address; a webmail or
  internet-provider domain (`data/webmail_domains.txt`) says nothing about an employer and is
  never an organisation's domain.

Everything works on whole columns (pyarrow regular expressions over the distinct values); stdnum
is called once per distinct identifier.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from stdnum import get_cc_module
from stdnum.fr import siren as fr_siren
from stdnum.fr import siret as fr_siret

from mdm.standardise.text import (
    TEXT,
    arrow,
    as_text,
    blank_to_null,
    by_distinct,
    clean,
    fold,
    map_distinct,
    wrap,
)

#: Legal-form variants this short are a form only as a name's last word ("AS", "SE").
SHORT_VARIANT = 2


def _data_lines(name: str) -> list[str]:
    text = (resources.files("mdm.standardise") / "data" / name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


@cache
def legal_forms() -> dict[str, str]:
    """Folded variant -> display code, from `data/legal_forms.csv`."""
    forms: dict[str, str] = {}
    for row in csv.DictReader(_data_lines("legal_forms.csv")):
        for variant in row["variants"].split("|"):
            if variant.strip():
                forms.setdefault(variant.strip(), row["code"])
    return forms


@cache
def company_words() -> dict[str, str]:
    """Folded word -> replacement ('' = dropped), from `data/company_words.csv`."""
    return {row["word"]: row["replacement"] for row in csv.DictReader(_data_lines("company_words.csv"))}


@cache
def webmail_domains() -> frozenset[str]:
    return frozenset(line.strip().lower() for line in _data_lines("webmail_domains.txt"))


def _alternation(variants: list[str]) -> str:
    """Longest first: RE2 alternation takes the first that matches, and "s a s" must beat "s a"."""
    return "|".join(sorted((v.replace(" ", r"\ ") for v in variants), key=len, reverse=True))


@cache
def _form_patterns() -> tuple[str, str]:
    """(any variant, long variants only): short ones count only at a name's edges."""
    forms = legal_forms()
    return _alternation(list(forms)), _alternation([v for v in forms if len(v.replace(" ", "")) > SHORT_VARIANT])


def fold_company(series: pd.Series) -> pd.Series:
    """Folded name: lower case, accents off, "&" as "and", punctuation as single spaces; empty -> NA."""
    arr = arrow(fold(series))
    arr = pc.replace_substring(arr, "&", " and ")
    arr = pc.replace_substring_regex(arr, r"[^\p{L}\p{N}]+", " ")
    arr = pc.utf8_trim_whitespace(arr)
    return wrap(blank_to_null(arr), series.index)


def _extract(arr: pa.ChunkedArray, pattern: str) -> pa.ChunkedArray:
    return pc.struct_field(pc.extract_regex(arr, pattern), [0])


def split_legal_form(folded: pd.Series) -> pd.DataFrame:
    """Columns `legal_form` (display code or NA) and `rest` (the folded name without it)."""
    every, long = _form_patterns()
    arr = arrow(folded)
    # the last word(s) (the longest form that ends the name: "GmbH & Co. KG", not "KG"), then a
    # long form anywhere ("Véranda SARL", "SARL Véranda", "Dupont Société Anonyme Paris"); a
    # short one at the start is too often a word ("As You Like It")
    found = _extract(arr, rf"(?:^|.*? )(?P<form>{every})$")
    found = pc.coalesce(found, _extract(arr, rf"(?:^|.* )(?P<form>{long})(?: |$)"))
    codes = wrap(found, folded.index).map(legal_forms(), na_action="ignore")
    rest = arr
    for pattern in (rf"(?:^| )(?:{every})$", rf"(?:^| )(?:{long})(?: |$)"):
        rest = pc.replace_substring_regex(rest, pattern, " ")
    rest = pc.utf8_trim_whitespace(pc.replace_substring_regex(rest, " +", " "))
    return pd.DataFrame({"legal_form": as_text(codes), "rest": wrap(blank_to_null(rest), folded.index)},
                        index=folded.index)


def normalise_words(folded: pd.Series) -> pd.Series:
    """Small words dropped and abbreviations spelt out, word by word (`data/company_words.csv`)."""
    words = company_words()
    # every word between two spaces of its own, so adjacent words ("de la") match one after the other
    arr = pc.replace_substring_regex(pc.replace_substring(arrow(folded), " ", "  "), r"^(.*)$", r" \1 ")
    dropped = [w for w, r in words.items() if not r]
    if dropped:
        arr = pc.replace_substring_regex(arr, rf" (?:{_alternation(dropped)}) ", " ")
    for word, replacement in words.items():
        if replacement:
            arr = pc.replace_substring_regex(arr, rf" {word.replace(' ', '  ')} ", f" {replacement} ")
    arr = pc.utf8_trim_whitespace(pc.replace_substring_regex(arr, " +", " "))
    return wrap(blank_to_null(arr), folded.index)


def _company_columns(raw: pd.Series) -> pd.DataFrame:
    display = clean(raw)
    folded = fold_company(display)
    split = split_legal_form(folded)
    key = normalise_words(split["rest"])
    # a name that is nothing but small words or a legal form keeps its folded self as its key
    key = key.fillna(split["rest"]).fillna(folded)
    return pd.DataFrame({"company": display, "legal_form": split["legal_form"], "company_key": key.astype(TEXT)},
                        index=raw.index)


def standardise_company_names(raw: pd.Series) -> pd.DataFrame:
    """Columns company (display), legal_form, company_key (for matching); computed per distinct name."""
    return by_distinct(raw, _company_columns)


def _digits(raw: pd.Series) -> pd.Series:
    """Separators and Excel's '.0' removed."""
    return clean(raw).str.replace(r"\.0+$", "", regex=True).str.replace(r"[\s.\-/]", "", regex=True)


def _true(checked: pd.Series) -> np.ndarray:
    """A checker's per-value answers (True / False / None for a missing value) as a mask."""
    return checked.eq(True).to_numpy(dtype=bool)


def _valid_company_id(value: str) -> bool:
    module = fr_siren if len(value) == 9 else fr_siret
    return bool(module.is_valid(value))


def standardise_siret(raw: pd.Series) -> pd.DataFrame:
    """Columns siret (as given, no separators; 9 digits = a SIREN), siren, and the `siret_invalid` mask."""
    text = as_text(_digits(raw))
    shape_ok = text.str.fullmatch(r"\d{9}|\d{14}").fillna(False).astype(bool)
    valid = shape_ok.to_numpy(dtype=bool) & _true(map_distinct(text.where(shape_ok), _valid_company_id))
    siren = text.str.slice(0, 9).where(valid)
    present = text.notna().to_numpy(dtype=bool)
    return pd.DataFrame(
        {"siret": text.astype(TEXT), "siren": as_text(siren), "_issue_siret_invalid": present & ~valid},
        index=raw.index,
    )


def standardise_siren(raw: pd.Series) -> pd.DataFrame:
    """Columns siren (9 digits) and the `siren_invalid` mask."""
    text = as_text(_digits(raw))
    shape_ok = text.str.fullmatch(r"\d{9}").fillna(False).astype(bool)
    valid = shape_ok.to_numpy(dtype=bool) & _true(map_distinct(text.where(shape_ok), fr_siren.is_valid))
    present = text.notna().to_numpy(dtype=bool)
    return pd.DataFrame({"siren": as_text(text.where(valid)), "_issue_siren_invalid": present & ~valid},
                        index=raw.index)


#: VAT prefixes that are not ISO country codes: Greece writes EL, Northern Ireland XI.
_VAT_PREFIX_COUNTRY = {"el": "gr", "xi": "gb"}


def vat_is_valid(number: str) -> bool:
    """Check digits and format of a VAT number by its country prefix (stdnum); unknown prefix: invalid."""
    prefix = number[:2].lower()
    if not prefix.isalpha():
        return False
    try:
        module = get_cc_module(_VAT_PREFIX_COUNTRY.get(prefix, prefix), "vat")
    except (ImportError, ValueError):
        return False
    if module is None:
        return False
    try:
        return bool(module.is_valid(number))
    except Exception:  # noqa: BLE001 - a checker that raises on odd input says "not valid"
        return False


def standardise_vat(raw: pd.Series) -> pd.DataFrame:
    """Columns vat_number (upper case, no separators), siren (from a French number) and `vat_invalid`."""
    text = as_text(clean(raw).str.upper().str.replace(r"[\s.\-/]", "", regex=True))
    valid = _true(map_distinct(text, vat_is_valid))
    french = valid & (text.str.slice(0, 2) == "FR").fillna(False).to_numpy(dtype=bool)
    siren = text.str.slice(4, 13).where(french)
    present = text.notna().to_numpy(dtype=bool)
    return pd.DataFrame(
        {"vat_number": text.astype(TEXT), "siren": as_text(siren), "_issue_vat_invalid": present & ~valid},
        index=raw.index,
    )


def web_domain(website: pd.Series, email: pd.Series) -> pd.Series:
    """The organisation's web domain: the website's host (no scheme, no www.), else a business
    e-mail's domain; a webmail or internet-provider domain is never one."""
    host = clean(website).str.lower().str.replace(r"^[a-z]+://", "", regex=True)
    host = host.str.replace(r"[/?#:].*$", "", regex=True).str.replace(r"^www\d?\.", "", regex=True)
    host = host.where(host.str.fullmatch(r"[a-z0-9\-]+(\.[a-z0-9\-]+)+").fillna(False).astype(bool))
    mail = as_text(email).str.lower().str.extract(r"@([a-z0-9.\-]+)$", expand=False)
    domain = as_text(host).fillna(as_text(mail))
    webmail = domain.isin(list(webmail_domains())).to_numpy(dtype=bool)
    return as_text(domain.where(~webmail))


def company_identifiers(siret_raw: pd.Series, siren_raw: pd.Series, vat_raw: pd.Series) -> pd.DataFrame:
    """siret, siren (given, else from the SIRET, else from a French VAT number), vat_number, issue masks."""
    siret = standardise_siret(siret_raw)
    siren = standardise_siren(siren_raw)
    vat = standardise_vat(vat_raw)
    best = siren["siren"].fillna(siret["siren"]).fillna(vat["siren"])
    return pd.DataFrame({
        "siret": siret["siret"], "siren": as_text(best), "vat_number": vat["vat_number"],
        "_issue_siret_invalid": siret["_issue_siret_invalid"], "_issue_siren_invalid": siren["_issue_siren_invalid"],
        "_issue_vat_invalid": vat["_issue_vat_invalid"],
    }, index=siret_raw.index)

