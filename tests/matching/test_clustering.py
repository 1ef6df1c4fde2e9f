"""Constrained clustering: cannot-links hold through chains, suspicious clusters go to review."""

from __future__ import annotations

import numpy as np
import pandas as pd

from matching.clustering import (
    REASON_CANNOT_LINK,
    REASON_LOOSE,
    REASON_MUST_LINK_CONFLICT,
    REASON_TOO_LARGE,
    Limits,
    cluster,
)


def edges(*rows: tuple[str, str, float, bool]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["record_key_l", "record_key_r", "match_weight", "steward"])


def links(*rows: tuple[str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["record_key_l", "record_key_r"])


def run(keys: list[str], e: pd.DataFrame, c: pd.DataFrame, **kw: float) -> tuple[dict[str, str], pd.DataFrame]:
    params = {"max_cluster_size": 25, "min_density": 0.0, "density_min_size": 6} | kw
    limits = Limits(int(params["max_cluster_size"]), float(params["min_density"]), int(params["density_min_size"]))
    result = cluster(np.array(sorted(keys)), e, c, limits)
    return dict(zip(result.clusters["record_key"], result.clusters["cluster_id"], strict=True)), result.feedback


def test_plain_components_and_singletons() -> None:
    clusters, feedback = run(["a", "b", "c", "d"], edges(("a", "b", 10, False), ("b", "c", 9, False)), links())
    assert clusters == {"a": "a", "b": "a", "c": "a", "d": "d"}
    assert feedback.empty


def test_cannot_link_holds_through_a_chain_and_drops_the_weakest_edge() -> None:
    e = edges(("a", "b", 12, False), ("b", "c", 8, False), ("c", "d", 11, False))
    clusters, feedback = run(["a", "b", "c", "d"], e, links(("a", "d")))
    assert clusters["a"] != clusters["d"]
    assert clusters["a"] == clusters["b"] and clusters["c"] == clusters["d"]
    assert feedback.to_dict("records") == [{"record_key_l": "b", "record_key_r": "c", "reason": REASON_CANNOT_LINK}]


def test_steward_match_is_taken_before_stronger_model_edges() -> None:
    # model says a-b strongly, steward says b-c; a and c cannot be together: a-b must give way
    e = edges(("a", "b", 30, False), ("b", "c", 1, True))
    clusters, feedback = run(["a", "b", "c"], e, links(("a", "c")))
    assert clusters["b"] == clusters["c"] != clusters["a"]
    assert list(feedback["reason"]) == [REASON_CANNOT_LINK]


def test_conflicting_steward_decisions_do_not_merge() -> None:
    e = edges(("a", "b", 1, True), ("b", "c", 1, True))
    clusters, feedback = run(["a", "b", "c"], e, links(("a", "c")))
    assert clusters["a"] != clusters["c"]
    assert list(feedback["reason"]) == [REASON_MUST_LINK_CONFLICT]


def test_too_large_cluster_goes_to_review() -> None:
    keys = [f"k{i:02d}" for i in range(8)]
    e = edges(*[(keys[i], keys[i + 1], 10.0, False) for i in range(7)])
    clusters, feedback = run(keys, e, links(), max_cluster_size=5)
    assert len(set(clusters.values())) == 8
    assert set(feedback["reason"]) == {REASON_TOO_LARGE}


def test_loose_chain_goes_to_review_but_steward_links_hold() -> None:
    keys = [f"k{i:02d}" for i in range(6)]
    chain = [(keys[i], keys[i + 1], 10.0, i == 0) for i in range(5)]
    clusters, feedback = run(keys, edges(*chain), links(), min_density=0.5, density_min_size=6)
    assert clusters["k00"] == clusters["k01"]                    # the steward's link holds
    assert len(set(clusters.values())) == 5
    assert set(feedback["reason"]) == {REASON_LOOSE}


def test_result_does_not_depend_on_input_order() -> None:
    rows = [("a", "b", 5.0, False), ("b", "c", 5.0, False), ("c", "d", 5.0, False), ("a", "e", 7.0, False)]
    first, _ = run(list("abcde"), edges(*rows), links(("a", "d")))
    second, _ = run(list("edcba"), edges(*reversed(rows)), links(("a", "d")))
    assert first == second
