"""The standardise stage: raw.records -> staging.customers, incrementally.

For each configured source:

1. candidates = record keys seen in loads not yet standardised, plus rows whose source config
   changed since they were standardised, plus rows a steward released from quarantine;
2. for each candidate, the latest version from a load that is neither failed nor held by the
   circuit breaker (a steward's correction replaces the payload while the source version it
   corrected is the current one);
3. versions whose payload and config are unchanged are left alone;
4. mapped fields are extracted set-wise in DuckDB, each column is standardised vectorised
   (`mdm.standardise.frame`), and the rows replace their previous version in staging.customers.

The stewards' pending quarantine actions (release / discard) are applied before this stage,
and the suppression list purged after it, by the composition root (`mdm.pipeline.standardise`):
`run` takes the keys released this run, so a released row flows through this run's standardise
and validate stages.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import pyarrow as pa

from mdm.context import RunContext, StageResult
from mdm.standardise.frame import SourceRules, standardise_frame
from sources.config import SourceConfig
from sources.loads import NEWEST_LOAD_FIRST
from sources.mapping import build_extraction
from warehouse.publication import delta

log = logging.getLogger("mdm.standardise")

STAGE = "standardise"
#: Bump when a standardiser changes its output: every record is then standardised again.
STANDARDISER_VERSION = "1"

#: Published by its changes (`warehouse.publication.delta`): every write to it logs the keys.
STAGING = "staging.customers"
_KEYS = "_mdm_std_keys"
_ROWS = "_mdm_std_rows"
_FRAME = "_mdm_std_frame"


def config_hash(source: SourceConfig) -> str:
    """Fingerprint of what shapes a source's staging rows: its mapping and rules."""
    relevant = source.model_dump(
        mode="json",
        include={"mapping", "default_country", "date_format", "trust_rank", "retention_category",
                 "status_categories"},
    )
    text = json.dumps(relevant, sort_keys=True, ensure_ascii=False) + "|" + STANDARDISER_VERSION
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def run(ctx: RunContext, released: Mapping[str, Sequence[str]] | None = None) -> StageResult:
    """Stage entry point (see `mdm.pipeline.STAGES`); `released`: record keys per source that a
    steward released from quarantine this run, standardised again even if unchanged."""
    released = released or {}
    standardised: dict[str, int] = {}
    unchanged: dict[str, int] = {}
    timings: dict[str, float] = {}
    for source in ctx.config.sources:
        if source.records != "customers":
            continue  # event sources: mdm/events/
        done = standardise_source(ctx, source, extra_keys=list(released.get(source.name, [])))
        standardised[source.name] = done["standardised"]
        unchanged[source.name] = done["unchanged"]
        timings[source.name] = done["seconds"]
    log.info("standardise seconds per source: %s", timings)
    return StageResult(stage=STAGE, counts={"standardised": standardised, "unchanged": unchanged})


def _select_candidates(ctx: RunContext, source: SourceConfig, extra_keys: list[str], chash: str) -> None:
    ctx.con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {_KEYS} AS
        SELECT DISTINCT r.record_key
        FROM raw.records r JOIN raw.loads l ON l.load_id = r.load_id
        WHERE r.source = ? AND l.status NOT IN ('failed', 'held')
          AND NOT EXISTS (SELECT 1 FROM staging.standardised_loads s WHERE s.load_id = l.load_id)
        UNION
        SELECT record_key FROM staging.customers WHERE source = ? AND config_hash IS DISTINCT FROM ?
        UNION
        SELECT record_key FROM staging.customers c
        WHERE source = ? AND EXISTS (SELECT 1 FROM raw.loads l WHERE l.load_id = c.load_id
                                     AND l.status IN ('failed', 'held'))
        UNION
        SELECT unnest(?::VARCHAR[])
        """,
        [source.name, source.name, chash, source.name, extra_keys],
    )
    # Latest usable version of each candidate, with a steward's correction where one applies.
    ctx.con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {_ROWS} AS
        WITH latest AS (
            SELECT r.record_key, r.load_id, r.payload
            FROM raw.records r JOIN raw.loads l ON l.load_id = r.load_id
            WHERE r.source = ? AND l.status NOT IN ('failed', 'held')
              AND r.record_key IN (SELECT record_key FROM {_KEYS})
            QUALIFY row_number() OVER (
                PARTITION BY r.record_key ORDER BY {NEWEST_LOAD_FIRST}, r.row_number DESC) = 1
        )
        SELECT t.record_key, t.load_id, md5(t.payload::VARCHAR) AS payload_hash,
               CASE WHEN q.status = 'released' AND q.source_payload_hash = md5(t.payload::VARCHAR)
                    THEN q.payload ELSE t.payload END AS payload
        FROM latest t LEFT JOIN quarantine.rows q ON q.record_key = t.record_key
        """,
        [source.name],
    )


def standardise_source(ctx: RunContext, source: SourceConfig, extra_keys: list[str] | None = None) -> dict[str, Any]:
    """Bring one source's staging rows up to date; returns counts and seconds.

    Over 60 lines on purpose: its two scratch tables are dropped in one `finally`, and each step
    is timed for the benchmark's profile; the steps themselves are calls."""
    started = time.perf_counter()
    chash = config_hash(source)
    extra = list(extra_keys or [])
    steps: dict[str, float] = {}
    mark = time.perf_counter()

    def step(name: str) -> None:
        nonlocal mark
        steps[name] = round(time.perf_counter() - mark, 3)
        mark = time.perf_counter()

    _select_candidates(ctx, source, extra, chash)
    step("select")
    try:
        # Unchanged versions are left alone (unless a steward just released them).
        before = ctx.con.execute(f"SELECT count(*) FROM {_ROWS}").fetchall()
        ctx.con.execute(
            f"""
            DELETE FROM {_ROWS} t
            WHERE EXISTS (SELECT 1 FROM staging.customers s
                          WHERE s.record_key = t.record_key AND s.payload_hash = t.payload_hash
                            AND s.config_hash = ?)
              AND NOT list_contains(?::VARCHAR[], t.record_key)
            """,
            [chash, extra],
        )
        remaining = ctx.con.execute(f"SELECT count(*) FROM {_ROWS}").fetchall()
        n_rows = int(remaining[0][0])
        unchanged = int(before[0][0]) - n_rows
        step("unchanged")
        if n_rows:
            frame = _extract(ctx, source)
            too_long = blank_over_long(frame, ctx.config.ingest.max_field_chars)
            step("extract")
            staged = standardise_frame(frame.drop(columns=["record_key", "load_id", "payload_hash"]),
                                       SourceRules.of(source), ctx.now)
            step("standardise")
            _write(ctx, source, frame, staged, chash)
            flag_too_long(ctx, too_long)
            step("write")
        # Rows still pointing at a held or failed load have no usable version left: out of staging.
        stranded = (f"FROM staging.customers c WHERE source = ? AND record_key IN (SELECT record_key FROM {_KEYS}) "
                    "AND EXISTS (SELECT 1 FROM raw.loads l WHERE l.load_id = c.load_id AND l.status IN ('failed', 'held'))")
        delta.log_changes(ctx.con, STAGING, f"SELECT record_key {stranded}", [source.name])
        ctx.con.execute(f"DELETE {stranded}", [source.name])
        ctx.con.execute(
            "INSERT INTO staging.standardised_loads (load_id, source, run_id, standardised_at) "
            "SELECT load_id, source, ?, ? FROM raw.loads l WHERE source = ? AND status NOT IN ('failed', 'held') "
            "AND NOT EXISTS (SELECT 1 FROM staging.standardised_loads s WHERE s.load_id = l.load_id)",
            [ctx.run_id, ctx.now, source.name],
        )
    finally:
        ctx.con.execute(f"DROP TABLE IF EXISTS {_KEYS}")
        ctx.con.execute(f"DROP TABLE IF EXISTS {_ROWS}")
    step("finish")
    log.info("standardise %s steps: %s", source.name, json.dumps(steps))
    return {"standardised": n_rows, "unchanged": unchanged, "seconds": round(time.perf_counter() - started, 3)}


#: The issue code (and quarantine reason) of a row holding a value over `ingest.max_field_chars`.
FIELD_TOO_LONG = "field_too_long"


def blank_over_long(frame: pd.DataFrame, limit: int) -> list[str]:
    """Blank every mapped value longer than `limit` characters; return the keys of the rows concerned.

    Why blank: a 5,000,000-character "street" must not go through the standardisers or reach a
    golden record. The row keeps its raw payload (for the steward) and is quarantined as
    `field_too_long` by the validate stage.
    """
    over = pd.Series(False, index=frame.index)
    for column in frame.columns.difference(["record_key", "load_id", "payload_hash"]):
        long_values = (frame[column].str.len() > limit).fillna(False).astype(bool)
        if long_values.any():
            frame.loc[long_values, column] = pd.NA
            over |= long_values
    return [str(key) for key in frame.loc[over, "record_key"]]


def flag_too_long(ctx: RunContext, keys: list[str]) -> None:
    """Add `field_too_long` to the issues of the staging rows just written for `keys`."""
    if keys:
        ctx.con.execute(
            "UPDATE staging.customers SET issues = list_append(coalesce(issues, []::VARCHAR[]), ?) "
            "WHERE record_key IN (SELECT unnest(?::VARCHAR[]))",
            [FIELD_TOO_LONG, keys],
        )


def _extract(ctx: RunContext, source: SourceConfig) -> pd.DataFrame:
    """The candidates' mapped fields as text columns named by canonical field."""
    extraction = build_extraction(source.mapping)
    values = "json_extract_string(payload, ?::VARCHAR[])" if extraction.paths else "[]::VARCHAR[]"
    params: list[Any] = [*extraction.params]
    inner_params: list[Any] = [extraction.paths] if extraction.paths else []
    select = ", " + extraction.select_sql if extraction.select_sql else ""
    table = ctx.con.sql(
        f"SELECT record_key, load_id, payload_hash{select} "
        f"FROM (SELECT record_key, load_id, payload_hash, {values} AS _v FROM {_ROWS}) ORDER BY record_key",
        params=params + inner_params,
    ).to_arrow_table()
    return table.to_pandas(types_mapper=lambda t: pd.StringDtype("pyarrow") if t in (pa.string(), pa.large_string())
                           else None)


def _write(ctx: RunContext, source: SourceConfig, frame: pd.DataFrame, staged: pd.DataFrame, chash: str) -> None:
    # Same index as `frame`: the Arrow-backed key columns move over without Python objects.
    staged.insert(0, "record_key", frame["record_key"])
    staged.insert(1, "load_id", frame["load_id"])
    staged["payload_hash"] = frame["payload_hash"]
    t0 = time.perf_counter()
    table = pa.Table.from_pandas(staged, preserve_index=False)
    t1 = time.perf_counter()
    ctx.con.register(_FRAME, table)
    try:
        delta.log_changes(ctx.con, STAGING, f"SELECT record_key FROM {_FRAME}")
        ctx.con.execute(f"DELETE FROM staging.customers WHERE record_key IN (SELECT record_key FROM {_FRAME})")
        t2 = time.perf_counter()
        ctx.con.execute(
            f"""
            INSERT INTO staging.customers BY NAME
            SELECT *, ? AS source, ? AS trust_rank, ? AS standardised_at, ? AS config_hash,
                   ? AS standardised_run_id, NULL AS validated_run_id
            FROM {_FRAME}
            """,
            [source.name, source.trust_rank, ctx.now, chash, ctx.run_id],
        )
        log.debug("write seconds: arrow %.2f delete %.2f insert %.2f", t1 - t0, t2 - t1, time.perf_counter() - t2)
    finally:
        ctx.con.unregister(_FRAME)
