-- Rows that failed a blocking expectation or could not be parsed. Owned by expectations/.
CREATE SCHEMA IF NOT EXISTS quarantine;
CREATE TABLE IF NOT EXISTS quarantine.rows (
    record_key     VARCHAR NOT NULL,
    source         VARCHAR NOT NULL,
    load_id        VARCHAR,
    run_id         VARCHAR NOT NULL,
    reasons        VARCHAR[] NOT NULL,     -- reason codes (expectation names), see docs
    payload        JSON,                   -- the row as received, for the steward to fix
    status         VARCHAR NOT NULL,       -- open | released | discarded
    quarantined_at TIMESTAMP NOT NULL,
    resolved_at    TIMESTAMP,
    resolved_by    VARCHAR,
    PRIMARY KEY (record_key)
);
