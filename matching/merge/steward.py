"""Steward split / merge of golden customers.

Matching re-clusters every night from the pairs, so a steward's split or merge is turned into a
standing constraint on record keys (`golden.steward_constraints`) the moment it is applied, and
every run bends the matcher's clusters to all constraints before identities are assigned:

- merge G + O: the records G and O hold at that moment stay together (their clusters are united);
- split G, records K: K never shares a golden customer with the other records G held then.

A newer action wins over older constraints it contradicts: a merge drops older splits touching
its records, a split takes its leaving records out of older merges. Identity then follows the
ordinary rules (the part holding the oldest member keeps the ID; on merge the older ID survives).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from mdm.stewardship import store


@dataclass
class StewardOutcome:
    applied: list[dict[str, Any]] = field(default_factory=list)  # {id, action, golden_id, ...}
    ignored: list[tuple[int, str]] = field(default_factory=list)  # (action id, why)


def resolve_id(con: duckdb.DuckDBPyConnection, golden_id: str) -> str:
    """Follow `golden.alias` to the surviving id (aliases are kept flat, one hop)."""
    row = con.execute("SELECT golden_id FROM golden.alias WHERE alias_id = ?", [golden_id]).fetchone()
    return str(row[0]) if row else golden_id


def _members(con: duckdb.DuckDBPyConnection, golden_id: str) -> list[str]:
    rows = con.execute(
        "SELECT record_key FROM golden.xref WHERE golden_id = ? AND valid_to IS NULL ORDER BY record_key",
        [golden_id],
    ).fetchall()
    return [str(r[0]) for r in rows]


def record_constraints(
    con: duckdb.DuckDBPyConnection, actions: list[dict[str, Any]], now: datetime, run_id: str
) -> StewardOutcome:
    """Turn pending store actions into constraints; invalid requests are ignored with a reason."""
    outcome = StewardOutcome()
    for action in actions:
        action_id = int(action["id"])
        done = con.execute(
            "SELECT count(*) FROM golden.steward_constraints WHERE action_id = ?", [action_id]
        ).fetchone()
        if done and done[0]:  # already recorded by a run whose store update was lost
            outcome.applied.append({"id": action_id, "action": action["action"], "golden_id": action["golden_id"]})
            continue
        golden_id = resolve_id(con, str(action["golden_id"]))
        members = _members(con, golden_id)
        if not members:
            outcome.ignored.append((action_id, "golden customer not found"))
            continue
        if action["action"] == "merge":
            other_id = resolve_id(con, str(action.get("other_golden_id") or ""))
            others = _members(con, other_id)
            if not others:
                outcome.ignored.append((action_id, "other golden customer not found"))
                continue
            if other_id == golden_id:
                outcome.ignored.append((action_id, "already the same golden customer"))
                continue
            together = members + others
            con.execute(
                "DELETE FROM golden.steward_constraints WHERE action = 'split' AND action_id IN ("
                " SELECT action_id FROM golden.steward_constraints WHERE record_key IN (SELECT unnest(?::VARCHAR[])))",
                [together],
            )
            rows = [(action_id, "merge", k, "together", now, run_id) for k in together]
            outcome.applied.append(
                {"id": action_id, "action": "merge", "golden_id": golden_id, "other_golden_id": other_id,
                 "records": len(together)}
            )
        elif action["action"] == "split":
            leaving = sorted(set(action.get("record_keys") or []) & set(members))
            staying = sorted(set(members) - set(leaving))
            if not leaving or not staying:
                outcome.ignored.append((action_id, "split must leave at least one record on each side"))
                continue
            con.execute(
                "DELETE FROM golden.steward_constraints WHERE action = 'merge' AND record_key IN "
                "(SELECT unnest(?::VARCHAR[]))",
                [leaving],
            )
            rows = [(action_id, "split", k, "leave", now, run_id) for k in leaving]
            rows += [(action_id, "split", k, "stay", now, run_id) for k in staying]
            outcome.applied.append(
                {"id": action_id, "action": "split", "golden_id": golden_id, "records": len(leaving)}
            )
        else:
            outcome.ignored.append((action_id, f"unknown action {action['action']!r}"))
            continue
        con.executemany("INSERT INTO golden.steward_constraints VALUES (?, ?, ?, ?, ?, ?)", rows)
    return outcome


def constrained_clusters(con: duckdb.DuckDBPyConnection, clusters: str = "match.clusters") -> None:
    """`merge_clusters(record_key, cluster_id)`: the matcher's clusters bent to every constraint."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE merge_clusters AS SELECT record_key, cluster_id FROM {clusters}")
    # Merges: unite the clusters touched by one action (label propagation until stable).
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE merge_edges AS
        SELECT DISTINCT a.cluster_id AS c1, b.cluster_id AS c2
        FROM golden.steward_constraints s1
        JOIN golden.steward_constraints s2 ON s1.action_id = s2.action_id AND s1.action = 'merge' AND s2.action = 'merge'
        JOIN merge_clusters a ON a.record_key = s1.record_key
        JOIN merge_clusters b ON b.record_key = s2.record_key
        WHERE a.cluster_id <> b.cluster_id
        """
    )
    if (con.execute("SELECT count(*) FROM merge_edges").fetchone() or (0,))[0]:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE merge_labels AS "
            "SELECT c1 AS cluster_id, min(c2) AS label FROM (SELECT c1, c2 FROM merge_edges UNION ALL "
            "SELECT c1, c1 FROM merge_edges) GROUP BY c1"
        )
        for _ in range(100):
            changed = con.execute(
                """
                UPDATE merge_labels l SET label = n.label FROM (
                    SELECT e.c1 AS cluster_id, min(l2.label) AS label
                    FROM merge_edges e JOIN merge_labels l2 ON l2.cluster_id = e.c2 GROUP BY e.c1
                ) n WHERE n.cluster_id = l.cluster_id AND n.label < l.label
                """
            ).fetchone()
            if not changed or not changed[0]:
                break
        con.execute(
            "UPDATE merge_clusters c SET cluster_id = l.label FROM merge_labels l "
            "WHERE l.cluster_id = c.cluster_id AND l.label <> c.cluster_id"
        )
    # Splits: in a cluster holding both sides of a split, the leaving records form their own part.
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE merge_split_parts AS
        WITH sides AS (
            SELECT s.action_id, s.side, s.record_key, c.cluster_id
            FROM golden.steward_constraints s JOIN merge_clusters c ON c.record_key = s.record_key
            WHERE s.action = 'split'
        ), active AS (
            SELECT action_id, cluster_id FROM sides GROUP BY action_id, cluster_id
            HAVING count(*) FILTER (WHERE side = 'leave') > 0 AND count(*) FILTER (WHERE side = 'stay') > 0
        )
        SELECT s.record_key, string_agg(s.action_id::VARCHAR, '+' ORDER BY s.action_id) AS suffix
        FROM sides s JOIN active a ON a.action_id = s.action_id AND a.cluster_id = s.cluster_id
        WHERE s.side = 'leave'
        GROUP BY s.record_key
        """
    )
    con.execute(
        "UPDATE merge_clusters c SET cluster_id = c.cluster_id || '/split:' || p.suffix "
        "FROM merge_split_parts p WHERE p.record_key = c.record_key"
    )


def actions_to_apply(store_con: sqlite3.Connection, con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Pending requests, plus requests marked applied by a run whose merge stage never committed.

    The store (SQLite) and the warehouse (DuckDB) cannot share a transaction: requests are marked
    applied at the end of the stage, and if the runner's COMMIT then failed they would be lost.
    `ops.runs.summary` records a stage only when it committed, so such requests are taken again
    (recording a constraint is idempotent per request id)."""
    actions = store.pending_golden_actions(store_con)
    runs = [str(r[0]) for r in store_con.execute(
        "SELECT DISTINCT applied_run_id FROM golden_actions WHERE applied_run_id IS NOT NULL"
    ).fetchall()]
    if runs:
        committed = {str(r[0]) for r in con.execute(
            "SELECT run_id FROM ops.runs WHERE run_id IN (SELECT unnest(?::VARCHAR[])) "
            "AND json_extract(summary, '$.merge') IS NOT NULL",
            [runs],
        ).fetchall()}
        lost = [r for r in runs if r not in committed]
        for run_id in lost:
            for row in store_con.execute(
                "SELECT * FROM golden_actions WHERE applied_run_id = ? ORDER BY id", (run_id,)
            ).fetchall():
                item = dict(row)
                item["record_keys"] = json.loads(item["record_keys"]) if item["record_keys"] else []
                actions.append(item)
    return sorted(actions, key=lambda a: int(a["id"]))


def mark_applied(store_con: sqlite3.Connection, ids: list[int], run_id: str) -> None:
    if ids:
        with store.transaction(store_con):
            store.mark_applied(store_con, "golden_actions", ids, run_id)
