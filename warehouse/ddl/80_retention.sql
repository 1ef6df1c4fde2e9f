-- Retention state: legal holds and the erasure suppression list. Owned by warehouse/retention/.
CREATE SCHEMA IF NOT EXISTS retention;
CREATE TABLE IF NOT EXISTS retention.legal_holds (
    subject    VARCHAR NOT NULL,           -- a golden_id or a record_key
    reason     VARCHAR,
    placed_at  TIMESTAMP NOT NULL,
    lifted_at  TIMESTAMP
);
CREATE TABLE IF NOT EXISTS retention.suppressed (
    identifier_hash VARCHAR PRIMARY KEY,   -- salted hash of a normalised email / phone / record key
    kind            VARCHAR NOT NULL,      -- email | phone | national_id | record_key
    added_at        TIMESTAMP NOT NULL
);
-- What is left of anonymised records: non-identifying, generalised attributes for statistics.
-- No record key, no golden id, no run id: a row cannot be linked back to a person or an audit row.
CREATE TABLE IF NOT EXISTS retention.anonymised (
    anon_id             VARCHAR PRIMARY KEY,  -- random UUID
    source              VARCHAR NOT NULL,
    retention_category  VARCHAR,
    rule                VARCHAR NOT NULL,
    country             VARCHAR,
    postcode_area       VARCHAR,              -- first 2 characters of the postcode (French departement)
    birth_year_band     INTEGER,              -- birth year rounded down to 5 years
    customer_status     VARCHAR,
    opt_in              BOOLEAN,
    created_month       DATE,                 -- month of creation
    last_activity_month DATE,                 -- month of the trigger date
    anonymised_month    DATE NOT NULL
);
-- Records retired (expired, anonymised, archived) by a run whose copies in the published files
-- (rollback versions, Parquet exports) are still to be removed: `compact_warehouse` does it after
-- the run's last commit, then empties this table.
CREATE TABLE IF NOT EXISTS retention.pending_purge (
    record_key VARCHAR NOT NULL,
    run_id     VARCHAR,
    added_at   TIMESTAMP NOT NULL
);
-- The erasure journal: one row per `mdm erase` request, written in the same transaction that
-- erases the warehouse, before anything outside it is touched. `targets` holds salted hashes only
-- (warehouse/retention/targets.py); a request stays `pending` until every file is clean, and the
-- next `mdm erase` or `mdm run` resumes it.
CREATE TABLE IF NOT EXISTS retention.erasures (
    request_id       VARCHAR PRIMARY KEY,
    requested_at     TIMESTAMP NOT NULL,
    by_kind          VARCHAR NOT NULL,     -- email | phone | national_id | golden_id | record_key
    subject_hash     VARCHAR NOT NULL,     -- fingerprint of the request's identifier
    targets          JSON NOT NULL,        -- {kind: [salted hashes]}: what the remaining steps remove
    records          INTEGER NOT NULL,
    golden_customers INTEGER NOT NULL,
    status           VARCHAR NOT NULL,     -- pending | done
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_problem     VARCHAR,              -- why the last attempt did not finish, in plain words
    finished_at      TIMESTAMP
);
