"""Side-by-side comparison of source records, field by field, with differences flagged."""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

from mdm.canonical import GOLDEN_FIELDS, ORGANISATION_FIELDS

#: The fields shown side by side, in display order (canonical names).
COMPARED_FIELDS: tuple[str, ...] = GOLDEN_FIELDS + ORGANISATION_FIELDS

#: The record fields a matcher comparison is about, when its name is not itself a field (the
#: organisation matcher compares the company's name twice, its SIREN, VAT number and web domain).
#: A comparison named after a field (`birth_date`, `national_id`...) is about that field.
COMPARISON_FIELDS: dict[str, tuple[str, ...]] = {
    "company_name": ("company",),
    "company_head": ("company",),
    "siren": ("siren", "siret"),
    "vat": ("vat_number",),
    "domain": ("website", "email"),
}


def fields_of(comparison: str) -> tuple[str, ...]:
    """The record fields the evidence of `comparison` talks about."""
    return COMPARISON_FIELDS.get(comparison, (comparison,))


@dataclass(frozen=True)
class FieldDiff:
    field: str
    values: list[str | None]
    status: str     # same | similar | different | partly_missing | missing

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def compare_values(values: list[str | None]) -> str:
    present = [v for v in values if v is not None]
    if not present:
        return "missing"
    if len(present) < len(values):
        return "partly_missing"
    if len(set(present)) == 1:
        return "same"
    if len({_fold(v) for v in present}) == 1:
        return "similar"   # differs only in case, accents or spacing
    return "different"


def diff_records(
    records: list[dict[str, Any]], fields: tuple[str, ...] = COMPARED_FIELDS, compared: tuple[str, ...] = ()
) -> list[FieldDiff]:
    """One row per field that at least one record has, in display order, and one per field the
    model's evidence talks about (`compared`: its comparisons' names) even when both sides lack it.

    Why: the waterfall says "date of birth: missing" or "different"; a steward must find that row
    in the table to check it, or the evidence cites a field the page hides."""
    evidence = [f for c in compared for f in fields_of(c)]
    shown = (*fields, *dict.fromkeys(f for f in evidence if f not in fields))
    out = []
    for field in shown:
        values = [_text(r.get(field)) for r in records]
        status = compare_values(values)
        if status != "missing" or field in evidence:
            out.append(FieldDiff(field, values, status))
    return out
