"""Retention settings in `mdm.yaml` (`retention:`). Owned by `warehouse/retention/`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RetentionRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    category: str
    trigger: str = Field(description="Date field that starts the clock, e.g. last_contact_at.")
    period_days: int = Field(gt=0)
    action: str = Field(default="delete", pattern="^(delete|anonymise|archive)$")
    sources: list[str] = Field(default_factory=list, description="Limit to these sources; empty = all.")


class RetentionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[RetentionRule] = Field(default_factory=list)
