"""The nightly job: every asset (the stages in order, then the tables they leave), with their checks."""

from __future__ import annotations

import dagster as dg

from pipelines.assets import GROUP

nightly_job = dg.define_asset_job(
    name="nightly",
    selection=dg.AssetSelection.groups(GROUP),
    description="One complete run: ingest, standardise, validate, match, merge, expire, measure, publish; "
    "then the staging, published file and golden customer tables with their schema and row counts.",
    # Stages share one DuckDB writer: run them one at a time, in a single process.
    executor_def=dg.in_process_executor,
)
