"""Every night at 02:00, Paris time."""

from __future__ import annotations

import dagster as dg

from pipelines.jobs import nightly_job

nightly_schedule = dg.ScheduleDefinition(
    name="nightly_schedule",
    job=nightly_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/Paris",
    # Off until a person switches it on in the UI (or `dagster schedule start`): opening the UI on
    # a home with files must not start work nobody asked for.
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
