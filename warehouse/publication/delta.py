"""Publishing the big tables by their changes: the previous publication's copy, patched.

Why: a night changes a few rows of the biggest published tables, and copying them whole into each
new file cost most of publish. At 1M customers and 10M events the timeline (`golden.customer_event`,
every event ever resolved: it grows with the years) took 6 s of a 68 s night for 100,000 new
events, `staging.customers`, `golden.lineage` and `golden.history` 5.5 s more.

How:

- The stages that change such a table log the key of every row they insert, delete or update in
  `publication.changes` (`log_changes`), in their own transaction.
- Publication starts from a byte copy of the current published file when it is a safe base
  (`usable_base`), drops every table but the patched ones, and rebuilds those as before. A
  patched table loses the rows whose key changed and gets them again from the warehouse.
- The patched table is then compared with the warehouse's, row count and a checksum of every
  column of every row (`checksum`, 0.5 s per ten million rows). Any difference (a change a stage
  did not log) and the table is copied whole: the log makes the patch cheap, never the published
  rows. The patched copy's checksum is not read from the copy: it is the checksum recorded for
  the base's table when it was published, less the rows taken out, plus the rows put in.
- After the swap the log is emptied and the run is recorded as the base of the next patch
  (`mark_published`), in the publish stage's transaction: its run id, the file's size and
  modification time (a reader who writes into the published file moves it, and the next night
  builds a fresh file), and the checksums of the patched tables as published.

Privacy: a copy of the previous file carries its free blocks, which can hold deleted rows. So the
base is used only when no record was retired since the last compaction (`retention.pending_purge`
is empty; an expiry night builds a fresh file) and no erasure is unfinished, and an erasure
rewrites every published file that has a free block, not only those with the person's rows
(`warehouse.retention.published`). The log itself holds record keys, so it lives in the
`publication` schema, which retention's cascade sweeps like every schema but audit, ops, dq and
retention.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import duckdb

from warehouse.connection import sql_literal
from warehouse.publication import contract, files

#: Published tables patched from the previous publication, and the column that keys their rows
#: (a patch replaces every row of a logged key). The big tables a night changes a little of;
#: `golden.customer` is not one: it is published in golden_id order (`warehouse.publish`).
PATCHED: dict[str, str] = {
    "golden.customer_event": "event_record_key",
    "staging.customers": "record_key",
    "golden.lineage": "golden_id",
    "golden.history": "golden_id",
}
#: Above this share of a table's rows changed, copying it whole is cheaper than patching (measured
#: on a 9.3M-row timeline: patching 1M rows took 3.4 s, 3M rows 8.8 s, copying it all 6 s).
MAX_PATCHED_SHARE = 0.1
#: Below this many rows either way costs next to nothing: the patch is always tried.
SHARE_FROM_ROWS = 100_000


def _too_many(keys: int, rows: int) -> bool:
    """Whether `keys` changed rows of a `rows`-row table are cheaper copied whole than patched. The
    floor counts the larger of the two: a first load logs millions of keys into an empty table."""
    return max(keys, rows) >= SHARE_FROM_ROWS and keys > MAX_PATCHED_SHARE * rows


def _log_column(table: str) -> str:
    """The column of `publication.changes` that holds `table`'s keys: named after what they are, so
    that retention's cascade finds an erased person's record keys and golden ids there too."""
    return "golden_id" if PATCHED[table] == "golden_id" else "record_key"


#: A log row with no key: the table changed too much to be patched; the next publication copies it.
_WHOLE = "record_key IS NULL AND golden_id IS NULL"


def _copied_whole(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    row = con.execute(f"SELECT count(*) FROM publication.changes WHERE table_name = ? AND {_WHOLE}", [table]).fetchone()
    return bool(row and row[0])


def log_changes(con: duckdb.DuckDBPyConnection, table: str, keys_sql: str, params: list[object] | None = None) -> None:
    """Log the keys `keys_sql` selects (one column) as changed rows of `table` (one of `PATCHED`):
    every row with such a key is replaced at the next publication.

    More keys than the patchable share of the table (a first load, a re-clustering) are not
    logged: one row with no key says "copy it whole", so the log never grows to the table's size."""
    if table not in PATCHED:
        raise ValueError(f"{table} is not published by its changes")
    if _copied_whole(con, table):
        return
    con.execute(f"CREATE OR REPLACE TEMP TABLE _mdm_changed AS SELECT k FROM ({keys_sql}) AS c(k)", params or [])
    try:
        row = con.execute(f"SELECT (SELECT count(*) FROM _mdm_changed), (SELECT count(*) FROM {table})").fetchone()
        keys, rows = (int(row[0]), int(row[1])) if row else (0, 0)
        if _too_many(keys, rows):
            con.execute("INSERT INTO publication.changes (table_name) VALUES (?)", [table])
        else:
            con.execute(f"INSERT INTO publication.changes (table_name, {_log_column(table)}) "
                        "SELECT ?, k FROM _mdm_changed", [table])
    finally:
        con.execute("DROP TABLE IF EXISTS _mdm_changed")


#: Work that, while unfinished, leaves personal data the published file may still hold: records
#: retired since the last compaction, and erasures not yet done in every file.
#: (The writer connection applies the schema, so both tables exist.)
UNFINISHED_RETIREMENT = (
    "SELECT count(*) FROM retention.pending_purge",
    "SELECT count(*) FROM retention.erasures WHERE status <> 'done'",
)


def file_signature(path: Path) -> str:
    """The published file's `size:mtime_ns`: any write into it moves its modification time, and a
    file put in its place (a rollback, an erasure's rewrite) is another file with another time.
    (Not the inode: a home restored or copied with its times, as `cp -a` does, is still a base.)"""
    st = path.stat()
    return f"{st.st_size}:{st.st_mtime_ns}"


def usable_base(con: duckdb.DuckDBPyConnection, published: Path) -> bool:
    """True when the published file can be the start of the next one: it is the file the last
    publication wrote, unchanged since (not a rollback, not rewritten, nobody wrote into it), and
    no retirement or erasure is unfinished (its free blocks, or its rows, could still hold the
    person)."""
    if not published.exists():
        return False
    row = con.execute("SELECT max(run_id), max(file_signature) FROM publication.last_run").fetchone()
    last, signature = row if row else (None, None)
    if last is None or signature != file_signature(published) or files.published_by(published) != last:
        return False
    return all(con.execute(sql).fetchone() == (0,) for sql in UNFINISHED_RETIREMENT)


def start_from(cur: duckdb.DuckDBPyConnection, published: Path, built: Path, catalog: str) -> bool:
    """Copy `published` to `built`, attach it as `catalog` and drop every table but the patched
    ones (their blocks are reused by the tables copied next). False, with `built` removed and
    nothing attached, when the copy cannot be opened (the run then builds a fresh file)."""
    try:
        shutil.copyfile(published, built)
        cur.execute(f"ATTACH {sql_literal(str(built))} AS {catalog}")
    except (OSError, duckdb.Error):
        files.remove_db(built)
        return False
    try:
        tables = cur.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ?", [catalog]
        ).fetchall()
        cur.execute("BEGIN TRANSACTION")
        for schema, table in tables:
            if f"{schema}.{table}" not in PATCHED:
                cur.execute(f"DROP TABLE {catalog}.{contract.quote(schema)}.{contract.quote(table)}")
        cur.execute("COMMIT")
        cur.execute(f"CHECKPOINT {catalog}")
    except duckdb.Error:
        with contextlib.suppress(duckdb.Error):
            cur.execute("ROLLBACK")
        cur.execute(f"DETACH DATABASE IF EXISTS {catalog}")
        files.remove_db(built)
        return False
    return True


#: A table's row count and the sum of a hash of every column of every row: equal checksums mean
#: the same rows (up to a 64-bit hash collision), whatever their order.
Checksum = tuple[int, int]


def checksum(cur: duckdb.DuckDBPyConnection, relation: str, columns: list[str], where: str = "true",
             params: list[object] | None = None) -> Checksum:
    """`relation`'s checksum, over the rows `where` selects. (The sum of unsigned 64-bit hashes is a
    HUGEINT in DuckDB: no overflow, no cast.)"""
    cols = ", ".join(contract.quote(c) for c in columns)
    row = cur.execute(f"SELECT count(*), coalesce(sum(hash({cols})), 0) FROM {relation} WHERE {where}",
                      params or []).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def patch(cur: duckdb.DuckDBPyConnection, table: contract.Table, catalog: str, base: Checksum | None = None
          ) -> Checksum | None:
    """Bring `catalog`'s copy of `table` in line with the warehouse by its logged changes, and return
    the table's checksum. None when it cannot be or should not be (columns differ, more than
    `MAX_PATCHED_SHARE` of the rows changed, rows differ after the patch): the caller copies it whole.

    The result is checked against the warehouse's rows. With `base`, the checksum the base file's
    copy had when it was published (`load_base`), the patched copy's checksum is that, less the rows
    taken out, plus the rows put in: the copy's untouched rows are not read again (the base is the
    file the last run wrote, unchanged since: `usable_base`)."""
    src = f"{contract.quote(table.schema)}.{contract.quote(table.table)}"
    dst = f"{catalog}.{src}"
    columns = contract.actual_columns(cur, catalog, table.name)
    if columns != contract.actual_columns(cur, _current_database(cur), table.name):
        return None
    if _copied_whole(cur, table.name):
        return None
    names = [name for name, _ in columns]
    key = contract.quote(PATCHED[table.name])
    changed = f"{key} IN (SELECT DISTINCT {_log_column(table.name)} FROM publication.changes WHERE table_name = ?)"
    sizes = cur.execute(f"SELECT (SELECT count(DISTINCT {_log_column(table.name)}) FROM publication.changes "
                        f"WHERE table_name = ?), (SELECT count(*) FROM {src})", [table.name]).fetchone()
    if sizes is None or _too_many(int(sizes[0]), int(sizes[1])):
        return None
    removed = checksum(cur, dst, names, changed, [table.name]) if base is not None else None
    cur.execute(f"CREATE OR REPLACE TEMP TABLE _mdm_patch AS SELECT * FROM {src} WHERE {changed}", [table.name])
    try:
        cur.execute(f"DELETE FROM {dst} WHERE {changed}", [table.name])
        cur.execute(f"INSERT INTO {dst} SELECT * FROM _mdm_patch")
        if removed is not None and base is not None:  # (both or neither)
            added = checksum(cur, "_mdm_patch", names)
            patched = (base[0] - removed[0] + added[0], base[1] - removed[1] + added[1])
        else:
            patched = checksum(cur, dst, names)
    finally:
        cur.execute("DROP TABLE IF EXISTS _mdm_patch")
    wanted = checksum(cur, src, names)
    return wanted if wanted == patched else None


def load_base(con: duckdb.DuckDBPyConnection) -> dict[str, Checksum]:
    """The checksums the last publication recorded for its patched tables (`mark_published`)."""
    rows = con.execute("SELECT table_name, row_count, checksum FROM publication.base").fetchall()
    return {str(name): (int(n), int(total)) for name, n, total in rows}


def _current_database(cur: duckdb.DuckDBPyConnection) -> str:
    row = cur.execute("SELECT current_database()").fetchone()
    return str(row[0]) if row else "memory"


def mark_published(con: duckdb.DuckDBPyConnection, run_id: str, published: Path,
                   checksums: dict[str, Checksum]) -> None:
    """After the swap: the changes are in the published file; the next patch starts from this run's
    file: its signature, and the checksums of its `PATCHED` tables (patched or copied whole)."""
    con.execute("DELETE FROM publication.changes")
    con.execute("DELETE FROM publication.last_run")
    con.execute("INSERT INTO publication.last_run (run_id, file_signature) VALUES (?, ?)",
                [run_id, file_signature(published)])
    con.execute("DELETE FROM publication.base")
    for table, (rows, total) in sorted(checksums.items()):
        con.execute("INSERT INTO publication.base VALUES (?, ?, ?)", [table, rows, total])
