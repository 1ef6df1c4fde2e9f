"""Cluster review: what a pair decision affects, and which queued pairs a decision has settled.

A steward decides one pair, but the next run applies it to customers: "match" joins the two
records' customers (every record of both), "not a match" keeps them apart. So the pair page
shows the small cluster the decision concerns (the records of both customers, up to
`CLUSTER_SHOWN`) and the consequence of each answer before it is saved; which golden ID would
survive is asked of the merge stage's identity rules (`mdm.golden_view.preview_merge`).

Settled pairs leave the queue at once: a pair whose records are already in one customer never
enters it (`mdm.web.queue`), and once a steward answers "match" for two customers, every other
queued pair between those customers (or any customers that match decisions join with them) is
settled too, without waiting for the run.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import duckdb

from mdm import golden_view

#: How many records of the cluster the pair page lists (the rest are counted).
CLUSTER_SHOWN = 10


def by_golden(queue_goldens: dict[str, tuple[str | None, str | None]]) -> dict[str, list[str]]:
    """golden ID -> queued pair ids touching it (built once per publication)."""
    index: dict[str, list[str]] = defaultdict(list)
    for pair_id, (left, right) in queue_goldens.items():
        for g in {left, right}:
            if g:
                index[g].append(pair_id)
    return dict(index)


def _components(edges: list[tuple[str, str]]) -> dict[str, str]:
    """Union-find over a few nodes (the customers of pending match decisions): node -> root."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: find(x) for x in parent}


def settled_pairs(
    matched: list[tuple[str, str]],
    golden_of: dict[str, str],
    queue_goldens: dict[str, tuple[str | None, str | None]],
    queue_by_golden: dict[str, list[str]],
) -> list[str]:
    """Queued pairs that pending "match" decisions settle: both sides' customers will be one.

    `matched` are the record pairs stewards answered "match" (not applied yet); `golden_of` maps
    their records to their current customers. Work is proportional to the decisions, not the queue.
    """
    edges = [(golden_of.get(a, a), golden_of.get(b, b)) for a, b in matched]
    root = _components(edges)
    out = []
    for g in root:
        for pair_id in queue_by_golden.get(g, []):
            left, right = queue_goldens[pair_id]
            if left and right and left in root and right in root and root[left] == root[right]:
                out.append(pair_id)
    return sorted(set(out))


def _side(cur: duckdb.DuckDBPyConnection, golden_id: str | None, record_key: str) -> dict[str, Any]:
    keys = golden_view.members(cur, golden_id) if golden_id else [record_key]
    return {"golden_id": golden_id, "record_keys": keys[:CLUSTER_SHOWN], "size": len(keys),
            "more": max(0, len(keys) - CLUSTER_SHOWN)}


def decision_cluster(
    cur: duckdb.DuckDBPyConnection, left: str, right: str, golden_ids: list[str | None]
) -> dict[str, Any]:
    """The records a decision on (left, right) concerns and what each answer would do.

    `match`: the customers that would become one (with the survivor the identity rules pick) or
    the record that would join; `same_customer`: nothing to decide (split on the customer page)."""
    gl, gr = golden_ids
    sides = [_side(cur, gl, left), _side(cur, gr, right)]
    if gl and gl == gr:
        return {"sides": sides[:1], "same_customer": True, "merge": None, "size": sides[0]["size"]}
    merge = None
    if gl and gr:
        try:
            merge = golden_view.preview_merge(cur, gl, gr)
        except golden_view.RequestRefused:
            merge = None
    return {"sides": sides, "same_customer": False, "merge": merge,
            "size": sides[0]["size"] + sides[1]["size"]}
