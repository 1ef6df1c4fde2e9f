"""One suggestion as the steward sees it, and its version fingerprint.

The version is a hash of everything shown on the pair page that a decision depends on: the
score, the per-field contributions, the model's decision, both records' values, which golden
customers they are in, and the latest steward decision on the pair. A decision is accepted
only if the version the steward saw is still the current one; otherwise a publication or
another steward changed the pair meanwhile and the steward must look again.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

import duckdb

from mdm.canonical import GOLDEN_FIELDS, ORGANISATION_FIELDS
from mdm.web import search_index
from mdm.web.diffs import FieldDiff, diff_records
from mdm.web.explain import Explanation, explain, waterfall, with_places
from mdm.web.published import Snapshot

RECORD_COLUMNS: tuple[str, ...] = (
    "record_key", "source", *GOLDEN_FIELDS, *ORGANISATION_FIELDS, "created_at", "updated_at", "last_contact_at",
)


@dataclass
class PairView:
    record_key_l: str
    record_key_r: str
    match_probability: float
    match_weight: float
    model_decision: str
    records: list[dict[str, Any]]
    golden_ids: list[str | None]
    diffs: list[FieldDiff]
    explanations: list[Explanation]
    latest_decision: dict[str, Any] | None
    version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pair_id(self) -> str:
        return f"{self.record_key_l}|{self.record_key_r}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "pair_id": self.pair_id,
            "record_key_l": self.record_key_l,
            "record_key_r": self.record_key_r,
            "match_probability": self.match_probability,
            "match_weight": self.match_weight,
            "model_decision": self.model_decision,
            "records": self.records,
            "golden_ids": self.golden_ids,
            "fields": [d.as_dict() for d in self.diffs],
            "explanations": [e.as_dict() for e in self.explanations],
            "latest_decision": self.latest_decision,
            "version": self.version,
            **self.extra,
        }


def _ready(snap: Snapshot | None) -> bool:
    return snap is not None and search_index.index_ready(snap)


def _by_rowid(cur: duckdb.DuckDBPyConnection, columns: str, keys: list[str]) -> list[tuple[Any, ...]]:
    """Rows of staging.customers for these keys, read by rowid (found in the record locator)."""
    rowids = search_index.record_rowids(cur, keys)
    if not rowids:
        return []
    literal = ", ".join(str(int(r)) for r in rowids)  # integers from the database, not from users
    return cur.execute(f"SELECT {columns} FROM staging.customers WHERE rowid IN ({literal})").fetchall()


def _staging_rows(
    cur: duckdb.DuckDBPyConnection, cols: str, keys: list[str], snap: Snapshot | None
) -> list[tuple[Any, ...]]:
    """`cols` (SQL chosen by code) of the staging rows of `keys`: by row id when the snapshot allows."""
    if _ready(snap):
        return _by_rowid(cur, cols, keys)
    return cur.execute(
        f"SELECT {cols} FROM staging.customers WHERE list_contains(?::VARCHAR[], record_key)", [keys]
    ).fetchall()


def fetch_records(
    cur: duckdb.DuckDBPyConnection, keys: list[str], snap: Snapshot | None = None
) -> dict[str, dict[str, Any]]:
    rows = _staging_rows(cur, ", ".join(RECORD_COLUMNS), keys, snap)
    return {r[0]: dict(zip(RECORD_COLUMNS, r, strict=True)) for r in rows}


def record_names(cur: duckdb.DuckDBPyConnection, keys: list[str], snap: Snapshot | None = None) -> dict[str, str]:
    """record_key -> "First Last" (or the email when there is no name), for lists."""
    cols = "record_key, nullif(trim(concat_ws(' ', first_name, last_name)), ''), email"
    return {r[0]: (r[1] or r[2] or "") for r in _staging_rows(cur, cols, keys, snap)}


def customer_sizes(cur: duckdb.DuckDBPyConnection, golden_ids: list[str]) -> dict[str, int]:
    rows = cur.execute(
        "SELECT golden_id, record_count FROM golden.customer WHERE golden_id IN (SELECT unnest(?::VARCHAR[]))",
        [golden_ids],
    ).fetchall()
    return {r[0]: int(r[1]) for r in rows}


def current_golden(cur: duckdb.DuckDBPyConnection, keys: list[str], snap: Snapshot | None = None) -> dict[str, str]:
    if _ready(snap):
        return search_index.current_golden(cur, keys)
    rows = cur.execute(
        "SELECT record_key, golden_id FROM golden.xref WHERE valid_to IS NULL AND list_contains(?::VARCHAR[], record_key)",
        [keys],
    ).fetchall()
    return {r[0]: r[1] for r in rows}


def latest_decision(store: sqlite3.Connection, left: str, right: str, party: str = "person") -> dict[str, Any] | None:
    row = store.execute(
        "SELECT id, decision, user_name, decided_at, comment FROM pair_decisions "
        "WHERE record_key_l = ? AND record_key_r = ? AND undone_at IS NULL AND party = ? ORDER BY id DESC LIMIT 1",
        (left, right, party),
    ).fetchone()
    return dict(row) if row else None


def load_pair(
    cur: duckdb.DuckDBPyConnection,
    store: sqlite3.Connection,
    left: str,
    right: str,
    snap: Snapshot | None = None,
) -> PairView | None:
    if right < left:
        left, right = right, left
    row = cur.execute(
        "SELECT match_probability, match_weight, contributions, decision FROM match.pairs "
        "WHERE record_key_l = ? AND record_key_r = ?",
        [left, right],
    ).fetchone()
    if row is None:
        return None
    records = fetch_records(cur, [left, right], snap)
    golden = current_golden(cur, [left, right], snap)
    ordered = [_jsonable(records.get(k, {"record_key": k, "source": k.split(":", 1)[0]})) for k in (left, right)]
    explanations = with_places(explain(row[2]), ordered)
    view = PairView(
        record_key_l=left,
        record_key_r=right,
        match_probability=float(row[0]),
        match_weight=float(row[1]),
        model_decision=str(row[3]),
        records=ordered,
        golden_ids=[golden.get(left), golden.get(right)],
        diffs=diff_records(ordered, compared=tuple(e.comparison for e in explanations)),
        explanations=explanations,
        latest_decision=latest_decision(store, left, right),
    )
    view.version = pair_version(view, row[2])
    view.extra["waterfall"] = waterfall(
        view.match_weight, row[2], [e.comparison for e in view.explanations]).as_dict()
    sizes = customer_sizes(cur, [g for g in view.golden_ids if g])
    view.extra["customer_sizes"] = [sizes.get(g) if g else None for g in view.golden_ids]
    view.extra["same_customer"] = bool(view.golden_ids[0]) and view.golden_ids[0] == view.golden_ids[1]
    return view


def _jsonable(record: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in record.items()}


def pair_version(view: PairView, contributions: Any) -> str:
    payload = json.dumps(
        {
            "p": round(view.match_probability, 6),
            "w": round(view.match_weight, 6),
            "c": contributions if isinstance(contributions, str) else json.dumps(contributions, sort_keys=True),
            "d": view.model_decision,
            "r": view.records,
            "g": view.golden_ids,
            "s": view.latest_decision["id"] if view.latest_decision else None,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:20]


def explain_change(old: str, view: PairView) -> str:
    """Why a decision was refused: the pair changed since the steward opened it."""
    if view.latest_decision is not None:
        d = view.latest_decision
        return (
            f"This suggestion changed while you were looking at it: {d['user_name']} decided "
            f"'{d['decision']}' at {d['decided_at']}. Your decision was not saved; look at the pair again."
        )
    return (
        "This suggestion changed while you were looking at it (a new run was published: scores, "
        "values or the customers they belong to changed). Your decision was not saved; the pair is "
        "shown again with the current data."
    )
