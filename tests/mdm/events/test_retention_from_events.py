"""Retention counts from the last contact the person started, read on the timeline; holds still win."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable

from click.testing import CliRunner

from mdm.cli import mdm as cli
from sources.keys import record_key
from tests.mdm.events.conftest import BASE_CONFIG, CUSTOMERS, EventsHome

#: Inès (C5, a 2018 prospect) wrote in this year; Marc (C4) only received a campaign; Léa (C3) nothing.
CONTACTS = """ref,quand,quoi,canal,montant
C5,2026-09-14,ticket,phone,
C4,2026-10-01,envoi campagne,email,
C3,2019-05-01,ticket,email,
"""


def _config() -> dict:
    config = copy.deepcopy(BASE_CONFIG)
    config["sources"].append({
        "name": "callcentre", "kind": "csv", "path": "calls/*.csv", "records": "events", "key_columns": [],
        "customer_source": "crm", "date_format": "%Y-%m-%d",
        "mapping": {"customer_key": "ref", "occurred_at": "quand", "event_type": "quoi", "channel": "canal",
                    "amount": "montant"},
    })
    config["retention"] = {"rules": [{
        "name": "prospect_3y", "category": "prospect", "trigger": ["last_initiated_contact_at", "created_at"],
        "pick": "latest", "period": "3y", "action": "delete",
    }], "legal_holds": [{"subject": record_key("crm", ["C3"]), "reason": "case 2026-17"}]}
    return config


def test_the_last_contact_the_person_started_keeps_them(events_home: Callable[..., EventsHome]) -> None:
    home = events_home(_config())
    home.drop("crm/clients.csv", CUSTOMERS)
    home.drop("calls/appels.csv", CONTACTS)
    home.run(until="events")

    plan = CliRunner().invoke(cli, ["retention", "plan", "--json", "--records", "10",
                                    "--config", str(home.config_path)])
    assert plan.exit_code == 0, plan.output
    data = json.loads(plan.output)
    rule = data["rules"][0]
    assert rule["totals"]["due"] == 1 and rule["totals"]["held"] == 1 and rule["totals"]["keep"] == 1
    # Which date drove each: Inès kept by her ticket; Marc due by creation (a campaign we sent is not his
    # contact); Léa held, though her own 2019 ticket is older than three years.
    assert rule["by_trigger"]["last_initiated_contact_at"]["keep"] == 1
    assert rule["by_trigger"]["created_at"]["due"] == 1
    records = {(r["record_key"], r["status"], r["trigger_field"]) for r in data["records"]}
    assert records == {(record_key("crm", ["C4"]), "due", "created_at"),
                       (record_key("crm", ["C3"]), "held", "last_initiated_contact_at")}
    text = CliRunner().invoke(cli, ["retention", "plan", "--config", str(home.config_path)])
    assert "date: last_initiated_contact_at" in text.output and "or, if later," in text.output

    summary = home.run()
    expire = summary.results["expire"].counts
    assert expire["expired"] == {"prospect_3y": 1}
    # Marc's record went, and with it his events, raw rows included.
    assert home.query("SELECT count(*) FROM events.staged WHERE ref_record_key = ?", [record_key("crm", ["C4"])]) \
        == [(0,)]
    assert home.query("SELECT count(*) FROM events.staged WHERE source = 'callcentre'") == [(2,)]
    assert home.query("SELECT count(*) FROM raw.event_rows") == [(0,)]  # the landing is emptied once read
    audit = home.query("SELECT detail FROM audit.events WHERE kind = 'retention_run'")
    assert json.loads(audit[-1][0])["due_by_trigger"] == {"created_at": 1}
