"""Keep each record's prepared matching keys between runs, so a nightly run prepares only what changed.

Why: `prepare_input` derives some forty keys per record (folded names, phonetic codes, email
parts, street tokens...). Over a million records that took 4.3 of the incremental match stage's
9 s every night, although 1 % of the records had changed. Every key depends on the record's own
values only, so a record whose source values are unchanged keeps the keys it had.

The stored rows live in `<schema>.prepared` (`match.prepared` for persons; created here with the prepared columns, plus
`source_hash`). They are rebuilt whole on a full run, or when the preparing code or its
nickname table changed (`ModelSpec.prepared.version_files`; `<schema>.state`, key `prepared_version`). The table holds personal data
like the staging layer: its `record_key` column puts it in the retention cascade's sweep, and
compaction removes its deleted bytes.
"""

from __future__ import annotations

import duckdb

from matching.prepare import INPUT_TABLE
from matching.spec import ModelSpec
from matching.sql import one, scalar_int

#: The layout of the stored rows, part of the version they are kept under: a warehouse that stored
#: another layout prepares every record again once. 2: `source_hash` is DuckDB's 64-bit `hash()` of
#: the source columns, not an md5 of their text (0.12 s instead of 0.4-0.6 s per million records,
#: every night; a changed record keeps its hash with odds of one in 2^64).
STORE_FORMAT = 2


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str) -> bool:
    row = one(con, "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = 'prepared'"
              " AND database_name = current_database()", [schema])
    return bool(row and row[0])


def _stored_version(con: duckdb.DuckDBPyConnection, schema: str) -> str | None:
    row = one(con, f"SELECT value FROM {schema}.state WHERE key = 'prepared_version'")
    return str(row[0]) if row else None


def prepare_with_cache(con: duckdb.DuckDBPyConnection, spec: ModelSpec, source: str, full: bool) -> tuple[int, int]:
    """Create `match_input` from `source` (a table or view named by code); returns (records, prepared now).

    Records whose source values hash as at the last run take their stored keys (`<schema>.prepared`);
    the others go through the spec's `prepared.build`, and the store is brought up to date.
    """
    keys, stored = spec.prepared, f"{spec.schema}.prepared"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE match_source_hashes AS
        SELECT record_key, hash({", ".join(keys.source_columns)}) AS source_hash FROM {source}
    """)
    version = f"{keys.code_version()}-{STORE_FORMAT}"
    if full or not _table_exists(con, spec.schema) or _stored_version(con, spec.schema) != version:
        n_records = keys.build(con, source)
        con.execute(f"""
            CREATE OR REPLACE TABLE {stored} AS
            SELECT i.*, h.source_hash FROM {INPUT_TABLE} i JOIN match_source_hashes h USING (record_key)
        """)
        con.execute(f"INSERT OR REPLACE INTO {spec.schema}.state (key, value) VALUES ('prepared_version', ?)",
                    [version])
        con.execute("DROP TABLE match_source_hashes")
        return n_records, n_records
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE match_changed_keys AS
        SELECT h.record_key FROM match_source_hashes h
        LEFT JOIN {stored} p ON p.record_key = h.record_key AND p.source_hash = h.source_hash
        WHERE p.record_key IS NULL
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW match_changed_source AS
        SELECT * FROM {source} WHERE record_key IN (SELECT record_key FROM match_changed_keys)
    """)
    prepared_now = keys.build(con, "match_changed_source")
    con.execute(f"""
        DELETE FROM {stored}
        WHERE record_key NOT IN (SELECT record_key FROM match_source_hashes)
           OR record_key IN (SELECT record_key FROM match_changed_keys)
    """)
    con.execute(f"""
        INSERT INTO {stored}
        SELECT i.*, h.source_hash FROM {INPUT_TABLE} i JOIN match_source_hashes h USING (record_key)
    """)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {INPUT_TABLE} AS SELECT * EXCLUDE (source_hash) FROM {stored}")
    con.execute("DROP VIEW IF EXISTS match_changed_source")
    for name in ("match_changed_keys", "match_source_hashes"):
        con.execute(f"DROP TABLE IF EXISTS {name}")
    return scalar_int(con, f"SELECT count(*) FROM {INPUT_TABLE}"), prepared_now
