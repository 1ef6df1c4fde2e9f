"""The model's per-field contributions in plain words, for stewards who are not statisticians.

`match.pairs.contributions` is `{comparison: {"level": label, "weight": float}}` where the weight
is a log2 Bayes factor: positive pushes toward "same customer", negative away from it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

#: Comparison names as people say them.
FIELD_WORDS: dict[str, str] = {
    "first_name": "first name",
    "last_name": "last name",
    "name": "name",
    "full_name": "name",
    "email": "email",
    "phone": "phone",
    "postcode": "postcode",
    "street": "street",
    "address": "address",
    "city": "city",
    "birth_date": "date of birth",
    "date_of_birth": "date of birth",
    "dob": "date of birth",
    "company": "company",
    "siret": "SIRET",
    "vat_number": "VAT number",
    "national_id": "national ID",
}


@dataclass(frozen=True)
class Explanation:
    comparison: str
    level: str
    weight: float
    strength: str        # strong | moderate | weak | none
    direction: str       # for | against | neutral
    sentence: str

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


def _what(field: str, level: str) -> str:
    text = level.lower()
    if "implied" in text:
        return f"{field} not counted ({level})"
    if "null" in text or "missing" in text:
        return f"{field} missing on one side"
    if "exact" in text or text in ("same", "equal", "identical"):
        return f"same {field}"
    if "else" in text or "different" in text or "all other" in text or "mismatch" in text:
        return f"different {field}"
    if any(w in text for w in ("jaro", "levenshtein", "similar", "fuzzy", "damerau", "close", "within")):
        return f"similar {field} ({level})"
    return f"{field}: {level}"


def explain_one(comparison: str, level: str, weight: float) -> Explanation:
    field = field_words(comparison)
    power = strength(weight)
    direction = "neutral" if power == "none" else ("for" if weight > 0 else "against")
    what = _what(field, level)
    if power == "none":
        sentence = f"{what}: no real evidence either way"
    else:
        sentence = f"{what}: {power} evidence {direction}"
    return Explanation(comparison, level, round(weight, 2), power, direction, sentence)


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
