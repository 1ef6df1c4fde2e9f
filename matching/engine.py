"""The matcher end to end on one DuckDB connection: prepare, block, compare, train, score, decide, cluster.

Used by the pipeline stage (`matching/stage.py`) and by `mdm evaluate` (`matching/evaluation.py`),
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
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from matching import blocking, decisions, recluster, scoring, training
from matching import model as model_store
from matching.blocking_report import rule_report
from matching.comparisons import Comparison, build, vector_sql
from matching.model import MatchModel
from matching.prepared import prepare_with_cache
from matching.settings import MatchingConfig
from matching.sql import one, scalar_int

log = logging.getLogger("mdm.matching")


@dataclass
class MatchOutcome:
    counts: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    model: MatchModel | None = None


def levels_fingerprint(comparisons: list[Comparison]) -> str:
    """The comparisons' level SQL: a new level renumbers the stored vectors and the model's m and u."""
    return hashlib.sha256(repr([vector_sql(comparisons, "")] + [c.gamma_sql() for c in comparisons]).encode()).hexdigest()[:16]


def candidates_fingerprint(cfg: MatchingConfig, skipped: list[str], levels: str) -> str:
    """What stored comparison vectors depend on: blocking rules (and which are skipped), cap, comparison levels."""
    data = repr(([r.model_dump() for r in cfg.blocking_rules], skipped, cfg.max_block_size, cfg.comparisons,
                 levels))
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def _state(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    row = one(con, "SELECT value FROM match.state WHERE key = ?", [key])
    return str(row[0]) if row else None


def _set_state(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute("INSERT OR REPLACE INTO match.state (key, value) VALUES (?, ?)", [key, value])


#: Skipped rules are judged again when the record count moved by more than this share.
RULES_REJUDGE_GROWTH = 0.25


def _skipped_rules(
    con: duckdb.DuckDBPyConnection, cfg: MatchingConfig, rules: list[blocking.BlockingRule], n_records: int,
    force_full: bool,
) -> list[str]:
    """The loose rules to skip: judged on the data, then kept while the data stays about the same size.

    Judging afresh every night let a rule near the limit flip (the 1 % nightly batch, or last
    night's expiry, moves it across), and a flip changes the stored candidates' fingerprint and
    forces a full rebuild: at 1M records, 150 s instead of 40. So the decision is stored and
    reused until the rules change or the record count moves by more than `RULES_REJUDGE_GROWTH`.
    """
    rules_fp = hashlib.sha256(
        repr(([r.model_dump() for r in cfg.blocking_rules], cfg.max_block_size, cfg.max_rule_pairs_per_record,
              cfg.min_rule_pairs)).encode()
    ).hexdigest()[:16]
    stored = _state(con, "skipped_rules")
    if stored is not None and not force_full:
        previous = json.loads(stored)
        moved = abs(n_records - previous["records"]) / max(previous["records"], 1)
        if previous["rules"] == rules_fp and moved <= RULES_REJUDGE_GROWTH:
            return list(previous["skipped"])
    skipped = blocking.loose_rules(
        con, rules, cfg.max_block_size, cfg.max_rule_pairs_per_record, n_records, cfg.min_rule_pairs
    )
    _set_state(con, "skipped_rules", json.dumps({"rules": rules_fp, "records": n_records, "skipped": skipped}))
    return skipped


def _mark_new(con: duckdb.DuckDBPyConnection, full: bool) -> dict[str, int]:
    """Flag new/changed records in `match_input` and drop stored pairs that are stale."""
    if full:
        con.execute("DELETE FROM match.candidates")
        con.execute("DELETE FROM match.records")
        con.execute("ALTER TABLE match_input ADD COLUMN is_new BOOLEAN DEFAULT TRUE")
    else:
        con.execute("""
            CREATE OR REPLACE TEMP TABLE match_input AS
            SELECT i.*, (m.content_hash IS NULL OR m.content_hash <> i.content_hash) AS is_new
            FROM match_input i LEFT JOIN match.records m USING (record_key)
        """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE match_stale AS
        SELECT record_key FROM match.records
        WHERE record_key NOT IN (SELECT record_key FROM match_input WHERE NOT is_new)
    """)
    con.execute("""
        DELETE FROM match.candidates
        WHERE record_key_l IN (SELECT record_key FROM match_stale)
           OR record_key_r IN (SELECT record_key FROM match_stale)
    """)
    row = one(con, """
        SELECT count(*) FILTER (WHERE is_new),
               count(*) FILTER (WHERE is_new AND record_key IN (SELECT record_key FROM match.records)),
               (SELECT count(*) FROM match.records WHERE record_key NOT IN (SELECT record_key FROM match_input))
        FROM match_input
    """)
    assert row is not None
    return {"new_or_changed": int(row[0]), "changed": int(row[1]), "removed": int(row[2])}


def _add_steward_pairs(con: duckdb.DuckDBPyConnection) -> None:
    """Steward-decided pairs blocking did not find are compared too, so they carry an explanation."""
    con.execute(f"""
        INSERT INTO {blocking.CANDIDATES_TABLE}
        SELECT s.record_key_l, s.record_key_r, -1
        FROM {decisions.STEWARD_TABLE} s
        JOIN match_input l ON l.record_key = s.record_key_l
        JOIN match_input r ON r.record_key = s.record_key_r
        WHERE NOT EXISTS (SELECT 1 FROM {blocking.CANDIDATES_TABLE} c
                          WHERE c.key_l = s.record_key_l AND c.key_r = s.record_key_r)
          AND NOT EXISTS (SELECT 1 FROM match.candidates c
                          WHERE c.record_key_l = s.record_key_l AND c.record_key_r = s.record_key_r)
    """)


def _needs_training(
    cfg: MatchingConfig, current: MatchModel | None, fingerprint: str, labels: str, records: int, n_labels: int = 0
) -> str | None:
    """The reason to fit a new model, or None to reuse `current`.

    A steward's decision applies at once whatever the model (steward decisions always win), so a
    few new decisions do not refit: a refit rescores every stored pair, about 30 s a night at a
    million records. `retrain_labels` decisions added or withdrawn since the fit do.
    """
    if current is None:
        return "no model yet"
    if cfg.training.retrain == "always":
        return "retrain: always"
    if cfg.training.retrain == "never":
        return None
    if current.settings_fingerprint != fingerprint:
        return "matching settings changed"
    fitted_with = int(current.training.get("steward_decisions", 0))
    if current.labels_fingerprint != labels and abs(n_labels - fitted_with) >= cfg.training.retrain_labels:
        return "steward decisions changed"
    if records > max(current.records, 1) * (1 + cfg.training.retrain_growth):
        return "data grew"
    return None


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
    """`tf_salt`: the secret the frozen term frequencies' value hashes are salted with."""
    outcome = MatchOutcome()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    comparisons = build(cfg.comparisons)
    levels_fp = levels_fingerprint(comparisons)
    rules = [blocking.BlockingRule.from_config(r) for r in cfg.blocking_rules]

    n_records, prepared_now = prepare_with_cache(con, source, force_full or not cfg.incremental)
    decisions.register_steward_decisions(con, steward_decisions)
    skipped = _skipped_rules(con, cfg, rules, n_records, force_full)
    for name in skipped:
        outcome.warnings.append(
            f"blocking rule {name}: skipped, it would yield over {cfg.max_rule_pairs_per_record:g} pairs per record"
        )
    active = [r for r in rules if r.name not in skipped]
    cand_fp = candidates_fingerprint(cfg, skipped, levels_fp)
    full = force_full or not cfg.incremental or _state(con, "candidates_fingerprint") != cand_fp
    change = _mark_new(con, full)
    timings["prepare"] = time.perf_counter() - t0

    t = time.perf_counter()
    blocked = blocking.block(con, active, cfg.max_block_size, cfg.max_candidate_pairs)
    outcome.warnings += blocked.warnings
    _add_steward_pairs(con)
    new_pairs = scoring.compute_gammas(con, comparisons, active)
    # Only the rows that changed (stale = removed or changed): rewriting a million rows each night
    # cost seconds at commit.
    con.execute("DELETE FROM match.records WHERE record_key IN (SELECT record_key FROM match_stale)")
    con.execute("INSERT INTO match.records SELECT record_key, content_hash FROM match_input WHERE is_new")
    _set_state(con, "candidates_fingerprint", cand_fp)
    timings["block_and_compare"] = time.perf_counter() - t

    t = time.perf_counter()
    fingerprint = cfg.model_fingerprint() + "-" + levels_fp
    current = model_store.load_current(models_dir)
    labels_fp = training.labels_fingerprint(con)
    n_labels = training.steward_decision_count(con)
    reason = _needs_training(cfg, current, fingerprint, labels_fp, n_records, n_labels)
    if reason is not None or current is None:
        version = now.strftime("%Y%m%dT%H%M%S") + "-" + hashlib.sha256(run_id.encode()).hexdigest()[:6]
        current = training.train(con, comparisons, cfg.training, fingerprint, version, now.isoformat())
        model_store.save(current, models_dir)
        log.info("match model %s fitted (%s)", current.version, reason)
        outcome.warnings += [f"match model training: {note}" for note in current.training.get("warnings", [])]
    outcome.model = current
    timings["train"] = time.perf_counter() - t

    t = time.perf_counter()
    # Term frequencies are frozen with the model version, so an unchanged version means every
    # stored pair keeps its score: only new pairs and changed steward decisions are scored.
    scoring.freeze_term_frequencies(
        con, current.version, scoring.tf_columns(comparisons, cfg.tf_adjust), tf_salt
    )
    # ... and with the same thresholds and clustering settings, every stored decision and cluster
    scores_fp = scoring.scores_fingerprint(current, comparisons, cfg.tf_adjust, cfg.tf_minimum, tf_salt) + repr((
        cfg.auto_match_threshold, cfg.review_threshold, cfg.store_threshold,
        cfg.max_cluster_size, cfg.min_cluster_density, cfg.density_min_size,
    ))
    rescore_all = full or _state(con, "scores_fingerprint") != scores_fp
    if rescore_all:
        pairs_scored = scalar_int(con, "SELECT count(*) FROM match.candidates")
    else:
        pairs_scored = decisions.pairs_to_rescore(con, blocking.CANDIDATES_TABLE)
        recluster.collect_seeds(con)
    scoring.score(
        con, comparisons, current, cfg.tf_adjust, cfg.tf_minimum, tf_salt,
        None if rescore_all else decisions.RESCORE_TABLE, cfg.store_threshold, decisions.STEWARD_TABLE,
    )
    decisions.write_pairs(
        con, comparisons, run_id, cfg.auto_match_threshold, cfg.review_threshold, cfg.store_threshold,
        full=rescore_all,
    )
    _set_state(con, "scores_fingerprint", scores_fp)
    timings["score"] = time.perf_counter() - t

    t = time.perf_counter()
    # Clustering is local to a component of the accepted edges: an incremental run re-clusters
    # only the components its changes touch (matching/recluster.py), the rest keep their rows.
    scope = None if rescore_all else recluster.TOUCHED_TABLE
    if scope is not None:
        recluster.add_edge_seeds(con)
        recluster.expand(con)
    records_reclustered = recluster.recluster(con, cfg, scope, now)
    timings["cluster"] = time.perf_counter() - t

    con.execute("DELETE FROM match.blocking_stats WHERE run_id = ?", [run_id])
    for s in blocked.rules:
        con.execute(
            "INSERT INTO match.blocking_stats VALUES (?, ?, ?, ?, ?)",
            [run_id, s.rule, s.pairs, s.new_pairs, s.capped_blocks],
        )
    stored = one(con, "SELECT count(*) FROM match.candidates")
    outcome.counts = {
        "records": n_records,
        "pairs_scored": int(stored[0]) if stored else 0,
        "new_pairs_compared": new_pairs,
        **recluster.match_figures(con),
        "pairs_rescored": pairs_scored,
        "records_reclustered": records_reclustered,
        "mode": "full" if full else "incremental",
        "new_or_changed_records": change["new_or_changed"],
        "records_prepared": prepared_now,
        "removed_records": change["removed"],
        "model_version": current.version,
        "blocking": rule_report(blocked),
        "blocking_rules_skipped": skipped,
        "seconds": {k: round(v, 3) for k, v in timings.items()},
    }
    for table in ("match_input", "match_stale", scoring.SCORED_TABLE, blocking.CANDIDATES_TABLE,
                  decisions.RESCORE_TABLE, recluster.SEEDS_TABLE, recluster.TOUCHED_TABLE):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return outcome
