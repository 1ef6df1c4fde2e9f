"""Quarantine accounting on generated data, and the steward's release / discard flow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mdm.cli import mdm
from mdm.config import MdmConfig
from mdm.pipeline import run_pipeline

pytestmark = pytest.mark.slow  # full ingest + standardise + validate runs (GX import)

STAGES = ["ingest", "standardise", "validate"]


def _db(config: MdmConfig):  # type: ignore[no-untyped-def]
    import duckdb

    return duckdb.connect(str(config.paths.warehouse), read_only=True)


def test_received_equals_valid_plus_quarantined(small_demo: MdmConfig) -> None:
    summary = run_pipeline(small_demo, stages=STAGES)
    validate = summary.counts()["validate"]
    standardised = sum(summary.counts()["standardise"]["standardised"].values())
    assert validate["validated"] == standardised
    assert validate["validated"] == validate["valid"] + validate["quarantined_rows"]
    assert sum(validate["quarantined"].values()) == validate["quarantined_rows"]
    assert validate["quarantined_rows"] > 0  # the demo data has invalid emails, dates, empty names
    con = _db(small_demo)
    try:
        customers = [s.name for s in small_demo.sources if s.records == "customers"]  # events: tests/mdm/events
        staged = con.execute("SELECT count(*) FROM staging.customers").fetchall()[0][0]
        valid = con.execute("SELECT count(*) FROM staging.valid_customers").fetchall()[0][0]
        quarantined = con.execute("SELECT count(*) FROM quarantine.rows WHERE status = 'open' "
                                  "AND source IN (SELECT unnest(?::VARCHAR[]))", [customers]).fetchall()[0][0]
        keys = con.execute("SELECT count(DISTINCT record_key) FROM raw.records "
                           "WHERE source IN (SELECT unnest(?::VARCHAR[]))", [customers]).fetchall()[0][0]
        reasons = con.execute("SELECT DISTINCT unnest(reasons) FROM quarantine.rows "
                              "WHERE source IN (SELECT unnest(?::VARCHAR[]))", [customers]).fetchall()
    finally:
        con.close()
    assert staged == keys == valid + quarantined
    assert {r[0] for r in reasons} <= {"no_contact_channel", "not_identifiable", "email_invalid",
                                        "birth_date_implausible", "email_required", "record_key_duplicate"}
    # Running again on the same inbox changes nothing.
    again = run_pipeline(small_demo, stages=STAGES).counts()["validate"]
    assert again["validated"] == 0 and again["quarantined"] == {}


def test_release_with_correction_and_discard(small_demo: MdmConfig) -> None:
    run_pipeline(small_demo, stages=STAGES)
    runner = CliRunner()
    listed = runner.invoke(mdm, ["quarantine", "list", "--reason", "email_invalid", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)["rows"]
    assert rows, "the demo data should have rows quarantined for an invalid email"
    fixable = [r for r in rows if set(r["reasons"]) <= {"email_invalid", "email_required"}]
    assert len(fixable) >= 1 and len(rows) >= 2
    release_key = fixable[0]["record_key"]
    discard_key = next(r["record_key"] for r in rows if r["record_key"] != release_key)

    shown = json.loads(runner.invoke(mdm, ["quarantine", "show", release_key, "--json"]).output)
    assert shown["status"] == "open"
    # The canonical name of the field is accepted and mapped to the source's column.
    released = runner.invoke(mdm, ["quarantine", "release", release_key, "--set", "email=corrige@example.fr",
                                   "--user", "steward1"])
    assert released.exit_code == 0, released.output
    assert runner.invoke(mdm, ["quarantine", "discard", discard_key, "--user", "steward1"]).exit_code == 0
    bad = runner.invoke(mdm, ["quarantine", "release", release_key, "--set", "no_such_column=1"])
    assert bad.exit_code != 0

    summary = run_pipeline(small_demo, stages=STAGES)
    assert summary.counts()["standardise"]["quarantine_actions"] == {"released": 1, "discarded": 1, "ignored": 0}
    assert summary.counts()["validate"]["validated"] == 1  # the released row went through validate again
    con = _db(small_demo)
    try:
        status = dict(con.execute("SELECT record_key, status FROM quarantine.rows WHERE record_key IN (?, ?)",
                                  [release_key, discard_key]).fetchall())
        in_view = {r[0] for r in con.execute(
            "SELECT record_key FROM staging.valid_customers WHERE record_key IN (?, ?)",
            [release_key, discard_key]).fetchall()}
        email = con.execute("SELECT email FROM staging.customers WHERE record_key = ?", [release_key]).fetchall()
        audit = con.execute("SELECT kind, subject_hash, detail FROM audit.events WHERE kind LIKE 'quarantine_%'"
                            " ORDER BY kind").fetchall()
    finally:
        con.close()
    assert status == {release_key: "released", discard_key: "discarded"}
    assert in_view == {release_key}
    assert email[0][0] == "corrige@example.fr"
    assert [a[0] for a in audit] == ["quarantine_discard", "quarantine_release"]
    for _, subject_hash, detail in audit:
        assert release_key not in subject_hash and discard_key not in subject_hash  # fingerprints only
        assert "corrige" not in detail

    # The actions are applied once: a third run does nothing more.
    third = run_pipeline(small_demo, stages=STAGES).counts()
    assert "quarantine_actions" not in third["standardise"]
    assert third["validate"]["validated"] == 0


def test_cli_list_reads_the_warehouse_when_nothing_is_published(small_demo: MdmConfig, tmp_path: Path) -> None:
    run_pipeline(small_demo, stages=STAGES)
    result = CliRunner().invoke(mdm, ["quarantine", "list"])
    assert result.exit_code == 0, result.output
    assert "Open rows by reason" in result.output
