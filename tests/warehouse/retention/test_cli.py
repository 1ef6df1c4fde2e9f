"""`mdm retention plan|hold` and `mdm erase`, driven in-process with click's CliRunner."""

from __future__ import annotations

import json
from datetime import datetime

from click.testing import CliRunner

from mdm.cli import mdm
from mdm.config import BUNDLED_DEMO_CONFIG
from tests.faults.faults_helpers import held_by_another_process

OLD, RECENT = datetime(2022, 1, 1), datetime(2026, 1, 1)
EMAIL = "old.prospect@example.org"


def _seed(warehouse):
    warehouse.add("crm:p1", retention_category="prospect", last_contact_at=OLD, email=EMAIL, last_name="Olde")
    warehouse.add("salon:p2", retention_category="prospect", last_contact_at=OLD, email="other@example.org")
    warehouse.add("crm:c1", retention_category="prospect", last_contact_at=RECENT, email="new@example.org")
    warehouse.clusters(["crm:p1"], ["salon:p2"], ["crm:c1"])
    warehouse.stage("merge")
    gid = warehouse.gid("crm:p1")
    warehouse.con.close()
    return gid


def _mdm(*args: str, input: str | None = None):
    return CliRunner().invoke(mdm, [*args, "--config", str(BUNDLED_DEMO_CONFIG)], input=input)


def test_plan_hold_and_lift(warehouse):
    gid = _seed(warehouse)
    result = _mdm("retention", "plan", "--json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert plan["totals"]["due"] == 2
    assert plan["rules"][0]["by_source"]["crm"]["due"] == 1 and plan["rules"][0]["by_source"]["crm"]["keep"] == 1

    assert _mdm("retention", "hold", "add", gid, "--reason", "case 42").exit_code == 0
    listed = json.loads(_mdm("retention", "hold", "list", "--json").output)
    assert [h["subject"] for h in listed] == [gid]
    plan = json.loads(_mdm("retention", "plan", "--json").output)
    assert plan["totals"]["due"] == 1 and plan["totals"]["held"] == 1
    text = _mdm("retention", "plan").output
    assert "prospect_3y" in text and "held" in text

    assert _mdm("retention", "hold", "lift", gid).exit_code == 0
    assert json.loads(_mdm("retention", "plan", "--json").output)["totals"]["due"] == 2
    assert _mdm("retention", "hold", "lift", gid).exit_code == 1  # nothing left to lift
    unknown = _mdm("retention", "hold", "add", "crm:nobody", "--reason", "x")
    assert unknown.exit_code == 1 and "no golden customer or source record" in unknown.output


def test_plan_says_a_run_is_in_progress(warehouse):
    _seed(warehouse)
    with held_by_another_process("file", warehouse.config.paths.warehouse):
        result = _mdm("retention", "plan")
    assert result.exit_code == 1
    assert "a pipeline run is in progress" in result.output


def test_erase_asks_then_prints_counts_only(warehouse):
    _seed(warehouse)
    refused = _mdm("erase", "--email", EMAIL, input="n\n")
    assert refused.exit_code == 1  # aborted
    result = _mdm("erase", "--email", EMAIL, "--yes", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["records"] == 1 and data["golden_customers"] == 1
    assert EMAIL not in result.output and "Olde" not in result.output
    assert _mdm("erase", "--email", EMAIL, "--phone", "0600000000").exit_code == 2
    assert _mdm("erase", "--phone", "not a phone", "--yes").exit_code == 2


def test_erase_says_in_one_line_that_another_program_holds_the_warehouse(warehouse):
    _seed(warehouse)
    warehouse.con.close()
    with held_by_another_process("file", warehouse.config.paths.warehouse):
        result = _mdm("erase", "--email", EMAIL, "--yes")
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "mdm erase: failed: the working warehouse: the file is open in another program (a BI tool holding it"
        " read-write?); close it; nothing was erased, run mdm erase again. The published database did not change."
    ]
