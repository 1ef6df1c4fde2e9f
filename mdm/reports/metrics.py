"""Stage "measure": compute the run's data-quality metrics and store them in `dq.metrics`.

Runs after "expire" (so it sees the warehouse as it will be published) and before "publish"
(so the metrics travel into the published file with the golden tables). The measures
themselves live in `mdm.reports.measures`; this module wires them to the run context, writes the
rows in one set-based insert and offers the headline figures for Dagster's asset metadata.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from mdm.config import MdmConfig
from mdm.context import RunContext, StageResult
from mdm.reports.measures import (
    DIMENSIONS,
    STAGING_FIELDS,
    MeasureInput,
    Metric,
    measure_all,
)

#: (scope, dimension, metric) -> headline name. Stable names: Dagster plots them run over run.
HEADLINES: dict[tuple[str, str, str], str] = {
    **{("all", d, "score"): f"{d}_score" for d in DIMENSIONS},
    ("all", "uniqueness", "golden_customers"): "golden_customers",
    ("all", "uniqueness", "records"): "source_records",
    ("golden", "completeness", "reachable_pct"): "golden_reachable_pct",
    ("all", "uniqueness", "duplicate_pct"): "duplicate_pct",
    ("all", "validity", "quarantined_open"): "quarantined_open",
    ("golden", "timeliness", "inactive_24m_pct"): "inactive_24m_pct",
    ("all", "retention", "due_soon"): "due_to_expire_soon",
    ("all", "stewardship", "pending_reviews"): "pending_reviews",
}


def collected_fields(config: MdmConfig) -> dict[str, frozenset[str]]:
    """Staging fields each source collects, from its mapping (full_name fills first/last name).

    A field outside this set still counts if the data has values for it (e.g. a default country).
    """
    out: dict[str, frozenset[str]] = {}
    for source in config.sources:
        if source.records != "customers":
            continue
        names = set(source.mapping)
        if "full_name" in names:
            names |= {"first_name", "last_name"}
        out[source.name] = frozenset(n for n in names if n in STAGING_FIELDS)
    return out


def measure_input(config: MdmConfig, run_id: str, now: datetime) -> MeasureInput:
    return MeasureInput(
        run_id=run_id,
        now=now,
        collected_fields=collected_fields(config),
        retention=config.retention,
        configured_sources=tuple(s.name for s in config.sources),
        extra={"key_segments": list(config.segments.key_segments)},
    )


def write_metrics(con: duckdb.DuckDBPyConnection, run_id: str, at: datetime, metrics: list[Metric]) -> int:
    """Replace this run's rows in `dq.metrics` (a re-run of the stage is idempotent)."""
    con.execute("DELETE FROM dq.metrics WHERE run_id = ?", [run_id])
    frame = pd.DataFrame(
        {
            "run_id": run_id,
            "at": pd.Series([at] * len(metrics), dtype="datetime64[us]"),
            "scope": [m.scope for m in metrics],
            "dimension": [m.dimension for m in metrics],
            "metric": [m.metric for m in metrics],
            "value": pd.Series([m.value for m in metrics], dtype="float64"),
        }
    )
    con.register("_dq_metrics_new", frame)
    try:
        con.execute(
            'INSERT INTO dq.metrics (run_id, "at", scope, dimension, metric, value) '
            'SELECT run_id, "at", scope, dimension, metric, value FROM _dq_metrics_new'
        )
    finally:
        con.unregister("_dq_metrics_new")
    return len(metrics)


def compute_and_store(con: duckdb.DuckDBPyConnection, inp: MeasureInput) -> int:
    return write_metrics(con, inp.run_id, inp.now, measure_all(con, inp))


def headline_metrics(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, float]:
    """A handful of figures for one run (Dagster asset metadata, run summary); missing ones omitted.

    Works on the working warehouse and on the published file (same table names).
    """
    rows = con.execute(
        "SELECT scope, dimension, metric, value FROM dq.metrics WHERE run_id = ?", [run_id]
    ).fetchall()
    out: dict[str, float] = {}
    for scope, dimension, metric, value in rows:
        name = HEADLINES.get((scope, dimension, metric))
        if name is not None and value is not None:
            out[name] = round(float(value), 2)
    out["metrics_written"] = float(len(rows))
    return out


def run(ctx: RunContext) -> StageResult:
    """Compute and store this run's metrics; report the headline figures as counts."""
    inp = measure_input(ctx.config, ctx.run_id, ctx.now)
    written = compute_and_store(ctx.con, inp)
    counts: dict[str, float] = dict(headline_metrics(ctx.con, ctx.run_id))
    counts["metrics_written"] = float(written)
    return StageResult(stage="measure", counts=counts)
