-- Runs of the pipeline. Owned by mdm/runner.py.
CREATE SCHEMA IF NOT EXISTS ops;
CREATE TABLE IF NOT EXISTS ops.runs (
    run_id      VARCHAR PRIMARY KEY,
    started_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status      VARCHAR NOT NULL,          -- running | succeeded | failed | interrupted (left running by a crash)
    failed_stage VARCHAR,
    error       VARCHAR,                   -- exception type and message; never personal data
    summary     JSON                       -- StageResult counts per stage
);
-- Numbers runs in the order they start (ops.runs.seq): start times tie under a frozen clock
-- (MDM_NOW) or when a clock steps back; the sequence does not.
CREATE SEQUENCE IF NOT EXISTS ops.run_seq;

-- Rows of published tables changed since the last publication (warehouse/publication/delta.py):
-- the next publication patches its predecessor's copy with them instead of copying the table whole.
CREATE TABLE IF NOT EXISTS ops.publication_changes (
    table_name VARCHAR NOT NULL,   -- schema.table, e.g. golden.customer_event
    record_key VARCHAR NOT NULL    -- the changed row's key (an event's record key: retention's cascade finds it)
);
-- The run whose publication those changes count from (one row; none before the first publication).
CREATE TABLE IF NOT EXISTS ops.last_publication (
    run_id VARCHAR NOT NULL
);

-- Migrations (see warehouse/schema.py): columns added after the first release.
-- Runs already there when `seq` is added are numbered in their stored order.
ALTER TABLE ops.runs ADD COLUMN IF NOT EXISTS seq BIGINT DEFAULT nextval('ops.run_seq');
