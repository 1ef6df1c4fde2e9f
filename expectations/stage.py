"""The validate stage: circuit breaker on new loads, then the suites on newly standardised rows.

1. Dataset level (`expectations.breaker`, `hold_failing_loads`): each new load is compared with
   its source's previous load; a failing load is held, and the composition root
   (`mdm.pipeline.validate`) has the standardise stage bring its records back to their previous
   version before `run` validates.
2. Row level (`expectations.suites` via `expectations.run`): every staging row not validated yet
   is checked; rows failing a blocking rule go to `quarantine.rows` with the rule's reason codes,
   rows passing close any earlier quarantine entry of theirs. Nothing is dropped: rows validated
   = valid + quarantined, and `staging.valid_customers` is what matching reads.
3. Every outcome is stored in `dq.validation_results`; Data Docs are built when configured.

Counts: `validated`, `valid`, `quarantined` {reason: rows newly quarantined, each row counted
once under its first reason}, `quarantined_rows`, `quarantine_reasons` {reason: rows, all
reasons}, `warnings` {reason: rows}, `held_sources` and `held_loads` when any.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pandas as pd

from expectations.breaker import LoadCheck, check_new_loads
from expectations.quarantine import quarantine_failures, supersede_passed
from expectations.run import ValidationReport, Validator, needed_columns, validation_frame
from expectations.suites import ERROR, Suite, suites_for
from mdm.context import RunContext, StageResult
from mdm.standardise.frame import STAGING_COLUMNS
from warehouse.publication import delta

log = logging.getLogger("mdm.validate")

STAGE = "validate"

#: Columns the rules read that are derived in SQL (multi-threaded), low-cardinality ones as ENUMs
#: so they arrive in pandas as categoricals (no per-row Python string objects for a million rows).
_DERIVED_SQL: dict[str, str] = {
    "contact_channel": "CAST(CASE WHEN email_status = 'valid' THEN 'email' WHEN phone_status = 'valid' THEN 'phone' "
                       "WHEN postcode IS NOT NULL AND city IS NOT NULL THEN 'postal' END "
                       "AS ENUM('email', 'phone', 'postal'))",
    "identity": "CAST(CASE WHEN last_name IS NOT NULL OR first_name IS NOT NULL THEN 'name' "
                "WHEN email_status = 'valid' THEN 'email' "
                "WHEN company IS NOT NULL OR siren IS NOT NULL OR vat_number IS NOT NULL THEN 'organisation' "
                "END AS ENUM('name', 'email', 'organisation'))",
    "postcode_check": "CAST(CASE WHEN list_contains(issues, 'postcode_invalid') THEN 'invalid' "
                      "WHEN postcode IS NOT NULL THEN 'ok' END AS ENUM('ok', 'invalid'))",
    "opt_in_check": "CAST(CASE WHEN list_contains(issues, 'opt_in_unparseable') THEN 'invalid' "
                    "WHEN opt_in IS NOT NULL THEN 'ok' END AS ENUM('ok', 'invalid'))",
    "siret_check": "CAST(CASE WHEN list_contains(issues, 'siret_invalid') THEN 'invalid' "
                   "WHEN siret IS NOT NULL THEN 'ok' END AS ENUM('ok', 'invalid'))",
    "national_id_check": "CAST(CASE WHEN list_contains(issues, 'national_id_invalid') THEN 'invalid' "
                         "WHEN national_id IS NOT NULL THEN 'ok' END AS ENUM('ok', 'invalid'))",
    "field_length_check": "CAST(CASE WHEN list_contains(issues, 'field_too_long') THEN 'too_long' ELSE 'ok' END "
                          "AS ENUM('ok', 'too_long'))",
    "email_status": "CAST(email_status AS ENUM('valid', 'invalid', 'missing'))",
    "phone_status": "CAST(phone_status AS ENUM('valid', 'invalid', 'missing'))",
    "birth_date_status": "CAST(birth_date_status AS ENUM('valid', 'invalid', 'missing'))",
}


def _select_list(suites: list[Suite]) -> str:
    """The SELECT list of exactly the columns the suites read (staging column names from code)."""
    staging = set(STAGING_COLUMNS)
    items = ["record_key"]
    for name in needed_columns(suites):
        if name == "record_key":
            continue
        if name in _DERIVED_SQL:
            items.append(f"{_DERIVED_SQL[name]} AS {name}")
        elif name in staging:
            items.append(name)
    return ", ".join(items)


def hold_failing_loads(ctx: RunContext) -> list[LoadCheck]:
    """Step 1: the circuit breaker on the loads not checked yet; failing loads are held."""
    return check_new_loads(ctx, ctx.config.validation.circuit_breaker)


def held_sources(checks: list[LoadCheck]) -> list[str]:
    """The sources with a load the breaker held: their staging rows must fall back."""
    return sorted({c.source for c in checks if c.held})


def run(ctx: RunContext, checks: list[LoadCheck]) -> StageResult:
    """Steps 2-3 once the held loads' records fell back (see `mdm.pipeline.validate`); `checks`
    are `hold_failing_loads`'s, reported in the counts."""
    settings = ctx.config.validation
    timings: dict[str, float] = {}
    held = [c for c in checks if c.held]
    configured = {s.name for s in ctx.config.sources}
    validator: Validator | None = None
    docs_dir = ctx.config.paths.home / "data_docs" / ctx.run_id if settings.build_data_docs else None
    counts: dict[str, Any] = {
        "validated": 0, "valid": 0, "quarantined": {}, "quarantined_rows": 0, "quarantine_reasons": {},
        "warnings": {}, "superseded": 0,
    }
    for source in ctx.config.sources:
        if source.records != "customers":
            continue  # event sources are validated by mdm/events/
        t0 = time.perf_counter()
        suites = suites_for(source, ctx.config)
        frame = ctx.con.execute(
            f"SELECT {_select_list(suites)} FROM staging.customers WHERE source = ? AND validated_run_id IS NULL "
            "ORDER BY record_key",
            [source.name],
        ).df()
        timings[f"{source.name}.read"] = round(time.perf_counter() - t0, 3)
        if frame.empty:
            continue
        if validator is None:
            t0 = time.perf_counter()
            validator = Validator(docs_dir)
            timings["gx_context"] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()
        report = validator.validate(source.name, validation_frame(frame), suites)
        timings[f"{source.name}.gx"] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()
        _apply(ctx, report, frame, counts)
        timings[f"{source.name}.apply"] = round(time.perf_counter() - t0, 3)
    if validator is not None and validator.docs_index() is not None:
        counts["data_docs"] = str(validator.docs_index())
    # Rows of sources no longer configured are not validated: say so rather than hide them.
    orphans = ctx.con.execute(
        "SELECT source, count(*) FROM staging.customers WHERE validated_run_id IS NULL GROUP BY source"
    ).fetchall()
    warnings = [f"{n} staging rows of unconfigured source {s} not validated" for s, n in orphans
                if s not in configured]
    if held:
        counts["held_sources"] = held_sources(checks)
        counts["held_loads"] = {c.load_id: sorted({f[0] for f in c.failures}) for c in held}
        for check in held:
            warnings.append(
                f"load {check.load_id} of {check.source} held by the circuit breaker: "
                + ", ".join(f[0] + (f" ({f[1]})" if f[1] else "") for f in check.failures)
            )
    counts["loads_checked"] = len(checks)
    log.info("validate timings: %s", json.dumps(timings))
    return StageResult(stage=STAGE, counts=counts, warnings=warnings)


def _apply(ctx: RunContext, report: ValidationReport, frame: pd.DataFrame, counts: dict[str, Any]) -> None:
    failures = report.failures()
    quarantined = quarantine_failures(ctx, failures)
    validated = frame[["record_key"]]
    failing = failures[["record_key"]]
    ctx.con.register("_mdm_validated", validated)
    ctx.con.register("_mdm_failing", failing)
    try:
        counts["superseded"] += supersede_passed(ctx, "_mdm_validated", "_mdm_failing")
        delta.log_changes(ctx.con, "staging.customers", "SELECT record_key FROM _mdm_validated")
        ctx.con.execute(
            "UPDATE staging.customers SET validated_run_id = ? "
            "WHERE record_key IN (SELECT record_key FROM _mdm_validated)",
            [ctx.run_id],
        )
    finally:
        ctx.con.unregister("_mdm_validated")
        ctx.con.unregister("_mdm_failing")
    counts["validated"] += len(frame)
    counts["valid"] += len(frame) - len(failures)
    counts["quarantined_rows"] += quarantined
    for reasons in failures["reasons"]:
        first = reasons[0]
        counts["quarantined"][first] = counts["quarantined"].get(first, 0) + 1
        for reason in reasons:
            counts["quarantine_reasons"][reason] = counts["quarantine_reasons"].get(reason, 0) + 1
    for outcome in report.outcomes:
        if outcome.severity != ERROR and outcome.unexpected_count:
            counts["warnings"][outcome.reason] = counts["warnings"].get(outcome.reason, 0) + outcome.unexpected_count
    _store_results(ctx, report)


def _store_results(ctx: RunContext, report: ValidationReport) -> None:
    rows = [
        (ctx.run_id, report.source, o.suite, o.reason, o.column, o.severity, o.success, o.element_count,
         o.unexpected_count, ctx.now, None, json.dumps(o.observed), o.severity == ERROR and not o.success)
        for o in report.outcomes
    ]
    if rows:
        ctx.con.executemany(
            """
            INSERT INTO dq.validation_results (run_id, source, suite, expectation, column_name, severity, success,
                element_count, unexpected_count, validated_at, load_id, observed, blocking)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::JSON, ?)
            """,
            rows,
        )
