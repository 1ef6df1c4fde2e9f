"""Two French postcodes compared as places: the same town or district, the same département, or not.

Why: as strings, 75001 and 75008 are "one typo" apart, but they are two districts of Paris, and a
person who moved between them is still the same customer; 75001 and 57001 are also "one typo"
apart and 300 km away. A steward reads places, so the pair page says which it is.

- The département is the first two digits, except overseas (971-976: three digits) and Corsica
  (200xx-201xx: 2A, 202xx-206xx: 2B).
- Paris, Lyon and Marseille have one postcode per district (75001-75020 and 75116, 69001-69009,
  13001-13016): two of them are one town.
- Elsewhere two postcodes are the same town when both records name the same town (case, accents,
  hyphens and "saint"/"st" folded), since a big town has several postcodes and a postcode may
  cover several villages.

Only the shape of a French postcode is used (five digits). Anything else is `unknown`: the page
then says nothing about places rather than something wrong.

The matcher compares French postcodes the same way (`matching/comparisons.py`, `postcode`): its
prepare step keeps each record's `place_keys` (département and town), computed by this module once
per distinct French (postcode, town), so the pair page and the model read the same facts.
"""

from __future__ import annotations

import re
import unicodedata

#: The country whose postcodes these rules describe (ISO code, as the standardiser writes it; the
#: overseas départements are France there too).
COUNTRY = "FR"
_FIVE_DIGITS = re.compile(r"^\d{5}$")
#: The towns whose districts have their own postcodes: prefix -> (first, last) district postcode.
DISTRICT_TOWNS: dict[str, tuple[str, tuple[tuple[int, int], ...]]] = {
    "paris": ("75", ((75001, 75020), (75116, 75116))),
    "lyon": ("69", ((69001, 69009),)),
    "marseille": ("13", ((13001, 13016),)),
}

SAME_POSTCODE = "same_postcode"
SAME_TOWN = "same_town"
SAME_DEPARTEMENT = "same_departement"
OTHER_DEPARTEMENT = "other_departement"
UNKNOWN = "unknown"


def departement(postcode: str | None) -> str | None:
    """The département of a French postcode ("75008" -> "75", "97411" -> "974", "20090" -> "2A")."""
    code = (postcode or "").strip()
    if not _FIVE_DIGITS.match(code):
        return None
    if code.startswith("97") or code.startswith("98"):
        return code[:3]
    if code.startswith("20"):
        return "2A" if code[2] in "01" else "2B"
    return code[:2]


def district_town(postcode: str | None) -> str | None:
    """"paris", "lyon" or "marseille" for one of their district postcodes, else None."""
    code = (postcode or "").strip()
    if not _FIVE_DIGITS.match(code):
        return None
    number = int(code)
    for town, (_, ranges) in DISTRICT_TOWNS.items():
        if any(low <= number <= high for low, high in ranges):
            return town
    return None


def fold_town(name: str | None) -> str:
    """A town's name folded for comparison: "Saint-Étienne" and "ST ETIENNE" give "saint etienne"."""
    text = unicodedata.normalize("NFKD", (name or "").casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"\bcedex\b.*$", "", text)
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    words = ["saint" if w == "st" else "sainte" if w == "ste" else w for w in words]
    return " ".join(words)


def place_keys(postcode: str | None, town: str | None) -> tuple[str | None, str | None]:
    """(département, town) of a French postcode: two postcodes are one town when their départements
    and towns are equal. The town is the district town for Paris, Lyon and Marseille ("paris" for
    75008, whatever the record's town says), else the record's town folded, or None without one.
    (None, None) when the postcode is not a French one."""
    dep = departement(postcode)
    if dep is None:
        return None, None
    return dep, district_town(postcode) or fold_town(town) or None


def compare(postcode_a: str | None, postcode_b: str | None, town_a: str | None = None,
            town_b: str | None = None) -> str:
    """How two addresses' postcodes relate as places (one of the constants above)."""
    (dep_a, place_a), (dep_b, place_b) = place_keys(postcode_a, town_a), place_keys(postcode_b, town_b)
    if dep_a is None or dep_b is None:
        return UNKNOWN
    if (postcode_a or "").strip() == (postcode_b or "").strip():
        return SAME_POSTCODE
    if dep_a != dep_b:
        return OTHER_DEPARTEMENT
    if place_a is not None and place_a == place_b:
        return SAME_TOWN
    return SAME_DEPARTEMENT


def town_name(postcode: str | None, town: str | None) -> str:
    """The town to name in a sentence: the district town ("Paris") or the record's own."""
    district = district_town(postcode)
    return district.capitalize() if district else (town or "").strip()
