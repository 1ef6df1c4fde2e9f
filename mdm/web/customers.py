"""Golden customer search and the customer page's data, over the published database.

Search guesses what was typed: a golden ID (or an alias left by a merge), an email (has '@'),
a phone (mostly digits), else a name. Name search is case- and accent-insensitive and matches
the start of the first name, the last name, or "first last"/"last first".
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from pathlib import Path
from typing import Any

import duckdb

from mdm.canonical import GOLDEN_FIELDS
from mdm.privacy import fingerprint, read_salt
from mdm.web import search_index
from mdm.web.published import Snapshot

CUSTOMER_COLUMNS: tuple[str, ...] = (
    "golden_id", *GOLDEN_FIELDS, "record_count", "sources", "first_seen_at", "last_activity_at", "updated_at",
)
LIST_COLUMNS: tuple[str, ...] = (
    "golden_id", "first_name", "last_name", "email", "phone", "postcode", "city", "record_count", "sources",
)
#: UUIDs (with or without hyphens) and ULIDs: the shapes golden IDs take.
_ID_SHAPE = re.compile(r"^([0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}|[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26})$")


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def query_kind(q: str) -> str:
    q = q.strip()
    if "@" in q:
        return "email"
    if _ID_SHAPE.match(q):
        return "golden_id"
    digits = re.sub(r"[\s().+-]", "", q)
    if len(digits) >= 6 and digits.isdigit():
        return "phone"
    return "name"


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in row.items():
        out[k] = v.isoformat() if hasattr(v, "isoformat") else v
    return out


def phone_digits(q: str) -> str:
    """The national significant digits of a typed phone, for matching against E.164 values."""
    digits = re.sub(r"\D", "", q)
    if q.strip().startswith("+") or q.strip().startswith("00"):
        return digits.removeprefix("00")[2:] if len(digits) > 9 else digits
    return digits.lstrip("0")


def search(cur: duckdb.DuckDBPyConnection, q: str, limit: int = 50, snap: Snapshot | None = None) -> dict[str, Any]:
    """Customers matching `q`, at most `limit`; says how the query was read.

    With a `snap` (the app), name / email / phone searches go through the per-publication index
    (`mdm.web.search_index`) once it is built; until then (and without a `snap`) they scan.
    """
    q = q.strip()
    kind = query_kind(q)
    if not q:
        return {"query": q, "kind": kind, "results": []}
    if kind == "golden_id":
        ids = [i for i in (resolve_id(cur, q),) if i]
    elif snap is not None and search_index.index_ready(snap):
        if kind == "email":
            ids = search_index.ids_by_email(cur, q, limit)
        elif kind == "phone":
            ids = search_index.ids_by_phone(cur, phone_digits(q), limit)
        else:
            ids = search_index.ids_by_name(cur, q.split(), limit)
    else:
        ids = _scan_ids(cur, q, kind, limit)
    cols = ", ".join(LIST_COLUMNS)
    rows = cur.execute(
        f"SELECT {cols} FROM golden.customer WHERE golden_id IN (SELECT unnest(?::VARCHAR[])) "
        "ORDER BY last_name, first_name, golden_id",
        [ids],
    ).fetchall() if ids else []
    return {"query": q, "kind": kind, "results": [_jsonable(dict(zip(LIST_COLUMNS, r, strict=True))) for r in rows]}


def _scan_ids(cur: duckdb.DuckDBPyConnection, q: str, kind: str, limit: int) -> list[str]:
    if kind == "email":
        sql = "SELECT golden_id FROM golden.customer WHERE lower(email) LIKE ? LIMIT ?"
        params: list[Any] = [q.lower() + "%", limit]
    elif kind == "phone":
        sql = "SELECT golden_id FROM golden.customer WHERE regexp_replace(phone, '[^0-9]', '', 'g') LIKE ? LIMIT ?"
        params = ["%" + phone_digits(q), limit]
    else:
        clauses = []
        params = []
        for word in fold(q).split()[:4]:
            clauses.append("(strip_accents(lower(first_name)) LIKE ? OR strip_accents(lower(last_name)) LIKE ?)")
            params += [word + "%", word + "%"]
        sql = f"SELECT golden_id FROM golden.customer WHERE {' AND '.join(clauses)} LIMIT ?"
        params.append(limit)
    return [r[0] for r in cur.execute(sql, params).fetchall()]


def resolve_id(cur: duckdb.DuckDBPyConnection, golden_id: str) -> str | None:
    """The current golden ID for an ID or a merged-away alias (two primary-key lookups)."""
    row = cur.execute("SELECT golden_id FROM golden.customer WHERE golden_id = ?", [golden_id]).fetchone()
    if row:
        return str(row[0])
    row = cur.execute("SELECT golden_id FROM golden.alias WHERE alias_id = ?", [golden_id]).fetchone()
    return str(row[0]) if row else None


def audit_salt(home: Any, salt_env: str) -> str | None:
    """The salt the pipeline fingerprints audit subjects with (env var, else `$MDM_HOME/.salt`);
    None before the pipeline made one (the app never creates it)."""
    return read_salt(Path(home), salt_env, create=False)


def customer_page(
    cur: duckdb.DuckDBPyConnection, golden_id: str, salt: str | None, snap: Snapshot | None = None
) -> dict[str, Any] | None:
    cols = ", ".join(CUSTOMER_COLUMNS)
    row = cur.execute(f"SELECT {cols} FROM golden.customer WHERE golden_id = ?", [golden_id]).fetchone()
    if row is None:
        return None
    customer = _jsonable(dict(zip(CUSTOMER_COLUMNS, row, strict=True)))
    lineage = [
        {"field": r[0], "record_key": r[1], "rule": r[2]}
        for r in cur.execute(
            "SELECT field, record_key, rule FROM golden.lineage WHERE golden_id = ? ORDER BY field, record_key",
            [golden_id],
        ).fetchall()
    ]
    xref = cur.execute(
        "SELECT record_key, source, valid_from, valid_to FROM golden.xref WHERE golden_id = ? "
        "ORDER BY valid_to NULLS FIRST, valid_from, record_key",
        [golden_id],
    ).fetchall()
    keys = [r[0] for r in xref]
    from mdm.web.pairs import fetch_records

    records = fetch_records(cur, keys, snap)
    source_records = []
    for key, source, valid_from, valid_to in xref:
        rec = _jsonable(records.get(key, {"record_key": key, "source": source}))
        rec["member_since"] = valid_from.isoformat() if valid_from else None
        rec["member_until"] = valid_to.isoformat() if valid_to else None
        rec["current"] = valid_to is None
        source_records.append(rec)
    history = [
        {"version": r[0], "values": json.loads(r[1]) if isinstance(r[1], str) else r[1],
         "valid_from": r[2].isoformat() if r[2] else None, "valid_to": r[3].isoformat() if r[3] else None}
        for r in cur.execute(
            'SELECT version, "values", valid_from, valid_to FROM golden.history WHERE golden_id = ? ORDER BY version DESC',
            [golden_id],
        ).fetchall()
    ]
    aliases = [
        {"alias_id": r[0], "since": r[1].isoformat() if r[1] else None, "reason": r[2]}
        for r in cur.execute(
            "SELECT alias_id, since, reason FROM golden.alias WHERE golden_id = ? ORDER BY since", [golden_id]
        ).fetchall()
    ]
    subjects = [golden_id, *[a["alias_id"] for a in aliases], *keys]
    hashes = [fingerprint(s, salt) for s in subjects] if salt is not None else []
    audit = [
        {"at": r[0].isoformat() if r[0] else None, "kind": r[1], "rule": r[2], "count": r[3], "run_id": r[4]}
        for r in cur.execute(
            "SELECT \"at\", kind, rule, count, run_id FROM audit.events "
            "WHERE list_contains(?::VARCHAR[], subject_hash) OR contains(CAST(detail AS VARCHAR), ?) "
            "ORDER BY \"at\" DESC LIMIT 200",
            [hashes, golden_id],
        ).fetchall()
    ]
    return {
        "customer": customer,
        "activity": activity(cur, golden_id),
        "fields": list(GOLDEN_FIELDS),
        "lineage": lineage,
        "records": source_records,
        "history": history,
        "aliases": aliases,
        "audit": audit,
    }


def pending_golden_actions(store: sqlite3.Connection, golden_ids: list[str]) -> list[dict[str, Any]]:
    """Split / merge requests on these customers that the next run has not applied yet."""
    rows = store.execute(
        "SELECT id, action, golden_id, other_golden_id, record_keys, user_name, requested_at FROM golden_actions "
        "WHERE applied_run_id IS NULL ORDER BY id"
    ).fetchall()
    wanted = set(golden_ids)
    out = []
    for r in rows:
        item = dict(r)
        if item["golden_id"] in wanted or item["other_golden_id"] in wanted:
            item["record_keys"] = json.loads(item["record_keys"]) if item["record_keys"] else []
            out.append(item)
    return out


#: Events the customer page lists, latest first (the whole timeline is in golden.customer_event).
TIMELINE_LIMIT = 50
_SUMMARY_COLUMNS = ("segment", "order_count", "revenue::DOUBLE", "first_purchase_at", "last_purchase_at",
                    "last_initiated_contact_at", "recency_score", "frequency_score", "monetary_score",
                    "clv_projected::DOUBLE", "event_count")


def activity(cur: duckdb.DuckDBPyConnection, golden_id: str) -> dict[str, Any] | None:
    """The customer's segment and activity summary and latest events (docs/events.md), or None when
    the published file predates them."""
    present = {r[0] for r in cur.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'golden' "
        "AND table_name IN ('customer_event', 'customer_summary')"
    ).fetchall()}
    if len(present) < 2:
        return None
    row = cur.execute(
        f"SELECT {', '.join(_SUMMARY_COLUMNS)} FROM golden.customer_summary WHERE golden_id = ?", [golden_id]
    ).fetchone()
    names = [c.removesuffix("::DOUBLE") for c in _SUMMARY_COLUMNS]
    summary = _jsonable(dict(zip(names, row, strict=True))) if row else None
    events = [
        _jsonable(dict(zip(("occurred_at", "event_type", "channel", "amount", "currency", "initiated_by_customer",
                            "source"), r, strict=True)))
        for r in cur.execute(
            "SELECT occurred_at, event_type, channel, amount::DOUBLE, currency, initiated_by_customer, source "
            "FROM golden.customer_event WHERE golden_id = ? ORDER BY occurred_at DESC, event_record_key LIMIT ?",
            [golden_id, TIMELINE_LIMIT],
        ).fetchall()
    ]
    return {"summary": summary, "events": events}
