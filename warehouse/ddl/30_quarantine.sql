-- Rows that failed a blocking expectation or could not be parsed. Owned by expectations/.
CREATE SCHEMA IF NOT EXISTS quarantine;
CREATE TABLE IF NOT EXISTS quarantine.rows (
    record_key     VARCHAR NOT NULL,
    source         VARCHAR NOT NULL,
    load_id        VARCHAR,
    run_id         VARCHAR NOT NULL,
    reasons        VARCHAR[] NOT NULL,     -- reason codes (expectation names), see docs/validation.md
    payload        JSON,                   -- the row as received (or as corrected), for the steward to fix
    status         VARCHAR NOT NULL,       -- open | released | discarded | superseded
    quarantined_at TIMESTAMP NOT NULL,
    resolved_at    TIMESTAMP,
    resolved_by    VARCHAR,
    source_payload_hash VARCHAR,           -- md5 of the raw payload quarantined: a correction applies to that version only
    PRIMARY KEY (record_key)
);
-- What the matching engine reads: standardised rows that were validated, are not in quarantine
-- (open or discarded), and do not come from a load held back by the circuit breaker.
CREATE OR REPLACE VIEW staging.valid_customers AS
SELECT c.*
FROM staging.customers c
WHERE c.validated_run_id IS NOT NULL
  AND NOT EXISTS (
      SELECT 1 FROM quarantine.rows q
      WHERE q.record_key = c.record_key AND q.status IN ('open', 'discarded'))
  AND NOT EXISTS (
      SELECT 1 FROM raw.loads l
      WHERE l.load_id = c.load_id AND l.status = 'held');
