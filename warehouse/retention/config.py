"""Retention settings in `mdm.yaml` (`retention:`). Owned by `warehouse/retention/`.

A rule says: records of this category (from these sources) are due when their trigger date
is older than the period; then delete, anonymise or archive them. The first rule whose
category and sources match a record governs it, so put narrow (per-source) rules first.
Leave `rules` out to get the CNIL defaults (`warehouse/retention/defaults.py`); `rules: []`
switches expiry off.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mdm.canonical import ACTIVITY_FIELDS, EVENT_TRIGGER_FIELDS
from warehouse.retention.defaults import DEFAULT_RULES

#: What a rule's trigger may name: a record's own dates, or a date read on the person's timeline.
TRIGGER_FIELDS: tuple[str, ...] = ACTIVITY_FIELDS + EVENT_TRIGGER_FIELDS

_PERIOD = re.compile(r"^\s*(\d+)\s*([dmy])\s*$")


def subtract_period(moment: datetime, amount: int, unit: str) -> datetime:
    """`moment` minus a calendar period (`d`ays, `m`onths, `y`ears); 29 Feb falls back to the 28th."""
    if unit == "d":
        return moment - timedelta(days=amount)
    months = amount * 12 if unit == "y" else amount
    total = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    day = moment.day
    while True:
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            day -= 1


class RetentionRule(BaseModel):
    """One retention rule. Give either `period` ("3y", "24m", "90d") or `period_days`."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="Rule name, shown in counts and the audit.")
    category: str = Field(description="Retention category of the record (staging.customers.retention_category).")
    trigger: list[str] = Field(
        description="Date field(s) that start the clock; a list means the first non-empty one "
        "(e.g. [relationship_end_at, last_order_at, last_contact_at]), or the latest with `pick: latest`. "
        "`last_initiated_contact_at` is read on the person's timeline: the last event they started."
    )
    pick: str = Field(
        default="first", pattern="^(first|latest)$",
        description="With several triggers: `first` = the first one set (in the listed order); `latest` = the most "
        "recent of them (e.g. [last_initiated_contact_at, last_contact_at] counts from whichever contact is newer).",
    )
    period: str | None = Field(default=None, description='Calendar period: "3y", "24m" or "90d".')
    period_days: int | None = Field(default=None, gt=0, description="Period in days (alternative to `period`).")
    action: str = Field(default="delete", pattern="^(delete|anonymise|archive)$")
    sources: list[str] = Field(default_factory=list, description="Limit to these sources; empty = all.")

    @field_validator("trigger", mode="before")
    @classmethod
    def _trigger_list(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("trigger")
    @classmethod
    def _known_dates(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one trigger date field is needed")
        unknown = [f for f in value if f not in TRIGGER_FIELDS]
        if unknown:
            raise ValueError(f"unknown trigger field(s) {unknown}; expected some of {list(TRIGGER_FIELDS)}")
        return value

    @field_validator("period")
    @classmethod
    def _period_format(cls, value: str | None) -> str | None:
        if value is not None:
            match = _PERIOD.match(value)
            if not match or int(match.group(1)) <= 0:
                raise ValueError(f'period {value!r} must look like "3y", "24m" or "90d"')
        return value

    @model_validator(mode="after")
    def _one_period(self) -> RetentionRule:
        if (self.period is None) == (self.period_days is None):
            raise ValueError("give exactly one of `period` (e.g. 3y) or `period_days`")
        return self

    def period_parts(self) -> tuple[int, str]:
        if self.period_days is not None:
            return self.period_days, "d"
        match = _PERIOD.match(self.period or "")
        assert match is not None  # validated above
        return int(match.group(1)), match.group(2)

    def cutoff(self, now: datetime) -> datetime:
        """Records whose trigger date is strictly before this moment are due."""
        amount, unit = self.period_parts()
        return subtract_period(now, amount, unit)


class LegalHoldSeed(BaseModel):
    """A legal hold declared in the config (holds placed with `mdm retention hold add` live in the warehouse)."""

    model_config = ConfigDict(extra="forbid")

    subject: str = Field(description="A golden_id or a record_key.")
    reason: str = Field(description="Why (a case reference, never personal data).")


class RetentionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[RetentionRule] | None = Field(
        default=None, description="Retention rules; leave out for the CNIL defaults, [] to expire nothing."
    )
    legal_holds: list[LegalHoldSeed] = Field(
        default_factory=list, description="Holds that always apply while they are in the config."
    )
    due_soon_days: int = Field(default=30, ge=1, description="Horizon of the `due_30_days` count.")

    @field_validator("rules")
    @classmethod
    def _unique_names(cls, rules: list[RetentionRule] | None) -> list[RetentionRule] | None:
        names = [r.name for r in rules or []]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"rule names must be unique; repeated: {dupes}")
        return rules

    def effective_rules(self) -> list[RetentionRule]:
        """The configured rules, or the documented defaults when none are configured."""
        if self.rules is None:
            return default_rules()
        return list(self.rules)


def default_rules() -> list[RetentionRule]:
    """The CNIL defaults (`warehouse/retention/defaults.py`) as rules."""
    return [RetentionRule.model_validate(rule) for rule in DEFAULT_RULES]
