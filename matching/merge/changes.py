"""Which golden customers must be recomputed this run (the rest keep their values untouched).

A nightly run usually changes a few records out of a million; recomputing survivorship for all of
them is the merge stage's main cost. A customer is *dirty* when one of its records moved in or out
this run, a member record's survivorship columns changed (hash against `golden.record_state`), a
member record left staging, or it has no current record left. Everything is recomputed when the
survivorship rules changed (fingerprint in `golden.state`) or no state was saved yet.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import duckdb

from matching.merge.config import GOLDEN_FIELDS, SurvivorshipConfig
from matching.merge.survivorship import STATUS_COLUMNS

#: Everything survivorship and the customer row read from a staging record.
HASHED_COLUMNS: tuple[str, ...] = (
    "source", "trust_rank", "issues", *STATUS_COLUMNS.values(), *GOLDEN_FIELDS,
    "created_at", "updated_at", "last_contact_at", "last_order_at",
)
RULES_KEY = "survivorship_rules"


def rules_fingerprint(config: SurvivorshipConfig) -> str:
    from matching.merge.config import GROUPS

    chains = {group: config.chain(group) for group in GROUPS}
    return hashlib.sha256(json.dumps(chains, sort_keys=True).encode()).hexdigest()[:16]


def needs_full_refresh(con: duckdb.DuckDBPyConnection, config: SurvivorshipConfig) -> bool:
    row = con.execute("SELECT value FROM golden.state WHERE key = ?", [RULES_KEY]).fetchone()
    return row is None or row[0] != rules_fingerprint(config)


def hash_records(con: duckdb.DuckDBPyConnection) -> None:
    """`merge_record_hash(record_key, content_hash)` for every staging record, and
    `merge_record_diff(record_key, content_hash)`: the records whose hash differs from
    `golden.record_state` (new, changed, or gone from staging: `content_hash` NULL).

    Hashing a million rows takes a fraction of a second; comparing them once here lets the dirty
    scope and the saved state work on the few thousand records that differ."""
    cols = ", ".join(HASHED_COLUMNS)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE merge_record_hash AS "
        f"SELECT record_key, hash({cols}) AS content_hash FROM staging.customers"
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE merge_record_diff AS
        SELECT coalesce(r.record_key, s.record_key) AS record_key, r.content_hash
        FROM merge_record_hash r FULL JOIN golden.record_state s ON s.record_key = r.record_key
        WHERE r.content_hash IS DISTINCT FROM s.content_hash
        """
    )


def dirty_scope(con: duckdb.DuckDBPyConnection, now: datetime) -> int:
    """`merge_dirty(golden_id)`: the customers to recompute; returns how many.

    Dirty: a record moved in or out this run (xref row opened or closed now), a current member is
    new, changed or gone from staging (`merge_record_diff`), or no current record is left."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE merge_dirty AS
        SELECT golden_id FROM golden.xref WHERE valid_from = ? OR valid_to = ?
        UNION
        SELECT x.golden_id FROM golden.xref x JOIN merge_record_diff d ON d.record_key = x.record_key
        WHERE x.valid_to IS NULL
        UNION
        SELECT g.golden_id FROM golden.customer g
        WHERE NOT EXISTS (SELECT 1 FROM golden.xref x WHERE x.golden_id = g.golden_id AND x.valid_to IS NULL)
        """,
        [now, now],
    )
    row = con.execute("SELECT count(*) FROM merge_dirty").fetchone()
    return int(row[0]) if row else 0


def save_state(con: duckdb.DuckDBPyConnection, config: SurvivorshipConfig) -> None:
    """Bring `golden.record_state` up to date by rewriting only the rows that differ."""
    con.execute("DELETE FROM golden.record_state WHERE record_key IN (SELECT record_key FROM merge_record_diff)")
    con.execute(
        "INSERT INTO golden.record_state SELECT record_key, content_hash FROM merge_record_diff "
        "WHERE content_hash IS NOT NULL"
    )
    con.execute(
        "INSERT INTO golden.state VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [RULES_KEY, rules_fingerprint(config)],
    )
