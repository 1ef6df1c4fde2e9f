"""How a source is declared in `mdm.yaml`. Owned by `sources/`; assembled into `mdm.config.MdmConfig`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from mdm.canonical import CANONICAL_FIELDS, EVENT_FIELDS
from sources.inbox import check_pattern

#: A mapping value is a source column name, or a small transform:
#: `{column: X}`, `{split_full_name: X}`, `{join: [A, B], sep: " "}`, `{constant: V}`.
MappingValue = str | dict[str, Any]


class SourceConfig(BaseModel):
    """One source: which connector reads it, where, and how its columns map onto the canonical record."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Short identifier, used in record keys.")
    kind: str = Field(description="Connector kind: csv, excel, json, parquet, sql, or a plug-in's kind.")
    records: Literal["customers", "events"] = Field(
        default="customers",
        description="What one row is: a customer record (default), or an event about a customer (an order, "
        "a ticket, a campaign reply...); event sources map onto the event fields (docs/events.md).",
    )
    customer_source: str | None = Field(
        default=None,
        description="Event sources: the customer source whose key the `customer_key` column holds "
        "(its single key column), so an event finds its customer record.",
    )
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
    optional_columns: list[str] = Field(
        default_factory=list,
        description="Mapped source columns that may be absent from a file (absent = empty); "
        "any other mapped or key column missing from a file fails that load.",
    )

    @field_validator("path")
    @classmethod
    def _inside_inbox(cls, path: str | None) -> str | None:
        return None if path is None else check_pattern(path)

    @model_validator(mode="after")
    def _customer_source_for_keys(self) -> SourceConfig:
        if self.records == "customers" and self.customer_source is not None:
            raise ValueError("customer_source is for event sources (records: events)")
        if self.records == "events" and ("customer_key" in self.mapping) != (self.customer_source is not None):
            raise ValueError("an event source that maps customer_key names its customer_source, and only then")
        return self

    def mapped_columns(self) -> list[str]:
        """Source columns the mapping reads, in mapping order (constants read none)."""
        return mapping_columns(self.mapping)

    def required_columns(self) -> list[str]:
        """Columns every file of this source must have: key columns and mapped, non-optional columns."""
        optional = set(self.optional_columns)
        ordered = dict.fromkeys([*self.key_columns, *self.mapped_columns()])
        return [c for c in ordered if c not in optional]

    @field_validator("mapping")
    @classmethod
    def _known_targets(cls, mapping: dict[str, MappingValue], info: ValidationInfo) -> dict[str, MappingValue]:
        events = info.data.get("records") == "events"
        fields, what = (EVENT_FIELDS, "event") if events else (CANONICAL_FIELDS, "canonical")
        unknown = sorted(set(mapping) - set(fields))
        if unknown:
            raise ValueError(f"unknown {what} field(s) {unknown}; expected some of {list(fields)}")
        if events:
            missing = [f for f in ("event_type", "occurred_at") if f not in mapping]
            if missing:
                raise ValueError(f"an event source must map {missing}")
            if not {"customer_key", "email", "phone"} & set(mapping):
                raise ValueError("an event source must map customer_key, email or phone to find its customer")
        for target, value in mapping.items():
            try:
                _value_columns(value)
            except ValueError as exc:
                raise ValueError(f"{target}: {exc}") from None
        return mapping


TRANSFORMS = ("column", "split_full_name", "join", "constant")


def _value_columns(value: MappingValue) -> list[str]:
    """Source columns one mapping value reads; ValueError naming the expected shapes otherwise."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        keys = set(value)
        if keys == {"column"} and isinstance(value["column"], str):
            return [value["column"]]
        if keys == {"split_full_name"} and isinstance(value["split_full_name"], str):
            return [value["split_full_name"]]
        if "join" in keys and keys <= {"join", "sep"}:
            parts = value["join"]
            sep_ok = isinstance(value.get("sep", " "), str)
            if isinstance(parts, list) and parts and all(isinstance(p, str) for p in parts) and sep_ok:
                return list(parts)
        if keys == {"constant"}:
            return []
    raise ValueError(
        "expected a source column name, or one of {column: X}, {split_full_name: X}, "
        "{join: [A, B], sep: ' '}, {constant: V}"
    )


def mapping_columns(mapping: dict[str, MappingValue]) -> list[str]:
    """Every source column a mapping reads, without repeats, in order."""
    ordered: dict[str, None] = {}
    for value in mapping.values():
        for column in _value_columns(value):
            ordered.setdefault(column, None)
    return list(ordered)


MIB = 1 << 20


class IngestLimits(BaseModel):
    """Limits on one inbox file (`ingest:`); every reader stops at them and the file is rejected with the
    reason. A pure config model, here beside `SourceConfig`; `sources/limits.py` enforces it."""

    model_config = ConfigDict(extra="forbid")

    max_file_bytes: int = Field(
        default=512 * MIB, ge=1,
        description="Bytes one file may hold once decompressed (an .xlsx's inflated entries, a Parquet file's "
        "uncompressed pages, a text file's size); more and the file is rejected before it is inflated.",
    )
    max_line_bytes: int = Field(
        default=16 * MIB, ge=1,
        description="Bytes one line of a CSV file may hold (the CSV parser's block size); a longer line rejects "
        "the file as soon as the reader reaches the limit (it never holds the whole line). A shorter but "
        "over-long value is the row's problem: see max_field_chars.",
    )
    max_rows: int = Field(default=5_000_000, ge=1, description="Data rows one file (one sheet) may hold.")
    max_columns: int = Field(default=1_000, ge=1, description="Columns one file (one sheet) may hold.")
    max_cells: int = Field(
        default=50_000_000, ge=1,
        description="Rows x columns one file (one sheet) may span; checked on an .xlsx sheet's cell references "
        "before the sheet is loaded, so a sparse sheet cannot inflate into a huge grid.",
    )
    max_field_chars: int = Field(
        default=1_000, ge=1,
        description="Characters one mapped value may hold; a longer value sends its row to quarantine with "
        "reason `field_too_long` (the value is not standardised, matched or published).",
    )


def check_event_sources(sources: list[SourceConfig]) -> None:
    """Each event source's `customer_source` is a customer source with exactly one key column:
    the event's `customer_key` then gives that record's key (`sources.keys.record_key`)."""
    by_name = {s.name: s for s in sources}
    for source in sources:
        if source.customer_source is None:
            continue
        target = by_name.get(source.customer_source)
        if target is None or target.records != "customers":
            raise ValueError(f"{source.name}: customer_source {source.customer_source!r} is not a customer source")
        if len(target.key_columns) != 1:
            raise ValueError(
                f"{source.name}: customer_source {target.name!r} needs exactly one key column "
                f"(it has {len(target.key_columns)})"
            )
