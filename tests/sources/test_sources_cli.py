"""`mdm sources list|check|new`, including: the generated connector's own test passes as generated."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from mdm.cli import mdm
from mdm.config import MdmConfig

REPO = Path(__file__).resolve().parents[2]


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(mdm, list(args))
    return result.exit_code, result.output


def test_list_json(small_demo: MdmConfig) -> None:
    code, out = invoke("sources", "list", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert {s["name"]: s["files_in_inbox"] for s in data["sources"]} == {
        "crm": 1, "salon": 2, "webshop": 1, "newsletter": 1, "erp": 1, "erp_contacts": 1, "eshop_orders": 1,
        "call_centre": 1, "campaigns": 1}
    assert {"csv", "excel", "json", "parquet", "sql"} <= {k["kind"] for k in data["kinds"]}


def test_check_reads_without_loading(small_demo: MdmConfig) -> None:
    code, out = invoke("sources", "check", "salon", "--json")
    assert code == 0, out
    report = json.loads(out)
    assert report["ok"] and len(report["items"]) == 2
    assert all(i["rows"] > 0 and i["sheets"] == ["Contacts"] for i in report["items"])
    assert not small_demo.paths.warehouse.exists(), "check must not open or create the warehouse"


def test_check_reports_problems_with_exit_1(small_demo: MdmConfig, tmp_path: Path) -> None:
    text = (REPO / "mdm" / "demo" / "mdm.yaml").read_text(encoding="utf-8").replace("email: Courriel", "email: Mail")
    config = tmp_path / "mdm.yaml"
    config.write_text(text, encoding="utf-8")
    code, out = invoke("sources", "check", "crm", "--config", str(config))
    assert code == 1 and "missing column(s) ['Mail']" in out
    code, out = invoke("sources", "check", "nobody", "--config", str(config))
    assert code == 2 and "no source named 'nobody'" in out


def test_new_refuses_bad_names_and_overwrites(tmp_path: Path) -> None:
    code, out = invoke("sources", "new", "Bad-Name", "--dir", str(tmp_path))
    assert code == 2 and "must match" in out
    assert invoke("sources", "new", "acme", "--dir", str(tmp_path))[0] == 0
    code, out = invoke("sources", "new", "acme", "--dir", str(tmp_path))
    assert code == 2 and "--force" in out


@pytest.mark.slow
def test_generated_connector_test_passes_right_away(tmp_path: Path) -> None:
    folder = tmp_path / "acme_crm"
    code, out = invoke("sources", "new", "acme_crm", "--dir", str(folder))
    assert code == 0, out
    assert (folder / "acme_crm_connector.py").exists() and (folder / "test_acme_crm_connector.py").exists()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(folder), str(REPO)])}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", str(folder)],
        cwd=folder, env=env, capture_output=True, text=True, timeout=180,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "8 passed" in run.stdout, run.stdout[-500:]
