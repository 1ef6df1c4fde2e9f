"""Constrained clustering: cannot-links hold through chains, suspicious clusters go to review."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

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


def clique(keys: list[str], weight: float) -> list[tuple[str, str, float, bool]]:
    return [(a, b, weight, False) for i, a in enumerate(keys) for b in keys[i + 1:]]


def test_too_large_cluster_is_cut_between_the_two_people_it_chains() -> None:
    # two people of 4 records each, held together by one pair stronger than some of their own
    ann, bob = [f"a{i}" for i in range(4)], [f"b{i}" for i in range(4)]
    e = edges(*clique(ann, 9.0), *clique(bob, 9.0), ("a0", "a3", 6.0, False), ("a3", "b0", 8.0, False))
    e = e.drop_duplicates(["record_key_l", "record_key_r"], keep="last")
    clusters, feedback = run(ann + bob, e, links(), max_cluster_size=6)
    assert {clusters[k] for k in ann} == {"a0"} and {clusters[k] for k in bob} == {"b0"}
    assert feedback.to_dict("records") == [{"record_key_l": "a3", "record_key_r": "b0", "reason": REASON_TOO_LARGE}]


def test_a_cut_part_that_still_fails_is_cut_again() -> None:
    keys = [f"k{i:02d}" for i in range(8)]
    e = edges(*[(keys[i], keys[i + 1], 10.0, False) for i in range(7)])
    clusters, feedback = run(keys, e, links(), max_cluster_size=3)
    assert sorted(map(sorted, _groups(clusters))) == [["k00", "k01"], ["k02", "k03"], ["k04", "k05"], ["k06", "k07"]]
    assert set(feedback["reason"]) == {REASON_TOO_LARGE} and len(feedback) == 3


def test_hub_is_peeled_not_kept() -> None:
    # one record linked to 30 others that are not linked to each other: too large, then loose
    keys = ["hub"] + [f"x{i:02d}" for i in range(30)]
    e = edges(*[("hub", k, 10.0 + i / 100, False) for i, k in enumerate(keys[1:])])
    clusters, feedback = run(keys, e, links(), max_cluster_size=25, min_density=0.2, density_min_size=6)
    sizes = pd.Series(clusters).value_counts()
    assert sizes.max() == 10 and len(feedback) == 21           # 9 links among 10 records: density 0.2

    assert set(feedback["reason"]) == {REASON_TOO_LARGE, REASON_LOOSE}
    weakest_kept = min(10.0 + i / 100 for i, k in enumerate(keys[1:]) if clusters[k] == clusters["hub"])
    assert weakest_kept > max(10.0 + i / 100 for i, k in enumerate(keys[1:]) if clusters[k] != clusters["hub"])


def test_loose_chain_is_cut_but_steward_links_hold() -> None:
    keys = [f"k{i:02d}" for i in range(6)]
    chain = [(keys[i], keys[i + 1], 10.0, i == 2) for i in range(5)]
    clusters, feedback = run(keys, edges(*chain), links(), min_density=0.5, density_min_size=6)
    assert clusters["k02"] == clusters["k03"]                    # the steward's link holds
    assert len(set(clusters.values())) == 2
    assert set(feedback["reason"]) == {REASON_LOOSE} and len(feedback) == 1


def test_cluster_held_by_steward_matches_alone_keeps_only_them() -> None:
    keys = [f"k{i:02d}" for i in range(4)]
    e = edges(*[(keys[i], keys[i + 1], 1.0, True) for i in range(3)], ("k00", "k03", 20.0, False))
    clusters, feedback = run(keys, e, links(), max_cluster_size=3)
    assert len(set(clusters.values())) == 1                       # stewards said so: not undone
    assert feedback.to_dict("records") == [{"record_key_l": "k00", "record_key_r": "k03", "reason": REASON_TOO_LARGE}]


def _groups(clusters: dict[str, str]) -> list[list[str]]:
    return [list(g.index) for _, g in pd.Series(clusters).groupby(pd.Series(clusters))]


def test_result_does_not_depend_on_input_order() -> None:
    rows = [("a", "b", 5.0, False), ("b", "c", 5.0, False), ("c", "d", 5.0, False), ("a", "e", 7.0, False)]
    first, _ = run(list("abcde"), edges(*rows), links(("a", "d")))
    second, _ = run(list("edcba"), edges(*reversed(rows)), links(("a", "d")))
    assert first == second


@st.composite
def graphs(draw: st.DrawFn) -> tuple[list[str], pd.DataFrame, Limits]:
    """Random match graphs: up to 40 records, any links, a few steward matches, tight limits."""
    n = draw(st.integers(2, 40))
    keys = [f"k{i:02d}" for i in range(n)]
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=120))
    rows = {}
    for a, b in pairs:
        if a != b:
            weight = draw(st.sampled_from([4.5, 6.0, 8.0, 12.0, 20.0]))
            rows[(keys[min(a, b)], keys[max(a, b)])] = (weight, draw(st.booleans()) and draw(st.booleans()))
    e = edges(*[(a, b, w, s) for (a, b), (w, s) in rows.items()])
    limits = Limits(draw(st.integers(2, 12)), draw(st.sampled_from([0.0, 0.2, 0.5])), draw(st.integers(3, 8)))
    return keys, e, limits


@settings(max_examples=200, deadline=None)
@given(graphs())
def test_every_part_passes_the_checks_unless_steward_matches_hold_it(graph: tuple[list[str], pd.DataFrame, Limits]) -> None:
    keys, e, limits = graph
    result = cluster(np.array(keys), e, links(), limits)
    clusters = result.clusters.set_index("record_key")["cluster_id"]
    assert sorted(clusters.index) == keys                                 # one cluster per record
    cut = set(zip(result.feedback["record_key_l"], result.feedback["record_key_r"], strict=True))
    kept = e.loc[np.array([(a, b) not in cut for a, b in zip(e["record_key_l"], e["record_key_r"], strict=True)],
                          dtype=bool)]
    stewards = e.loc[e["steward"].astype(bool)]
    assert not cut & set(zip(stewards["record_key_l"], stewards["record_key_r"], strict=True))  # never cut
    for _, members in clusters.groupby(clusters):
        inside = kept[kept["record_key_l"].isin(members.index) & kept["record_key_r"].isin(members.index)]
        size = len(members)
        density = len(inside) / (size * (size - 1) / 2) if size > 1 else 1.0
        fails = size > limits.max_cluster_size or (size >= limits.density_min_size and density < limits.min_density)
        assert not fails or inside["steward"].astype(bool).all(), (size, density, limits)
