"""The model's per-field contributions in plain words, for stewards who are not statisticians.

`match.pairs.contributions` is `{comparison: {"level": label, "weight": float}}` where the weight
is a log2 Bayes factor: positive pushes toward "same customer", negative away from it. The pair's
`match_weight` is the prior's weight plus these; `waterfall` shows that sum so that the numbers
on the page add up exactly (each shown in tenths, the rounding carried by the running total).

Level labels are the matcher's (`matching/comparisons.py`), written for engineers
("jaro-winkler >= 0.8"); `LEVEL_WORDS` says each in a steward's words, and a label it does not
know is shown by what it means (same, similar, different...) rather than as jargon.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from mdm import places
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
    "company_name": N_("company name"),
    "company_head": N_("start of the company name"),
    "siren": N_("SIREN"),
    "vat": N_("VAT number"),
    "domain": N_("web domain"),
}


#: The matcher's level labels in a steward's words (English msgids; French in the catalogue).
LEVEL_WORDS: dict[str, str] = {
    "exact": N_("identical"),
    "exact (E.164)": N_("identical"),
    "equal without accents": N_("identical but for accents"),
    "first and last name swapped": N_("first and last names swapped"),
    "equals the other record's last name (swapped)": N_("the same as the other record's last name"),
    "nickname or initials": N_("a nickname or the initials of the same name"),
    "very similar (jaro-winkler >= 0.92)": N_("spelt almost the same"),
    "similar (jaro-winkler >= 0.8)": N_("spelt alike"),
    "similar (jaro-winkler >= 0.9)": N_("spelt almost the same"),
    "one typo": N_("one character differs"),
    "part of a compound name": N_("one part of a compound name in common"),
    "initial only": N_("only an initial, and it agrees"),
    "missing, or swapped (see first_name)": N_("missing, or already counted with the first name"),
    "shares a name (compound or married name)": N_("one name in common (compound or married name)"),
    "same local part, typo in domain": N_("same address, a slip in the part after the @"),
    "local parts spell the names (counted under the names)": N_(
        "both addresses are made of the person's names, already counted with the names"),
    "typo in local part": N_("one character differs before the @"),
    "same local part, other domain": N_("the same before the @, another provider"),
    "same last 8 digits": N_("the same last 8 digits"),
    "one digit typo": N_("one digit differs"),
    "day and month transposed": N_("day and month swapped"),
    "one digit off or two digits swapped": N_("one digit differs, or two are swapped"),
    "the same but for the day, the month or the year": N_("the same but for the day, the month or the year"),
    "two digits off": N_("two digits differ"),
    "same year": N_("only the year agrees"),
    "same house number, no street name on one side": N_("same house number, no street name on one side"),
    "similar (token overlap >= 0.6 or jaro-winkler >= 0.92)": N_("mostly the same words"),
    "partly similar (token overlap >= 0.3)": N_("some words in common"),
    "missing or implied by the street": N_("missing, or already said by the street"),
    "same area (first 2 characters)": N_("same first two digits"),
    "same town or district": N_("another postcode of the same town"),
    "one typo, same département": N_("one digit differs, in the same département"),
    "same département": N_("the same département, another town"),
    "missing or implied by the postcode": N_("missing, or already said by the postcode"),
    "shared by a household, another person (not counted)": N_("shared by another person of the household"),
    "shared by a household, the person not confirmed (not counted)": N_(
        "shared by the household, not saying which member"),
    "different": N_("different"),
    "missing": N_("missing on one side"),
    # organisations (matching/organisations.py)
    "exact (legal form and small words aside)": N_("identical once the legal form and small words are set aside"),
    "rare words nearly all shared (weighted overlap >= 0.8)": N_("nearly all their distinctive words in common"),
    "one name within the other (weighted containment >= 0.8)": N_("one name contained in the other"),
    "similar spelling (jaro-winkler >= 0.92)": N_("spelt almost the same"),
    "one typo (two in a name of 10 letters or more)": N_("one or two letters apart"),
    "many rare words shared (weighted overlap >= 0.5)": N_("many distinctive words in common"),
    "half of the lighter name shared (weighted containment >= 0.5)": N_("half of the shorter name in common"),
    "some words shared (weighted overlap >= 0.25)": N_("a few words in common"),
    "disagrees, but the same legal unit (another establishment: not counted)": N_(
        "differs, but the same legal unit (another establishment): not counted"),
    "missing, or the whole name (see company_name)": N_("not compared: the name is short, or counted as a whole"),
    "same first two words": N_("the same first two words"),
    "same first word": N_("the same first word"),
    "same legal unit (SIREN)": N_("the same legal unit (SIREN)"),
    "shared with another organisation at the site (not counted)": N_(
        "shared with another organisation at the same site"),
}
#: Labels that start like this, whatever their figures ("a generation apart (25 years or more)").
LEVEL_PREFIX_WORDS: dict[str, str] = {"a generation apart": N_("a generation apart")}
#: What a relation says when the label is unknown (never the raw label: it may be jargon).
RELATION_WORDS: dict[str, str] = {
    "not_counted": N_("not counted"), "missing": N_("missing on one side"), "same": N_("identical"),
    "different": N_("different"), "similar": N_("spelt alike"), "other": N_("partly alike"),
}
#: Postcodes as places (`mdm.places`), said on the postcode line.
PLACE_WORDS: dict[str, str] = {
    places.SAME_TOWN: N_("%(a)s and %(b)s are the same town (%(town)s)"),
    places.SAME_DEPARTEMENT: N_("%(a)s and %(b)s are two towns of the same département (%(dep)s)"),
    places.OTHER_DEPARTEMENT: N_("%(a)s and %(b)s are in different départements"),
}


def level_words(level: str, kind: str) -> str:
    """The level in a steward's words (an English msgid)."""
    if level in LEVEL_WORDS:
        return LEVEL_WORDS[level]
    for prefix, words in LEVEL_PREFIX_WORDS.items():
        if level.startswith(prefix):
            return words
    return RELATION_WORDS[kind]


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
    level_words: str = ""  # the level as people say it (English msgid)
    place: dict[str, str] = field(default_factory=dict)  # postcodes as places: {relation, a, b, town, dep}

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
    "similar": N_("%(field)s: %(level)s"),
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
    words = level_words(level, kind)
    what = WHAT[kind] % {"field": field, "level": words}
    sentence = EVIDENCE[(power, direction)] % {"what": what}
    return Explanation(comparison, level, round(weight, 2), power, direction, kind, field, sentence, words)


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


def with_places(explanations: list[Explanation], records: list[dict[str, Any]]) -> list[Explanation]:
    """The postcode line told as places (same town, same département...) from the two records."""
    if len(records) != 2:
        return explanations
    a, b = records
    relation_ = places.compare(a.get("postcode"), b.get("postcode"), a.get("city"), b.get("city"))
    if relation_ not in PLACE_WORDS:
        return explanations
    place = {"relation": relation_, "a": str(a.get("postcode")), "b": str(b.get("postcode")),
             "town": places.town_name(a.get("postcode"), a.get("city")),
             "dep": places.departement(a.get("postcode")) or ""}
    return [Explanation(**{**e.as_dict(), "place": place}) if e.comparison == "postcode" else e
            for e in explanations]


@dataclass(frozen=True)
class Waterfall:
    """From the prior to the pair's weight, in tenths that add up exactly on the page.

    `prior` is the model's starting weight (how often two candidate records are the same customer
    before anything is compared); each step is one comparison's weight; `total` the pair's
    weight. Each shown number is a whole count of tenths: the running total is rounded once per
    step and a step is the difference of two rounded running totals, so the prior plus the steps
    is the total exactly, and no step is off by more than a tenth."""

    prior_tenths: int
    steps: list[tuple[str, int]]        # (comparison, tenths), in the order of the explanations
    total_tenths: int
    prior_probability: float
    probability: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _tenths(x: float) -> int:
    return int(math.floor(x * 10 + 0.5))


def waterfall(match_weight: float, contributions: str | dict[str, Any] | None,
              order: list[str] | None = None) -> Waterfall:
    """The pair's weight as prior + each comparison. The prior is what the stored weight holds
    beyond its contributions (the scorer adds the model's prior weight to them)."""
    data = json.loads(contributions) if isinstance(contributions, str) else (contributions or {})
    weights = {str(k): float((v.get("weight") if isinstance(v, dict) else v) or 0.0) for k, v in data.items()}
    names = [n for n in (order or []) if n in weights] + [n for n in weights if n not in (order or [])]
    prior = match_weight - sum(weights.values())
    running = prior
    shown = _tenths(prior)
    steps = []
    for i, name in enumerate(names):
        running += weights[name]
        now = _tenths(match_weight if i == len(names) - 1 else running)
        steps.append((name, now - shown))
        shown = now
    return Waterfall(
        prior_tenths=_tenths(prior), steps=steps, total_tenths=shown if names else _tenths(match_weight),
        prior_probability=1.0 / (1.0 + math.pow(2.0, -prior)),
        probability=1.0 / (1.0 + math.pow(2.0, -match_weight)),
    )
