"""Stage "households": golden customers who live together grouped into golden households.

The matcher keeps the members of a household apart (docs/matching.md §3: "same household, another
person" is a cannot-link); this stage groups them again, as a party of its own, so that marketing
can count *homes* and not only people. Two golden customers are linked when they share

- a **landline** (a fixed-line number held by records of both),
- an **e-mail address** held by records of both (a family mailbox; a role address such as
  contact@ or a business address is a workplace, not a home, and never links), or
- an **address and a surname** (the golden street, postcode and last name, folded): an address
  alone would join the flats of a building.

A household is a connected component of these links with at least two customers. A channel
shared by more than `MAX_HOUSEHOLD_SIZE` customers (a switchboard, a care home, a shared office
mailbox) links nobody: that is an institution, not a home.

**Stable IDs.** As for customers, an ID outlives re-runs: each new household takes the previous
ID most of its members held (ties: the older ID), each previous ID goes to one household only (the
one holding most of its former members); a household nobody claims gets a new UUID.

**Stewards' corrections** (`household_actions` in the stewardship store, from the web app): "these
two do not live together" removes the links between a customer and the members they leave; "these
two live together" adds one (`linked_by` `steward`). Both are standing: every run applies every
correction not withdrawn, a newer one winning over an older one on the same two customers, and a
golden ID merged away is followed to its survivor.

Tables (`warehouse/ddl/65_household.sql`): `golden.household` (one row per household: counts,
how its members are linked, first seen, last changed; no name or address of its own) and
`golden.household_member` (household -> golden customer). An erased customer's member row goes
with every other row holding their golden ID (`warehouse/retention/cascade.py`); the next run
regroups the rest.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from matching.merge.stable_ids import claim_ids
from mdm.context import RunContext, StageResult
from mdm.stewardship import store

#: A channel shared by more golden customers than this is an institution, not a home.
MAX_HOUSEHOLD_SIZE = 8

_FOLD = "nullif(lower(strip_accents(regexp_replace(trim({}), '[^[:alnum:]]+', ' ', 'g'))), '')"

#: SQL: (golden_id, channel, value) for every channel a household can share.
_CHANNELS = f"""
    WITH cur AS (
        SELECT x.golden_id, s.* FROM golden.xref x JOIN staging.customers s USING (record_key)
        WHERE x.valid_to IS NULL
    )
    SELECT DISTINCT golden_id, 'landline' AS channel, phone AS value FROM cur
    WHERE phone IS NOT NULL AND phone_type = 'fixed_line'
    UNION
    SELECT DISTINCT golden_id, 'email', email FROM cur
    WHERE email IS NOT NULL AND NOT list_contains(coalesce(email_flags, []), 'role_address')
      AND company_domain IS NULL
    UNION
    SELECT golden_id, 'address_and_surname',
           concat_ws('|', {_FOLD.format('street')}, upper(postcode), {_FOLD.format('last_name')})
    FROM golden.customer
    WHERE street IS NOT NULL AND postcode IS NOT NULL AND last_name IS NOT NULL
"""


#: Typed, so that an empty result still has list and text columns.
_MEMBERS = pa.schema([("golden_id", pa.string()), ("component", pa.int64()), ("linked_by", pa.list_(pa.string()))])


#: Typed steward corrections: (golden_id, other, together), one row per pair of customers.
_CORRECTIONS = pa.schema([("golden_id", pa.string()), ("other", pa.string()), ("together", pa.bool_())])


def corrections(actions: list[dict[str, Any]]) -> pa.Table:
    """The stewards' household actions as pairs (golden_id < other), the newest action on a pair
    winning: `apart` gives one pair per member left, `together` one pair."""
    latest: dict[tuple[str, str], bool] = {}
    for action in sorted(actions, key=lambda a: int(a["id"])):
        for other in action["other_ids"]:
            a, b = sorted((str(action["golden_id"]), str(other)))
            if a != b:
                latest[(a, b)] = action["action"] == "together"
    return pa.table({"golden_id": [k[0] for k in latest], "other": [k[1] for k in latest],
                     "together": list(latest.values())}, schema=_CORRECTIONS)


def _links(con: duckdb.DuckDBPyConnection, fixes: pa.Table) -> pd.DataFrame:
    """(golden_id, other, channel): every two customers sharing a value, less the pairs stewards
    put apart, plus the pairs they put together (channel `steward`). IDs merged away are followed."""
    con.register("hh_fixes_in", fixes)
    try:
        return con.execute(f"""
            WITH ch AS ({_CHANNELS}),
            shared AS (
                SELECT channel, value FROM ch
                GROUP BY channel, value HAVING count(DISTINCT golden_id) BETWEEN 2 AND {MAX_HOUSEHOLD_SIZE}
            ),
            pairs AS (
                SELECT DISTINCT a.golden_id, b.golden_id AS other, a.channel
                FROM ch a JOIN shared USING (channel, value) JOIN ch b USING (channel, value)
                WHERE a.golden_id < b.golden_id
            ),
            fixes AS (
                SELECT least(x, y) AS golden_id, greatest(x, y) AS other, together FROM (
                    SELECT coalesce(aa.golden_id, f.golden_id) AS x, coalesce(ab.golden_id, f.other) AS y, f.together
                    FROM hh_fixes_in f
                    LEFT JOIN golden.alias aa ON aa.alias_id = f.golden_id
                    LEFT JOIN golden.alias ab ON ab.alias_id = f.other
                ) WHERE x <> y
                  AND x IN (SELECT golden_id FROM golden.customer) AND y IN (SELECT golden_id FROM golden.customer)
            )
            SELECT p.* FROM pairs p
            WHERE NOT EXISTS (SELECT 1 FROM fixes f WHERE f.golden_id = p.golden_id AND f.other = p.other
                              AND NOT f.together)
            UNION ALL
            SELECT golden_id, other, 'steward' FROM fixes WHERE together
        """).df()
    finally:
        con.unregister("hh_fixes_in")


def _components(con: duckdb.DuckDBPyConnection, links: pd.DataFrame) -> pa.Table:
    """(golden_id, component, linked_by) of every customer in a household of two or more: the
    components from scipy, each customer's sorted channels from DuckDB (a pandas group-by calling
    a Python function per customer took 1.3 s of a night at a million customers)."""
    ids = pd.Index(pd.unique(pd.concat([links["golden_id"], links["other"]])))
    if not len(ids):
        return _MEMBERS.empty_table()
    left, right = ids.get_indexer(links["golden_id"]), ids.get_indexer(links["other"])
    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(len(ids), len(ids)))
    _, labels = connected_components(graph, directed=False)
    con.register("hh_links", links)
    con.register("hh_labels", pd.DataFrame({"golden_id": ids, "component": labels}))
    try:
        return con.sql("""
            SELECT l.golden_id, l.component::BIGINT AS component, c.linked_by
            FROM hh_labels l JOIN (
                SELECT golden_id, list_sort(list(DISTINCT channel)) AS linked_by
                FROM (SELECT golden_id, channel FROM hh_links UNION ALL SELECT other, channel FROM hh_links)
                GROUP BY golden_id
            ) c USING (golden_id)
        """).to_arrow_table().cast(_MEMBERS)
    finally:
        con.unregister("hh_links")
        con.unregister("hh_labels")


def build(con: duckdb.DuckDBPyConnection, now: datetime, actions: list[dict[str, Any]] | None = None
          ) -> dict[str, int]:
    """Rebuild `golden.household` and `golden.household_member` from the current golden customers
    and the stewards' corrections in force (`actions`: `store.household_actions_in_force`)."""
    links = _links(con, corrections(actions or []))
    con.register("hh_new", _components(con, links))
    try:
        con.execute("""
            CREATE OR REPLACE TEMP TABLE hh_claims AS
            SELECT n.component, p.household_id, count(*) AS n, min(h.first_seen_at) AS since
            FROM hh_new n JOIN golden.household_member p USING (golden_id)
            JOIN golden.household h USING (household_id)
            GROUP BY ALL
        """)
        claim_ids(con, "hh_claims", "hh_new", "component", "household_id", "hh_ids")
        return _write(con, now)
    finally:
        con.unregister("hh_new")
        for table in ("hh_claims", "hh_ids"):
            con.execute(f"DROP TABLE IF EXISTS {table}")


def _write(con: duckdb.DuckDBPyConnection, now: datetime) -> dict[str, int]:
    """Replace both tables; a household whose members and counts are unchanged keeps `updated_at`."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE hh_rows AS
        SELECT i.household_id, count(*)::INTEGER AS members,
               count(*) FILTER (WHERE g.email IS NOT NULL OR g.phone IS NOT NULL)::INTEGER AS reachable_members,
               count(*) FILTER (WHERE g.opt_in)::INTEGER AS consenting_members,
               list_sort(list_distinct(flatten(list(n.linked_by)))) AS linked_by,
               coalesce(any_value(i.first_seen_at), ?::TIMESTAMP) AS first_seen_at,
               list_sort(list(n.golden_id)) AS member_ids
        FROM hh_new n JOIN hh_ids i USING (component) JOIN golden.customer g USING (golden_id)
        GROUP BY i.household_id
    """, [now])
    con.execute("""
        CREATE OR REPLACE TEMP TABLE hh_prev AS
        SELECT h.*, (SELECT list_sort(list(golden_id)) FROM golden.household_member m
                     WHERE m.household_id = h.household_id) AS member_ids
        FROM golden.household h
    """)
    row = con.execute("""
        SELECT count(*) FILTER (WHERE p.household_id IS NULL),
               count(*) FILTER (WHERE p.household_id IS NOT NULL AND (p.member_ids <> r.member_ids
                                OR p.consenting_members <> r.consenting_members
                                OR p.reachable_members <> r.reachable_members)),
               (SELECT count(*) FROM hh_prev WHERE household_id NOT IN (SELECT household_id FROM hh_rows))
        FROM hh_rows r LEFT JOIN hh_prev p USING (household_id)
    """).fetchone()
    con.execute("DELETE FROM golden.household_member")
    con.execute("""
        INSERT INTO golden.household_member (household_id, golden_id, linked_by)
        SELECT i.household_id, n.golden_id, n.linked_by FROM hh_new n JOIN hh_ids i USING (component)
    """)
    con.execute("DELETE FROM golden.household")
    con.execute("""
        INSERT INTO golden.household (household_id, members, reachable_members, consenting_members, linked_by,
                                      first_seen_at, updated_at)
        SELECT r.household_id, r.members, r.reachable_members, r.consenting_members, r.linked_by, r.first_seen_at,
               CASE WHEN p.household_id IS NOT NULL AND p.member_ids = r.member_ids
                         AND p.consenting_members = r.consenting_members AND p.reachable_members = r.reachable_members
                    THEN p.updated_at ELSE ?::TIMESTAMP END
        FROM hh_rows r LEFT JOIN hh_prev p USING (household_id)
    """, [now])
    total = con.execute("SELECT count(*), coalesce(sum(members), 0) FROM golden.household").fetchone()
    for table in ("hh_rows", "hh_prev"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    assert row is not None and total is not None
    new, changed, removed = (int(x) for x in row)
    return {"households": int(total[0]), "customers_in_households": int(total[1]), "new": new,
            "changed": changed, "removed": removed}


def run(ctx: RunContext) -> StageResult:
    """Stage entry point (see `mdm.pipeline.STAGES`): every correction in force is applied; the
    pending ones are marked applied by this run (from then on they can no longer be withdrawn)."""
    store_con = store.connect(ctx.config.paths.steward_db)
    try:
        actions = store.household_actions_in_force(store_con)
        counts = build(ctx.con, ctx.now, actions)
        pending = [int(a["id"]) for a in actions if a["state"] == "pending"]
        if pending:
            with store.transaction(store_con):
                store.mark_applied(store_con, "household_actions", pending, ctx.run_id)
    finally:
        store_con.close()
    return StageResult("households", counts={**counts, "steward_corrections": len(actions)})
