"""`mdm report`: HTML report and CSV/JSON exports from the published file, driven in-process."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner

from mdm.cli import mdm
from mdm.config import BUNDLED_DEMO_CONFIG, MdmConfig

CONFIG = ["--config", str(BUNDLED_DEMO_CONFIG)]


def test_html_report_default_location(published_home: MdmConfig) -> None:
    result = CliRunner().invoke(mdm, ["report", *CONFIG])
    assert result.exit_code == 0, result.output
    path = published_home.paths.reports / "dq_report.html"
    assert f"Report of run run-3 written to {path}" in result.output
    assert "Customer data quality" in path.read_text(encoding="utf-8")


def test_html_report_in_french_with_json_summary(published_home: MdmConfig, tmp_path: Path) -> None:
    out = tmp_path / "qualite.html"
    result = CliRunner().invoke(mdm, ["report", *CONFIG, "--lang", "fr", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["run_id"] == "run-3" and summary["path"] == str(out)
    assert summary["headline"]["golden_reachable_pct"] == 60.0
    assert summary["headline"]["golden_customers"] == 5.0
    assert "Qualité des données clients" in out.read_text(encoding="utf-8")


def test_csv_export_to_stdout_and_json_export_of_latest_run(
    published_home: MdmConfig, tmp_path: Path
) -> None:
    result = CliRunner().invoke(mdm, ["report", *CONFIG, "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert {r["run_id"] for r in rows} == {"run-1", "run-2", "run-3"}
    assert list(rows[0]) == ["run_id", "at", "scope", "dimension", "metric", "value"]

    out = tmp_path / "metrics.json"
    result = CliRunner().invoke(
        mdm, ["report", *CONFIG, "--format", "json", "--run", "latest", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {r["run_id"] for r in data} == {"run-3"}
    assert len(data) == sum(1 for r in rows if r["run_id"] == "run-3")


def test_nothing_published_yet_is_a_clear_error(demo_config: MdmConfig) -> None:
    result = CliRunner().invoke(mdm, ["report", *CONFIG])
    assert result.exit_code == 1
    assert "run the pipeline first" in result.output


def test_bad_language_is_a_usage_error(demo_config: MdmConfig) -> None:
    result = CliRunner().invoke(mdm, ["report", *CONFIG, "--lang", "de"])
    assert result.exit_code == 2
