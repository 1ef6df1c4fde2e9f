"""`mdm demo`, `mdm run` and `mdm sql` as a user meets them: the summary, the exit codes, the errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from mdm.cli import mdm
from mdm.cli.run import QUERY_HINT
from mdm.config import BUNDLED_DEMO_CONFIG, MdmConfig

pytestmark = pytest.mark.xdist_group("end_to_end")


def test_help_lists_the_commands() -> None:
    result = CliRunner().invoke(mdm, ["--help"])
    assert result.exit_code == 0
    for command in ("demo", "run", "evaluate", "sql"):
        assert f"  {command} " in result.output


def test_run_with_invalid_config_exits_2_and_names_the_problem(tmp_path: Path, mdm_home: Path) -> None:
    raw = yaml.safe_load(BUNDLED_DEMO_CONFIG.read_text(encoding="utf-8"))
    raw["sources"][0]["kind"] = 3
    raw["sources"][0]["trust_rank"] = "first"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(mdm, ["run", "--config", str(path)])
    assert result.exit_code == 2
    assert "sources[0] (crm) > trust_rank" in result.output
    assert "sources[0] (crm) > kind" in result.output


@pytest.mark.slow
def test_demo_prints_the_summary_and_sql_queries_the_result(mdm_home: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(mdm, ["demo", "--people", "400", "--seed", "3"])
    assert result.exit_code == 0, result.output
    out = result.output
    for label in ("records received", "quarantined", "duplicates found", "golden customers", "records expired"):
        assert label in out
    for source in ("crm", "salon", "webshop", "newsletter"):
        assert source in out.split("records received")[1].splitlines()[0]
    published = mdm_home.resolve() / "published" / "mdm.duckdb"
    assert f"Published: {published}" in out
    assert f'Query it: .venv/bin/mdm sql "{QUERY_HINT}"' in out
    assert f'duckdb {published} "{QUERY_HINT}"' in out
    analyst = subprocess.run(  # the hint is true for the file opened directly, in a fresh process
        [sys.executable, "-c", "import duckdb, sys; print(len(duckdb.connect(sys.argv[1]).sql(sys.argv[2]).fetchall()))",
         str(published), QUERY_HINT],
        capture_output=True, text=True, check=False,
    )
    assert analyst.returncode == 0 and analyst.stdout.strip() == "10", analyst.stderr

    sql = runner.invoke(mdm, ["sql", "--json", "SELECT count(*) AS n FROM golden.customer"])
    assert sql.exit_code == 0, sql.output
    assert json.loads(sql.output)[0]["n"] > 300

    refused = runner.invoke(mdm, ["sql", "DROP TABLE golden.customer"])
    assert refused.exit_code == 1 and "query failed" in refused.output


def test_sql_before_any_run_says_what_to_do(demo_config: MdmConfig) -> None:
    result = CliRunner().invoke(mdm, ["sql", "SELECT 1"])
    assert result.exit_code == 1
    assert "run the pipeline first" in result.output
