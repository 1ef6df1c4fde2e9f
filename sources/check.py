"""Read a source's items without loading them: what `mdm sources check NAME` reports.

It never opens the warehouse (the pipeline may hold it), never moves a file, and reports counts
and column names only, never values.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from mdm.config import MdmConfig
from sources.base import ConnectorConfigError, SourceError
from sources.inbox import confined
from sources.ingest import check_result
from sources.registry import Registry, UnknownKind, load_registry


@dataclass
class ItemReport:
    item: str
    ok: bool
    rows: int = 0
    sheets: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    problem: str | None = None


@dataclass
class SourceReport:
    source: str
    kind: str
    location: str
    ok: bool
    items: list[ItemReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_source(config: MdmConfig, name: str, registry: Registry | None = None) -> SourceReport:
    """Discover and read every item of source `name`; KeyError if there is no such source."""
    source = config.source(name)
    registry = registry or load_registry()
    report = SourceReport(source=name, kind=source.kind, location=source.path or source.kind, ok=True)
    try:
        connector = registry.create(source, config.ingest)
        report.location = connector.masked_label()
        items = connector.discover(config.paths.inbox, None)
    except (UnknownKind, ConnectorConfigError, SourceError) as exc:
        report.ok = False
        report.problems.append(str(exc))
        return report
    if not items:
        report.problems.append(f"no file matches {source.path!r} in {config.paths.inbox}")
    for item in items:
        entry = ItemReport(item=item.label, ok=True)
        try:
            if item.path is not None and not confined(config.paths.inbox, item.path):
                raise SourceError(f"{item.label}: path escapes the inbox; not read")
            result = connector.read(item)
            entry.rows = result.rows
            entry.sheets = [s.sheet for s in result.sheets if s.sheet]
            entry.columns = result.columns
            check_result(source, item.label, result, connector.limits)
        except SourceError as exc:
            entry.ok, entry.problem = False, str(exc)
        except Exception as exc:
            entry.ok, entry.problem = False, f"{item.label}: unreadable ({type(exc).__name__})"
        report.items.append(entry)
    report.ok = not report.problems and all(i.ok for i in report.items)
    return report
