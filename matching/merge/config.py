"""Survivorship settings in `mdm.yaml` (`survivorship:`). Owned by `matching/merge/`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SurvivorshipConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: dict[str, list[str]] = Field(
        default_factory=dict, description="Field -> rule chain, overriding the defaults."
    )
