"""The one place that lists everything Dagster loads (`dagster-webserver -w workspace.yaml`).

The assets are exactly the `nightly` job's graph (one group), and the default executor is
in-process like the job's. The job page's "Materialize all" (Jobs > nightly) launches `nightly`;
the global graph's launches Dagster's implicit asset job `__ASSET_JOB`, which Dagster creates for
any code location with assets and cannot be told to replace: with the same graph and executor it
runs the same stages, in the same order, in one process (tests/pipelines/test_dagster_ui.py).
"""

from __future__ import annotations

import dagster as dg

from pipelines.assets import stage_assets
from pipelines.checks import asset_checks
from pipelines.jobs import nightly_job
from pipelines.resources import MdmConfigResource
from pipelines.schedules import nightly_schedule
from pipelines.sensors import inbox_file_sensor
from pipelines.tables import table_assets

defs = dg.Definitions(
    assets=[*stage_assets, *table_assets],
    asset_checks=asset_checks,
    jobs=[nightly_job],
    schedules=[nightly_schedule],
    sensors=[inbox_file_sensor],
    # Stages share one DuckDB writer: one at a time, in a single process, whichever job runs them.
    executor=dg.in_process_executor,
    resources={"mdm": MdmConfigResource(config_path=dg.EnvVar("MDM_CONFIG").get_value() or "")},
)
