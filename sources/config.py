"""How a source is declared in `mdm.yaml`. Owned by `sources/`; assembled into `mdm.config.MdmConfig`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mdm.canonical import CANONICAL_FIELDS

#: A mapping value is a source column name, or a small transform:
#: `{column: X}`, `{split_full_name: X}`, `{join: [A, B], sep: " "}`, `{constant: V}`.
MappingValue = str | dict[str, Any]


class SourceConfig(BaseModel):
    """One source: which connector reads it, where, and how its columns map onto the canonical record."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Short identifier, used in record keys.")
    kind: str = Field(description="Connector kind: csv, excel, json, parquet, sql, or a plug-in's kind.")
    path: str | None = Field(default=None, description="Glob inside the inbox (file connectors).")
    options: dict[str, Any] = Field(default_factory=dict, description="Connector-specific settings.")
    key_columns: list[str] = Field(
        default_factory=list,
        description="Source columns that identify a record across loads; empty = hash of the whole row.",
    )
    mapping: dict[str, MappingValue] = Field(description="Canonical field -> source column or transform.")
    default_country: str = Field(default="FR", min_length=2, max_length=2)
    date_format: str | None = Field(default=None, description="strftime format of the source's dates.")
    trust_rank: int = Field(default=10, ge=1, description="1 = most trusted, for survivorship.")
    retention_category: str = Field(default="customer", description="Default retention category.")
    status_categories: dict[str, str] = Field(
        default_factory=dict,
        description="customer_status value -> retention category, overriding the default per record.",
    )
    suppression: bool = Field(default=True, description="Apply the erasure suppression list on ingest.")

    @field_validator("mapping")
    @classmethod
    def _known_targets(cls, mapping: dict[str, MappingValue]) -> dict[str, MappingValue]:
        unknown = sorted(set(mapping) - set(CANONICAL_FIELDS))
        if unknown:
            raise ValueError(
                f"unknown canonical field(s) {unknown}; expected some of {list(CANONICAL_FIELDS)}"
            )
        return mapping
