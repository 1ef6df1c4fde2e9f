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

-- Migrations (see warehouse/schema.py): columns added after the first release.
-- Runs already there when `seq` is added are numbered in their stored order.
ALTER TABLE ops.runs ADD COLUMN IF NOT EXISTS seq BIGINT DEFAULT nextval('ops.run_seq');
