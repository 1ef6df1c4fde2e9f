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
-- What an incremental source remembers between loads (e.g. the SQL watermark). Owned by sources/.
CREATE TABLE IF NOT EXISTS raw.source_state (
    source      VARCHAR PRIMARY KEY,
    state       JSON NOT NULL,             -- e.g. {"watermark": {"type": "int", "value": 42}}
    load_id     VARCHAR,                   -- the load that set it
    updated_at  TIMESTAMP NOT NULL
);
