-- What the next publication needs to patch the previous one (warehouse/publication/delta.py).
-- Its own schema, not `ops`: the log holds record keys and golden ids, and retention's cascade sweeps
-- every schema but audit, ops, dq and retention, so an erased person's keys leave it with the rest.
CREATE SCHEMA IF NOT EXISTS publication;
-- Rows of published tables changed since the last publication: the next one patches its
-- predecessor's copy with them instead of copying the table whole.
CREATE TABLE IF NOT EXISTS publication.changes (
    table_name VARCHAR NOT NULL,   -- schema.table, e.g. golden.customer_event
    record_key VARCHAR,            -- the changed row's key, for a table keyed by record (an event's own key)
    golden_id  VARCHAR             -- or its golden customer, for a table keyed by golden id (lineage, history)
);
-- The run whose publication those changes count from (one row; none before the first publication).
CREATE TABLE IF NOT EXISTS publication.last_run (
    run_id VARCHAR NOT NULL
);
-- What the last publication's patched tables held, so that the next patch checks its result without
-- reading the whole base again: each table's row count and the sum of a hash of its rows (delta.py).
CREATE TABLE IF NOT EXISTS publication.base (
    table_name VARCHAR NOT NULL,
    row_count  BIGINT NOT NULL,
    checksum   HUGEINT NOT NULL
);

-- Migrations (see warehouse/schema.py): columns added after the first release.
-- The published file the last run wrote, as size:mtime_ns: any write into it, or another file in its
-- place, and the next publication does not start from it.
ALTER TABLE publication.last_run ADD COLUMN IF NOT EXISTS file_signature VARCHAR;
