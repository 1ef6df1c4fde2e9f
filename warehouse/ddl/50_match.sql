-- Scored candidate pairs and decisions. Owned by matching/.
CREATE SCHEMA IF NOT EXISTS match;
CREATE TABLE IF NOT EXISTS match.pairs (
    run_id            VARCHAR NOT NULL,
    record_key_l      VARCHAR NOT NULL,    -- record_key_l < record_key_r
    record_key_r      VARCHAR NOT NULL,
    match_weight      DOUBLE NOT NULL,     -- log2 Bayes factor, sum of contributions + prior
    match_probability DOUBLE NOT NULL,
    contributions     JSON,                -- {comparison: {"level": label, "weight": float}}
    decision          VARCHAR NOT NULL,    -- auto_match | review | non_match | steward_match | steward_non_match
    PRIMARY KEY (record_key_l, record_key_r)
);
CREATE TABLE IF NOT EXISTS match.decisions (
    record_key_l VARCHAR NOT NULL,
    record_key_r VARCHAR NOT NULL,
    decision     VARCHAR NOT NULL,         -- match | non_match
    decided_by   VARCHAR NOT NULL,         -- 'model' or a steward's user name
    decided_at   TIMESTAMP NOT NULL,
    comment      VARCHAR,
    PRIMARY KEY (record_key_l, record_key_r)
);
CREATE TABLE IF NOT EXISTS match.clusters (
    record_key VARCHAR PRIMARY KEY,
    cluster_id VARCHAR NOT NULL            -- smallest record_key of the cluster; NOT a golden id
);
