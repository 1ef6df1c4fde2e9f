"""End to end with the real pipeline: a steward's decision, applied right away, reaches the publication."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from mdm.config import MdmConfig
from mdm.pipeline import run_pipeline
from mdm.web.app import create_app
from tests.mdm.web.web_helpers import PASSWORD, add_user, login


@pytest.mark.slow
def test_decision_applied_right_away_by_the_real_pipeline(small_demo: MdmConfig) -> None:
    run_pipeline(small_demo)
    add_user(small_demo, "stella", "steward")
    app = create_app(small_demo)
    with TestClient(app) as client:
        assert login(client, "stella", PASSWORD).status_code == 303
        queue = client.get("/review.json", params={"party": "person"}).json()
        if queue["suggestions"]:
            pair = queue["suggestions"][0]
        else:  # nothing left to review: reject an automatic match instead (any pair can be decided)
            with app.state.mdm.reader() as (cur, _):
                left, right = cur.execute(
                    "SELECT record_key_l, record_key_r FROM match.pairs WHERE decision = 'auto_match' "
                    "ORDER BY match_probability, record_key_l LIMIT 1").fetchall()[0]
            pair = {"pair_id": f"{left}|{right}", "url": f"/pairs/{left}/{right}"}
        view = client.get(pair["url"] + ".json").json()
        assert view["explanations"] and view["fields"]
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(pair["url"]).text).group(1)  # type: ignore[union-attr]
        body = client.post(pair["url"] + "/decide.json", data={"csrf_token": token, "version": view["version"],
                                                               "decision": "non_match", "apply_now": "1"}).json()
        assert body["apply"] == "started", body
        app.state.mdm.apply_runner.join(timeout=300)
        assert app.state.mdm.apply_runner.status.state == "succeeded", app.state.mdm.apply_runner.status
        after = client.get(pair["url"] + ".json").json()
        assert after["model_decision"] == "steward_non_match"
        assert pair["pair_id"] not in [s["pair_id"] for s in client.get("/review.json").json()["suggestions"]]
        assert client.get("/-/health").json()["apply"] == "succeeded"
