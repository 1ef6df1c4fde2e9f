"""Validation settings in `mdm.yaml` (`validation:`). Owned by `expectations/`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ValidationConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    build_data_docs: bool = Field(default=False, description="Build GX Data Docs under $MDM_HOME/data_docs.")
