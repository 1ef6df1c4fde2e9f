-- Audit trail: merges, splits, expiries, erasures. No personal data: hashes and counts only.
CREATE SCHEMA IF NOT EXISTS audit;
CREATE TABLE IF NOT EXISTS audit.events (
    event_id     VARCHAR PRIMARY KEY,
    run_id       VARCHAR,
    "at"         TIMESTAMP NOT NULL,   -- quoted: AT is a reserved word in DuckDB 2.0
    kind         VARCHAR NOT NULL,         -- merge | split | expire | anonymise | archive | erase | quarantine_release | ...
    rule         VARCHAR,                  -- retention rule, request id or steward action
    subject_hash VARCHAR,                  -- salted hash of the record key / golden id concerned
    count        BIGINT,
    detail       JSON                      -- more counts and ids; never names, emails, phones
);
