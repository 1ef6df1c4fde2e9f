"""What a kind of party is matched on: the engine's one input besides the data and the thresholds.

Why: the engine (`matching/engine.py`) is one Fellegi-Sunter matcher — prepare, block, compare,
train, score, decide, cluster — and everything that depends on *what* is matched sits in a
`ModelSpec`: the comparisons (with their levels), the blocking rules (already resolved to
prepared columns), how records become the prepared matching input, the training settings, the
household rule (or none), which comparisons get the term-frequency adjustment, and the schema
that holds the kind's stored state. Persons are one spec (`person_spec`, from `matching:` in
mdm.yaml); organisations are another, with their own comparisons and rules, run by the same
engine with `engine.run(con, spec, settings, ...)`.

Thresholds, block caps and clustering limits are *settings* (`EngineSettings`), not part of a
spec: `MatchingConfig` provides them, and so can any other config model with the same fields.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Protocol

import duckdb

from matching.blocking import BlockingRule
from matching.comparisons import PERSON_HOUSEHOLD, Comparison, HouseholdRule, build
from matching.defaults import PERSON_DEFAULTS, DefaultCheck
from matching.settings import MatchingConfig, TrainingConfig

#: Builds the matching input: (connection, source relation named by code) -> rows. It must create
#: the temp table `matching.prepare.INPUT_TABLE` with `record_key`, `content_hash` and every
#: column the comparisons and blocking rules read.
PrepareFn = Callable[[duckdb.DuckDBPyConnection, str], int]


@dataclass(frozen=True)
class PreparedKeys:
    """How one kind's records become the matching input, and what the stored keys depend on.

    `source_columns`: the source columns `build` reads; a change in any of them re-prepares the
    record in an incremental run. `version_files`: the code and data behind `build`; when one
    changes, every stored prepared row is rebuilt.
    """

    build: PrepareFn
    source_columns: tuple[str, ...]
    version_files: tuple[Path | Traversable, ...]

    def code_version(self) -> str:
        digest = hashlib.sha256()
        for file in self.version_files:
            digest.update(file.read_bytes())
        return digest.hexdigest()[:16]


@dataclass(frozen=True)
class ModelSpec:
    """One kind of party, as the engine matches it.

    `kind` names the party kind in messages; `schema` the DuckDB schema of its stored state
    (`<schema>.candidates`, `.pairs`, `.decisions`, `.clusters`, `.records`, `.state`,
    `.blocking_stats`, `.term_frequencies`, `.record_links`, `.prepared`; the layout of
    `warehouse/ddl/50_match.sql`, the `g_<comparison>` columns of `candidates` added by the engine).
    `fingerprint`: what a fitted model depends on (comparisons, blocking, training); a change refits.
    `records`: SQL condition over a row of the source saying which rows are this kind's (None: all):
    the engine reads no other row, so they are neither compared, nor clustered, nor counted.
    `defaults`: the fields whose too-common values compare as missing (`matching/defaults.py`), or None.
    """

    kind: str
    schema: str
    comparisons: tuple[Comparison, ...]
    blocking_rules: tuple[BlockingRule, ...]
    prepared: PreparedKeys
    training: TrainingConfig
    fingerprint: str
    household: HouseholdRule | None = None
    tf_adjust: tuple[str, ...] = ()
    records: str | None = None
    defaults: DefaultCheck | None = None

    @property
    def tf_comparisons(self) -> list[Comparison]:
        """The comparisons whose term-frequency levels are adjusted (see `Level.tf_column`)."""
        return [c for c in self.comparisons if c.name in self.tf_adjust and c.tf_columns]

    def tf_columns(self) -> list[str]:
        """Prepared columns whose value frequencies the scoring needs, each once, in order."""
        return list(dict.fromkeys(col for c in self.tf_comparisons for col in c.tf_columns))


class EngineSettings(Protocol):
    """The thresholds and limits the engine reads (`MatchingConfig` has them all)."""

    auto_match_threshold: float
    review_threshold: float
    store_threshold: float
    max_block_size: int
    max_rule_pairs_per_record: float
    min_rule_pairs: int
    max_candidate_pairs: int
    tf_minimum: float
    default_value_min_people: int
    default_value_factor: float
    max_cluster_size: int
    min_cluster_density: float
    density_min_size: int
    incremental: bool


#: The rows the person matcher reads: persons, and contacts (a person named with an organisation).
#: A row about an organisation alone (a company name or identifier, no names) is no person: the
#: organisation matcher matches it (`matching/organisations.py`), and sharing an address or a phone
#: with the people who work there must not make it one of them. A row with no kind is a person.
PERSON_RECORDS = "party_kind IS DISTINCT FROM 'organisation'"


def person_prepared_keys() -> PreparedKeys:
    from matching import prepare
    from mdm import places

    return PreparedKeys(
        build=prepare.prepare_input,
        source_columns=prepare.SOURCE_COLUMNS,
        version_files=(Path(prepare.__file__), Path(places.__file__),
                       resources.files("matching").joinpath("data", "nicknames.csv")),
    )


def person_spec(cfg: MatchingConfig) -> ModelSpec:
    """Persons, as `matching:` in mdm.yaml configures them (schema `match`)."""
    return ModelSpec(
        kind="person",
        schema="match",
        comparisons=tuple(build(cfg.comparisons)),
        blocking_rules=tuple(BlockingRule.from_config(r) for r in cfg.blocking_rules),
        prepared=person_prepared_keys(),
        training=cfg.training,
        fingerprint=cfg.model_fingerprint(),
        household=PERSON_HOUSEHOLD,
        tf_adjust=tuple(cfg.tf_adjust),
        records=PERSON_RECORDS,
        defaults=PERSON_DEFAULTS,
    )
