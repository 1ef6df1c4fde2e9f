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
    validated_at     TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS dq.metrics (
    run_id    VARCHAR NOT NULL,
    at        TIMESTAMP NOT NULL,
    scope     VARCHAR NOT NULL,            -- 'golden' or a source name
    dimension VARCHAR NOT NULL,            -- completeness | validity | uniqueness | timeliness | retention | stewardship
    metric    VARCHAR NOT NULL,
    value     DOUBLE
);
