-- Golden customers. Owned by matching/merge/.
CREATE SCHEMA IF NOT EXISTS golden;
CREATE TABLE IF NOT EXISTS golden.customer (
    golden_id        VARCHAR PRIMARY KEY,  -- generated (UUID), stable across runs
    title            VARCHAR,
    first_name       VARCHAR,
    last_name        VARCHAR,
    email            VARCHAR,
    phone            VARCHAR,
    street           VARCHAR,
    postcode         VARCHAR,
    city             VARCHAR,
    country          VARCHAR,
    birth_date       DATE,
    company          VARCHAR,
    siret            VARCHAR,
    vat_number       VARCHAR,
    customer_status  VARCHAR,
    opt_in           BOOLEAN,
    record_count     INTEGER NOT NULL,
    sources          VARCHAR[] NOT NULL,
    first_seen_at    TIMESTAMP NOT NULL,   -- when this golden id was created
    last_activity_at TIMESTAMP,            -- latest activity date over its records
    updated_at       TIMESTAMP NOT NULL    -- when its values last changed
);
CREATE TABLE IF NOT EXISTS golden.xref (
    record_key VARCHAR NOT NULL,
    source     VARCHAR NOT NULL,
    golden_id  VARCHAR NOT NULL,
    valid_from TIMESTAMP NOT NULL,
    valid_to   TIMESTAMP                   -- NULL = current
);
CREATE TABLE IF NOT EXISTS golden.lineage (
    golden_id  VARCHAR NOT NULL,
    field      VARCHAR NOT NULL,
    record_key VARCHAR NOT NULL,
    rule       VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS golden.alias (
    alias_id  VARCHAR PRIMARY KEY,
    golden_id VARCHAR NOT NULL,
    since     TIMESTAMP NOT NULL,
    reason    VARCHAR NOT NULL             -- merge | steward_merge
);
CREATE TABLE IF NOT EXISTS golden.history (
    golden_id  VARCHAR NOT NULL,
    version    INTEGER NOT NULL,
    "values"   JSON NOT NULL,
    valid_from TIMESTAMP NOT NULL,
    valid_to   TIMESTAMP
);
-- Steward split/merge decisions that must hold on every later run (matching re-clusters nightly).
-- merge: every record listed (side 'together') stays in one golden customer;
-- split: records on side 'leave' never share a golden customer with those on side 'stay'.
-- A newer action removes the older constraints it contradicts (see matching/merge/steward.py).
CREATE TABLE IF NOT EXISTS golden.steward_constraints (
    action_id  BIGINT NOT NULL,            -- stewardship store golden_actions.id
    action     VARCHAR NOT NULL,           -- merge | split
    record_key VARCHAR NOT NULL,
    side       VARCHAR NOT NULL,           -- together | leave | stay
    applied_at TIMESTAMP NOT NULL,
    run_id     VARCHAR
);
-- What the merge stage last saw of each record (hash of the columns survivorship reads), so a
-- quiet night recomputes only the golden customers whose records changed or moved.
CREATE TABLE IF NOT EXISTS golden.record_state (
    record_key   VARCHAR NOT NULL,
    content_hash UBIGINT NOT NULL
);
-- Key/value state of the merge stage, e.g. the survivorship rules the golden values were built with.
CREATE TABLE IF NOT EXISTS golden.state (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR
);

-- Migrations (see warehouse/schema.py): columns added after the first release.
ALTER TABLE golden.customer ADD COLUMN IF NOT EXISTS national_id VARCHAR;
