"""The app keeps working while a pipeline run holds the warehouse and writes the stewardship store."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mdm.config import MdmConfig
from mdm.stewardship import store
from tests.mdm.web.web_helpers import build_published, csrf_of

RUN_SCRIPT = textwrap.dedent(
    """
    import sqlite3, sys, time
    from pathlib import Path
    sys.path[:0] = [{root!r}, {helpers!r}]
    from mdm.config import load_config, BUNDLED_DEMO_CONFIG
    from warehouse.connection import open_writer
    from warehouse.lock import pipeline_lock
    from mdm.stewardship import store
    from tests.mdm.web.web_helpers import build_published

    config = load_config(BUNDLED_DEMO_CONFIG)
    with pipeline_lock(config.paths.lock):
        con = open_writer(config.paths)          # the run holds the working warehouse
        con.execute("BEGIN TRANSACTION")
        con.execute("CREATE TABLE busy AS SELECT * FROM range(1000)")
        s = store.connect(config.paths.steward_db)
        print("holding", flush=True)
        deadline = time.time() + {seconds}
        published = False
        while time.time() < deadline:
            with store.transaction(s):            # the run reads/marks steward actions meanwhile
                rows = store.pending_golden_actions(s)
                time.sleep(0.05)
            if not published and time.time() > deadline - {seconds} / 2:
                build_published(config.paths.published, probability_shift=0.3)   # publication mid-way
                published = True
                print("published", flush=True)
            time.sleep(0.01)
        con.execute("COMMIT")
    print("done", flush=True)
    """
)


@pytest.mark.slow
def test_app_works_during_a_run(make_client: Callable[..., TestClient], web_config: MdmConfig) -> None:
    helpers = str(Path(__file__).resolve().parent)
    root = str(Path(__file__).resolve().parents[3])
    script = RUN_SCRIPT.format(root=root, helpers=helpers, seconds=4.0)
    client = make_client()
    token = csrf_of(client, "/review")
    before = client.get("/review.json").json()["suggestions"][0]["match_probability"]
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "holding"
        saved = 0
        seen_new = False
        deadline = time.time() + 20
        while proc.poll() is None and time.time() < deadline:
            assert client.get("/review").status_code == 200
            assert client.get("/customers.json?q=martin").status_code == 200
            pair = client.get("/review/next.json").json()["pair_id"]
            if pair:
                left, right = pair.split("|")
                view = client.get(f"/pairs/{left}/{right}.json").json()
                seen_new = seen_new or view["match_probability"] > before + 0.2
                response = client.post(f"/pairs/{left}/{right}/decide.json",
                                       data={"csrf_token": token, "version": view["version"], "decision": "match"})
                # 200 saved, or 409 when the publication changed the pair between page and POST: never lost
                assert response.status_code in (200, 409), response.text
                saved += response.status_code == 200
                if response.status_code == 200:
                    client.post("/review/undo.json", data={"csrf_token": token})
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert saved > 0
    assert seen_new, "the app did not pick up the publication made during the run"
    con = store.connect(web_config.paths.steward_db)
    assert con.execute("SELECT count(*) FROM pair_decisions").fetchone()[0] == saved
    build_published(web_config.paths.published)
