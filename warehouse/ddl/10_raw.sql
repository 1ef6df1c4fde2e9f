-- Raw landing layer: every row as received. Owned by sources/.
CREATE SCHEMA IF NOT EXISTS raw;
CREATE TABLE IF NOT EXISTS raw.loads (
    load_id      VARCHAR PRIMARY KEY,
    run_id       VARCHAR,
    source       VARCHAR NOT NULL,
    file         VARCHAR,                  -- path relative to the inbox, or the SQL source's label
    content_hash VARCHAR,                  -- sha256 of the file bytes: same hash = already loaded
    status       VARCHAR NOT NULL,         -- loaded | failed | held
    rows_read    BIGINT,
    error        VARCHAR,                  -- why a load failed, naming file and problem
    started_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP
);
CREATE TABLE IF NOT EXISTS raw.records (
    record_key  VARCHAR NOT NULL,          -- '<source>:<key>' stable across loads
    source      VARCHAR NOT NULL,
    load_id     VARCHAR NOT NULL,
    file        VARCHAR,
    sheet       VARCHAR,
    row_number  BIGINT,                    -- 1-based data row in the file/sheet (header excluded)
    ingested_at TIMESTAMP NOT NULL,
    payload     JSON NOT NULL              -- {source column (dotted path for nested JSON): value as text}
);
-- Event rows as received, one column per canonical event field (sources/event_landing.py): an
-- event source's rows land here instead of raw.records, because a JSON payload per row was the
-- cost of a 10-million-event ingest. Only mapped fields are kept (as text, as the connector read
-- them); the events stage parses and validates them (mdm/events/standardise.py).
CREATE TABLE IF NOT EXISTS raw.event_rows (
    record_key            VARCHAR NOT NULL,  -- '<source>:<16 hex>' of the event's key columns
    source                VARCHAR NOT NULL,
    load_id               VARCHAR NOT NULL,
    file                  VARCHAR,
    sheet                 VARCHAR,
    row_number            BIGINT,
    ingested_at           TIMESTAMP NOT NULL,
    event_key             VARCHAR,           -- the key columns' values as sent (an order number), shown to stewards
    customer_key          VARCHAR,
    email                 VARCHAR,
    phone                 VARCHAR,
    event_type            VARCHAR,
    occurred_at           VARCHAR,
    channel               VARCHAR,
    amount                VARCHAR,
    currency              VARCHAR,
    initiated_by_customer VARCHAR
);
-- What an incremental source remembers between loads (e.g. the SQL watermark). Owned by sources/.
CREATE TABLE IF NOT EXISTS raw.source_state (
    source      VARCHAR PRIMARY KEY,
    state       JSON NOT NULL,             -- e.g. {"watermark": {"type": "int", "value": 42}}
    load_id     VARCHAR,                   -- the load that set it
    updated_at  TIMESTAMP NOT NULL
);
-- Numbers raw.loads in the order they are stored (raw.loads.seq, sources/loads.py): start times
-- tie under a frozen clock or when a clock steps back; the sequence does not.
CREATE SEQUENCE IF NOT EXISTS raw.load_seq;

-- Migrations (see warehouse/schema.py): columns added after the first release.
-- Loads already there when `seq` is added are numbered in their stored order.
ALTER TABLE raw.loads ADD COLUMN IF NOT EXISTS seq BIGINT DEFAULT nextval('raw.load_seq');
