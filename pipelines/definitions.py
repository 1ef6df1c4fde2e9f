"""The one place that lists everything Dagster loads (`dagster dev -w workspace.yaml`)."""

from __future__ import annotations

import dagster as dg

from pipelines.assets import stage_assets
from pipelines.checks import asset_checks
from pipelines.jobs import nightly_job
from pipelines.resources import MdmConfigResource
from pipelines.schedules import nightly_schedule
from pipelines.sensors import inbox_file_sensor

defs = dg.Definitions(
    assets=stage_assets,
    asset_checks=asset_checks,
    jobs=[nightly_job],
    schedules=[nightly_schedule],
    sensors=[inbox_file_sensor],
    resources={"mdm": MdmConfigResource(config_path=dg.EnvVar("MDM_CONFIG").get_value() or "")},
)
