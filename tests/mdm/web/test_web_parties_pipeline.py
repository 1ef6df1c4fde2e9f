"""End to end with the real pipeline: a steward's organisation decision and household correction,
saved through the app, are applied by the next run and kept by the one after."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mdm.config import MdmConfig
from mdm.pipeline import run_pipeline
from mdm.stewardship import store
from mdm.web.app import create_app
from tests.mdm.web.web_helpers import PASSWORD, add_user, login
from warehouse.connection import open_published_reader


def _published(config: MdmConfig, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    con = open_published_reader(config.paths)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def _token(client: TestClient, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)  # type: ignore[union-attr]


@pytest.mark.slow
def test_organisation_decision_and_household_correction_reach_the_next_runs(small_demo: MdmConfig) -> None:
    run_pipeline(small_demo)
    add_user(small_demo, "stella", "steward")
    app = create_app(small_demo)
    with TestClient(app) as client:
        assert login(client, "stella", PASSWORD).status_code == 303
        # An organisation pair the matcher merged, which the steward says are two organisations: how
        # many pairs the model leaves for review depends on the data's size, an automatic match is
        # there at every size (the review queue's listing is tested in test_web_parties.py).
        left, right = _published(small_demo, "SELECT record_key_l, record_key_r FROM match_org.pairs "
                                             "WHERE decision = 'auto_match' ORDER BY ALL LIMIT 1", [])[0]
        url = f"/organisations/pairs/{left}/{right}"
        view = client.get(url + ".json").json()
        token = _token(client, url)
        saved = client.post(url + "/decide.json", data={"csrf_token": token, "version": view["version"],
                                                         "decision": "non_match"})
        assert saved.status_code == 200, saved.text
        # a household member taken out of their household
        member, household = _published(small_demo, "SELECT golden_id, household_id FROM golden.household_member "
                                                    "ORDER BY household_id, golden_id LIMIT 1", [])[0]
        others = {g for (g,) in _published(small_demo, "SELECT golden_id FROM golden.household_member "
                                                        "WHERE household_id = ? AND golden_id <> ?", [household, member])}
        done = client.post(f"/customers/{member}/household/apart.json",
                           data={"csrf_token": _token(client, f"/customers/{member}"), "confirm": "yes"})
        assert done.json()["saved"] is True
    app.state.mdm.published.close()

    def check() -> None:
        decision = _published(small_demo, "SELECT decision FROM match_org.pairs WHERE record_key_l = ? AND "
                                          "record_key_r = ?", [view["record_key_l"], view["record_key_r"]])
        assert decision == [("steward_non_match",)]
        apart = _published(small_demo, "SELECT count(DISTINCT organisation_id) FROM golden.organisation_xref "
                                       "WHERE record_key IN (?, ?)", [view["record_key_l"], view["record_key_r"]])
        assert apart == [(2,)]
        still = _published(small_demo, """
            SELECT count(*) FROM golden.household_member a JOIN golden.household_member b USING (household_id)
            WHERE a.golden_id = ? AND list_contains(?::VARCHAR[], b.golden_id)""", [member, sorted(others)])
        assert still == [(0,)]

    run_pipeline(small_demo)
    check()
    con = store.connect(small_demo.paths.steward_db)
    [action] = store.household_actions_in_force(con)
    assert action["state"] == "applied"
    con.close()
    run_pipeline(small_demo)  # kept by the run after
    check()
