"""Quarantined rows for stewards: list with reasons, one row's payload, and what a release needs.

Each row says which of its source columns failed and what was expected (`failing`): the reason
code names the canonical field(s) it checks (`REASON_FIELDS`), and the source's mapping names the
column of the file that fed it. A filtered set can be released or discarded at once
(`bulk_preview`): the steward sees how many rows and which first, then confirms.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import duckdb

from mdm.locale_format import N_
from sources.config import mapping_columns

#: reason code -> (canonical fields it checks, what a valid value looks like: a msgid).
REASON_FIELDS: dict[str, tuple[tuple[str, ...], str]] = {
    "email_invalid": (("email",), N_("an e-mail address such as jeanne.martin@example.fr")),
    "email_domain_typo": (("email",), N_("an e-mail address whose domain is spelt right")),
    "birth_date_implausible": (("birth_date",), N_(
        "a date in the source's format, not in the future and less than 120 years ago")),
    "phone_invalid": (("phone",), N_("a phone number valid for its country, such as 06 12 34 56 78")),
    "postcode_invalid": (("postcode",), N_("a postcode in its country's format (five digits in France)")),
    "postcode_fr_format": (("postcode",), N_("five digits, such as 75011")),
    "country_not_iso": (("country",), N_("a country name or ISO code, such as France or FR")),
    "no_contact_channel": (("email", "phone", "postcode", "city"), N_(
        "at least one way to reach the person: a valid e-mail, a valid phone, or a postcode and a town")),
    "not_identifiable": (("first_name", "last_name", "email"), N_("a name or a valid e-mail")),
    "field_too_long": ((), N_("values of at most 1,000 characters")),
    "opt_in_unreadable": (("opt_in",), N_("yes or no (oui, non, 1, 0, true, false)")),
    "siret_invalid": (("siret",), N_("a SIREN (9 digits) or SIRET (14 digits) whose check digit is right")),
    "national_id_invalid": (("national_id",), N_("5 to 20 letters and digits, not a placeholder")),
}
#: `<field>_required` reasons: the field must hold a valid value.
REQUIRED_EXPECTED = N_("a valid value (this source identifies its records by it)")


def _columns_of(mapping: dict[str, Any], field: str) -> list[str]:
    """The source columns a canonical field is read from (a column name, or a transform's columns)."""
    return mapping_columns({field: mapping[field]}) if field in mapping else []


def failing(reasons: list[str], payload: dict[str, Any], mapping: dict[str, Any]) -> list[dict[str, Any]]:
    """Per reason: the source columns that failed with their values, and what was expected."""
    out = []
    for code in reasons:
        if code in REASON_FIELDS:
            fields, expected = REASON_FIELDS[code]
        elif code.endswith("_required"):
            fields, expected = (code.removesuffix("_required"),), REQUIRED_EXPECTED
        else:
            fields, expected = (), ""
        columns = [c for f in fields for c in _columns_of(mapping, f)]
        out.append({"reason": code, "fields": list(fields), "expected": expected,
                    "columns": [{"column": c, "value": None if payload.get(c) is None else str(payload[c])}
                                for c in columns]})
    return out


def pending_actions(store: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """record_key -> latest release/discard request the next run has not applied yet."""
    rows = store.execute(
        "SELECT id, record_key, action, user_name, requested_at FROM quarantine_actions "
        "WHERE applied_run_id IS NULL ORDER BY id"
    ).fetchall()
    return {r["record_key"]: dict(r) for r in rows}


def _open_rows_where(source: str | None, reason: str | None) -> tuple[str, list[Any]]:
    """The open rows, narrowed to one source and / or one reason code."""
    clauses = ["status = 'open'"]
    params: list[Any] = []
    if source:
        clauses.append("source = ?")
        params.append(source)
    if reason:
        clauses.append("list_contains(reasons, ?)")
        params.append(reason)
    return " AND ".join(clauses), params


def list_rows(
    cur: duckdb.DuckDBPyConnection, store: sqlite3.Connection, source: str | None, limit: int, offset: int,
    reason: str | None = None, mappings: dict[str, dict[str, Any]] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """One page of open rows (newest first), each with what failed, and how many the filter holds."""
    where, params = _open_rows_where(source, reason)
    rows = cur.execute(
        f"SELECT record_key, source, reasons, quarantined_at, run_id, payload FROM quarantine.rows WHERE {where} "
        "ORDER BY quarantined_at DESC, record_key LIMIT ? OFFSET ?",
        [*params, limit, offset],
    ).fetchall()
    (total,) = cur.execute(f"SELECT count(*) FROM quarantine.rows WHERE {where}", params).fetchone() or (0,)
    pending = pending_actions(store)
    out = []
    for key, source_name, reasons, at, run_id, payload in rows:
        values = json.loads(payload) if isinstance(payload, str) else (payload or {})
        out.append({
            "record_key": key, "source": source_name, "reasons": list(reasons or []),
            "quarantined_at": at.isoformat() if at else None, "run_id": run_id,
            "pending_action": pending.get(key),
            "failing": failing(list(reasons or []), values, (mappings or {}).get(source_name, {})),
        })
    return out, int(total)


#: How many rows a bulk preview lists (the rest are counted).
BULK_SAMPLE = 10


def bulk_preview(
    cur: duckdb.DuckDBPyConnection, store: sqlite3.Connection, source: str | None, reason: str | None
) -> dict[str, Any]:
    """The open rows a filter holds that no request waits on yet: how many, and the first few."""
    where, params = _open_rows_where(source, reason)
    keys = [str(r[0]) for r in cur.execute(
        f"SELECT record_key FROM quarantine.rows WHERE {where} ORDER BY quarantined_at DESC, record_key", params
    ).fetchall()]
    pending = pending_actions(store)
    free = [k for k in keys if k not in pending]
    return {"source": source, "reason": reason, "record_keys": free, "count": len(free),
            "waiting": len(keys) - len(free), "sample": free[:BULK_SAMPLE]}


def filter_choices(cur: duckdb.DuckDBPyConnection, source: str | None, reason: str | None) -> dict[str, Any]:
    """What the filters offer, each with its open-row count given the other filter (so a steward
    sees "email_invalid (60)" for the chosen source): sources and reason codes, largest first."""
    where, params = _open_rows_where(None, reason)
    sources = cur.execute(
        f"SELECT source, count(*) FROM quarantine.rows WHERE {where} GROUP BY 1 ORDER BY 2 DESC, 1", params
    ).fetchall()
    where, params = _open_rows_where(source, None)
    reasons = cur.execute(
        f"SELECT r, count(*) FROM (SELECT unnest(reasons) AS r FROM quarantine.rows WHERE {where}) "
        "GROUP BY 1 ORDER BY 2 DESC, 1", params
    ).fetchall()
    return {"sources": [{"value": s, "rows": int(n)} for s, n in sources],
            "reasons": [{"value": r, "rows": int(n)} for r, n in reasons]}


def get_row(cur: duckdb.DuckDBPyConnection, store: sqlite3.Connection, record_key: str) -> dict[str, Any] | None:
    row = cur.execute(
        "SELECT record_key, source, reasons, payload, status, quarantined_at, resolved_at, resolved_by, run_id "
        "FROM quarantine.rows WHERE record_key = ?",
        [record_key],
    ).fetchone()
    if row is None:
        return None
    payload = json.loads(row[3]) if isinstance(row[3], str) else (row[3] or {})
    return {
        "record_key": row[0], "source": row[1], "reasons": list(row[2] or []),
        "payload": {str(k): (None if v is None else str(v)) for k, v in payload.items()},
        "status": row[4], "quarantined_at": row[5].isoformat() if row[5] else None,
        "resolved_at": row[6].isoformat() if row[6] else None, "resolved_by": row[7], "run_id": row[8],
        "pending_action": pending_actions(store).get(record_key),
    }


def reason_hints(config: Any) -> dict[str, dict[str, str]]:
    """reason code -> {meaning, fix} from the validation rules, for stewards (empty if unavailable)."""
    try:
        from expectations.suites import all_reason_codes
    except ImportError:
        return {}
    return {code: {"meaning": rule.meaning, "fix": rule.fix} for code, rule in all_reason_codes(config).items()}


def corrected_payload(original: dict[str, str | None], form: dict[str, str]) -> dict[str, str | None]:
    """The payload to release: the original columns with the steward's edits (only known columns)."""
    out: dict[str, str | None] = {}
    for column, value in original.items():
        edited = form.get(f"field:{column}")
        out[column] = value if edited is None else (edited.strip() or None)
    return out
