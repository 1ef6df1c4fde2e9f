"""The matcher end to end on one DuckDB connection: prepare, block, compare, train, score, decide, cluster.

One engine for every kind of party: `run(con, spec, settings, ...)` takes a `ModelSpec`
(`matching/spec.py`: comparisons, blocking rules, prepared keys, training settings, household
rule, stored-state schema) and the thresholds (`EngineSettings`). `run_matching` is persons as
`matching:` in mdm.yaml configures them. Used by the pipeline stage (`matching/stage.py`) and by `mdm evaluate` (`matching/evaluation.py`),
so both exercise exactly the same code. Never opens or commits a transaction: the caller owns it.

Incremental runs: records whose matching fields are unchanged since the last run keep their
stored candidate pairs and comparison vectors; new and changed records are blocked against the
whole base and each other; pairs of changed or vanished records are dropped. Term frequencies are
frozen with the model version, so with the same model only new pairs and pairs whose steward
decision changed are scored and written, and only the clusters their changes touch are clustered
again (matching/recluster.py). The outcome is the same as a full run with the same model.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from matching import blocking, decisions, defaults, recluster, scoring, training
from matching import model as model_store
from matching.blocking_report import rule_report
from matching.comparisons import vector_sql
from matching.model import MatchModel
from matching.prepare import INPUT_TABLE
from matching.prepared import prepare_with_cache
from matching.settings import MatchingConfig
from matching.spec import EngineSettings, ModelSpec, person_spec
from matching.sql import one, scalar_int
from warehouse.scratch import Scratch

log = logging.getLogger("mdm.matching")

STALE_TABLE = decisions.STALE_TABLE


@dataclass
class MatchOutcome:
    counts: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    model: MatchModel | None = None


def levels_fingerprint(spec: ModelSpec) -> str:
    """The comparisons' level SQL: a new level renumbers the stored vectors and the model's m and u."""
    comparisons = list(spec.comparisons)
    return hashlib.sha256(
        repr([vector_sql(comparisons, "", spec.household)] + [c.gamma_sql() for c in comparisons]).encode()
    ).hexdigest()[:16]


def _rules_data(spec: ModelSpec) -> list[tuple[Any, ...]]:
    # a rule that skips when loose is written as before `when_loose` existed: no rebuild on upgrade
    return [(r.name, r.columns) if r.when_loose == "skip" else (r.name, r.columns, r.when_loose)
            for r in spec.blocking_rules]


def candidates_fingerprint(
    spec: ModelSpec, cfg: EngineSettings, caps: dict[str, int], levels: str, found: defaults.DefaultValues | None = None,
) -> str:
    """What stored comparison vectors depend on: blocking rules (which are skipped, which keep only
    their small blocks), cap, comparison levels, and the values that compare as missing (`found`)."""
    skipped = [name for name, cap in caps.items() if cap == 0]
    kept = sorted((name, cap) for name, cap in caps.items() if cap > 0)
    data = repr((_rules_data(spec), skipped, *([kept] if kept else []), cfg.max_block_size,
                 [c.name for c in spec.comparisons], levels, sorted(found.hashes.items()) if found else None))
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def _state(con: duckdb.DuckDBPyConnection, schema: str, key: str) -> str | None:
    row = one(con, f"SELECT value FROM {schema}.state WHERE key = ?", [key])
    return str(row[0]) if row else None


def _set_state(con: duckdb.DuckDBPyConnection, schema: str, key: str, value: str) -> None:
    con.execute(f"INSERT OR REPLACE INTO {schema}.state (key, value) VALUES (?, ?)", [key, value])


#: A stored judgement on the data (skipped rules, defaults) is made again when the record count
#: moved by more than this share.
RULES_REJUDGE_GROWTH = 0.25


def _kept_judgement(
    con: duckdb.DuckDBPyConnection, schema: str, key: str, fingerprint: str, n_records: int, force_full: bool,
    judge: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """A judgement on the data, stored in `<schema>.state` under `key`: reused while `fingerprint`
    (what it was judged with) holds and the record count stays within `RULES_REJUDGE_GROWTH` of the
    judged one, made again by `judge()` otherwise (and on a forced full run).

    Judging afresh every night let a decision near its limit flip (the 1 % nightly batch, or last
    night's expiry, moves it across), and a flip changes the stored candidates' fingerprint and
    forces a full rebuild: at 1M records, 150 s instead of 40.
    """
    stored = _state(con, schema, key)
    if stored is not None and not force_full:
        previous: dict[str, Any] = json.loads(stored)
        moved = abs(n_records - previous["records"]) / max(previous["records"], 1)
        if previous.get("fingerprint") == fingerprint and moved <= RULES_REJUDGE_GROWTH:
            return previous
    judged = judge()
    _set_state(con, schema, key, json.dumps({**judged, "fingerprint": fingerprint, "records": n_records}))
    return judged


def _loose_rules(
    con: duckdb.DuckDBPyConnection, spec: ModelSpec, cfg: EngineSettings, n_records: int, force_full: bool,
) -> dict[str, int]:
    """The loose rules and the block size each keeps, 0 for a rule skipped (`blocking.rule_caps`):
    judged on the data, then kept while the data stays about the same size and the rules are the
    same (`_kept_judgement`)."""
    rules_fp = hashlib.sha256(
        repr((_rules_data(spec), cfg.max_block_size, cfg.max_rule_pairs_per_record, cfg.min_rule_pairs)).encode()
    ).hexdigest()[:16]

    def judge() -> dict[str, Any]:
        caps = blocking.rule_caps(con, list(spec.blocking_rules), cfg.max_block_size, cfg.max_rule_pairs_per_record,
                                  n_records, cfg.min_rule_pairs)
        return {"skipped": [name for name, cap in caps.items() if cap == 0],
                "kept_small_blocks": {name: cap for name, cap in caps.items() if cap > 0}}

    judged = _kept_judgement(con, spec.schema, "skipped_rules", rules_fp, n_records, force_full, judge)
    return {**dict.fromkeys(judged["skipped"], 0), **judged.get("kept_small_blocks", {})}


def _clear_defaults(r: _Run, n_records: int, force_full: bool, salt: str) -> defaults.DefaultValues | None:
    """Clear the values that compare as missing (`matching/defaults.py`) in the matching input and
    say so in the warnings; judged like the skipped rules (`_kept_judgement`). None: the spec checks none."""
    con, spec, cfg = r.con, r.spec, r.cfg
    check = spec.defaults
    if check is None:
        return None
    settings_fp = hashlib.sha256(repr((
        sorted(check.fields.items()), check.holder, sorted(check.conventions.items()),
        cfg.default_value_min_people, cfg.default_value_factor, hashlib.sha256(salt.encode()).hexdigest(),
    )).encode()).hexdigest()[:16]

    def judge() -> dict[str, Any]:
        found = defaults.judge(con, check, cfg.default_value_min_people, cfg.default_value_factor, salt)
        return {"hashes": found.hashes, "held": found.records}

    judged = _kept_judgement(con, spec.schema, "default_values", settings_fp, n_records, force_full, judge)
    found = defaults.DefaultValues(judged["hashes"], judged["held"])
    defaults.clear(con, check, found, salt, cfg.default_value_min_people)
    r.outcome.warnings += found.warnings()
    return found


def _mark_new(con: duckdb.DuckDBPyConnection, schema: str, full: bool) -> dict[str, int]:
    """Flag new/changed records in `match_input` (`is_new`), list the stale ones in `match_stale`
    (removed or changed since the last run) and drop their stored pairs."""
    if full:
        con.execute(f"DELETE FROM {schema}.candidates")
        con.execute(f"DELETE FROM {schema}.records")
        con.execute(f"ALTER TABLE {INPUT_TABLE} ADD COLUMN is_new BOOLEAN DEFAULT TRUE")
    else:
        # A column added, then set on the few new or changed records: rewriting the million-row
        # table to add it cost a second a night (`content_hash` is an md5, never NULL).
        con.execute(f"ALTER TABLE {INPUT_TABLE} ADD COLUMN is_new BOOLEAN DEFAULT FALSE")
        con.execute(f"""
            UPDATE {INPUT_TABLE} SET is_new = TRUE WHERE record_key IN (
                SELECT i.record_key FROM {INPUT_TABLE} i LEFT JOIN {schema}.records m USING (record_key)
                WHERE m.content_hash IS NULL OR m.content_hash <> i.content_hash)
        """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {STALE_TABLE} AS
        SELECT record_key FROM {schema}.records
        WHERE record_key NOT IN (SELECT record_key FROM {INPUT_TABLE} WHERE NOT is_new)
    """)
    con.execute(f"""
        DELETE FROM {schema}.candidates
        WHERE record_key_l IN (SELECT record_key FROM {STALE_TABLE})
           OR record_key_r IN (SELECT record_key FROM {STALE_TABLE})
    """)
    row = one(con, f"""
        SELECT count(*) FILTER (WHERE is_new),
               count(*) FILTER (WHERE is_new AND record_key IN (SELECT record_key FROM {schema}.records)),
               (SELECT count(*) FROM {schema}.records WHERE record_key NOT IN (SELECT record_key FROM {INPUT_TABLE}))
        FROM {INPUT_TABLE}
    """)
    assert row is not None
    return {"new_or_changed": int(row[0]), "changed": int(row[1]), "removed": int(row[2])}


def _add_steward_pairs(con: duckdb.DuckDBPyConnection, schema: str) -> None:
    """Steward-decided pairs blocking did not find are compared too, so they carry an explanation."""
    con.execute(f"""
        INSERT INTO {blocking.CANDIDATES_TABLE}
        SELECT s.record_key_l, s.record_key_r, -1
        FROM {decisions.STEWARD_TABLE} s
        JOIN {INPUT_TABLE} l ON l.record_key = s.record_key_l
        JOIN {INPUT_TABLE} r ON r.record_key = s.record_key_r
        WHERE NOT EXISTS (SELECT 1 FROM {blocking.CANDIDATES_TABLE} c
                          WHERE c.key_l = s.record_key_l AND c.key_r = s.record_key_r)
          AND NOT EXISTS (SELECT 1 FROM {schema}.candidates c
                          WHERE c.record_key_l = s.record_key_l AND c.record_key_r = s.record_key_r)
    """)


def _needs_training(
    spec: ModelSpec, current: MatchModel | None, fingerprint: str, labels: str, records: int, n_labels: int = 0
) -> str | None:
    """The reason to fit a new model, or None to reuse `current`.

    A steward's decision applies at once whatever the model (steward decisions always win), so a
    few new decisions do not refit: a refit rescores every stored pair, about 30 s a night at a
    million records. `retrain_labels` decisions added or withdrawn since the fit do.
    """
    cfg = spec.training
    if current is None:
        return "no model yet"
    if cfg.retrain == "always":
        return "retrain: always"
    if cfg.retrain == "never":
        return None
    if current.settings_fingerprint != fingerprint:
        return "matching settings changed"
    fitted_with = int(current.training.get("steward_decisions", 0))
    if current.labels_fingerprint != labels and abs(n_labels - fitted_with) >= cfg.retrain_labels:
        return "steward decisions changed"
    if records > max(current.records, 1) * (1 + cfg.retrain_growth):
        return "data grew"
    return None


@dataclass
class _Run:
    """What one run's steps hand each other (besides the temp tables they document)."""

    con: duckdb.DuckDBPyConnection
    spec: ModelSpec
    cfg: EngineSettings
    run_id: str
    now: datetime
    outcome: MatchOutcome = field(default_factory=MatchOutcome)
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)
    full: bool = True

    def timed(self, step: str, started: float) -> None:
        self.timings[step] = time.perf_counter() - started


def _prepare(r: _Run, source: str, force_full: bool, levels_fp: str, salt: str) -> list[blocking.BlockingRule]:
    """Prepared input (its defaults cleared), the rules to skip and the mode; returns the active rules."""
    con, spec, cfg = r.con, r.spec, r.cfg
    n_records, prepared_now = prepare_with_cache(con, spec, source, force_full or not cfg.incremental)
    found = _clear_defaults(r, n_records, force_full, salt)
    caps = _loose_rules(con, spec, cfg, n_records, force_full)
    skipped = [name for name, cap in caps.items() if cap == 0]
    r.outcome.warnings += [
        f"blocking rule {name}: skipped, it would yield over {cfg.max_rule_pairs_per_record:g} pairs per record"
        for name in skipped
    ]
    cand_fp = candidates_fingerprint(spec, cfg, caps, levels_fp, found)
    r.full = force_full or not cfg.incremental or _state(con, spec.schema, "candidates_fingerprint") != cand_fp
    change = _mark_new(con, spec.schema, r.full)
    _set_state(con, spec.schema, "candidates_fingerprint", cand_fp)
    r.counts.update({
        "records": n_records, "records_prepared": prepared_now, "blocking_rules_skipped": skipped,
        "blocking_rules_kept_small_blocks": {name: cap for name, cap in caps.items() if cap > 0},
        "new_or_changed_records": change["new_or_changed"], "removed_records": change["removed"],
    })
    return [replace(rule, max_block=caps[rule.name]) if rule.name in caps else rule
            for rule in spec.blocking_rules if caps.get(rule.name) != 0]


def _block_and_compare(r: _Run, active: list[blocking.BlockingRule]) -> blocking.BlockingResult:
    """New candidate pairs with their comparison vectors into `<schema>.candidates`."""
    con, spec, cfg = r.con, r.spec, r.cfg
    blocked = blocking.block(con, active, cfg.max_block_size, cfg.max_candidate_pairs)
    r.outcome.warnings += blocked.warnings
    _add_steward_pairs(con, spec.schema)
    scoring.ensure_vector_columns(con, spec)
    r.counts["new_pairs_compared"] = scoring.compute_gammas(con, spec, [rule.name for rule in active])
    # Only the rows that changed (stale = removed or changed): rewriting a million rows each night
    # cost seconds at commit.
    con.execute(f"DELETE FROM {spec.schema}.records WHERE record_key IN (SELECT record_key FROM {STALE_TABLE})")
    con.execute(f"INSERT INTO {spec.schema}.records SELECT record_key, content_hash FROM {INPUT_TABLE} WHERE is_new")
    return blocked


def _current_model(r: _Run, models_dir: Path, levels_fp: str) -> MatchModel:
    """The stored model, or a new fit when `_needs_training` says so (saved to `models_dir`)."""
    con, spec = r.con, r.spec
    fingerprint = spec.fingerprint + "-" + levels_fp
    current = model_store.load_current(models_dir)
    labels_fp = training.labels_fingerprint(con)
    n_labels = training.steward_decision_count(con)
    reason = _needs_training(spec, current, fingerprint, labels_fp, int(r.counts["records"]), n_labels)
    if reason is not None or current is None:
        version = r.now.strftime("%Y%m%dT%H%M%S") + "-" + hashlib.sha256(r.run_id.encode()).hexdigest()[:6]
        current = training.train(con, spec, fingerprint, version, r.now.isoformat())
        model_store.save(current, models_dir)
        log.info("%s match model %s fitted (%s)", spec.kind, current.version, reason)
        r.outcome.warnings += [f"match model training: {note}" for note in current.training.get("warnings", [])]
    r.outcome.model = current
    return current


def _score_and_decide(r: _Run, model: MatchModel, tf_salt: str) -> bool:
    """Score the pairs that need it and write their decisions; returns whether every pair was rescored.

    Term frequencies are frozen with the model version, so an unchanged version means every
    stored pair keeps its score: only new pairs and changed steward decisions are scored; and
    with the same thresholds and clustering settings, every stored decision and cluster holds.
    """
    con, spec, cfg = r.con, r.spec, r.cfg
    scoring.freeze_term_frequencies(con, spec, model.version, tf_salt)
    base = scoring.PairScoring(model, cfg.tf_minimum, tf_salt)
    scores_fp = base.fingerprint(spec) + repr((
        cfg.auto_match_threshold, cfg.review_threshold, cfg.store_threshold,
        cfg.max_cluster_size, cfg.min_cluster_density, cfg.density_min_size,
    ))
    rescore_all = r.full or _state(con, spec.schema, "scores_fingerprint") != scores_fp
    if rescore_all:
        r.counts["pairs_rescored"] = scalar_int(con, f"SELECT count(*) FROM {spec.schema}.candidates")
    else:
        r.counts["pairs_rescored"] = decisions.pairs_to_rescore(con, blocking.CANDIDATES_TABLE, spec.schema)
        recluster.collect_seeds(con, spec.schema)
    scoring.score(con, spec, scoring.PairScoring(
        model, cfg.tf_minimum, tf_salt, None if rescore_all else decisions.RESCORE_TABLE, cfg.store_threshold,
        decisions.STEWARD_TABLE,
    ))
    decisions.write_pairs(
        con, list(spec.comparisons), r.run_id, cfg.auto_match_threshold, cfg.review_threshold,
        cfg.store_threshold, full=rescore_all, schema=spec.schema,
    )
    _set_state(con, spec.schema, "scores_fingerprint", scores_fp)
    return rescore_all


def _cluster(r: _Run, rescore_all: bool) -> None:
    """Clustering is local to a component of the accepted edges: an incremental run re-clusters
    only the components its changes touch (matching/recluster.py), the rest keep their rows."""
    scope = None if rescore_all else recluster.TOUCHED_TABLE
    if scope is not None:
        recluster.add_edge_seeds(r.con, r.spec.schema)
        recluster.expand(r.con, INPUT_TABLE, r.spec.schema)
    r.counts["records_reclustered"] = recluster.recluster(r.con, r.spec, r.cfg, scope, r.now)


def _record_blocking(r: _Run, blocked: blocking.BlockingResult) -> None:
    schema = r.spec.schema
    r.con.execute(f"DELETE FROM {schema}.blocking_stats WHERE run_id = ?", [r.run_id])
    for s in blocked.rules:
        r.con.execute(
            f"INSERT INTO {schema}.blocking_stats VALUES (?, ?, ?, ?, ?)",
            [r.run_id, s.rule, s.pairs, s.new_pairs, s.capped_blocks],
        )


#: Temp tables a run creates on the connection (documented outputs of its steps), dropped at its end.
#: The view of the source's rows this kind matches (`ModelSpec.records`), when the spec names them.
SOURCE_VIEW = "match_source"
RUN_TABLES = (INPUT_TABLE, STALE_TABLE, scoring.SCORED_TABLE, blocking.CANDIDATES_TABLE, decisions.RESCORE_TABLE,
              recluster.SEEDS_TABLE, recluster.TOUCHED_TABLE, decisions.STEWARD_TABLE)


def run(
    con: duckdb.DuckDBPyConnection,
    spec: ModelSpec,
    settings: EngineSettings,
    models_dir: Path,
    steward_decisions: list[dict[str, Any]],
    run_id: str,
    now: datetime,
    source: str,
    force_full: bool = False,
    tf_salt: str = "",
) -> MatchOutcome:
    """Match the records of `source` (a table or view named by code) as `spec` says (only the rows
    `spec.records` names, when it names some).

    `models_dir`: where this kind's model files live; `steward_decisions`: the stewards' effective
    pair decisions (dicts with record_key_l, record_key_r, decision, ...); `tf_salt`: the secret
    the frozen term frequencies' value hashes are salted with. Writes `<spec.schema>.*`.
    """
    r = _Run(con, spec, settings, run_id, now)
    levels_fp = levels_fingerprint(spec)
    with Scratch(con) as scratch:
        scratch.own(*RUN_TABLES)
        if spec.records is not None:
            source = scratch.view(SOURCE_VIEW, f"SELECT * FROM {source} WHERE {spec.records}")
        t = time.perf_counter()
        decisions.register_steward_decisions(con, steward_decisions)
        active = _prepare(r, source, force_full, levels_fp, tf_salt)
        r.timed("prepare", t)
        t = time.perf_counter()
        blocked = _block_and_compare(r, active)
        r.timed("block_and_compare", t)
        t = time.perf_counter()
        model = _current_model(r, models_dir, levels_fp)
        r.timed("train", t)
        t = time.perf_counter()
        rescore_all = _score_and_decide(r, model, tf_salt)
        r.timed("score", t)
        t = time.perf_counter()
        _cluster(r, rescore_all)
        r.timed("cluster", t)
        _record_blocking(r, blocked)
        r.outcome.counts = {
            "records": r.counts["records"],
            "pairs_scored": scalar_int(con, f"SELECT count(*) FROM {spec.schema}.candidates"),
            "new_pairs_compared": r.counts["new_pairs_compared"],
            **recluster.match_figures(con, spec.schema),
            "pairs_rescored": r.counts["pairs_rescored"],
            "records_reclustered": r.counts["records_reclustered"],
            "mode": "full" if r.full else "incremental",
            "new_or_changed_records": r.counts["new_or_changed_records"],
            "records_prepared": r.counts["records_prepared"],
            "removed_records": r.counts["removed_records"],
            "model_version": model.version,
            "blocking": rule_report(blocked),
            "blocking_rules_skipped": r.counts["blocking_rules_skipped"],
            "blocking_rules_kept_small_blocks": r.counts["blocking_rules_kept_small_blocks"],
            "seconds": {k: round(v, 3) for k, v in r.timings.items()},
        }
    return r.outcome


def run_matching(
    con: duckdb.DuckDBPyConnection,
    cfg: MatchingConfig,
    models_dir: Path,
    steward_decisions: list[dict[str, Any]],
    run_id: str,
    now: datetime,
    source: str = "staging.valid_customers",
    force_full: bool = False,
    tf_salt: str = "",
) -> MatchOutcome:
    """Persons, as `matching:` in mdm.yaml configures them: `run` with `person_spec(cfg)`."""
    return run(con, person_spec(cfg), cfg, models_dir, steward_decisions, run_id, now, source, force_full, tf_salt)
