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
