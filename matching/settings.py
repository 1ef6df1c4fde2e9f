"""Matching settings in `mdm.yaml` (`matching:`). Owned by `matching/`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class MatchingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    auto_match_threshold: float = Field(default=0.95, ge=0, le=1, description="Probability above: merged.")
    review_threshold: float = Field(default=0.5, ge=0, le=1, description="Probability above: review queue.")
