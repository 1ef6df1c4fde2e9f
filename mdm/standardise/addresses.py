"""Postal addresses: ISO countries, postcodes per country, and folded keys for matching.

- Countries written in French or English, or as ISO alpha-2/alpha-3 codes -> ISO 3166 alpha-2.
  A missing country takes the source's `default_country` when the record has an address.
- Postcodes checked with each country's pattern (FR, GB, DE, ES, IT, BE, CH, LU, NL, PT, AT, US...);
  a leading zero lost by a spreadsheet ("1000" for 01000, "75001.0") is restored and reported as
  `postcode_repaired`; a postcode that still does not fit is kept as written and flagged
  `postcode_invalid` (the steward sees what the source said).
- `street_key`: folded, punctuation removed, usual abbreviations expanded (av. -> avenue,
  bd/bld -> boulevard, r. -> rue, imp. -> impasse, ch. -> chemin...), for matching only; the
  display `street` keeps the source's words.
- `city_key`: folded, "CEDEX 12" and Paris/Lyon/Marseille arrondissements removed, St -> saint.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from mdm.standardise.text import TEXT, as_text, by_distinct, clean, key, map_distinct

#: Folded country name or code -> ISO 3166 alpha-2.
COUNTRY_NAMES: dict[str, str] = {
    "france": "FR", "fr": "FR", "fra": "FR", "france metropolitaine": "FR", "republique francaise": "FR",
    "belgique": "BE", "belgium": "BE", "be": "BE", "bel": "BE", "belgie": "BE",
    "suisse": "CH", "switzerland": "CH", "schweiz": "CH", "ch": "CH", "che": "CH", "svizzera": "CH",
    "luxembourg": "LU", "lu": "LU", "lux": "LU",
    "allemagne": "DE", "germany": "DE", "deutschland": "DE", "de": "DE", "deu": "DE", "ger": "DE",
    "espagne": "ES", "spain": "ES", "espana": "ES", "es": "ES", "esp": "ES",
    "italie": "IT", "italy": "IT", "italia": "IT", "it": "IT", "ita": "IT",
    "royaume uni": "GB", "royaume-uni": "GB", "united kingdom": "GB", "uk": "GB", "gb": "GB", "gbr": "GB",
    "grande bretagne": "GB", "great britain": "GB", "angleterre": "GB", "england": "GB", "ecosse": "GB",
    "scotland": "GB", "pays de galles": "GB", "wales": "GB",
    "irlande": "IE", "ireland": "IE", "ie": "IE", "irl": "IE",
    "pays bas": "NL", "netherlands": "NL", "the netherlands": "NL", "hollande": "NL", "nederland": "NL",
    "nl": "NL", "nld": "NL",
    "portugal": "PT", "pt": "PT", "prt": "PT",
    "autriche": "AT", "austria": "AT", "osterreich": "AT", "at": "AT", "aut": "AT",
    "monaco": "MC", "mc": "MC", "mco": "MC",
    "andorre": "AD", "andorra": "AD", "ad": "AD",
    "etats unis": "US", "etats-unis": "US", "united states": "US", "usa": "US", "us": "US",
    "united states of america": "US",
    "canada": "CA", "ca": "CA", "can": "CA",
    "maroc": "MA", "morocco": "MA", "ma": "MA",
    "algerie": "DZ", "algeria": "DZ", "dz": "DZ",
    "tunisie": "TN", "tunisia": "TN", "tn": "TN",
    "pologne": "PL", "poland": "PL", "pl": "PL",
    "danemark": "DK", "denmark": "DK", "dk": "DK",
    "suede": "SE", "sweden": "SE", "se": "SE",
    "norvege": "NO", "norway": "NO", "no": "NO",
    "finlande": "FI", "finland": "FI", "fi": "FI",
    "grece": "GR", "greece": "GR", "gr": "GR",
    "roumanie": "RO", "romania": "RO", "ro": "RO",
    "japon": "JP", "japan": "JP", "jp": "JP",
    "chine": "CN", "china": "CN", "cn": "CN",
    "bresil": "BR", "brazil": "BR", "br": "BR",
    "senegal": "SN", "sn": "SN", "cote d ivoire": "CI", "ivory coast": "CI", "ci": "CI",
    "guadeloupe": "FR", "martinique": "FR", "reunion": "FR", "la reunion": "FR", "guyane": "FR",
    "mayotte": "FR",
}

#: Country -> (regex of a valid, normalised postcode; digits a spreadsheet may have stripped).
#: The second element is the number of digits of an all-digit postcode (for the lost-zero repair).
POSTCODE_RULES: dict[str, tuple[str, int | None]] = {
    "FR": (r"(?:0[1-9]|[1-8]\d|9[0-8])\d{3}", 5),
    "MC": (r"980\d{2}", 5),
    "DE": (r"\d{5}", 5),
    "ES": (r"(?:0[1-9]|[1-4]\d|5[0-2])\d{3}", 5),
    "IT": (r"\d{5}", 5),
    "US": (r"\d{5}(?:-\d{4})?", 5),
    "BE": (r"[1-9]\d{3}", 4),
    "CH": (r"[1-9]\d{3}", 4),
    "LU": (r"\d{4}", 4),
    "AT": (r"[1-9]\d{3}", 4),
    "DK": (r"\d{4}", 4),
    "NL": (r"[1-9]\d{3} [A-Z]{2}", None),
    "PT": (r"\d{4}-\d{3}", None),
    "GB": (r"[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}", None),
    "IE": (r"[A-Z]\d[\dW] ?[A-Z\d]{4}", None),
    "CA": (r"[A-Z]\d[A-Z] \d[A-Z]\d", None),
    "PL": (r"\d{2}-\d{3}", None),
}

#: Abbreviation (folded, without its dot) -> the word, for street keys.
STREET_ABBREVIATIONS: dict[str, str] = {
    "av": "avenue", "ave": "avenue", "avn": "avenue",
    "bd": "boulevard", "bld": "boulevard", "bvd": "boulevard", "boul": "boulevard", "blvd": "boulevard",
    "r": "rue",
    "imp": "impasse",
    "ch": "chemin", "chem": "chemin", "che": "chemin",
    "pl": "place",
    "all": "allee",
    "rte": "route", "rt": "route",
    "fg": "faubourg", "fbg": "faubourg",
    "sq": "square",
    "crs": "cours",
    "qu": "quai", "qai": "quai",
    "pass": "passage",
    "res": "residence", "resid": "residence",
    "lot": "lotissement", "lotiss": "lotissement",
    "hameau": "hameau", "ham": "hameau",
    "st": "saint", "ste": "sainte",
    "pte": "porte",
    "prom": "promenade",
    "sent": "sentier",
    "za": "zone artisanale", "zi": "zone industrielle", "zac": "zone d amenagement concerte",
    "bp": "boite postale",
    "apt": "appartement", "appt": "appartement",
    "bat": "batiment", "bt": "batiment",
    "esc": "escalier",
    "dr": "docteur", "gal": "general", "gen": "general", "mal": "marechal", "pdt": "president",
}

_ABBREV_RE = re.compile(r"\b(" + "|".join(sorted(STREET_ABBREVIATIONS, key=len, reverse=True)) + r")\b")
_CEDEX_RE = r"\bcedex\b(?: ?\d+)?"
_ARRONDISSEMENT_RE = r"\b(\d{1,2}) ?(?:e|er|eme|ieme|em|ème)?(?: arr(?:ondissement)?)?\b"


def _expand_street(folded: str) -> str:
    return _ABBREV_RE.sub(lambda m: STREET_ABBREVIATIONS[m.group(1)], folded)


def normalise_countries(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(ISO alpha-2 or NA, mask of values given but not recognised)."""
    folded = key(raw)
    iso = folded.map(COUNTRY_NAMES, na_action="ignore")
    iso = as_text(iso)
    unknown = (folded.notna() & iso.isna()).to_numpy(dtype=bool)
    return iso, pd.Series(unknown, index=raw.index)


def normalise_postcodes(raw: pd.Series, country: pd.Series) -> pd.DataFrame:
    """Columns postcode, and masks postcode_invalid / postcode_repaired, per the record's country."""
    text = clean(raw).str.upper()
    text = text.str.replace(r"\.0+$", "", regex=True)
    text = text.str.replace(r"^(?:F|FR|L|B|CH|D|A|NL|P|I|E)-", "", regex=True)  # "F-75001", "L-1234"
    out = text.copy()
    invalid = np.zeros(len(text), dtype=bool)
    repaired = np.zeros(len(text), dtype=bool)
    present = text.notna().to_numpy()
    for code in country.dropna().unique():
        rule = POSTCODE_RULES.get(str(code))
        if rule is None:
            continue
        pattern, width = rule
        rows = (country == code).fillna(False).to_numpy(dtype=bool) & present
        sub = text[rows]
        if str(code) in ("GB", "NL", "CA"):
            compact = sub.str.replace(" ", "", regex=False)
            split_at = {"GB": -3, "NL": 4, "CA": 3}[str(code)]
            if split_at < 0:
                sub = compact.str.slice(0, split_at) + " " + compact.str.slice(split_at)
            else:
                sub = compact.str.slice(0, split_at) + " " + compact.str.slice(split_at)
        else:
            sub = sub.str.replace(" ", "", regex=False)
        if width is not None:
            short = sub.str.fullmatch(rf"\d{{{max(width - 2, 1)},{width - 1}}}").fillna(False).astype(bool)
            padded = sub.str.pad(width, side="left", fillchar="0")
            ok_padded = padded.str.fullmatch(pattern).fillna(False).astype(bool)
            fix = short & ok_padded
            sub = sub.where(~fix, padded)
            repaired[np.flatnonzero(rows)[fix.to_numpy(dtype=bool)]] = True
        ok = sub.str.fullmatch(pattern).fillna(False).astype(bool).to_numpy(dtype=bool)
        invalid[np.flatnonzero(rows)[~ok]] = True
        out[rows] = sub
    return pd.DataFrame(
        {"postcode": as_text(out), "_issue_postcode_invalid": invalid, "_issue_postcode_repaired": repaired},
        index=raw.index,
    )


def _case_city(value: str) -> str:
    """"SAINT-ETIENNE" -> "Saint-Etienne"; mixed case kept as typed."""
    if value != value.upper() and value != value.lower():
        return value
    small = {"de", "du", "des", "la", "le", "les", "sur", "en", "sous", "lès", "lez", "l", "d", "et", "aux"}
    words = re.split(r"([\s\-'’])", value.lower())
    out = []
    for i, word in enumerate(words):
        out.append(word if (i > 0 and word in small) else word[:1].upper() + word[1:])
    return "".join(out)


def standardise_addresses(
    street: pd.Series | None,
    postcode: pd.Series | None,
    city: pd.Series | None,
    country: pd.Series | None,
    default_country: str,
    index: pd.Index,
) -> pd.DataFrame:
    """Columns street, street_key, postcode, city, city_key, country, and issue masks."""
    empty = pd.Series(pd.NA, index=index, dtype=TEXT)
    streets = by_distinct(street, _streets) if street is not None else pd.DataFrame(
        {"street": empty, "street_key": empty}, index=index)
    cities = by_distinct(city, _cities) if city is not None else pd.DataFrame(
        {"city": empty, "city_key": empty}, index=index)
    postcode_raw = clean(postcode) if postcode is not None else empty
    if country is not None:
        countries = by_distinct(country, _countries)
        iso, country_unknown = countries["country"], countries["unknown"].to_numpy(dtype=bool)
    else:
        iso, country_unknown = empty.copy(), np.zeros(len(index), dtype=bool)
    has_address = (streets["street"].notna() | postcode_raw.notna() | cities["city"].notna()).to_numpy(dtype=bool)
    # The default country fills in only where the source gave none: an unknown name is not France.
    use_default = has_address & iso.isna().to_numpy(dtype=bool) & ~country_unknown
    iso = as_text(iso.where(~pd.Series(use_default, index=index), default_country.upper()))

    # Postcodes depend on the country: standardise each distinct (country, postcode) pair once.
    pair = as_text(iso.fillna("") + "\x1f" + postcode_raw.fillna("\x00"))
    postcodes = by_distinct(pair, _postcode_pairs)
    return pd.DataFrame(
        {
            "street": streets["street"],
            "street_key": streets["street_key"],
            "postcode": postcodes["postcode"],
            "city": cities["city"],
            "city_key": cities["city_key"],
            "country": iso,
            "_issue_postcode_invalid": postcodes["_issue_postcode_invalid"].to_numpy(dtype=bool),
            "_issue_postcode_repaired": postcodes["_issue_postcode_repaired"].to_numpy(dtype=bool),
            "_issue_country_unknown": country_unknown,
        },
        index=index,
    )


def _streets(values: pd.Series) -> pd.DataFrame:
    cleaned = clean(values)
    street_key = as_text(map_distinct(key(cleaned), _expand_street))
    return pd.DataFrame({"street": cleaned, "street_key": street_key}, index=values.index)


def _cities(values: pd.Series) -> pd.DataFrame:
    cleaned = clean(values)
    folded = key(cleaned)
    folded = folded.str.replace(_CEDEX_RE, "", regex=True)
    folded = folded.str.replace(_ARRONDISSEMENT_RE, "", regex=True)
    folded = folded.str.replace(r"\bste\b", "sainte", regex=True).str.replace(r"\bst\b", "saint", regex=True)
    return pd.DataFrame({"city": as_text(map_distinct(cleaned, _case_city)), "city_key": key(folded)},
                        index=values.index)


def _countries(values: pd.Series) -> pd.DataFrame:
    iso, unknown = normalise_countries(clean(values))
    return pd.DataFrame({"country": iso, "unknown": unknown.to_numpy(dtype=bool)}, index=values.index)


def _postcode_pairs(values: pd.Series) -> pd.DataFrame:
    country = as_text(values.str.replace(r"\x1f.*$", "", regex=True)).replace("", pd.NA)
    postcode = as_text(values.str.replace(r"^[^\x1f]*\x1f", "", regex=True)).replace("\x00", pd.NA)
    return normalise_postcodes(postcode, as_text(country)).set_axis(values.index)
