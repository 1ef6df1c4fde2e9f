"""The model's per-field contributions in plain words, for stewards who are not statisticians.

`match.pairs.contributions` is `{comparison: {"level": label, "weight": float}}` where the weight
is a log2 Bayes factor: positive pushes toward "same customer", negative away from it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from mdm.locale_format import N_

#: Comparison names as people say them inside a sentence ("same first name"); English, marked
#: with N_ so the pages translate them through the catalogue. Field names as column and row
#: labels are the report's (`mdm/reports/labels.yaml`, `fields:`), shared by the app.
FIELD_WORDS: dict[str, str] = {
    "first_name": N_("first name"),
    "last_name": N_("last name"),
    "name": N_("name"),
    "full_name": N_("name"),
    "email": N_("email"),
    "phone": N_("phone"),
    "postcode": N_("postcode"),
    "street": N_("street"),
    "address": N_("address"),
    "city": N_("city"),
    "birth_date": N_("date of birth"),
    "date_of_birth": N_("date of birth"),
    "dob": N_("date of birth"),
    "company": N_("company"),
    "siret": N_("SIRET"),
    "vat_number": N_("VAT number"),
    "national_id": N_("national ID"),
}


@dataclass(frozen=True)
class Explanation:
    comparison: str
    level: str
    weight: float
    strength: str        # strong | moderate | weak | none
    direction: str       # for | against | neutral
    relation: str        # same | similar | different | missing | not_counted | other
    field_words: str     # the comparison as people say it (English; translated on the page)
    sentence: str        # the English sentence (the JSON twin); pages build it in their language

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def field_words(comparison: str) -> str:
    key = comparison.lower().removesuffix("_comparison").removeprefix("mw_")
    return FIELD_WORDS.get(key, key.replace("_", " "))


def strength(weight: float) -> str:
    magnitude = abs(weight)
    if magnitude >= 4:
        return "strong"
    if magnitude >= 1.5:
        return "moderate"
    if magnitude >= 0.3:
        return "weak"
    return "none"


def relation(level: str) -> str:
    """What the comparison level says about the two values, as a code the pages put in words."""
    text = level.lower()
    if "implied" in text:
        return "not_counted"
    if "null" in text or "missing" in text:
        return "missing"
    if "exact" in text or text in ("same", "equal", "identical"):
        return "same"
    if "else" in text or "different" in text or "all other" in text or "mismatch" in text:
        return "different"
    if any(w in text for w in ("jaro", "levenshtein", "similar", "fuzzy", "damerau", "close", "within")):
        return "similar"
    return "other"


#: The English sentence parts (the catalogue holds the same msgids for the pages).
WHAT: dict[str, str] = {
    "not_counted": N_("%(field)s not counted (%(level)s)"),
    "missing": N_("%(field)s missing on one side"),
    "same": N_("same %(field)s"),
    "different": N_("different %(field)s"),
    "similar": N_("similar %(field)s (%(level)s)"),
    "other": N_("%(field)s: %(level)s"),
}
EVIDENCE: dict[tuple[str, str], str] = {
    ("strong", "for"): N_("%(what)s: strong evidence for"),
    ("strong", "against"): N_("%(what)s: strong evidence against"),
    ("moderate", "for"): N_("%(what)s: moderate evidence for"),
    ("moderate", "against"): N_("%(what)s: moderate evidence against"),
    ("weak", "for"): N_("%(what)s: weak evidence for"),
    ("weak", "against"): N_("%(what)s: weak evidence against"),
    ("none", "neutral"): N_("%(what)s: no real evidence either way"),
}


def explain_one(comparison: str, level: str, weight: float) -> Explanation:
    field = field_words(comparison)
    power = strength(weight)
    direction = "neutral" if power == "none" else ("for" if weight > 0 else "against")
    kind = relation(level)
    what = WHAT[kind] % {"field": field, "level": level}
    sentence = EVIDENCE[(power, direction)] % {"what": what}
    return Explanation(comparison, level, round(weight, 2), power, direction, kind, field, sentence)


def explain(contributions: str | dict[str, Any] | None) -> list[Explanation]:
    """Plain-words explanations, strongest evidence first. Accepts the JSON text or the parsed dict."""
    if contributions is None:
        return []
    data = json.loads(contributions) if isinstance(contributions, str) else contributions
    out = []
    for comparison, detail in data.items():
        if isinstance(detail, dict):
            level = str(detail.get("level", ""))
            weight = float(detail.get("weight") or 0.0)
        else:  # a bare weight
            level, weight = "", float(detail or 0.0)
        out.append(explain_one(str(comparison), level, weight))
    return sorted(out, key=lambda e: -abs(e.weight))
