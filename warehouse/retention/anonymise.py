"""Anonymisation: keep generalised, non-identifying attributes of a record for statistics.

Irreversible by construction: the row written to `retention.anonymised` has a random id and no
record key, golden id, run id or hash of any identifier; birth dates become 5-year bands,
postcodes their first two characters, dates their month. The record itself is then removed from
every layer like a deleted one.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from warehouse.retention.cascade import KEYS_TABLE


def anonymise_records(con: duckdb.DuckDBPyConnection, at: datetime) -> int:
    """Write the statistics rows for the `_retire_keys` whose action is anonymise.

    Expects the temp table `_retention_due(record_key, rule, action, trigger_at)`.
    """
    row = con.execute(
        f"""
        INSERT INTO retention.anonymised
        SELECT uuid()::VARCHAR, c.source, c.retention_category, d.rule, c.country,
               left(c.postcode, 2),
               (year(c.birth_date) // 5 * 5)::INTEGER,
               c.customer_status, c.opt_in,
               date_trunc('month', c.created_at)::DATE,
               date_trunc('month', d.trigger_at)::DATE,
               date_trunc('month', ?::TIMESTAMP)::DATE
        FROM staging.customers c
        JOIN _retention_due d USING (record_key)
        JOIN {KEYS_TABLE} k USING (record_key)
        WHERE d.action = 'anonymise'
        ORDER BY random()
        """,
        [at],
    ).fetchone()
    return int(row[0]) if row else 0
