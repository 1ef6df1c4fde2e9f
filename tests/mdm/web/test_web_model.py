"""The model page: m/u per level from the model file, the weight histogram and the thresholds,
on a real run's model and pairs."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from matching.model import load_current, save
from mdm.config import MdmConfig
from mdm.pipeline import run_pipeline
from mdm.web.app import create_app
from mdm.web.model_view import load_version, scoring_run, weight_of
from tests.mdm.web.web_helpers import PASSWORD, add_user, login
from warehouse.connection import open_published_reader


def test_weight_of_a_probability() -> None:
    assert weight_of(0.5) == 0 and weight_of(0.8) == pytest.approx(2.0)
    assert weight_of(0.0) == -math.inf and weight_of(1.0) == math.inf


def test_model_page_without_a_model(make_client: Callable[..., TestClient]) -> None:
    data = make_client("manager").get("/reports/model.json").json()
    assert data["model"] is None and data["comparisons"] == []
    assert sum(b["pairs"] for b in data["histogram"]) == 4  # the fixture's stored pairs


@pytest.mark.slow
def test_model_page_on_a_real_run(small_demo: MdmConfig) -> None:
    run_pipeline(small_demo)
    model = load_current(small_demo.paths.models)
    assert model is not None
    add_user(small_demo, "maud", "manager")
    app = create_app(small_demo)
    with TestClient(app, headers={"Accept-Language": "fr"}) as client:
        assert login(client, "maud", PASSWORD).status_code == 303
        data = client.get("/reports/model.json").json()
        html = client.get("/reports/model").text
    app.state.mdm.published.close()
    assert data["model"]["version"] == model.version
    email = next(c for c in data["comparisons"] if c["comparison"] == "email")
    exact = next(level for level in email["levels"] if level["label"] == "exact")
    params = model.comparisons["email"]
    i = params.labels.index("exact")
    assert (exact["m"], exact["u"]) == (params.m[i], params.u[i])
    assert exact["weight"] == pytest.approx(math.log2(params.m[i] / params.u[i]))
    con = open_published_reader(small_demo.paths)
    try:
        (stored,) = con.execute("SELECT count(*) FROM match.pairs").fetchone()
        (auto,) = con.execute("SELECT count(*) FROM match.pairs WHERE match_probability >= ?",
                              [small_demo.matching.auto_match_threshold]).fetchone()
    finally:
        con.close()
    assert sum(b["pairs"] for b in data["histogram"]) == stored
    by = {t["threshold"]: t for t in data["thresholds"]}
    assert by["auto_match"]["pairs_at_or_above"] == auto
    assert "Ce que pèse chaque comparaison" in html and "jaro" not in html.lower()



@pytest.mark.slow
def test_model_page_shows_the_model_that_scored_the_published_pairs(small_demo: MdmConfig) -> None:
    """Two model versions in the models folder: the page shows the one the publishing run scored
    with (its version and date), not the newer file `current.json` points at, and names the newer."""
    run_pipeline(small_demo)
    scored = load_current(small_demo.paths.models)
    assert scored is not None
    newer = replace(scored, version="29991231T000000-fffff0", trained_at="2999-12-31T00:00:00",
                    prior=scored.prior / 2)
    save(newer, small_demo.paths.models)   # newest file, current.json points at it; nothing published with it
    assert load_current(small_demo.paths.models).version == newer.version  # type: ignore[union-attr]
    add_user(small_demo, "maud", "manager")
    app = create_app(small_demo)
    with TestClient(app, headers={"Accept-Language": "en"}) as client:
        assert login(client, "maud", PASSWORD).status_code == 303
        data = client.get("/reports/model.json").json()
        html = client.get("/reports/model").text
    app.state.mdm.published.close()
    assert data["model"]["version"] == data["scored_by"]["version"] == scored.version
    assert data["model"]["prior"] == scored.prior and data["newer"]["version"] == newer.version
    assert f"Version {scored.version}, fitted on" in html and "scored the published pairs" in html
    assert f"A newer model (version {newer.version}" in html
    con = open_published_reader(small_demo.paths)
    try:
        (run_id,) = con.execute("SELECT run_id FROM ops.publication").fetchone()
    finally:
        con.close()
    assert data["scored_by"]["run_id"] == run_id


def test_scoring_run_is_the_newest_run_that_matched(tmp_path: Path) -> None:
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE SCHEMA ops; CREATE TABLE ops.runs (run_id VARCHAR, started_at TIMESTAMP, summary JSON, "
                "seq BIGINT)")
    assert scoring_run(con) is None
    # one frozen clock for all three (tests, reproducible demos): the order they started in decides
    con.execute("""INSERT INTO ops.runs VALUES
        ('r1-zz', '2026-12-01 02:00', '{"match": {"model_version": "v1"}}', 1),
        ('r2-aa', '2026-12-01 02:00', '{"match": {"model_version": "v2"}}', 2),
        ('r3', '2026-12-01 02:00', '{"ingest": {}}', 3)""")   # r3: an erasure or a run stopped before match
    assert scoring_run(con) == ("r2-aa", "v2")
    assert load_version(tmp_path, "v2") is None and load_version(tmp_path, "../../etc/passwd") is None


def test_histogram_bins_stay_few() -> None:
    from mdm.web.model_view import MAX_BINS, bin_width

    assert bin_width(-6.6, 84.0) == 5 and MAX_BINS >= (84.0 + 6.6) / 5
    assert bin_width(-1.0, 3.0) == 1
