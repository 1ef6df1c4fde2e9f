"""`segments:` in `mdm.yaml`: named customer segments in words a marketer can read.

    segments:
      rules:                         # the FIRST rule a customer meets names them
        - name: champions
          description: Bought recently, often, and spent the most.
          recency: 4-5               # RFM scores, 1 (lowest) to 5 (highest), a number or a range
          frequency: 4-5
          monetary: 4-5
        - name: new
          orders: 1                  # purchases: a number, a range (2-5) or "2+"
          first_purchase_within: 90d # periods: d, m, y
        - name: lost
          no_purchase_for: 2y
      otherwise: others              # customers no rule names

Owned by `mdm/segments/`; the SQL is rendered in `segments.py` with every value bound.
"""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from warehouse.retention.config import subtract_period

_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)|(\+))?\s*$")
_PERIOD = re.compile(r"^\s*(\d+)\s*([dmy])\s*$")
#: Upper bound of an open range ("2+").
OPEN_END = 2**62


def parse_range(value: int | str, low: int = 0, high: int = OPEN_END) -> tuple[int, int]:
    """`3` -> (3, 3); `"4-5"` -> (4, 5); `"2+"` -> (2, OPEN_END). ValueError outside [low, high]."""
    match = _RANGE.match(str(value))
    if not match:
        raise ValueError(f"{value!r} should be a number, a range like 4-5, or 2+")
    first = int(match.group(1))
    last = OPEN_END if match.group(3) else int(match.group(2) or first)
    if first > last or first < low or (last > high and last != OPEN_END):
        raise ValueError(f"{value!r} should lie within {low}-{high}")
    return first, min(last, high) if high != OPEN_END else last


def period_start(period: str, now: datetime) -> datetime:
    match = _PERIOD.match(period)
    if not match:
        raise ValueError(f'period {period!r} must look like "90d", "6m" or "2y"')
    return subtract_period(now, int(match.group(1)), match.group(2))


class SegmentRule(BaseModel):
    """One named segment: every condition given must hold (an AND); none given = everyone left."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Segment name, shown in reports and the app.")
    description: str = Field(default="", description="What the segment means, in plain words (shown in the report).")
    recency: int | str | None = Field(default=None, description="Recency score(s), 1-5 (5 = bought most recently).")
    frequency: int | str | None = Field(default=None, description="Frequency score(s), 1-5 (5 = most purchases).")
    monetary: int | str | None = Field(default=None, description="Monetary score(s), 1-5 (5 = most revenue).")
    orders: int | str | None = Field(default=None, description='Number of purchases: 0, 1, "2-5", "2+".')
    first_purchase_within: str | None = Field(default=None, description='First purchase within this period: "90d".')
    last_purchase_within: str | None = Field(default=None, description='Last purchase within this period: "6m".')
    no_purchase_for: str | None = Field(default=None, description='Bought before, but not for this long: "2y".')

    @field_validator("recency", "frequency", "monetary")
    @classmethod
    def _score(cls, value: int | str | None) -> int | str | None:
        if value is not None:
            parse_range(value, 1, 5)
        return value

    @field_validator("orders")
    @classmethod
    def _orders(cls, value: int | str | None) -> int | str | None:
        if value is not None:
            parse_range(value)
        return value

    @field_validator("first_purchase_within", "last_purchase_within", "no_purchase_for")
    @classmethod
    def _period(cls, value: str | None) -> str | None:
        if value is not None:
            period_start(value, datetime(2000, 1, 1))
        return value


def default_rules() -> list[SegmentRule]:
    """The classic RFM segment map, first match wins (docs/segments.md)."""
    return [
        SegmentRule(name="prospects", description="Never bought.", orders=0),
        SegmentRule(name="new", description="First purchase in the last 90 days.", orders=1,
                    first_purchase_within="90d"),
        SegmentRule(name="champions", description="Bought recently, often, and spent the most.",
                    recency="4-5", frequency="4-5", monetary="4-5"),
        SegmentRule(name="loyal", description="Buy often; not necessarily the biggest spenders.",
                    recency="3-5", frequency="4-5"),
        SegmentRule(name="promising", description="Bought recently, not often yet.", recency="4-5",
                    frequency="1-3"),
        SegmentRule(name="at_risk", description="Used to buy often, not lately.", recency="1-2",
                    frequency="3-5"),
        SegmentRule(name="lost", description="Bought little, long ago.", recency="1-2", frequency="1-2"),
    ]


class ClvConfig(BaseModel):
    """The lifetime-value estimate (docs/segments.md says what it assumes)."""

    model_config = ConfigDict(extra="forbid")

    horizon_years: int = Field(default=3, ge=1, le=20, description="Years of future revenue the projection counts.")
    cohort: str = Field(
        default="year", pattern="^(year|quarter)$",
        description="Customers are compared with those whose first purchase fell in the same year (or quarter).",
    )


class SegmentsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[SegmentRule] = Field(
        default_factory=default_rules,
        description="Named segments, first match wins; leave out for the classic RFM map (docs/segments.md).",
    )
    otherwise: str = Field(
        default="others", pattern=r"^[a-z][a-z0-9_]*$", description="Segment of customers no rule names."
    )
    clv: ClvConfig = Field(default_factory=ClvConfig, description="Lifetime-value projection.")
    key_segments: list[str] = Field(
        default_factory=lambda: ["champions", "loyal", "promising", "new", "at_risk"],
        description="The customers that matter: the report says how reachable they are, per channel "
        "(default: those of champions, loyal, promising, new, at_risk that your rules name).",
    )

    @model_validator(mode="after")
    def _unique(self) -> SegmentsConfig:
        names = [r.name for r in self.rules] + [self.otherwise]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"segment names must be unique (otherwise included); repeated: {dupes}")
        unknown = sorted(set(self.key_segments) - set(names))
        if unknown and "key_segments" in self.model_fields_set:
            raise ValueError(f"key_segments names no segment: {unknown}; segments are {names}")
        # The default list keeps the names your own rules still use.
        self.key_segments = [n for n in self.key_segments if n in names]
        return self
