"""Survivorship settings in `mdm.yaml` (`survivorship:`). Owned by `matching/merge/`.

Each golden field gets its value from ONE source record, chosen by a rule chain: the first rule
ranks the candidate records, the next breaks its ties, and so on; the record key breaks the last
ties so the choice is deterministic. Some fields survive together (an address is never a mix of two
records), so the chain is configured per *survivorship group*: `address` covers street, postcode,
city and country; every other canonical field is its own group.

```yaml
survivorship:
  rules:
    email: [valid_only, most_recent, trust]
    address: [most_complete, most_recent, trust]
```
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mdm.canonical import GOLDEN_FIELDS

__all__ = ["DEFAULT_RULES", "GOLDEN_FIELDS", "GROUPS", "GROUP_OF", "RULES", "SurvivorshipConfig"]

#: What each rule means; `valid_only` is a filter, the others order the candidates.
RULES: dict[str, str] = {
    "trust": "source with the best trust rank (1 = most trusted)",
    "most_recent": "record with the latest own date (updated_at, last_contact_at, last_order_at, created_at)",
    "most_complete": "record with the most non-empty fields (for a group: the most non-empty group fields)",
    "most_frequent": "value held by the most records of the golden customer",
    "valid_only": "values that failed validation never survive (filter)",
    "longest": "longest value (e.g. 'Jean-Pierre' over 'J.')",
    "formal_name": "a full given name over a known diminutive ('Sébastien' over 'Seb'; nickname table)",
}

#: Survivorship groups: fields that must come from the same record.
GROUPS: dict[str, tuple[str, ...]] = {
    "title": ("title",),
    "first_name": ("first_name",),
    "last_name": ("last_name",),
    "email": ("email",),
    "phone": ("phone",),
    "address": ("street", "postcode", "city", "country"),
    "birth_date": ("birth_date",),
    "company": ("company",),
    "siret": ("siret",),
    "vat_number": ("vat_number",),
    "customer_status": ("customer_status",),
    "opt_in": ("opt_in",),
    "national_id": ("national_id",),
}

#: Sensible defaults for every group; `survivorship.rules` overrides them group by group.
DEFAULT_RULES: dict[str, list[str]] = {
    "title": ["trust", "most_recent"],
    "first_name": ["formal_name", "trust", "most_frequent", "longest"],
    "last_name": ["trust", "most_frequent", "longest"],
    "email": ["valid_only", "most_recent", "trust"],
    "phone": ["valid_only", "most_recent", "trust"],
    "address": ["most_complete", "most_recent", "trust"],
    "birth_date": ["valid_only", "trust", "most_frequent"],
    "company": ["trust", "most_recent", "longest"],
    "siret": ["valid_only", "trust", "most_recent"],
    "vat_number": ["valid_only", "trust", "most_recent"],
    "customer_status": ["most_recent", "trust"],
    "opt_in": ["most_recent", "trust"],
    "national_id": ["valid_only", "trust", "most_frequent"],
}

#: Group of each golden field (every field of `mdm.canonical.GOLDEN_FIELDS` is in exactly one group).
GROUP_OF: dict[str, str] = {f: group for group, fields in GROUPS.items() for f in fields}


class SurvivorshipConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Survivorship group -> rule chain, overriding the defaults "
        f"(groups: {', '.join(GROUPS)}; rules: {', '.join(RULES)}).",
    )

    @field_validator("rules")
    @classmethod
    def _known_groups_and_rules(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        problems: list[str] = []
        for group, chain in value.items():
            if group not in GROUPS:
                owner = next((g for g, fields in GROUPS.items() if group in fields), None)
                hint = f" ({group} survives with the '{owner}' group: configure '{owner}')" if owner else ""
                problems.append(f"unknown survivorship group {group!r}{hint}")
            unknown = [r for r in chain if r not in RULES]
            if unknown:
                problems.append(f"{group}: unknown rule(s) {unknown}; rules are {list(RULES)}")
            if not chain:
                problems.append(f"{group}: empty rule chain")
        if problems:
            raise ValueError("; ".join(problems))
        return value

    def chain(self, group: str) -> list[str]:
        """The effective rule chain of a group: configured, else the default."""
        return list(self.rules.get(group) or DEFAULT_RULES[group])
