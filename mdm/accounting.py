"""Nothing vanishes: every source record is accounted for exactly once.

A record received in `raw.records` must end up in exactly one place: linked to a golden
customer (a current `golden.xref` row) or, for a row about an organisation alone, which the person
matcher does not read, to a golden organisation (`golden.organisation_xref`), in quarantine (open or discarded), held back by the
circuit breaker, or expired (then it is gone from `raw.records` and only its audit entry
remains). These functions count the places; the pipeline's blocking checks and the end-to-end
tests assert on them.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class Accounting:
    raw_records: int          # distinct record keys in raw.records
    standardised: int         # of which in staging.customers
    quarantined: int          # of which in quarantine.rows (open or discarded)
    held: int                 # of which only in loads held by the circuit breaker
    linked: int               # of which with a current golden.xref row (or golden.organisation_xref)
    unaccounted: int          # in none of the above: a bug
    double_counted: int       # linked AND quarantined: a bug

    @property
    def ok(self) -> bool:
        return self.unaccounted == 0 and self.double_counted == 0


ACCOUNTING_SQL = """
WITH keys AS (SELECT DISTINCT record_key FROM raw.records WHERE source NOT IN (SELECT unnest(?::VARCHAR[]))),
q AS (SELECT DISTINCT record_key FROM quarantine.rows WHERE status IN ('open', 'discarded')),
x AS (SELECT record_key FROM golden.xref WHERE valid_to IS NULL
      UNION SELECT record_key FROM golden.organisation_xref),
held AS (
    SELECT DISTINCT r.record_key FROM raw.records r JOIN raw.loads l USING (load_id)
    WHERE l.status = 'held'
      AND r.record_key NOT IN (
          SELECT r2.record_key FROM raw.records r2 JOIN raw.loads l2 USING (load_id) WHERE l2.status = 'loaded')
),
s AS (SELECT record_key FROM staging.customers)
SELECT
    (SELECT count(*) FROM keys),
    (SELECT count(*) FROM keys WHERE record_key IN (SELECT record_key FROM s)),
    (SELECT count(*) FROM keys WHERE record_key IN (SELECT record_key FROM q)),
    (SELECT count(*) FROM keys WHERE record_key IN (SELECT record_key FROM held)),
    (SELECT count(*) FROM keys WHERE record_key IN (SELECT record_key FROM x)),
    (SELECT count(*) FROM keys k WHERE record_key NOT IN (SELECT record_key FROM q)
        AND record_key NOT IN (SELECT record_key FROM x)
        AND record_key NOT IN (SELECT record_key FROM held)),
    (SELECT count(*) FROM keys WHERE record_key IN (SELECT record_key FROM q)
        AND record_key IN (SELECT record_key FROM x))
"""


def account(con: duckdb.DuckDBPyConnection, event_sources: list[str] | None = None) -> Accounting:
    """Customer records only: the rows of `event_sources` (sources with `records: events`) are
    accounted for by the events stage (staged, held or quarantined; docs/events.md)."""
    row = con.execute(ACCOUNTING_SQL, [event_sources or []]).fetchone()
    assert row is not None
    return Accounting(*[int(v) for v in row])
