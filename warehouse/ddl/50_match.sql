-- Scored candidate pairs, decisions, clusters and the matcher's incremental state. Owned by matching/.
CREATE SCHEMA IF NOT EXISTS match;
-- Pairs worth showing (probability >= matching.store_threshold, or decided by a steward); an incremental run
-- rewrites only new pairs and pairs whose steward decision changed (scores are frozen with the model version).
CREATE TABLE IF NOT EXISTS match.pairs (
    run_id            VARCHAR NOT NULL,    -- run that last scored the pair
    record_key_l      VARCHAR NOT NULL,    -- record_key_l < record_key_r
    record_key_r      VARCHAR NOT NULL,
    match_weight      DOUBLE NOT NULL,     -- log2 Bayes factor, sum of contributions + prior
    match_probability DOUBLE NOT NULL,
    contributions     JSON,                -- {comparison: {"level": label, "weight": float}}
    decision          VARCHAR NOT NULL,    -- auto_match | review | non_match | steward_match | steward_non_match
    rule              VARCHAR,             -- blocking rule that found the pair ('steward': a steward decision)
    reason            VARCHAR,             -- why clustering sent an auto match to review, if it did
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
-- Every candidate pair ever blocked, with its comparison vector (level index per comparison,
-- 0 = missing). Incremental runs add pairs of new/changed records and rescore from these vectors.
CREATE TABLE IF NOT EXISTS match.candidates (
    record_key_l VARCHAR NOT NULL,
    record_key_r VARCHAR NOT NULL,
    rule         VARCHAR NOT NULL,
    rule_idx     INTEGER NOT NULL,
    g_first_name TINYINT,
    g_last_name  TINYINT,
    g_email      TINYINT,
    g_phone      TINYINT,
    g_birth_date TINYINT,
    g_street     TINYINT,
    g_postcode   TINYINT,
    g_city       TINYINT
);
-- Content hash of each record's matching fields as last matched: finds new and changed records.
CREATE TABLE IF NOT EXISTS match.records (
    record_key   VARCHAR PRIMARY KEY,
    content_hash VARCHAR NOT NULL
);
-- Key/value state: the settings fingerprint the stored candidates were built with.
CREATE TABLE IF NOT EXISTS match.state (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR
);
-- Per run and blocking rule: pairs produced, pairs first found by the rule, blocks skipped as oversized.
CREATE TABLE IF NOT EXISTS match.blocking_stats (
    run_id        VARCHAR NOT NULL,
    rule          VARCHAR NOT NULL,
    pairs         BIGINT NOT NULL,
    new_pairs     BIGINT NOT NULL,
    capped_blocks BIGINT NOT NULL,
    PRIMARY KEY (run_id, rule)
);
-- Term frequencies frozen with a model version (matching/scoring.py): per matching column, the
-- salted 64-bit hash of each value seen at least twice and its frequency; the row whose value_hash
-- is NULL holds the frequency of a value seen once, which any unlisted value gets. Hashes only,
-- never values: an erased customer's e-mail leaves no bytes here.
CREATE TABLE IF NOT EXISTS match.term_frequencies (
    model_version VARCHAR NOT NULL,
    column_name   VARCHAR NOT NULL,
    value_hash    UBIGINT,
    tf            DOUBLE NOT NULL
);
-- Per linked record at the last clustering (matching/recluster.py): its accepted edges (refused
-- ones included) and whether it is the smallest key of a suspicious cluster. A record whose count
-- changed between runs (an expiry or erasure deleted a partner) is re-clustered.
CREATE TABLE IF NOT EXISTS match.record_links (
    record_key       VARCHAR NOT NULL,
    links            INTEGER NOT NULL,
    leads_suspicious BOOLEAN NOT NULL
);

-- Migrations (see warehouse/schema.py): columns added after the first release.
ALTER TABLE match.candidates ADD COLUMN IF NOT EXISTS g_national_id TINYINT;
