"""The expectation suites, written as code: the canonical customer record, plus per-source additions.

Each rule is declared here in plain data (`Rule`), readable without Great Expectations, and
turned into a GX 1.x expectation only when a run needs it (`to_gx`; GX is slow to import).
Every expectation's `meta` carries our reason code and its severity:

- `error`   blocking: failing rows go to quarantine with the reason code;
- `warning` reported in `dq.validation_results`, the row stays in play.

Some rules need a value computed from several columns ("is there a contact channel?"); those
columns are derived in `expectations.run.validation_frame` and named after what they hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mdm.canonical import CANONICAL_FIELDS

if TYPE_CHECKING:
    from mdm.config import MdmConfig
    from sources.config import SourceConfig

ERROR = "error"
WARNING = "warning"
CANONICAL_SUITE = "customer"


@dataclass(frozen=True)
class Rule:
    """One expectation: GX type name and arguments, our reason code, severity and a steward's hint."""

    reason: str
    severity: str
    expectation: str  # GX class name in great_expectations.expectations
    kwargs: dict[str, Any]
    meaning: str
    fix: str = ""

    @property
    def blocking(self) -> bool:
        return self.severity == ERROR

    @property
    def column(self) -> str | None:
        return self.kwargs.get("column")


@dataclass(frozen=True)
class Suite:
    name: str
    rules: tuple[Rule, ...] = field(default_factory=tuple)


#: The canonical customer record: what every source's rows must satisfy.
CANONICAL_RULES: tuple[Rule, ...] = (
    Rule("field_too_long", ERROR, "ExpectColumnValuesToBeInSet",
         {"column": "field_length_check", "value_set": ["ok"]},
         "A mapped value is longer than `ingest.max_field_chars` (default 1,000 characters): a broken or "
         "hostile export. The value was not standardised and is not published.",
         "Shorten the value (mdm quarantine release KEY --set COLUMN=VALUE) or discard the row."),
    Rule("no_contact_channel", ERROR, "ExpectColumnValuesToNotBeNull", {"column": "contact_channel"},
         "No way to reach the person: no valid email, no valid phone, no postal address with postcode and city.",
         "Add a valid email, phone, or postcode and city (mdm quarantine release KEY --set COLUMN=VALUE)."),
    Rule("not_identifiable", ERROR, "ExpectColumnValuesToNotBeNull", {"column": "identity"},
         "Neither a name, a valid email nor a company name or identifier: nothing says who this is.",
         "Add the person's name or email (or the company's name), or discard the row."),
    Rule("email_invalid", ERROR, "ExpectColumnValuesToBeInSet",
         {"column": "email_status", "value_set": ["valid", "missing"]},
         "An email was given but is not a syntactically valid address.",
         "Correct the email (or blank it if unknown) and release the row."),
    Rule("birth_date_implausible", ERROR, "ExpectColumnValuesToBeInSet",
         {"column": "birth_date_status", "value_set": ["valid", "missing"]},
         "A birth date was given but cannot be read with the source's date format, is in the future, "
         "or is more than 120 years ago.",
         "Correct the date in the source's format (or blank it) and release the row."),
    Rule("record_key_duplicate", ERROR, "ExpectColumnValuesToBeUnique", {"column": "record_key"},
         "Two rows share a record key (a bug upstream: staging holds one row per key).",
         "Report it: this cannot be fixed row by row."),
    Rule("phone_invalid", WARNING, "ExpectColumnValuesToBeInSet",
         {"column": "phone_status", "value_set": ["valid", "missing"]},
         "A phone number was given but is not a valid number for its country.",
         "Correct the number at the source; the rest of the record is used meanwhile."),
    Rule("phone_not_e164", WARNING, "ExpectColumnValuesToMatchRegex",
         {"column": "phone", "regex": r"^\+[1-9]\d{6,14}$"},
         "A standardised phone is not in E.164 form (a standardiser bug).", "Report it."),
    Rule("email_domain_typo", WARNING, "ExpectColumnValuesToBeNull", {"column": "email_suggestion"},
         "The email's domain looks like a typo of a popular one (gmial.com for gmail.com).",
         "Check with the customer; the suggested address is in staging.customers.email_suggestion."),
    Rule("postcode_invalid", WARNING, "ExpectColumnValuesToBeInSet",
         {"column": "postcode_check", "value_set": ["ok"]},
         "The postcode does not fit its country's format.", "Correct the postcode at the source."),
    Rule("postcode_fr_format", WARNING, "ExpectColumnValuesToMatchRegex",
         {"column": "postcode", "regex": r"^\d{5}$", "row_condition": 'country=="FR"',
          "condition_parser": "pandas"},
         "A French postcode is not five digits.", "Correct the postcode at the source."),
    Rule("country_not_iso", WARNING, "ExpectColumnValuesToMatchRegex",
         {"column": "country", "regex": r"^[A-Z]{2}$"},
         "The country is not an ISO 3166 alpha-2 code (unknown country name).",
         "Write the country as a name or ISO code we know (see mdm/standardise/addresses.py)."),
    Rule("last_contact_missing", WARNING, "ExpectColumnValuesToNotBeNull",
         {"column": "last_contact_at", "mostly": 0.5},
         "More than half of the rows have no last-contact date: retention cannot be computed for them.",
         "Map a last-contact column for the source."),
)


def source_rules(source: SourceConfig, config: MdmConfig | None = None) -> tuple[Rule, ...]:
    """Rules a source adds to the canonical suite, derived from its config.

    - The canonical fields its key columns map to must be present (a newsletter keyed on the
      email must have a valid email): blocking `<field>_required`.
    - Fields listed under `validation.required_fields.<source>`: blocking `<field>_required`.
    - A mapped opt-in must be readable (warning), a mapped SIRET must pass its Luhn key (warning), a
      mapped national identifier must look like one (warning).
    """
    required: list[str] = []
    for field_name, spec in source.mapping.items():
        column = spec if isinstance(spec, str) else (spec.get("column") if isinstance(spec, dict) else None)
        if column is not None and column in source.key_columns and field_name in CANONICAL_FIELDS:
            required.append(field_name)
    if config is not None:
        required += [f for f in config.validation.required_fields.get(source.name, []) if f not in required]
    rules: list[Rule] = []
    for name in required:
        rules.append(Rule(f"{name}_required", ERROR, "ExpectColumnValuesToNotBeNull", {"column": name},
                          f"The source {source.name} identifies its records by {name}, and this row has no valid "
                          f"{name}.", f"Give the row a valid {name}, or discard it."))
    if "opt_in" in source.mapping:
        rules.append(Rule("opt_in_unreadable", WARNING, "ExpectColumnValuesToBeInSet",
                          {"column": "opt_in_check", "value_set": ["ok"]},
                          "The opt-in flag is neither yes nor no (oui/non/1/0/true/false).",
                          "Correct the flag at the source; the person is treated as not opted in."))
    if "siret" in source.mapping:
        rules.append(Rule("siret_invalid", WARNING, "ExpectColumnValuesToBeInSet",
                          {"column": "siret_check", "value_set": ["ok"]},
                          "The SIREN/SIRET has the wrong length or fails its Luhn key.",
                          "Correct the company number at the source."))
    if "national_id" in source.mapping:
        rules.append(Rule("national_id_invalid", WARNING, "ExpectColumnValuesToBeInSet",
                          {"column": "national_id_check", "value_set": ["ok"]},
                          "The national identifier is too short or too long (5-20 letters and digits once "
                          "separators are removed), has fewer than 4 digits (UNKNOWN), or is a placeholder "
                          "(000000000, 123456789): it is not used.",
                          "Correct the identifier at the source; the rest of the record is used meanwhile."))
    return tuple(rules)


def suites_for(source: SourceConfig, config: MdmConfig | None = None) -> list[Suite]:
    """The suites a source's rows are validated against: canonical first, then its own."""
    suites = [Suite(CANONICAL_SUITE, CANONICAL_RULES)]
    extra = source_rules(source, config)
    if extra:
        suites.append(Suite(f"{CANONICAL_SUITE}.{source.name}", extra))
    return suites


def all_reason_codes(config: MdmConfig | None = None) -> dict[str, Rule]:
    """Every reason code the config can produce (for docs and the CLI)."""
    codes = {r.reason: r for r in CANONICAL_RULES}
    if config is not None:
        for source in config.sources:
            if source.records != "customers":
                continue
            for rule in source_rules(source, config):
                codes.setdefault(rule.reason, rule)
    return codes


def to_gx(suite: Suite, severity: str | None = None) -> Any:
    """A GX 1.x `ExpectationSuite` holding the suite's rules (optionally of one severity only)."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    gx_suite = gx.ExpectationSuite(name=suite.name if severity is None else f"{suite.name}.{severity}")
    for rule in suite.rules:
        if severity is not None and rule.severity != severity:
            continue
        cls = getattr(gxe, rule.expectation)
        gx_suite.add_expectation(
            cls(**rule.kwargs, meta={"reason": rule.reason, "severity": rule.severity, "meaning": rule.meaning})
        )
    return gx_suite
