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
    kind            VARCHAR NOT NULL,      -- email | phone | record_key
    added_at        TIMESTAMP NOT NULL
);
