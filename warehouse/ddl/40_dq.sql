-- Validation results and data-quality metrics per run. Owned by expectations/ and reports/.
CREATE SCHEMA IF NOT EXISTS dq;
CREATE TABLE IF NOT EXISTS dq.validation_results (
    run_id           VARCHAR NOT NULL,
    source           VARCHAR NOT NULL,
    suite            VARCHAR NOT NULL,
    expectation      VARCHAR NOT NULL,     -- our reason code
    column_name      VARCHAR,
    severity         VARCHAR NOT NULL,     -- error (blocking) | warning
    success          BOOLEAN NOT NULL,
    element_count    BIGINT,
    unexpected_count BIGINT,
    validated_at     TIMESTAMP NOT NULL,
    load_id          VARCHAR,              -- dataset-level (circuit breaker) results: the load checked
    observed         JSON,                 -- what was measured (counts, ratios, column names); no personal data
    blocking         BOOLEAN               -- true when this failure quarantined rows or held a load
);
-- Per-load profile for the circuit breaker: row count and non-empty cells per source column.
-- Owned by expectations/.
CREATE TABLE IF NOT EXISTS dq.load_profiles (
    load_id     VARCHAR NOT NULL,
    source      VARCHAR NOT NULL,
    column_name VARCHAR NOT NULL,          -- source column ('' = the whole load)
    row_count   BIGINT NOT NULL,
    non_empty   BIGINT NOT NULL,
    PRIMARY KEY (load_id, column_name)
);
CREATE TABLE IF NOT EXISTS dq.metrics (
    run_id    VARCHAR NOT NULL,
    "at"      TIMESTAMP NOT NULL,        -- quoted: AT is a reserved word in DuckDB 2.0
    scope     VARCHAR NOT NULL,            -- a source name, 'golden' (the golden table) or 'all' (pooled)
    dimension VARCHAR NOT NULL,            -- completeness | validity | uniqueness | timeliness | retention | stewardship
    metric    VARCHAR NOT NULL,
    value     DOUBLE
);
