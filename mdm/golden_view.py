"""One read model of a golden customer, for `mdm golden` (CLI) and the steward app's customer pages.

Why one module: the CLI and the app used to have a lookup each, and they disagreed (a phone was
"the last 9 digits equal" in one and a LIKE in the other; a name a substring in one and a
per-word prefix in the other), and the split / merge checks were written twice. Here each is
written once; the CLI and the app only render what these functions return. Nothing here imports
click or FastAPI.

How a search reads what is typed (`query_kind`): an `@` makes it an email (prefix of the
golden email, case-insensitive); an ID shape a golden ID (an alias finds its survivor); six
digits or more a phone (the typed significant digits end the golden phone, whatever the country
prefix); anything else names (every word starts a part of the first or last name, case and
accents folded). The app passes its per-publication index (`mdm.web.search_index`) to answer
the same question faster; the answers are the same (a test compares them).

Who survives a merge, and which part of a split keeps the ID, is decided by
`matching.merge.identity` (the rules the merge stage applies), called on the customers concerned:
the preview shows what the next run will do, not a second opinion.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

import duckdb

from matching.merge import identity
from mdm.canonical import GOLDEN_FIELDS
from mdm.locale_format import N_
from mdm.privacy import fingerprint

CUSTOMER_COLUMNS: tuple[str, ...] = (
    "golden_id", *GOLDEN_FIELDS, "record_count", "sources", "first_seen_at", "last_activity_at", "updated_at",
)
LIST_COLUMNS: tuple[str, ...] = (
    "golden_id", "first_name", "last_name", "email", "phone", "postcode", "city", "record_count", "sources",
)
RECORD_COLUMNS: tuple[str, ...] = (
    "record_key", "source", "trust_rank", *GOLDEN_FIELDS, "created_at", "updated_at", "last_contact_at",
)
#: UUIDs (with or without hyphens) and ULIDs: the shapes golden IDs take.
_ID_SHAPE = re.compile(
    r"^([0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
    r"|[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26})$"
)
#: What separates the parts of a name ("Jean-Pierre", "Le Goff", "D'Arc").
NAME_SEPARATOR = "[\\s'-]"
MAX_NAME_WORDS = 4


class SearchIndex(Protocol):
    """A faster way to answer the same searches (the app's per-publication index)."""

    def ids_by_name(self, cur: duckdb.DuckDBPyConnection, words: list[str], limit: int) -> list[str]: ...
    def ids_by_email(self, cur: duckdb.DuckDBPyConnection, text: str, limit: int) -> list[str]: ...
    def ids_by_phone(self, cur: duckdb.DuckDBPyConnection, digits: str, limit: int) -> list[str]: ...


#: record keys -> their staging rows (RECORD_COLUMNS), when the caller has a faster way to read them.
RecordReader = Callable[[duckdb.DuckDBPyConnection, list[str]], list[tuple[Any, ...]]]


def fold(text: str) -> str:
    """Case and accents folded, spaces collapsed: "  Hélène " -> "helene"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def query_kind(q: str) -> str:
    """How a typed query is read: email, golden_id, phone or name."""
    q = q.strip()
    if "@" in q:
        return "email"
    if _ID_SHAPE.match(q):
        return "golden_id"
    digits = re.sub(r"[\s().+-]", "", q)
    if len(digits) >= 6 and digits.isdigit():
        return "phone"
    return "name"


def phone_digits(q: str) -> str:
    """The national significant digits of a typed phone (no trunk 0, no country code), which end
    the stored E.164 value: "06 12 34 56 78" and "+33 6 12 34 56 78" both give "612345678"."""
    digits = re.sub(r"\D", "", q)
    if q.strip().startswith("+") or q.strip().startswith("00"):
        return digits.removeprefix("00")[2:] if len(digits) > 9 else digits
    return digits.lstrip("0")


def name_words(q: str) -> list[str]:
    return [w for w in fold(q).split() if w][:MAX_NAME_WORDS]


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def resolve(con: duckdb.DuckDBPyConnection, golden_id: str) -> tuple[str | None, bool]:
    """(current golden ID or None, whether `golden_id` was a merged-away alias). Aliases are flat."""
    row = con.execute("SELECT golden_id FROM golden.customer WHERE golden_id = ?", [golden_id]).fetchone()
    if row:
        return str(row[0]), False
    row = con.execute("SELECT golden_id FROM golden.alias WHERE alias_id = ?", [golden_id]).fetchone()
    return (str(row[0]), True) if row else (None, False)


def _scan_ids(con: duckdb.DuckDBPyConnection, q: str, kind: str, limit: int) -> list[str]:
    """The search without an index: the same conditions the index answers, as a scan."""
    if kind == "email":
        sql = "SELECT golden_id FROM golden.customer WHERE starts_with(lower(email), ?) LIMIT ?"
        params: list[Any] = [q.strip().lower(), limit]
    elif kind == "phone":
        sql = ("SELECT golden_id FROM golden.customer "
               "WHERE ends_with(regexp_replace(phone, '[^0-9]', '', 'g'), ?) LIMIT ?")
        params = [phone_digits(q), limit]
    else:
        words = name_words(q)
        if not words:
            return []
        # a part starts with the word: the whole folded name does, or it follows a separator
        part = "(starts_with({f}, ?) OR regexp_matches({f}, ?))"
        clauses = []
        params = []
        for word in words:
            after_separator = NAME_SEPARATOR + re.escape(word)
            clauses.append("(" + part.format(f="strip_accents(lower(first_name))") + " OR "
                           + part.format(f="strip_accents(lower(last_name))") + ")")
            params += [word, after_separator, word, after_separator]
        sql = f"SELECT golden_id FROM golden.customer WHERE {' AND '.join(clauses)} LIMIT ?"
        params.append(limit)
    return [str(r[0]) for r in con.execute(sql, params).fetchall()]


def find(
    con: duckdb.DuckDBPyConnection, q: str, limit: int = 50, kind: str | None = None,
    index: SearchIndex | None = None,
) -> dict[str, Any]:
    """Golden customers matching `q` (at most `limit`), sorted by name; says how `q` was read.

    `kind` forces a reading (the CLI's --email / --phone / --name); `index` answers faster."""
    q = q.strip()
    kind = kind or query_kind(q)
    if not q:
        return {"query": q, "kind": kind, "results": []}
    if kind == "golden_id":
        ids = [i for i in (resolve(con, q)[0],) if i]
    elif kind == "phone" and not phone_digits(q):
        ids = []
    elif index is not None:
        if kind == "email":
            ids = index.ids_by_email(con, q, limit)
        elif kind == "phone":
            ids = index.ids_by_phone(con, phone_digits(q), limit)
        else:
            ids = index.ids_by_name(con, name_words(q), limit)
    else:
        ids = _scan_ids(con, q, kind, limit)
    rows = _rows(
        con,
        f"SELECT {', '.join(LIST_COLUMNS)} FROM golden.customer WHERE golden_id IN (SELECT unnest(?::VARCHAR[])) "
        "ORDER BY last_name, first_name, golden_id",
        [ids],
    ) if ids else []
    return {"query": q, "kind": kind, "results": rows}


def members(con: duckdb.DuckDBPyConnection, golden_id: str) -> list[str]:
    """The record keys a golden customer holds now."""
    return [str(r[0]) for r in con.execute(
        "SELECT record_key FROM golden.xref WHERE golden_id = ? AND valid_to IS NULL ORDER BY record_key",
        [golden_id],
    ).fetchall()]


def scan_records(con: duckdb.DuckDBPyConnection, keys: list[str]) -> list[tuple[Any, ...]]:
    return con.execute(
        f"SELECT {', '.join(RECORD_COLUMNS)} FROM staging.customers WHERE list_contains(?::VARCHAR[], record_key)",
        [keys],
    ).fetchall()


def _as_of(history: list[dict[str, Any]], xref: list[dict[str, Any]], at: datetime) -> dict[str, Any]:
    def live(row: dict[str, Any]) -> bool:
        return bool(row["valid_from"] <= at and (row["valid_to"] is None or row["valid_to"] > at))

    version = [h for h in history if live(h)]
    return {"at": at, "version": version[0] if version else None,
            "record_keys": [x["record_key"] for x in xref if live(x)]}


def customer(
    con: duckdb.DuckDBPyConnection,
    golden_id: str,
    at: datetime | None = None,
    salt: str | None = None,
    read_records: RecordReader | None = None,
) -> dict[str, Any] | None:
    """Everything a steward sees about one golden customer, or None.

    Values with their lineage, the source records (current and past, with when they joined and
    left), aliases, history (oldest first), the audit events about it (when `salt` is given: the
    pipeline fingerprints audit subjects with it) and, with `at`, what we knew on that date."""
    resolved, was_alias = resolve(con, golden_id)
    if resolved is None:
        return None
    found = _rows(con, f"SELECT {', '.join(CUSTOMER_COLUMNS)} FROM golden.customer WHERE golden_id = ?", [resolved])
    lineage = _rows(con, "SELECT field, record_key, rule FROM golden.lineage WHERE golden_id = ? "
                         "ORDER BY field, record_key", [resolved])
    xref = _rows(con, "SELECT record_key, source, valid_from, valid_to FROM golden.xref WHERE golden_id = ? "
                      "ORDER BY valid_to NULLS FIRST, valid_from, record_key", [resolved])
    keys = [x["record_key"] for x in xref]
    staged = {r[0]: dict(zip(RECORD_COLUMNS, r, strict=True)) for r in (read_records or scan_records)(con, keys)}
    records = [
        {**staged.get(x["record_key"], {"record_key": x["record_key"], "source": x["source"]}),
         "member_since": x["valid_from"], "member_until": x["valid_to"], "current": x["valid_to"] is None}
        for x in xref
    ]
    aliases = _rows(con, "SELECT alias_id, since, reason FROM golden.alias WHERE golden_id = ? ORDER BY since",
                    [resolved])
    history = _rows(con, 'SELECT version, "values", valid_from, valid_to FROM golden.history WHERE golden_id = ? '
                         "ORDER BY version", [resolved])
    for h in history:
        h["values"] = json.loads(h["values"]) if isinstance(h["values"], str) else h["values"]
    subjects = [resolved, *[a["alias_id"] for a in aliases], *keys]
    return {
        "golden_id": resolved,
        "requested_id": golden_id,
        "resolved_from_alias": was_alias,
        "customer": found[0],
        "fields": list(GOLDEN_FIELDS),
        "lineage": lineage,
        "records": records,
        "xref": xref,
        "aliases": aliases,
        "history": history,
        "audit": audit_events(con, resolved, [fingerprint(s, salt) for s in subjects]) if salt is not None else [],
        "as_of": _as_of(history, xref, at) if at is not None else None,
    }


def audit_events(con: duckdb.DuckDBPyConnection, golden_id: str, hashes: list[str]) -> list[dict[str, Any]]:
    """The pipeline's audit events about this customer, newest first (subjects are fingerprints)."""
    return _rows(
        con,
        'SELECT "at", kind, rule, count, run_id FROM audit.events '
        "WHERE list_contains(?::VARCHAR[], subject_hash) OR contains(CAST(detail AS VARCHAR), ?) "
        'ORDER BY "at" DESC LIMIT 200',
        [hashes, golden_id],
    )


# --- steward requests: the checks, the preview, and what the store holds ------------------------

class RequestRefused(ValueError):
    """A split or merge request that cannot be saved as asked; the message is a gettext msgid."""

    def __init__(self, message: str, **values: Any):
        super().__init__(message % values if values else message)
        self.message = message
        self.values = values


def check_split(con: duckdb.DuckDBPyConnection, golden_id: str, leaving: list[str]) -> tuple[str, list[str]]:
    """(current golden ID, its record keys) when `leaving` may split out of it; else RequestRefused."""
    resolved, _ = resolve(con, golden_id)
    held = members(con, resolved) if resolved else []
    if not held:
        raise RequestRefused(N_("No customer with this ID in the published data (merged or removed meanwhile?)."))
    if not leaving:
        raise RequestRefused(N_("Choose at least one record that leaves this customer."))
    unknown = sorted(set(leaving) - set(held))
    if unknown:
        raise RequestRefused(
            N_("These are not records of this customer (or no longer are): %(keys)s. Nothing was saved."),
                             keys=", ".join(unknown))
    if set(leaving) >= set(held):
        raise RequestRefused(N_("A split must leave at least one record on each side."))
    assert resolved is not None
    return resolved, held


def two_customers(con: duckdb.DuckDBPyConnection, golden_id: str, other_id: str, choose: str,
                  same: str) -> tuple[str, str]:
    """(this, other) as current golden IDs, two different customers; else RequestRefused, with
    `choose` when no other customer is given (or found) and `same` when both are one customer."""
    this, _ = resolve(con, golden_id.strip())
    other, _ = resolve(con, other_id.strip()) if other_id.strip() else (None, False)
    if this is None:
        raise RequestRefused(N_("No customer with this ID in the published data (merged or removed meanwhile?)."))
    if other is None:
        raise RequestRefused(choose)
    if other == this:
        raise RequestRefused(same)
    return this, other


def check_merge(con: duckdb.DuckDBPyConnection, golden_id: str, other_id: str) -> tuple[str, str]:
    """(this, other) as current golden IDs when they may merge; else RequestRefused."""
    return two_customers(con, golden_id, other_id, N_("Choose another customer to merge with this one."),
                         N_("These are already the same customer."))


_IDENTITY_TABLES = ("merge_clusters", "merge_cur", "merge_open", "merge_prev", "merge_claims",
                    "merge_cluster_ids", "merge_assign", "merge_new_aliases", "merge_splits")


def _identity_outcome(con: duckdb.DuckDBPyConnection, parts: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
    """Ask the merge stage's identity rules who keeps which ID if these record keys formed these
    parts: part name -> {golden_id, is_new}. Works in temporary tables of this connection only."""
    rows = [(k, part) for part, keys in parts.items() for k in keys]
    con.execute("CREATE OR REPLACE TEMP TABLE merge_clusters (record_key VARCHAR, cluster_id VARCHAR)")
    try:
        con.executemany("INSERT INTO merge_clusters VALUES (?, ?)", rows)
        identity.assign(con, only_changed=False)
        decided = con.execute("SELECT cluster_id, golden_id, is_new FROM merge_cluster_ids").fetchall()
    finally:
        for table in _IDENTITY_TABLES:
            con.execute(f"DROP TABLE IF EXISTS temp.main.{table}")
    return {str(c): {"golden_id": str(g), "is_new": bool(n)} for c, g, n in decided}


def preview_split(con: duckdb.DuckDBPyConnection, golden_id: str, leaving: list[str]) -> dict[str, Any]:
    """What a split would do: which records stay and leave, and which side keeps the golden ID."""
    resolved, held = check_split(con, golden_id, leaving)
    staying = sorted(set(held) - set(leaving))
    leaving = sorted(set(leaving))
    outcome = _identity_outcome(con, {"stay": staying, "leave": leaving})
    keeps = "stay" if outcome["stay"]["golden_id"] == resolved else "leave"
    return {"action": "split", "golden_id": resolved, "staying": staying, "leaving": leaving,
            "keeps_id": keeps}


def preview_merge(con: duckdb.DuckDBPyConnection, golden_id: str, other_id: str) -> dict[str, Any]:
    """What a merge would do: which golden ID survives (the identity rules decide), which becomes
    its alias, and how many records the merged customer holds."""
    this, other = check_merge(con, golden_id, other_id)
    together = {"merged": members(con, this) + members(con, other)}
    survivor = _identity_outcome(con, together)["merged"]["golden_id"]
    absorbed = other if survivor == this else this
    listed = {r["golden_id"]: r for r in find(con, this, kind="golden_id")["results"]
              + find(con, other, kind="golden_id")["results"]}
    return {"action": "merge", "golden_id": survivor, "other_golden_id": absorbed,
            "survivor": listed.get(survivor), "absorbed": listed.get(absorbed),
            "records": len(together["merged"])}


def requests_about(store: sqlite3.Connection, golden_ids: list[str]) -> list[dict[str, Any]]:
    """Every split / merge request on these customers (pending, applied or withdrawn), newest first:
    who asked for what, and what became of it."""
    wanted = list(dict.fromkeys(golden_ids))
    marks = ", ".join("?" for _ in wanted)
    rows = store.execute(
        "SELECT id, action, golden_id, other_golden_id, record_keys, user_name, requested_at, applied_run_id,"
        f" withdrawn_at, withdrawn_by FROM golden_actions WHERE golden_id IN ({marks}) OR other_golden_id IN"
        f" ({marks}) ORDER BY id DESC",
        [*wanted, *wanted],
    ).fetchall() if wanted else []
    out = []
    for r in rows:
        item = dict(r)
        item["record_keys"] = json.loads(item["record_keys"]) if item["record_keys"] else []
        item["state"] = ("withdrawn" if item["withdrawn_at"] else "applied" if item["applied_run_id"]
                         else "pending")
        out.append(item)
    return out
