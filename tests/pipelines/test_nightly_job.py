"""The Dagster job materialises every stage in-process on demo data, checks included, then the
tables people use with their schema and row counts."""

from __future__ import annotations

from typing import Any

import dagster as dg
import pytest

from mdm.config import MdmConfig
from mdm.pipeline import STAGES
from pipelines.assets import stage_assets
from pipelines.checks import asset_checks
from pipelines.resources import MdmConfigResource
from pipelines.tables import table_assets
from warehouse.connection import open_reader

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("end_to_end")]


def metadata(result: dg.ExecuteInProcessResult, key: str) -> dict[str, Any]:
    """The metadata of the materialisation of the asset `key` (`a/b`) in this run."""
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == key]
    materialization = event.materialization
    assert materialization is not None
    return dict(materialization.metadata)


def test_nightly_assets_materialise_in_process(small_demo: MdmConfig) -> None:
    result = dg.materialize(
        [*stage_assets, *table_assets, *asset_checks],
        resources={"mdm": MdmConfigResource(config_path=str(small_demo.config_path))},
        raise_on_error=True,
    )
    assert result.success
    materialised = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialised == set(STAGES) | {"staging/customers", "published/mdm", "golden/customer"}
    checks = result.get_asset_check_evaluations()
    assert checks and all(c.passed for c in checks), [(c.check_name, c.metadata) for c in checks]

    ingest = result.asset_materializations_for_node("ingest")[0]
    assert ingest.metadata["received.crm"].value > 0

    con = open_reader(small_demo.paths.published)
    try:
        row = con.execute("SELECT count(*) FROM golden.customer").fetchone()
        runs = con.execute("SELECT run_id, status FROM ops.runs").fetchall()
    finally:
        con.close()
    assert row and row[0] > 0
    assert [run_id for run_id, _ in runs] == [result.run_id]

    golden = metadata(result, "golden/customer")
    assert golden["dagster/row_count"].value == row[0]
    schema = golden["dagster/column_schema"].value
    assert schema.columns[0].name == "golden_id" and schema.columns[0].description
    staging = metadata(result, "staging/customers")
    assert staging["dagster/row_count"].value > 0
    assert "record_key" in {c.name for c in staging["dagster/column_schema"].value.columns}
    published = metadata(result, "published/mdm")
    assert published["rows.golden.customer"].value == row[0]
