"""Which connector reads which `kind`: the built-ins plus any installed plug-in.

Plug-ins are separate packages that declare an entry point in the group `customer_mdm.sources`:

    [project.entry-points."customer_mdm.sources"]
    acme = "acme_mdm.connector:AcmeConnector"

Built-ins are listed here the same way (as "module:Class" strings, imported on demand) so that
they work without reinstalling the project; a plug-in may not shadow a built-in kind.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass, field
from importlib.metadata import entry_points

from sources.base import SourceConnector
from sources.config import IngestLimits, SourceConfig

log = logging.getLogger("mdm.sources")

ENTRY_POINT_GROUP = "customer_mdm.sources"

BUILTIN_CONNECTORS: dict[str, str] = {
    "csv": "sources.csv_inbox:CsvInbox",
    "excel": "sources.excel_inbox:ExcelInbox",
    "json": "sources.json_inbox:JsonInbox",
    "parquet": "sources.parquet_inbox:ParquetInbox",
    "sql": "sources.sql_query:SqlQuery",
}


class UnknownKind(KeyError):
    """No connector is registered for a source's `kind`."""

    def __str__(self) -> str:
        return str(self.args[0])


def _load(target: str) -> type[SourceConnector]:
    module_name, _, attr = target.partition(":")
    obj = getattr(importlib.import_module(module_name), attr)
    if not (isinstance(obj, type) and issubclass(obj, SourceConnector)):
        raise TypeError(f"{target} is not a SourceConnector subclass")
    return obj


@dataclass
class Registry:
    """Connector classes by kind, and where each came from ('builtin' or a distribution name)."""

    connectors: dict[str, type[SourceConnector]] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def add(self, connector: type[SourceConnector], origin: str = "test") -> None:
        self.connectors[connector.kind] = connector
        self.origins[connector.kind] = origin

    def kinds(self) -> list[str]:
        return sorted(self.connectors)

    def get(self, kind: str) -> type[SourceConnector]:
        try:
            return self.connectors[kind]
        except KeyError:
            raise UnknownKind(f"unknown connector kind {kind!r}; known kinds: {self.kinds()}") from None

    def create(self, source: SourceConfig, limits: IngestLimits | None = None) -> SourceConnector:
        """An instance for one configured source; raises UnknownKind or ConnectorConfigError.

        `limits` (the config's `ingest:` section) is set after construction, so a plug-in whose
        `__init__` takes only the source still gets it.
        """
        try:
            connector = self.get(source.kind)(source)
        except UnknownKind as exc:
            raise UnknownKind(f"source {source.name!r} > kind: {exc}") from None
        if limits is not None:
            connector.limits = limits
        return connector


def load_registry(include_plugins: bool = True) -> Registry:
    """Built-ins, then plug-ins from entry points. A broken plug-in is reported, not fatal."""
    registry = Registry()
    for kind, target in BUILTIN_CONNECTORS.items():
        registry.connectors[kind] = _load(target)
        registry.origins[kind] = "builtin"
    if not include_plugins:
        return registry
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        origin = ep.dist.name if ep.dist is not None else ep.value
        if ep.name in BUILTIN_CONNECTORS:
            if ep.value != BUILTIN_CONNECTORS[ep.name]:
                registry.problems.append(f"plug-in {origin}: kind {ep.name!r} is built in; ignored")
            continue
        try:
            connector = ep.load()
            if not (isinstance(connector, type) and issubclass(connector, SourceConnector)):
                raise TypeError("not a SourceConnector subclass")
            if connector.kind != ep.name:
                raise TypeError(f"entry point name {ep.name!r} differs from the class kind {connector.kind!r}")
        except Exception as exc:  # a broken plug-in must not stop the pipeline
            registry.problems.append(f"plug-in {origin}: entry point {ep.name!r} failed to load: {exc}")
            log.warning("connector plug-in %s (%s) failed to load: %s", ep.name, origin, type(exc).__name__)
            continue
        registry.connectors[ep.name] = connector
        registry.origins[ep.name] = origin
    return registry
