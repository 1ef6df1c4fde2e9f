"""Validation settings in `mdm.yaml` (`validation:`). Owned by `expectations/`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CircuitBreakerConfig(BaseModel):
    """Dataset-level checks on each new load, against the same source's previous accepted load."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="Hold back a source's new load when a dataset check fails.")
    min_row_ratio: float = Field(
        default=0.5, ge=0, le=1,
        description="Hold a load whose row count is below this fraction of the previous load's.",
    )
    max_emptied_ratio: float = Field(
        default=0.5, ge=0, le=1,
        description="Hold a load where a column filled in at least `min_filled_before` of the previous load's "
        "rows is filled in less than this fraction of that share now (e.g. 0.9 -> under 0.45).",
    )
    min_filled_before: float = Field(
        default=0.5, ge=0, le=1, description="Only columns at least this filled last time are watched for emptying.",
    )
    allow_new_columns: bool = Field(
        default=False, description="Accept a load that has columns the previous load did not have.",
    )
    min_previous_rows: int = Field(
        default=20, ge=0,
        description="Below this many rows in the previous load (or, for emptied columns, in the new one), "
        "the row-count and emptied-column checks are skipped.",
    )
    snapshot_sources: list[str] = Field(
        default_factory=list,
        description="Sources whose every file is a full export: a new load is compared with the source's previous "
        "load whatever its file name. Other sources' loads are compared with the previous load of the same file "
        "(a new file name is an addition, e.g. this month's new subscribers).",
    )


class ValidationConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    build_data_docs: bool = Field(default=False, description="Build GX Data Docs under $MDM_HOME/data_docs.")
    required_fields: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Per source: canonical fields that must be present (blocking, reason `<field>_required`).",
    )
    circuit_breaker: CircuitBreakerConfig = Field(default_factory=CircuitBreakerConfig)
