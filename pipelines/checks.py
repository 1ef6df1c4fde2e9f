"""Asset checks: the invariants a run must hold before it may publish.

Blocking ERROR checks stop the downstream assets of the run, so a broken run never reaches
publication; WARN checks are shown in the Dagster UI with their figures.
"""


import dagster as dg

from mdm.accounting import account
from mdm.runner import open_context
from pipelines.resources import MdmConfigResource


# On `organisations`, the last stage that links records: a row about an organisation alone is
# linked to a golden organisation there, not to a golden customer by `merge`.
@dg.asset_check(asset="organisations", blocking=True,
                description="Every received record is linked, quarantined or held.")
def every_record_accounted_for(context: dg.AssetCheckExecutionContext, mdm: MdmConfigResource) -> dg.AssetCheckResult:
    with open_context(mdm.load(), run_id=context.op_execution_context.run_id, lock_timeout_s=600) as ctx:
        figures = account(ctx.con, [s.name for s in ctx.config.sources if s.records == "events"])
    return dg.AssetCheckResult(
        passed=figures.ok,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={k: v for k, v in figures.__dict__.items()},
    )


@dg.asset_check(asset="validate", description="Share of this run's rows sent to quarantine stays below 20 %.")
def quarantine_rate(context: dg.AssetCheckExecutionContext, mdm: MdmConfigResource) -> dg.AssetCheckResult:
    with open_context(mdm.load(), run_id=context.op_execution_context.run_id, lock_timeout_s=600) as ctx:
        row = ctx.con.execute(
            "SELECT count(*) FILTER (WHERE run_id = ?), (SELECT count(*) FROM staging.customers) FROM quarantine.rows",
            [context.op_execution_context.run_id],
        ).fetchone()
    quarantined, total = (int(row[0]), int(row[1])) if row else (0, 0)
    rate = quarantined / total if total else 0.0
    return dg.AssetCheckResult(
        passed=rate < 0.2,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"quarantined_this_run": quarantined, "records": total, "rate": round(rate, 4)},
    )


@dg.asset_check(asset="publish", blocking=True, description="The published file opens read-only and matches the warehouse.")
def published_file_readable(context: dg.AssetCheckExecutionContext, mdm: MdmConfigResource) -> dg.AssetCheckResult:
    from warehouse.connection import open_published_reader

    config = mdm.load()
    with open_context(config, run_id=context.op_execution_context.run_id, lock_timeout_s=600) as ctx:
        row = ctx.con.execute("SELECT count(*) FROM golden.customer").fetchone()
        expected = int(row[0]) if row else 0
    reader = open_published_reader(config.paths)
    try:
        row = reader.execute("SELECT count(*) FROM golden.customer").fetchone()
        published = int(row[0]) if row else -1
    finally:
        reader.close()
    return dg.AssetCheckResult(
        passed=published == expected,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"golden_in_warehouse": expected, "golden_published": published},
    )


asset_checks = [every_record_accounted_for, quarantine_rate, published_file_readable]
