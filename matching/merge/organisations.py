"""Golden organisations: the organisation matcher's clusters -> legal units, their establishments
and their contacts (docs/organisations.md §4).

- **Identity.** A golden organisation is a legal unit. Its ID is a UUID that outlives re-runs:
  each cluster takes the previous ID most of its records held (ties: the older organisation);
  a previous ID goes to one cluster only (the one holding most of its former records); a cluster
  nobody claims gets a new ID. `golden.organisation_xref` says which organisation each record is in.
- **Survivorship.** Each field comes from one record, ranked by: the value is valid (identifiers
  that failed their check never survive), the record describes the organisation itself rather
  than a contact's badge, the source's trust rank, the value held by most records, the most recent
  record, the record key. Address and phone come together from one record describing the
  organisation itself (a contact's badge holds the person's own address and phone). `golden.organisation_lineage` names the record behind each value.
- **Establishments.** Every valid 14-digit SIRET of an organisation's records is an establishment
  (`golden.establishment`), with the address of its most trusted record.
- **Contacts.** A record naming a person *and* an organisation (`party_kind = 'contact'`) is in a
  golden customer (the person matcher) and in a golden organisation (this one): the pair is a
  contact link (`golden.contact`), with the role and source of the record. A person may be a
  contact of several organisations; erasing the person deletes their links with every other row
  holding their golden ID (`warehouse/retention/cascade.py`).
- **Sole traders.** A sole trader's business name is usually the trader's own name, which is
  personal data. An organisation whose legal form is EI or EIRL, or whose name key contains the
  name of one of its contacts, is flagged `sole_trader`: its name is personal data. Erasing the
  person removes their contact links; the organisation's own records (an invoice must be kept ten
  years) are erased by naming them (`mdm erase` by record key) — not automatically yet.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from matching.merge.stable_ids import claim_ids
from matching.sql import one

#: The organisation matcher's schema (`matching/organisations.py`, `ORGANISATION_SCHEMA`).
CLUSTERS = "match_org.clusters"

#: Legal forms of a person trading in their own name.
SOLE_TRADER_FORMS = ("EI", "EIRL")

#: Survivorship groups: golden column -> source columns taken together from one record.
GROUPS: dict[str, tuple[str, ...]] = {
    "name": ("company",),
    "legal_form": ("legal_form",),
    "siren": ("siren",),
    "vat_number": ("vat_number",),
    "website": ("website",),
    "company_domain": ("company_domain",),
    "address": ("street", "postcode", "city", "country", "phone"),
}

#: Issue codes that disqualify a group's value.
_INVALID = {"siren": "siren_invalid", "vat_number": "vat_invalid"}


def _claim_ids(con: duckdb.DuckDBPyConnection) -> None:
    """Temp table `org_ids(cluster_id, organisation_id, first_seen_at)`: stable IDs by claims."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE org_claims AS
        SELECT c.cluster_id, x.organisation_id, count(*) AS n, min(o.first_seen_at) AS since
        FROM org_members c JOIN golden.organisation_xref x USING (record_key)
        JOIN golden.organisation o USING (organisation_id)
        GROUP BY ALL
    """)
    claim_ids(con, "org_claims", "org_members", "cluster_id", "organisation_id", "org_ids")


def _survivors(con: duckdb.DuckDBPyConnection) -> None:
    """Temp table `org_lineage(organisation_id, field, record_key)`: the record behind each group."""
    parts = []
    for group, columns in GROUPS.items():
        present = f"m.{columns[0]} IS NOT NULL"
        invalid = f" AND NOT list_contains(coalesce(m.issues, []), '{_INVALID[group]}')" if group in _INVALID else ""
        if group == "address":  # a contact's badge holds the person's address, not the organisation's
            invalid += " AND m.party_kind = 'organisation'"
        head = "m.party_kind = 'organisation'"
        parts.append(f"""
            SELECT organisation_id, '{group}' AS field, record_key FROM (
                SELECT m.*, count(*) OVER (PARTITION BY m.organisation_id, lower(m.{columns[0]})) AS held
                FROM org_members m WHERE {present}{invalid}
            ) m
            QUALIFY row_number() OVER (
                PARTITION BY m.organisation_id
                ORDER BY ({head}) DESC, m.trust_rank, held DESC,
                         coalesce(m.updated_at, m.last_contact_at, m.created_at) DESC NULLS LAST, m.record_key
            ) = 1""")
    con.execute("CREATE OR REPLACE TEMP TABLE org_lineage AS " + " UNION ALL ".join(parts))


def build(con: duckdb.DuckDBPyConnection, now: datetime) -> dict[str, int]:
    """Rebuild the golden organisation tables from `match_org.clusters` and staging."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE org_members AS
        SELECT c.cluster_id, s.* FROM {CLUSTERS} c JOIN staging.customers s USING (record_key)
    """)
    _claim_ids(con)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE org_members AS
        SELECT i.organisation_id, m.* FROM org_members m JOIN org_ids i USING (cluster_id)
    """)
    _survivors(con)
    _write(con, now)
    counts = one(con, """
        SELECT (SELECT count(*) FROM golden.organisation), (SELECT count(*) FROM golden.establishment),
               (SELECT count(*) FROM golden.contact),
               (SELECT count(*) FROM org_ids WHERE first_seen_at IS NULL)
    """)
    for table in ("org_members", "org_claims", "org_ids", "org_lineage"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    assert counts is not None
    return {"organisations": int(counts[0]), "establishments": int(counts[1]), "contacts": int(counts[2]),
            "new_organisations": int(counts[3])}


def _value(group: str, column: str) -> str:
    return (f"(SELECT m.{column} FROM org_lineage l JOIN org_members m USING (organisation_id, record_key)"
            f" WHERE l.organisation_id = i.organisation_id AND l.field = '{group}')")


def _write(con: duckdb.DuckDBPyConnection, now: datetime) -> None:
    columns = {"name": _value("name", "company")}
    for group, cols in GROUPS.items():
        if group != "name":
            for column in cols:
                columns[column] = _value(group, column)
    select = ", ".join(f"{expr} AS {name}" for name, expr in columns.items())
    con.execute("DELETE FROM golden.organisation")
    con.execute(f"""
        INSERT INTO golden.organisation BY NAME
        SELECT i.organisation_id, {select},
               (SELECT count(*) FROM org_members m WHERE m.organisation_id = i.organisation_id)::INTEGER
                   AS record_count,
               (SELECT list_sort(list(DISTINCT m.source)) FROM org_members m
                WHERE m.organisation_id = i.organisation_id) AS sources,
               coalesce(i.first_seen_at, ?::TIMESTAMP) AS first_seen_at, ?::TIMESTAMP AS updated_at,
               FALSE AS sole_trader
        FROM org_ids i
    """, [now, now])
    con.execute("DELETE FROM golden.organisation_xref")
    con.execute("""
        INSERT INTO golden.organisation_xref (record_key, source, organisation_id)
        SELECT record_key, source, organisation_id FROM org_members
    """)
    con.execute("DELETE FROM golden.organisation_lineage")
    con.execute("INSERT INTO golden.organisation_lineage SELECT organisation_id, field, record_key FROM org_lineage")
    con.execute("DELETE FROM golden.establishment")
    con.execute("""
        INSERT INTO golden.establishment (siret, organisation_id, street, postcode, city, record_count)
        SELECT siret, organisation_id, arg_min(street, (trust_rank, record_key)),
               arg_min(postcode, (trust_rank, record_key)), arg_min(city, (trust_rank, record_key)),
               count(*)::INTEGER
        FROM org_members
        WHERE length(siret) = 14 AND NOT list_contains(coalesce(issues, []), 'siret_invalid')
        GROUP BY siret, organisation_id
    """)
    con.execute("DELETE FROM golden.contact")
    con.execute("""
        INSERT INTO golden.contact (organisation_id, golden_id, role, source, record_key)
        SELECT m.organisation_id, x.golden_id, m.contact_role, m.source, m.record_key
        FROM org_members m JOIN golden.xref x ON x.record_key = m.record_key AND x.valid_to IS NULL
        WHERE m.party_kind = 'contact'
    """)
    # a sole trader: the form says so, or the name holds a contact's name
    forms = ", ".join(f"'{f}'" for f in SOLE_TRADER_FORMS)
    con.execute(f"""
        UPDATE golden.organisation o SET sole_trader = TRUE
        WHERE o.legal_form IN ({forms}) OR EXISTS (
            SELECT 1 FROM golden.contact k JOIN golden.customer g USING (golden_id)
            JOIN org_members m ON m.record_key = k.record_key
            WHERE k.organisation_id = o.organisation_id AND g.last_name IS NOT NULL
              AND m.company_key LIKE '%' || lower(strip_accents(g.last_name)) || '%'
              AND m.company_key LIKE '%' || lower(strip_accents(coalesce(g.first_name, ''))) || '%'
        )
    """)
