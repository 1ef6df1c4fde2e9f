"""The Dagster job materialises every stage in-process on demo data, checks included."""

from __future__ import annotations

import dagster as dg
import pytest

from mdm.config import MdmConfig
from mdm.pipeline import STAGES
from pipelines.assets import stage_assets
from pipelines.checks import asset_checks
from pipelines.resources import MdmConfigResource
from warehouse.connection import open_reader

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("end_to_end")]


def test_nightly_assets_materialise_in_process(small_demo: MdmConfig) -> None:
    result = dg.materialize(
        [*stage_assets, *asset_checks],
        resources={"mdm": MdmConfigResource(config_path=str(small_demo.config_path))},
        raise_on_error=True,
    )
    assert result.success
    materialised = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialised == set(STAGES)
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
