"""Read models of the other parties, for the steward app: golden organisations (search, page, a
pair of organisation records) and a customer's household (with the previews of its corrections).

Why here and not in `mdm.golden_view`: that module is the golden *customer*; organisations and
households are parties of their own with their own tables (docs/organisations.md,
docs/households.md). Nothing here imports FastAPI; a publication older than these tables gives
empty answers, not errors.
"""

from __future__ import annotations

import re
from typing import Any

import duckdb

from mdm.golden_view import RequestRefused, fold, resolve, two_customers
from mdm.locale_format import N_

ORGANISATION_COLUMNS: tuple[str, ...] = (
    "organisation_id", "name", "legal_form", "siren", "vat_number", "website", "company_domain", "street",
    "postcode", "city", "country", "phone", "record_count", "sources", "sole_trader", "first_seen_at",
    "updated_at",
)
#: Columns of golden.organisation_history a version shows (matching/merge/organisation_history.py VERSIONED).
HISTORY_COLUMNS: tuple[str, ...] = (
    "name", "legal_form", "siren", "vat_number", "website", "company_domain", "street", "postcode", "city",
    "country", "phone", "sole_trader", "record_count", "sources",
)
#: The organisation fields a steward compares on an organisation pair, in display order.
ORGANISATION_FIELDS: tuple[str, ...] = (
    "company", "legal_form", "siren", "siret", "vat_number", "website", "company_domain", "street", "postcode",
    "city", "phone", "email", "first_name", "last_name", "contact_role",
)
#: Lineage value groups -> the columns each shows (matching/merge/organisations.py GROUPS).
LINEAGE_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name",), "legal_form": ("legal_form",), "siren": ("siren",), "vat_number": ("vat_number",),
    "website": ("website",), "company_domain": ("company_domain",),
    "address": ("street", "postcode", "city", "country", "phone"),
}
_SIREN = re.compile(r"^\d{9}$")
_SIRET = re.compile(r"^\d{14}$")
_VAT = re.compile(r"^[A-Z]{2}[0-9A-Z]{2,13}$")


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def has_tables(con: duckdb.DuckDBPyConnection, *names: str) -> bool:
    """Whether the publication holds these tables (`schema.table`): older ones lack the parties."""
    present = {f"{s}.{t}" for s, t in con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables()").fetchall()}
    return all(n in present for n in names)


# --- organisations -----------------------------------------------------------------------------

def organisation_query_kind(q: str) -> str:
    """How a typed organisation query is read: siren, siret, vat or name."""
    compact = re.sub(r"[\s.-]", "", q.strip()).upper()
    if _SIREN.match(compact):
        return "siren"
    if _SIRET.match(compact):
        return "siret"
    if _VAT.match(compact) and any(c.isdigit() for c in compact):
        return "vat"
    return "name"


def find_organisations(con: duckdb.DuckDBPyConnection, q: str, limit: int = 50) -> dict[str, Any]:
    """Golden organisations matching `q` (every word in the folded name, a SIREN, a SIRET of one
    of its establishments, a VAT number); without `q`, the largest ones first."""
    q = q.strip()
    if not has_tables(con, "golden.organisation"):
        return {"query": q, "kind": None, "results": [], "total": 0}
    kind = organisation_query_kind(q) if q else None
    compact = re.sub(r"[\s.-]", "", q).upper()
    where, params = "TRUE", []
    if kind == "siren":
        where, params = "siren = ?", [compact]
    elif kind == "siret":
        where = "(organisation_id IN (SELECT organisation_id FROM golden.establishment WHERE siret = ?) OR siren = ?)"
        params = [compact, compact[:9]]
    elif kind == "vat":
        where, params = "upper(vat_number) = ?", [compact]
    elif kind == "name":
        words = fold(q).split()[:6]
        where = " AND ".join("contains(strip_accents(lower(name)), ?)" for _ in words) or "TRUE"
        params = list(words)
    total = int(con.execute(f"SELECT count(*) FROM golden.organisation WHERE {where}", params).fetchall()[0][0])
    results = _rows(con, f"""
        SELECT o.organisation_id, o.name, o.legal_form, o.siren, o.city, o.record_count, o.sources,
               (SELECT count(*) FROM golden.establishment e WHERE e.organisation_id = o.organisation_id) AS establishments,
               (SELECT count(*) FROM golden.contact k WHERE k.organisation_id = o.organisation_id) AS contacts
        FROM golden.organisation o WHERE {where}
        ORDER BY {"o.record_count DESC, " if not q else ""}lower(o.name), o.organisation_id LIMIT ?""",
                    [*params, limit])
    return {"query": q, "kind": kind, "results": results, "total": total}


def organisation(con: duckdb.DuckDBPyConnection, organisation_id: str) -> dict[str, Any] | None:
    """Everything a steward sees about one golden organisation, or None: its values with the record
    behind each group, its establishments, its contacts (golden customers), its records and its
    history (when it was first seen and last rebuilt, and the stewards' decisions on its pairs)."""
    if not has_tables(con, "golden.organisation"):
        return None
    found = _rows(con, f"SELECT {', '.join(ORGANISATION_COLUMNS)} FROM golden.organisation "
                       "WHERE organisation_id = ?", [organisation_id])
    if not found:
        return None
    lineage = _rows(con, """
        SELECT l.field, l.record_key, s.source, s.party_kind, s.trust_rank
        FROM golden.organisation_lineage l LEFT JOIN staging.customers s USING (record_key)
        WHERE l.organisation_id = ? ORDER BY l.field""", [organisation_id])
    establishments = _rows(con, "SELECT siret, street, postcode, city, record_count FROM golden.establishment "
                                "WHERE organisation_id = ? ORDER BY siret", [organisation_id])
    contacts = _rows(con, """
        SELECT k.golden_id, c.first_name, c.last_name, c.email, c.phone, k.role, k.source, k.record_key
        FROM golden.contact k LEFT JOIN golden.customer c USING (golden_id)
        WHERE k.organisation_id = ? ORDER BY c.last_name, c.first_name, k.golden_id, k.record_key""",
                     [organisation_id])
    records = _rows(con, """
        SELECT s.record_key, s.source, s.party_kind, s.company, s.siret, s.vat_number, s.first_name, s.last_name,
               s.contact_role, s.street, s.postcode, s.city, s.phone, s.issues
        FROM golden.organisation_xref x JOIN staging.customers s USING (record_key)
        WHERE x.organisation_id = ? ORDER BY s.party_kind DESC, s.source, s.record_key""", [organisation_id])
    org, by_group = found[0], {row["field"]: row for row in lineage}
    identity = [{"field": group, "values": {c: org[c] for c in columns}, **by_group.get(group, {"field": group})}
                for group, columns in LINEAGE_COLUMNS.items() if any(org[c] is not None for c in columns)]
    return {"organisation": org, "identity": identity, "lineage": lineage,
            "establishments": establishments, "contacts": contacts, "records": records,
            "decisions": organisation_decisions(con, [r["record_key"] for r in records]),
            "versions": organisation_versions(con, organisation_id)}


def organisation_versions(con: duckdb.DuckDBPyConnection, organisation_id: str) -> list[dict[str, Any]]:
    """The versions of an organisation's values, newest first, each with what changed from the
    one before (`changes`: field, before, after), from `golden.organisation_history`. A publication
    older than that table has none."""
    if not has_tables(con, "golden.organisation_history"):
        return []
    versions = _rows(con, f"""
        SELECT version, change, changed, valid_from, valid_to, run_id, {", ".join(HISTORY_COLUMNS)}
        FROM golden.organisation_history WHERE organisation_id = ? ORDER BY version""", [organisation_id])
    previous: dict[str, Any] = {}
    for v in versions:  # a handful of versions of one organisation
        v["changes"] = [{"field": c, "before": previous.get(c), "after": v[c]} for c in v["changed"]]
        previous = v
    return versions[::-1]


def organisation_decisions(con: duckdb.DuckDBPyConnection, keys: list[str]) -> list[dict[str, Any]]:
    """The organisation pairs of these records that stewards decided, or that wait for review."""
    if not keys or not has_tables(con, "match_org.pairs"):
        return []
    return _rows(con, """
        SELECT record_key_l, record_key_r, decision, match_probability
        FROM match_org.pairs
        WHERE decision IN ('review', 'steward_match', 'steward_non_match')
          AND (list_contains(?::VARCHAR[], record_key_l) OR list_contains(?::VARCHAR[], record_key_r))
        ORDER BY decision, match_probability DESC, record_key_l, record_key_r LIMIT 100""", [keys, keys])


def organisations_of(con: duckdb.DuckDBPyConnection, golden_id: str) -> list[dict[str, Any]]:
    """The organisations a golden customer is a contact of, with role and source."""
    if not has_tables(con, "golden.contact", "golden.organisation"):
        return []
    return _rows(con, """
        SELECT k.organisation_id, o.name, o.city, k.role, k.source
        FROM golden.contact k JOIN golden.organisation o USING (organisation_id)
        WHERE k.golden_id = ? ORDER BY o.name, k.source""", [golden_id])


def organisation_pair(con: duckdb.DuckDBPyConnection, left: str, right: str) -> dict[str, Any] | None:
    """One scored organisation pair: its row of `match_org.pairs`, both records' organisation fields
    and the golden organisation each is in now; None when the publication has no such pair."""
    if right < left:
        left, right = right, left
    if not has_tables(con, "match_org.pairs"):
        return None
    row = con.execute(
        "SELECT match_probability, match_weight, contributions, decision FROM match_org.pairs "
        "WHERE record_key_l = ? AND record_key_r = ?", [left, right]).fetchone()
    if row is None:
        return None
    staged = {r["record_key"]: r for r in _rows(
        con, f"SELECT record_key, source, party_kind, {', '.join(ORGANISATION_FIELDS)} FROM staging.customers "
             "WHERE record_key IN (?, ?)", [left, right])}
    orgs = dict(con.execute(
        "SELECT record_key, organisation_id FROM golden.organisation_xref WHERE record_key IN (?, ?)",
        [left, right]).fetchall()) if has_tables(con, "golden.organisation_xref") else {}
    return {"record_key_l": left, "record_key_r": right, "match_probability": float(row[0]),
            "match_weight": float(row[1]), "contributions": row[2], "decision": str(row[3]),
            "records": [staged.get(k, {"record_key": k, "source": k.split(":", 1)[0]}) for k in (left, right)],
            "organisation_ids": [orgs.get(left), orgs.get(right)]}


# --- households --------------------------------------------------------------------------------

def household_of(con: duckdb.DuckDBPyConnection, golden_id: str) -> dict[str, Any] | None:
    """The household a golden customer belongs to (its counts, what links it, every member with
    what they share), or None."""
    if not has_tables(con, "golden.household", "golden.household_member"):
        return None
    found = _rows(con, """
        SELECT h.household_id, h.members, h.reachable_members, h.consenting_members, h.linked_by,
               h.first_seen_at, h.updated_at
        FROM golden.household_member m JOIN golden.household h USING (household_id) WHERE m.golden_id = ?""",
                  [golden_id])
    if not found:
        return None
    members = _rows(con, """
        SELECT m.golden_id, m.linked_by, c.first_name, c.last_name, c.street, c.postcode, c.city, c.opt_in
        FROM golden.household_member m LEFT JOIN golden.customer c USING (golden_id)
        WHERE m.household_id = ? ORDER BY m.golden_id = ? DESC, c.last_name, c.first_name, m.golden_id""",
                    [found[0]["household_id"], golden_id])
    return {**found[0], "member_list": members}


def _name(con: duckdb.DuckDBPyConnection, golden_id: str) -> dict[str, Any]:
    row = con.execute("SELECT golden_id, first_name, last_name, city FROM golden.customer WHERE golden_id = ?",
                      [golden_id]).fetchone()
    return {"golden_id": golden_id, "first_name": row[1], "last_name": row[2], "city": row[3]} if row else {
        "golden_id": golden_id}


def preview_apart(con: duckdb.DuckDBPyConnection, golden_id: str) -> dict[str, Any]:
    """What "not the same household" does: this customer leaves their household; the others stay
    together if they still share something. Refused when the customer is in no household."""
    current, _ = resolve(con, golden_id)
    household = household_of(con, current) if current else None
    if current is None or household is None:
        raise RequestRefused(N_("This customer is in no household (any more): nothing to correct."))
    others = [m["golden_id"] for m in household["member_list"] if m["golden_id"] != current]
    return {"action": "apart", "golden_id": current, "household_id": household["household_id"],
            "other_ids": others, "customer": _name(con, current), "others": [_name(con, o) for o in others]}


def preview_together(con: duckdb.DuckDBPyConnection, golden_id: str, other_id: str) -> dict[str, Any]:
    """What "same household" does: the two customers share a household from the next run on (the
    other's household, if they have one, is joined)."""
    this, other = two_customers(con, golden_id, other_id, N_("Choose the other customer of the household."),
                                N_("These are the same customer."))
    mine, theirs = household_of(con, this), household_of(con, other)
    if mine is not None and theirs is not None and mine["household_id"] == theirs["household_id"]:
        raise RequestRefused(N_("These two customers already share a household."))
    joined = {m["golden_id"] for h in (mine, theirs) if h for m in h["member_list"]} | {this, other}
    return {"action": "together", "golden_id": this, "other_ids": [other], "customer": _name(con, this),
            "others": [_name(con, other)], "members_after": len(joined)}


