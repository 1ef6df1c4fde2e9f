"""The nightly job: every stage asset, in order, with their checks."""

from __future__ import annotations

import dagster as dg

from pipelines.assets import GROUP

nightly_job = dg.define_asset_job(
    name="nightly",
    selection=dg.AssetSelection.groups(GROUP),
    description="One complete run: ingest, standardise, validate, match, merge, expire, measure, publish.",
    # Stages share one DuckDB writer: run them one at a time, in a single process.
    executor_def=dg.in_process_executor,
)
