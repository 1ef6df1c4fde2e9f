"""Publication settings in `mdm.yaml` (`publication:`). Owned by `warehouse/publish.py`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PublicationConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    versions_kept: int = Field(
        default=3, ge=1, le=100,
        description="Previously published versions kept in published/versions/ for `mdm rollback`.",
    )
    parquet: bool = Field(default=True, description="Also export the golden tables as Parquet (published/parquet/).")
