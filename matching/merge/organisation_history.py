"""Versions of the golden organisations' values (`golden.organisation_history`, docs/organisations.md §4).

`golden.organisation` is rebuilt every run (`organisations.py`); this keeps what it held. Written
set-based after the rebuild by comparing each organisation with its open version (`valid_to` NULL):

- not there yet: version `created`;
- any of `VERSIONED` differs: the open version is closed and a `changed` version names the columns
  that differ (`changed`);
- an open version whose organisation is no longer built: closed, and a `gone` version (values NULL)
  says when; unless it was a sole trader's, whose versions are deleted (its name is a person's,
  and no record we hold backs it any more: the person's retention, not ours).

A run with nothing new adds nothing. A sole trader's versions carry a person's name: erasing them
goes through `forget` (called by the erasure, `warehouse/retention/erasure.py`), and published
copies drop them by their `organisation_id` column like every other row naming the organisation.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from matching.sql import one

#: Columns of golden.organisation kept in each version (and compared to decide on a new one).
VERSIONED: tuple[str, ...] = (
    "name", "legal_form", "siren", "vat_number", "website", "company_domain",
    "street", "postcode", "city", "country", "phone", "sole_trader", "record_count", "sources",
)
TABLE = "golden.organisation_history"


def write(con: duckdb.DuckDBPyConnection, now: datetime, run_id: str | None) -> dict[str, int]:
    """Add the versions this run's `golden.organisation` implies; returns counts per change kind."""
    diff = ", ".join(f"CASE WHEN o.{c} IS DISTINCT FROM h.{c} THEN '{c}' END" for c in VERSIONED)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE org_history_new AS
        SELECT o.organisation_id,
               CASE WHEN h.organisation_id IS NULL THEN 'created' ELSE 'changed' END AS change,
               CASE WHEN h.organisation_id IS NULL THEN []::VARCHAR[]
                    ELSE list_filter([{diff}], lambda x: x IS NOT NULL) END AS changed,
               {", ".join(f"o.{c}" for c in VERSIONED)}
        FROM golden.organisation o
        LEFT JOIN {TABLE} h ON h.organisation_id = o.organisation_id AND h.valid_to IS NULL
        WHERE h.organisation_id IS NULL OR len(list_filter([{diff}], lambda x: x IS NOT NULL)) > 0
        UNION ALL BY NAME
        SELECT h.organisation_id, 'gone' AS change, []::VARCHAR[] AS changed
        FROM {TABLE} h
        WHERE h.valid_to IS NULL AND h.change <> 'gone'
          AND h.organisation_id NOT IN (SELECT organisation_id FROM golden.organisation)
    """)
    # a sole trader no record describes any more (expired, erased): its versions name a person
    # that nothing we hold backs any more, so they go rather than end with 'gone'
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE org_history_forget AS
        SELECT n.organisation_id FROM org_history_new n JOIN {TABLE} h
            ON h.organisation_id = n.organisation_id AND h.valid_to IS NULL AND h.sole_trader
        WHERE n.change = 'gone'
    """)
    con.execute(f"DELETE FROM {TABLE} WHERE organisation_id IN (SELECT organisation_id FROM org_history_forget)")
    con.execute("DELETE FROM org_history_new WHERE organisation_id IN (SELECT organisation_id FROM org_history_forget)")
    con.execute(f"""
        UPDATE {TABLE} SET valid_to = ?
        WHERE valid_to IS NULL AND organisation_id IN (SELECT organisation_id FROM org_history_new)
    """, [now])
    con.execute(f"""
        INSERT INTO {TABLE} BY NAME
        SELECT n.*, coalesce(p.last, 0) + 1 AS version, ?::TIMESTAMP AS valid_from,
               CASE WHEN n.change = 'gone' THEN ?::TIMESTAMP END AS valid_to, ? AS run_id
        FROM org_history_new n
        LEFT JOIN (SELECT organisation_id, max(version) AS last FROM {TABLE} GROUP BY organisation_id) p
               USING (organisation_id)
    """, [now, now, run_id])
    counts = one(con, """
        SELECT count(*) FILTER (WHERE change = 'created'), count(*) FILTER (WHERE change = 'changed'),
               count(*) FILTER (WHERE change = 'gone'), (SELECT count(*) FROM org_history_forget)
        FROM org_history_new
    """)
    con.execute("DROP TABLE IF EXISTS org_history_new")
    con.execute("DROP TABLE IF EXISTS org_history_forget")
    assert counts is not None
    return {"created": int(counts[0]), "changed": int(counts[1]), "gone": int(counts[2]),
            "forgotten": int(counts[3])}


def forget(con: duckdb.DuckDBPyConnection, organisation_ids: list[str]) -> int:
    """Delete every version of these organisations (a sole trader's, at its owner's erasure)."""
    if not organisation_ids:
        return 0
    row = one(con, f"DELETE FROM {TABLE} WHERE organisation_id IN (SELECT unnest(?::VARCHAR[]))",
              [organisation_ids])
    return int(row[0]) if row else 0
