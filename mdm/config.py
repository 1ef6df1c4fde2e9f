"""`mdm.yaml`: the one configuration file a steward can read.

Each package owns the model of its own section (`sources.config`, `matching.settings`, ...);
this module assembles them and reports every error with its YAML path, e.g.
`sources[0] (crm) > mapping: unknown canonical field(s) ['nom']`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from expectations.config import ValidationConfig
from matching.merge.config import SurvivorshipConfig
from matching.settings import MatchingConfig
from mdm.events.config import EventsConfig
from mdm.privacy import read_salt
from mdm.segments.config import SegmentsConfig
from mdm.web.config import WebConfig
from sources.config import IngestLimits, SourceConfig, check_event_sources
from warehouse.publication.config import PublicationConfig
from warehouse.retention.config import RetentionConfig

DEFAULT_HOME = "var"
PUBLISHED_FILE = "mdm.duckdb"
LEGACY_PUBLISHED_FILE = "golden.duckdb"
BUNDLED_DEMO_CONFIG = Path(__file__).resolve().parent / "demo" / "mdm.yaml"


class ConfigError(ValueError):
    """The config file is missing or invalid; the message lists every problem with its YAML path."""


class Paths(BaseModel):
    """Where runtime state lives. Everything is under one home folder ($MDM_HOME, default ./var)."""

    model_config = ConfigDict(extra="forbid")

    home: Path

    @property
    def inbox(self) -> Path:
        return self.home / "inbox"

    @property
    def rejected(self) -> Path:
        """Files that could not be loaded are moved here, next to a `.reason.txt`."""
        return self.home / "rejected"

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def lock(self) -> Path:
        return self.home / "warehouse.lock"

    @property
    def published_dir(self) -> Path:
        return self.home / "published"

    @property
    def published(self) -> Path:
        """The published database, `mdm.duckdb`. Not `golden.duckdb`: DuckDB names a file's catalog
        after the file, and a catalog `golden` makes `golden.customer` ambiguous with the schema
        `golden` for anyone opening the file directly (`duckdb FILE`, BI tools)."""
        return self.published_dir / PUBLISHED_FILE

    @property
    def legacy_published(self) -> Path:
        """Where homes made before the rename keep their publication until their next publish,
        which writes `published` and removes this file."""
        return self.published_dir / LEGACY_PUBLISHED_FILE

    def current_published(self) -> Path:
        """The file readers open now: `published`, or in a home not yet republished since the
        rename, the legacy file (so an upgrade never leaves readers with "nothing published")."""
        if not self.published.exists() and self.legacy_published.exists():
            return self.legacy_published
        return self.published

    @property
    def steward_db(self) -> Path:
        return self.home / "steward.sqlite"

    @property
    def archive(self) -> Path:
        return self.home / "archive" / "archive.duckdb"

    @property
    def reports(self) -> Path:
        return self.home / "reports"

    @property
    def models(self) -> Path:
        return self.home / "models"

    def ensure(self) -> None:
        for folder in (self.home, self.inbox, self.rejected, self.published_dir, self.reports, self.models):
            folder.mkdir(parents=True, exist_ok=True)


class WarehouseConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    memory_limit: str | None = Field(
        default="4GB",
        pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
        description="Cap on the pipeline's DuckDB memory (DuckDB spills to disk beyond it); null: DuckDB's own "
        "default, 80 % of RAM, which let a 1M-record run grow to 11.6 GB.",
    )


class PrivacyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    salt_env: str = Field(
        default="MDM_SALT",
        description="Environment variable holding the secret salt for hashes; a per-home salt file is used if unset.",
    )


class MdmConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    home: str | None = Field(default=None, description="Runtime folder; $MDM_HOME wins, default ./var.")
    sources: list[SourceConfig] = Field(description="The sources to ingest, one entry each (see below).")
    ingest: IngestLimits = Field(
        default_factory=IngestLimits,
        description="Limits on one inbox file, checked while it is read; a file beyond them is rejected.",
    )
    validation: ValidationConfig = Field(
        default_factory=ValidationConfig, description="Great Expectations suites and the circuit breaker."
    )
    matching: MatchingConfig = Field(
        default_factory=MatchingConfig, description="Blocking, comparisons, model training, thresholds, clustering."
    )
    survivorship: SurvivorshipConfig = Field(
        default_factory=SurvivorshipConfig, description="Which source value survives into the golden record."
    )
    events: EventsConfig = Field(
        default_factory=EventsConfig, description="What event types mean (sources with `records: events`)."
    )
    segments: SegmentsConfig = Field(
        default_factory=SegmentsConfig, description="Named customer segments (RFM) and lifetime value."
    )
    publication: PublicationConfig = Field(
        default_factory=PublicationConfig, description="Published versions kept and Parquet export."
    )
    retention: RetentionConfig = Field(
        default_factory=RetentionConfig, description="Retention rules and legal holds (CNIL defaults)."
    )
    web: WebConfig = Field(default_factory=WebConfig, description="The steward web app (`mdm serve`).")
    warehouse: WarehouseConfig = Field(
        default_factory=WarehouseConfig, description="The working DuckDB warehouse."
    )
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig, description="Salted hashing of identifiers.")

    #: Set by `load_config`: the file it came from, and the resolved paths.
    config_path: Path | None = None
    paths: Paths = Field(default_factory=lambda: Paths(home=Path(DEFAULT_HOME).resolve()))

    @model_validator(mode="after")
    def _unique_source_names(self) -> MdmConfig:
        names = [s.name for s in self.sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"source names must be unique; repeated: {dupes}")
        check_event_sources(self.sources)
        return self

    def source(self, name: str) -> SourceConfig:
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(f"no source named {name!r} in the config")


def get_salt(config: MdmConfig) -> str:
    """The secret salt of this config's home (`mdm.privacy.read_salt`), created on first use."""
    salt = read_salt(config.paths.home, config.privacy.salt_env)
    assert salt is not None  # created when missing
    return salt


def _yaml_path(loc: tuple[Any, ...], raw: dict[str, Any]) -> str:
    """Render a pydantic error location as a YAML path, naming sources by their `name`."""
    parts: list[str] = []
    node: Any = raw
    for item in loc:
        if isinstance(item, int):
            label = f"[{item}]"
            if isinstance(node, list) and item < len(node):
                node = node[item]
                if isinstance(node, dict) and "name" in node:
                    label += f" ({node['name']})"
            parts[-1:] = [(parts[-1] if parts else "") + label]
            continue
        parts.append(str(item))
        node = node.get(item) if isinstance(node, dict) else None
    return " > ".join(parts) or "(top level)"


def resolve_home(config_home: str | None, config_dir: Path) -> Path:
    env_home = os.environ.get("MDM_HOME")
    if env_home:
        return Path(env_home).expanduser().resolve()
    if config_home:
        home = Path(config_home).expanduser()
        return (home if home.is_absolute() else config_dir / home).resolve()
    return Path(DEFAULT_HOME).resolve()


def parse_config(raw: Any, source_label: str, config_dir: Path) -> MdmConfig:
    if not isinstance(raw, dict):
        raise ConfigError(f"{source_label}: expected a mapping at the top level, got {type(raw).__name__}")
    try:
        config = MdmConfig.model_validate(raw)
    except ValidationError as exc:
        lines = [f"{source_label}: {exc.error_count()} problem(s)"]
        for error in exc.errors():
            lines.append(f"  - {_yaml_path(error['loc'], raw)}: {error['msg']}")
        raise ConfigError("\n".join(lines)) from None
    config.paths = Paths(home=resolve_home(config.home, config_dir))
    return config


def default_config_path() -> Path:
    """`$MDM_CONFIG`, else `./mdm.yaml`, else the bundled demo config."""
    env = os.environ.get("MDM_CONFIG")
    if env:
        return Path(env)
    local = Path("mdm.yaml")
    return local if local.exists() else BUNDLED_DEMO_CONFIG


def load_config(path: str | os.PathLike[str] | None = None) -> MdmConfig:
    """Read and validate a config file; raise `ConfigError` listing every problem."""
    config_path = Path(path) if path is not None else default_config_path()
    if not config_path.exists():
        raise ConfigError(f"config file not found: {config_path}")
    try:
        raw = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{config_path}: not valid YAML: {exc}") from None
    config = parse_config(raw, str(config_path), config_path.resolve().parent)
    config.config_path = config_path.resolve()
    return config
