"""The connector contract: what a source kind must provide to feed the raw layer.

Shaped after the Meltano SDK stream (a small class whose attributes say what it is, plus one
method that reads) and the Airbyte CDK scenarios (bad input must be *refused loudly*):

- `kind`: the name used in `mdm.yaml` (`kind: csv`).
- `options_model`: a pydantic model of the connector's `options:`; unknown keys are errors.
- `discover(inbox)`: the items to read (files matching the source's glob, or one SQL extract).
- `read(item)`: the WHOLE item as Arrow tables of strings (one per sheet), or raise
  `SourceError` with a message naming the problem and never a cell value.

The ingest stage (`sources.ingest`) does everything else the same way for every connector:
content hashes, skip-if-loaded, mapped-column checks, lineage, rejection, inserts. A connector
therefore never touches the warehouse and cannot half-load a file.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, ValidationError

from sources.config import IngestLimits, SourceConfig


class SourceError(Exception):
    """A file or extract cannot be loaded. The message names the problem, never a cell value."""


class ConnectorConfigError(ValueError):
    """A source's `options:` do not fit its connector; the message names source, key and expectation."""


class NoOptions(BaseModel):
    """Options model of a connector that takes none."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class SourceItem:
    """One thing to load: a file in the inbox, or one database extract.

    `label` is what lineage records as `file` (path relative to the inbox, POSIX style).
    `state` carries what an incremental connector needs to know (e.g. the last watermark).
    """

    label: str
    path: Path | None = None
    state: dict[str, Any] = field(default_factory=dict)


@dataclass
class SheetTable:
    """The rows of one sheet (or of the whole file when there are no sheets), all strings."""

    sheet: str | None
    table: pa.Table


@dataclass
class ReadResult:
    """What `read` returns: the sheets, and for extracts their content hash and new watermark."""

    sheets: list[SheetTable]
    content_hash: str | None = None
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(sheet.table.num_rows for sheet in self.sheets)

    @property
    def columns(self) -> list[str]:
        seen: dict[str, None] = {}
        for sheet in self.sheets:
            for name in sheet.table.column_names:
                seen.setdefault(name, None)
        return list(seen)


class SourceConnector(ABC):
    """Base class of every connector, built-in or plug-in. Subclass, set `kind`, implement `read`."""

    #: Name used in `mdm.yaml` (`kind:`) and in the entry-point group `customer_mdm.sources`.
    kind: ClassVar[str]
    #: One-line description shown by `mdm sources list`.
    description: ClassVar[str] = ""
    #: Pydantic model of `options:`; give each field a description (it is the documentation).
    options_model: ClassVar[type[BaseModel]] = NoOptions
    #: True when items are files found by the source's glob in the inbox.
    file_based: ClassVar[bool] = True

    def __init__(self, source: SourceConfig):
        self.source = source
        #: `ingest:` limits from `mdm.yaml` (set by `Registry.create`); readers stop at them while reading.
        self.limits: IngestLimits = IngestLimits()
        try:
            self.options: Any = self.options_model.model_validate(source.options)
        except ValidationError as exc:
            problems = "; ".join(
                f"options > {'.'.join(str(p) for p in e['loc']) or '(all)'}: {e['msg']}" for e in exc.errors()
            )
            raise ConnectorConfigError(f"source {source.name!r} ({self.kind}): {problems}") from None

    def discover(self, inbox: Path, state: dict[str, Any] | None = None) -> list[SourceItem]:
        """Files matching the source's glob, confined to the inbox (see `sources.inbox`).

        `state` is what this source stored after its last successful load (`ReadResult.state`);
        file connectors ignore it, incremental extracts resume from it.
        """
        from sources.inbox import find_files

        if not self.source.path:
            raise ConnectorConfigError(f"source {self.source.name!r} ({self.kind}): `path` is required")
        return [SourceItem(label=label, path=path) for label, path in find_files(inbox, self.source.path)]

    @abstractmethod
    def read(self, item: SourceItem) -> ReadResult:
        """Read the whole item into all-string Arrow tables, or raise `SourceError`."""

    def masked_label(self) -> str:
        """How this source's location may appear in logs (no secrets)."""
        return self.source.path or self.kind
