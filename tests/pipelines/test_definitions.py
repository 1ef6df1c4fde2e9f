"""The Dagster definitions load, and name what issue 2 promises."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from mdm.config import MdmConfig
from mdm.pipeline import STAGES
from mdm.privacy import fingerprint
from pipelines.definitions import defs
from pipelines.resources import MdmConfigResource
from pipelines.sensors import inbox_file_sensor

REPO = Path(__file__).resolve().parents[2]


def test_one_asset_per_stage_in_order() -> None:
    job = defs.resolve_job_def("nightly")
    keys = {key.to_user_string() for key in job.asset_layer.asset_graph.get_all_asset_keys()}
    assert set(STAGES) <= keys
    graph = defs.resolve_asset_graph()
    names = list(STAGES)
    for previous, stage in zip(names, names[1:], strict=False):
        parents = {k.to_user_string() for k in graph.get(dg.AssetKey(stage)).parent_keys}
        assert parents == {previous}


def test_materialize_all_runs_the_nightly_graph_in_process() -> None:
    """"Materialize all" on the global graph launches Dagster's implicit asset job: it must hold the same
    assets as `nightly` and run them the same way (one process, one writer)."""
    nightly = defs.resolve_job_def("nightly")
    implicit = defs.resolve_implicit_global_asset_job_def()
    assert nightly.asset_layer.asset_graph.get_all_asset_keys() == implicit.asset_layer.asset_graph.get_all_asset_keys()
    assert {"staging/customers", "published/mdm", "golden/customer"} <= {
        k.to_user_string() for k in nightly.asset_layer.asset_graph.get_all_asset_keys()
    }
    assert nightly.executor_def.name == implicit.executor_def.name == "in_process"


def test_the_golden_table_carries_its_published_schema() -> None:
    spec = defs.resolve_assets_def(dg.AssetKey(["golden", "customer"])).specs_by_key[dg.AssetKey(["golden", "customer"])]
    columns = spec.metadata["dagster/column_schema"].columns
    assert [c.name for c in columns][:3] == ["golden_id", "title", "first_name"]
    assert all(c.description for c in columns)


def test_schedule_is_0200_paris() -> None:
    schedule = defs.resolve_schedule_def("nightly_schedule")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Europe/Paris"
    assert schedule.job_name == "nightly"


def _sensor_run(config_file: Path, cursor: str | None) -> dg.SensorResult:
    context = dg.build_sensor_context(
        cursor=cursor, resources={"mdm": MdmConfigResource(config_path=str(config_file))}
    )
    result = inbox_file_sensor(context)
    assert isinstance(result, dg.SensorResult)
    return result


def test_inbox_sensor_runs_once_per_new_file(demo_config: MdmConfig) -> None:
    assert demo_config.config_path is not None
    inbox = demo_config.paths.inbox
    first = _sensor_run(demo_config.config_path, None)
    assert not first.run_requests

    (inbox / "crm").mkdir(parents=True)
    (inbox / "crm" / "a.csv").write_text("Code client;Nom\n1;X\n", encoding="cp1252")
    (inbox / "notes.txt").write_text("not matched by any source glob")
    second = _sensor_run(demo_config.config_path, first.cursor)
    assert len(second.run_requests or []) == 1
    # keyed by a salted fingerprint of the path: a file name can hold an e-mail (issue 18)
    assert set(json.loads(second.cursor or "{}")) == {fingerprint("crm/a.csv", "test-salt")}

    # An Excel lock file or a partial copy is not data: ingest skips it, so it starts no run.
    (inbox / "crm" / "~$a.csv").write_text("lock")
    (inbox / "crm" / "c.csv.tmp").write_text("partial")
    third = _sensor_run(demo_config.config_path, second.cursor)
    assert not third.run_requests, "the same file must not trigger twice, nor a lock file"

    (inbox / "crm" / "b.csv").write_text("Code client;Nom\n2;Y\n", encoding="cp1252")
    fourth = _sensor_run(demo_config.config_path, third.cursor)
    assert len(fourth.run_requests or []) == 1
    assert fourth.run_requests[0].run_key != second.run_requests[0].run_key  # type: ignore[index]


@pytest.mark.slow
def test_dagster_definitions_validate_cli(tmp_path: Path) -> None:
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_schedule_and_the_sensor_are_off_until_switched_on() -> None:
    """Opening the UI on a home with files must not start a run nobody asked for (issue 20)."""
    from pipelines.schedules import nightly_schedule
    from pipelines.sensors import inbox_file_sensor

    assert nightly_schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert inbox_file_sensor.default_status == dg.DefaultSensorStatus.STOPPED
