-- Events about customers (orders, tickets, campaign replies...) and what is derived from them.
-- Owned by mdm/events/ and mdm/segments/; see docs/events.md and docs/segments.md.
-- Key columns are named so that retention's cascade finds them (`record_key`, `..._record_key`,
-- `golden_id`): an expired or erased customer record takes its events with it.
CREATE SCHEMA IF NOT EXISTS events;
CREATE SCHEMA IF NOT EXISTS golden;
CREATE SCHEMA IF NOT EXISTS dq;
-- One row per event (its latest version), standardised and validated; held while its customer is not found.
-- No PRIMARY KEY on purpose: its index cost 2 s of CPU per million events inserted (half the write);
-- the events stage keeps one row per key by construction (delete the keys it writes, then insert).
CREATE TABLE IF NOT EXISTS events.staged (
    record_key            VARCHAR NOT NULL,     -- the event's own key '<source>:<16 hex>', unique
    source                VARCHAR NOT NULL,
    load_id               VARCHAR NOT NULL,
    payload_hash          VARCHAR NOT NULL,
    ref_record_key        VARCHAR,              -- key of the customer record `customer_key` names (may not exist)
    email                 VARCHAR,              -- normalised; used only when there is no customer key
    phone                 VARCHAR,              -- E.164; used only when there is neither key nor e-mail
    event_type            VARCHAR NOT NULL,
    occurred_at           TIMESTAMP NOT NULL,
    channel               VARCHAR,
    amount                DECIMAL(18, 2),
    currency              VARCHAR,
    initiated_by_customer BOOLEAN NOT NULL,
    customer_record_key   VARCHAR,              -- the customer record it resolved to; NULL while held
    resolved_by           VARCHAR,              -- key | email | phone
    held_reason           VARCHAR,              -- customer_unknown | customer_not_golden | customer_ambiguous
    staged_at             TIMESTAMP NOT NULL,
    staged_run_id         VARCHAR NOT NULL
);
-- The customer record a quarantined event names: erasure finds the person's quarantined events by it.
CREATE TABLE IF NOT EXISTS events.quarantined_refs (
    record_key     VARCHAR PRIMARY KEY,         -- the event's own key
    ref_record_key VARCHAR NOT NULL
);
-- Loads of event sources already read (the next run reads only newer loads).
CREATE TABLE IF NOT EXISTS events.processed_loads (
    load_id      VARCHAR PRIMARY KEY,
    run_id       VARCHAR NOT NULL,
    processed_at TIMESTAMP NOT NULL
);
-- Key/value state, e.g. when the timeline last followed records that moved between golden customers.
CREATE TABLE IF NOT EXISTS events.state (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR
);
-- Amounts of erased people's events, kept for the accounts WITHOUT any link to the person:
-- no key, no golden id, no hash; day precision (see docs/retention.md, "Erasure covers events").
CREATE TABLE IF NOT EXISTS events.accounting (
    source      VARCHAR NOT NULL,
    event_type  VARCHAR NOT NULL,
    occurred_on DATE NOT NULL,
    amount      DECIMAL(18, 2) NOT NULL,
    currency    VARCHAR,
    erased_on   DATE NOT NULL
);
-- The timeline: every resolved event on its golden customer (published).
CREATE TABLE IF NOT EXISTS golden.customer_event (
    golden_id             VARCHAR NOT NULL,
    event_record_key      VARCHAR NOT NULL,
    source                VARCHAR NOT NULL,
    event_type            VARCHAR NOT NULL,
    occurred_at           TIMESTAMP NOT NULL,
    channel               VARCHAR,
    amount                DECIMAL(18, 2),
    currency              VARCHAR,
    initiated_by_customer BOOLEAN NOT NULL,
    customer_record_key   VARCHAR NOT NULL
);
-- One row per golden customer: activity from the timeline, RFM scores, segment, lifetime value (published).
-- One row per golden customer by construction (rebuilt from golden.customer each run); no PRIMARY
-- KEY index to maintain for a million rows rewritten every night.
CREATE TABLE IF NOT EXISTS golden.customer_summary (
    golden_id                 VARCHAR NOT NULL,
    event_count               BIGINT NOT NULL,
    order_count               BIGINT NOT NULL,
    revenue                   DECIMAL(18, 2) NOT NULL,
    first_purchase_at         TIMESTAMP,
    last_purchase_at          TIMESTAMP,
    last_initiated_contact_at TIMESTAMP,
    last_contact_per_channel  JSON,
    recency_score             INTEGER,
    frequency_score           INTEGER,
    monetary_score            INTEGER,
    segment                   VARCHAR NOT NULL,
    clv_historical            DECIMAL(18, 2) NOT NULL,
    clv_projected             DECIMAL(18, 2) NOT NULL
);
-- Segment sizes per run, for the trend in the manager's report (counts only).
CREATE TABLE IF NOT EXISTS dq.segment_sizes (
    run_id    VARCHAR NOT NULL,
    "at"      TIMESTAMP NOT NULL,
    segment   VARCHAR NOT NULL,
    customers BIGINT NOT NULL,
    revenue   DECIMAL(18, 2) NOT NULL
);
