"""Assets for the tables people use: the working `staging.customers`, the published file, and
the published `golden.customer` in it, each with its column schema and row count.

They are materialised after `publish`, the run's last stage, so their row counts are the figures
the run left (after expiry), the same the CLI and the steward app read. Each body reads one
table: the work is the stages'.
"""


import dagster as dg

from mdm.runner import open_context
from pipelines.assets import GROUP
from pipelines.resources import MdmConfigResource
from warehouse.connection import READER_ALIAS, open_published_reader
from warehouse.publication import contract
from warehouse.schema import describe, row_count

STAGING = dg.AssetKey(["staging", "customers"])
PUBLISHED = dg.AssetKey(["published", "mdm"])
GOLDEN = dg.AssetKey(["golden", "customer"])


def table_schema(columns: list[tuple[str, str]], descriptions: dict[str, str] | None = None) -> dg.TableSchema:
    described = descriptions or {}
    return dg.TableSchema(
        columns=[dg.TableColumn(name=name, type=kind, description=described.get(name)) for name, kind in columns]
    )


def _contract_schema(name: str) -> dg.TableSchema:
    """The published table's columns and their descriptions, from the schema contract."""
    spec = contract.table(name)
    return table_schema([(c.name, c.type) for c in spec.columns], {c.name: c.description for c in spec.columns})


@dg.asset(
    key=STAGING,
    group_name=GROUP,
    deps=["publish"],
    kinds={"duckdb"},
    description="staging.customers in the working warehouse: every source record, standardised (one row per record).",
)
def staging_customers(context: dg.AssetExecutionContext, mdm: MdmConfigResource) -> dg.MaterializeResult:
    with open_context(mdm.load(), run_id=context.run_id, lock_timeout_s=600) as ctx:
        columns = describe(ctx.con, "staging.customers")
        rows = row_count(ctx.con, "staging.customers")
    return dg.MaterializeResult(metadata={"dagster/column_schema": table_schema(columns), "dagster/row_count": rows})


@dg.asset(
    key=PUBLISHED,
    group_name=GROUP,
    deps=["publish"],
    kinds={"duckdb"},
    description="The published DuckDB file ($MDM_HOME/published/mdm.duckdb) that analysts, BI tools and the "
    "steward app read; rows per table.",
)
def published_file(mdm: MdmConfigResource) -> dg.MaterializeResult:
    config = mdm.load()
    path = config.paths.current_published()
    con = open_published_reader(config.paths)
    try:
        # the read-model tables are optional: count the tables the file holds
        counts = {t.name: row_count(con, t.name) for t in contract.load()
                  if contract.actual_columns(con, READER_ALIAS, t.name)}
    finally:
        con.close()
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "size_bytes": path.stat().st_size,
            **{f"rows.{name}": n for name, n in counts.items()},
        }
    )


@dg.asset(
    key=GOLDEN,
    group_name=GROUP,
    deps=[PUBLISHED],
    kinds={"duckdb"},
    description=contract.table("golden.customer").description,
    metadata={"dagster/column_schema": _contract_schema("golden.customer")},
)
def golden_customer(mdm: MdmConfigResource) -> dg.MaterializeResult:
    con = open_published_reader(mdm.load().paths)
    try:
        columns = describe(con, "golden.customer")
        rows = row_count(con, "golden.customer")
    finally:
        con.close()
    described = {c.name: c.description for c in contract.table("golden.customer").columns}
    return dg.MaterializeResult(
        metadata={"dagster/column_schema": table_schema(columns, described), "dagster/row_count": rows}
    )


table_assets = [staging_customers, published_file, golden_customer]
