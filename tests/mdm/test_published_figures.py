"""One set of counts: after a real run (expiry included), the run summary, `mdm quarantine list`,
the steward app and the report show the same quarantined count, reason counts, pairs for review
and golden count (`mdm.published_figures`)."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from mdm.cli import mdm
from mdm.config import MdmConfig
from mdm.web.app import create_app
from tests.mdm.web.web_helpers import PASSWORD, add_user, login
from warehouse.connection import open_published_reader


@pytest.mark.slow
def test_summary_cli_app_and_report_agree(small_demo: MdmConfig) -> None:
    run = CliRunner().invoke(mdm, ["run", "--json"])
    assert run.exit_code == 0, run.output
    summary = json.loads(run.output)
    shared = summary["published_figures"]
    assert shared["quarantined_open"] > 0 and shared["golden_customers"] > 0
    # --json's published_match says the same open-review figure, not the model's review count
    # (which also holds settled pairs: their two records already in one customer)
    assert summary["published_match"]["review"] == shared["pairs_for_review"]
    con = open_published_reader(small_demo.paths)
    try:
        (scored,) = con.execute("SELECT count(*) FROM match.pairs WHERE decision = 'review'").fetchone()
    finally:
        con.close()
    assert scored >= shared["pairs_for_review"] > 0

    # the printed summary says the same
    text = CliRunner().invoke(mdm, ["run"]).output  # a second run on the same inbox changes nothing
    again_run = json.loads(CliRunner().invoke(mdm, ["run", "--json"]).output)
    again, again_match = again_run["published_figures"], again_run["published_match"]
    assert again_match["review"] == again["pairs_for_review"]
    assert again == shared
    assert f"quarantined        {shared['quarantined_open']:>7}" in text
    assert f"({again_match['auto_matches']} auto-matched pairs, {shared['pairs_for_review']} pairs for review)" in text
    assert f"{shared['pairs_for_review']} pairs for review" in text
    # the timeline line is the published timeline (after expiry), not the events stage's own count
    assert shared["timeline_events"] > 0
    assert f"on the timeline    {shared['timeline_events']:>7}" in text

    # mdm quarantine list
    listed = json.loads(CliRunner().invoke(mdm, ["quarantine", "list", "--json", "--limit", "0"]).output)
    assert listed["open_by_reason"] == shared["quarantine_reasons"]
    assert len([r for r in listed["rows"] if r["status"] == "open"]) == shared["quarantined_open"]

    # the app: home figures, the review queue, the quarantine filter
    add_user(small_demo, "stella", "steward")
    app = create_app(small_demo)
    with TestClient(app) as client:
        assert login(client, "stella", PASSWORD).status_code == 303
        home = client.get("/.json").json()
        assert home["golden_customers"] == shared["golden_customers"]
        assert home["open_quarantine"] == shared["quarantined_open"]
        assert home["pending_review"] == shared["pairs_for_review"] == client.get("/review.json?party=person").json()["total"]
        choices = client.get("/quarantine.json").json()["choices"]["reasons"]
        assert {c["value"]: c["rows"] for c in choices} == shared["quarantine_reasons"]
    app.state.mdm.published.close()

    # the report's metrics (dq.metrics of the run that published)
    con = open_published_reader(small_demo.paths)
    try:
        (run_id,) = con.execute("SELECT run_id FROM ops.publication ORDER BY published_at DESC LIMIT 1").fetchone()
        metrics = con.execute("SELECT scope, dimension, metric, value FROM dq.metrics WHERE run_id = ?",
                              [run_id]).fetchall()
    finally:
        con.close()
    by = {(s, d, m): v for s, d, m, v in metrics}
    assert by[("all", "validity", "quarantined_open")] == shared["quarantined_open"]
    assert by[("all", "uniqueness", "golden_customers")] == shared["golden_customers"]
    reasons: Counter[str] = Counter()
    for (scope, dimension, metric), value in by.items():
        if dimension == "validity" and metric.startswith("quarantined.") and scope != "all":
            reasons[metric.removeprefix("quarantined.")] += int(value)
    assert dict(reasons) == shared["quarantine_reasons"]


def test_published_match_review_is_the_open_review_figure() -> None:
    """The run summary's and --json's review count: the published file's open pairs once published,
    the match stage's own count before anything is published."""
    from mdm.cli.run import match_figures

    counts = {"match": {"review": 11, "auto_matches": 40}, "expire": {"match_after_expiry": {"review": 9}}}
    assert match_figures(counts)["review"] == 9
    assert match_figures(counts, {"pairs_for_review": 5})["review"] == 5
    assert match_figures(counts, {"pairs_for_review": 5})["auto_matches"] == 40
