"""Stable IDs for rebuilt groups (households, organisations): who keeps which previous ID.

A group rebuilt each run (a household, an organisation's cluster) must keep the ID its members
held, so that links to it survive. The rule, one for every kind of group: each previous ID goes
to the new group holding most of its members; each new group then takes the ID most of its
members held, the older one on a tie; a group left without one gets a new UUID.
"""

from __future__ import annotations

import duckdb


def claim_ids(con: duckdb.DuckDBPyConnection, claims: str, groups: str, group: str, id_column: str,
              out: str) -> None:
    """Create the temp table `out(<group>, <id_column>, first_seen_at)`.

    `claims`: a table of (`group`, `id_column`, n, since): how many members of each new group held
    a previous ID, and when that ID was first seen. `groups`: a table holding every new group in
    its `group` column. Names come from code, never from data.
    """
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        WITH best_home AS (  -- each previous ID goes to the group holding most of its members
            SELECT * FROM {claims}
            QUALIFY row_number() OVER (PARTITION BY {id_column} ORDER BY n DESC, {group}) = 1
        ),
        chosen AS (          -- each group takes the ID most of its members held, the older on a tie
            SELECT {group}, {id_column}, since FROM best_home
            QUALIFY row_number() OVER (PARTITION BY {group} ORDER BY n DESC, since, {id_column}) = 1
        )
        SELECT g.{group}, coalesce(ch.{id_column}, uuid()::VARCHAR) AS {id_column}, ch.since AS first_seen_at
        FROM (SELECT DISTINCT {group} FROM {groups}) g LEFT JOIN chosen ch USING ({group})
    """)
