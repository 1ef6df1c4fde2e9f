"""Sole traders on erasure: a business named after its owner is the owner's personal data.

`golden.organisation.sole_trader` marks an organisation whose legal form is EI or EIRL, or whose
name holds the name of one of its contacts (`matching/merge/organisations.py`). Erasing a person
who is a **contact** of such an organisation erases the organisation's records too:

- `own_records`: the records describing the business itself (`party_kind = 'organisation'`: an
  ERP account, a supplier file's row). Their phones and e-mails are the trader's own, so they join
  the erasure's closure (`erasure.find_person`): a second account with the same switchboard goes
  as well, and the identifiers are suppressed.
- `naming_records`: the other records in the organisation, a contact row of *another* person
  naming the business ("Comptable at Jean Dupont EI"). They hold the trader's name in their
  company column, so they go too (their record keys are suppressed so they do not come back),
  but their own e-mails and phones are another person's: they are not followed, not suppressed.

Why by the contact link and not by name: a name is not an identifier. An "EI Jean Martin" with no
link to the Jean Martin asking to be erased may be another Jean Martin; it is reached only if it
carries one of the person's e-mails or phones (the closure finds it), or by a steward naming its
record keys (`mdm erase record_key ...`). The organisations' ids go to the erasure's targets
(`organisation_id`), so the golden organisation leaves every published file and kept version.
"""

from __future__ import annotations

import duckdb

_LINKED = """
    SELECT DISTINCT o.organisation_id FROM golden.organisation o
    JOIN golden.contact k USING (organisation_id)
    WHERE o.sole_trader AND k.golden_id IN (SELECT unnest(?::VARCHAR[]))
"""


def organisations_of(con: duckdb.DuckDBPyConnection, golden_ids: list[str]) -> list[str]:
    """Sole-trader organisations of which one of these golden customers is a contact."""
    return sorted(r[0] for r in con.execute(_LINKED, [golden_ids]).fetchall())


def own_records(con: duckdb.DuckDBPyConnection, golden_ids: list[str]) -> set[str]:
    """Records describing those organisations themselves."""
    rows = con.execute(f"""
        SELECT x.record_key FROM golden.organisation_xref x JOIN staging.customers s USING (record_key)
        WHERE x.organisation_id IN ({_LINKED}) AND s.party_kind = 'organisation'
    """, [golden_ids]).fetchall()
    return {r[0] for r in rows}


def naming_records(con: duckdb.DuckDBPyConnection, golden_ids: list[str]) -> set[str]:
    """Every record of those organisations (the callers add what they do not have yet)."""
    rows = con.execute(f"SELECT record_key FROM golden.organisation_xref WHERE organisation_id IN ({_LINKED})",
                       [golden_ids]).fetchall()
    return {r[0] for r in rows}
