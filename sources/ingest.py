"""The ingest stage: every configured source's new files into `raw.records`, all or nothing.

For each item a connector discovers (a file in the inbox, or a database extract):

1. hash it (sha256 of the bytes); a `loaded` load with the same hash for this source means the
   item was ingested before: skip it, so re-running on the same inbox is a no-op;
2. read it WHOLE with the connector into all-string Arrow tables, and check that every key
   column and mapped column is there and that there is at least one row;
3. insert it set-based (register the Arrow table, one `INSERT ... SELECT`) with its lineage,
   and record a `loaded` row in `raw.loads`.

Any failure in 2 or 3 (a file beyond the `ingest:` limits, unreadable, or whose insert fails)
records a `failed` load naming the file and the problem (never a cell value), moves the file to
`rejected/<source>/` beside a `.reason.txt`, and goes on with the next item. Each item is its own
transaction (DuckDB aborts a transaction on any error), so a file is never half-loaded and one
bad file cannot undo the others. Only a fault of the machine (a full disk) stops the stage; the
file then stays in the inbox for the next run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from mdm.clock import now
from mdm.context import RunContext, StageResult
from mdm.failures import environment_cause, out_of_memory
from mdm.privacy import mask_label
from sources.base import (
    ConnectorConfigError,
    ReadResult,
    SourceConnector,
    SourceError,
    SourceItem,
)
from sources.batch_keys import keyed_batch
from sources.config import IngestLimits, SourceConfig
from sources.event_landing import insert_event_rows
from sources.inbox import confined
from sources.inbox import content_hash as file_content_hash
from sources.limits import check_shape, too_big
from sources.registry import Registry, UnknownKind, load_registry

log = logging.getLogger("mdm.sources.ingest")

STAGE = "ingest"
_STAGED_VIEW = "_mdm_ingest_batch"


@dataclass
class ItemOutcome:
    status: str  # loaded | failed | skipped | empty
    rows: int = 0
    load_id: str | None = None
    error: str | None = None


def run(ctx: RunContext) -> StageResult:
    """Stage entry point (see `mdm.pipeline.STAGES`)."""
    return ingest(ctx, load_registry())


def ingest(ctx: RunContext, registry: Registry, sources: list[SourceConfig] | None = None) -> StageResult:
    """Ingest `sources` (default: every configured source) with connectors from `registry`."""
    sources = list(ctx.config.sources) if sources is None else sources
    received = {s.name: 0 for s in sources}
    failed = {s.name: 0 for s in sources}
    skipped = loads = 0
    warnings: list[str] = list(registry.problems)
    for source in sources:
        for outcome in ingest_source(ctx, registry, source):
            if outcome.status == "loaded":
                received[source.name] += outcome.rows
                loads += 1
            elif outcome.status == "failed":
                failed[source.name] += 1
                warnings.append(outcome.error or f"{source.name}: failed load")
            elif outcome.status == "skipped":
                skipped += 1
    counts: dict[str, Any] = {
        "received": received,
        "failed_loads": failed,
        "skipped_already_loaded": skipped,
        "loads": loads,
    }
    log.info("ingest: %s", json.dumps(counts))
    return StageResult(stage=STAGE, counts=counts, warnings=warnings)


def ingest_source(ctx: RunContext, registry: Registry, source: SourceConfig) -> list[ItemOutcome]:
    """All new items of one source; a connector or discovery problem is one failed load."""
    inbox = ctx.config.paths.inbox
    try:
        connector = registry.create(source, ctx.config.ingest)
        items = connector.discover(inbox, load_state(ctx.con, source.name))
    except (UnknownKind, ConnectorConfigError, SourceError) as exc:
        label = source.path or source.kind
        return [_fail(ctx, source, SourceItem(label=label), None, str(exc), move=False)]
    return [ingest_item(ctx, connector, item) for item in items]


def ingest_item(ctx: RunContext, connector: SourceConnector, item: SourceItem) -> ItemOutcome:
    """One item, all or nothing, committed on its own: a file that cannot be read OR stored is a
    failed load (moved to `rejected/`) and the run goes on; only a fault of the machine (a full
    disk) stops the stage, leaving the file in the inbox for the next run."""
    item = replace(item, label=mask_label(item.label))  # stored and logged: no e-mail, no phone
    source = connector.source
    content_hash: str | None = None
    started = now()
    if item.path is not None:
        if not confined(ctx.config.paths.inbox, item.path):
            return _fail(ctx, source, item, None, f"{item.label}: path escapes the inbox; not read")
        size = item.path.stat().st_size
        if size > connector.limits.max_file_bytes:  # refused before even the hash reads it
            error = str(too_big(item.label, "the file", size, connector.limits.max_file_bytes, "max_file_bytes"))
            return _fail(ctx, source, item, None, error)
        content_hash = file_content_hash(item.path)
        if already_loaded(ctx.con, source.name, content_hash):
            return ItemOutcome(status="skipped")
    try:
        result = connector.read(item)
        if item.path is None:
            content_hash = result.content_hash
            if result.rows == 0:
                return ItemOutcome(status="empty")  # an extract with nothing new
            if content_hash and already_loaded(ctx.con, source.name, content_hash):
                return ItemOutcome(status="skipped")
        check_result(source, item.label, result, connector.limits)
        outcome = _store(ctx, source, item, result, content_hash, started)
    except SourceError as exc:
        return _fail(ctx, source, item, content_hash, _named(str(exc), item.label))
    except Exception as exc:  # name the type only: messages may hold values
        if environment_cause(exc) is not None:
            raise  # the machine's fault, not the file's: the stage fails and the file stays
        log.warning("%s: unexpected %s while loading", source.name, type(exc).__name__)
        problem = "ran out of memory while loading it" if out_of_memory(exc) else "unreadable"
        return _fail(ctx, source, item, content_hash, f"{item.label}: {problem} ({type(exc).__name__})")
    checkpoint(ctx.con)
    log.info("%s: loaded %s (%d rows)", source.name, item.label, result.rows)
    return outcome


def _store(
    ctx: RunContext, source: SourceConfig, item: SourceItem, result: ReadResult, content_hash: str | None,
    started: Any,
) -> ItemOutcome:
    """Insert a checked item's sheets and its `loaded` row (inside the item's own transaction)."""
    load_id = new_load_id(ctx.run_id, source.name, item.label, content_hash)
    for sheet in result.sheets:
        insert_records(ctx.con, source, load_id, item.label, sheet.sheet, sheet.table, ctx.now)
    _insert_load(ctx, load_id, source.name, item.label, content_hash, "loaded", result.rows, None, started)
    if result.state:
        save_state(ctx.con, source.name, result.state, load_id)
    return ItemOutcome(status="loaded", rows=result.rows, load_id=load_id)


def checkpoint(con: duckdb.DuckDBPyConnection) -> None:
    """Commit what the stage did so far and open the next transaction.

    Why: DuckDB aborts a whole transaction on any error (there are no savepoints), so a file
    whose insert fails would otherwise take the files loaded before it down too. Each item is
    therefore its own transaction inside the stage's (the runner still commits the stage last).
    """
    con.execute("COMMIT")
    con.execute("BEGIN TRANSACTION")


def _fail(
    ctx: RunContext, source: SourceConfig, item: SourceItem, content_hash: str | None, error: str,
    move: bool = True,
) -> ItemOutcome:
    """Drop the item's partial work, record the failed load, move the file aside, commit that."""
    ctx.con.execute("ROLLBACK")
    ctx.con.execute("BEGIN TRANSACTION")
    outcome = _record_failure(ctx, source, item, content_hash, error, move=move)
    checkpoint(ctx.con)
    return outcome


def check_result(source: SourceConfig, label: str, result: ReadResult, limits: IngestLimits | None = None) -> None:
    """Refuse what cannot be loaded whole: no rows, a key/mapped column missing, or beyond the limits.

    The limits are checked again here, whatever the connector did, so a plug-in that reads a
    whole file cannot hand on more rows, columns or cells than `ingest:` allows.
    """
    if result.rows == 0:
        raise SourceError(f"{label}: no data rows (empty file or header only)")
    required = source.required_columns()
    for sheet in result.sheets:
        where = f" (sheet {sheet.sheet!r})" if sheet.sheet else ""
        check_shape(label, sheet.table.num_rows, sheet.table.num_columns, limits or IngestLimits(), where)
        bad_types = [n for n, t in zip(sheet.table.column_names, sheet.table.schema.types, strict=True)
                     if not pa.types.is_string(t)]
        if bad_types:
            raise SourceError(f"{label}: connector returned non-text column(s) {bad_types}")
        present = set(sheet.table.column_names)
        missing = [c for c in required if c not in present]
        if missing:
            raise SourceError(
                f"{label}{where}: missing column(s) {missing}; the file has {len(present)} column(s)"
            )


def _named(message: str, label: str) -> str:
    return message if label in message else f"{label}: {message}"


def new_load_id(run_id: str, source: str, label: str, content_hash: str | None) -> str:
    digest = hashlib.sha256(f"{run_id}\x1f{source}\x1f{label}\x1f{content_hash}".encode()).hexdigest()
    return f"{source}-{digest[:16]}"


def already_loaded(con: duckdb.DuckDBPyConnection, source: str, content_hash: str) -> bool:
    rows = con.execute(
        "SELECT count(*) FROM raw.loads WHERE source = ? AND content_hash = ? AND status = 'loaded'",
        [source, content_hash],
    ).fetchall()  # fetchall, not fetchone: DuckDB 2 refuses `register` while a result is unfinished
    return bool(rows[0][0])


def load_state(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, Any]:
    rows = con.execute("SELECT state FROM raw.source_state WHERE source = ?", [source]).fetchall()
    return json.loads(rows[0][0]) if rows and rows[0][0] else {}


def save_state(con: duckdb.DuckDBPyConnection, source: str, state: dict[str, Any], load_id: str) -> None:
    con.execute(
        "INSERT INTO raw.source_state (source, state, load_id, updated_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (source) DO UPDATE SET state = excluded.state, load_id = excluded.load_id, "
        "updated_at = excluded.updated_at",
        [source, json.dumps(state, default=str), load_id, now()],
    )


def insert_records(
    con: duckdb.DuckDBPyConnection,
    source: SourceConfig,
    load_id: str,
    file: str,
    sheet: str | None,
    table: pa.Table,
    ingested_at: Any,
) -> None:
    """One set-based INSERT of a whole sheet into raw.records (an event source's rows go to
    `raw.event_rows` instead: `sources.event_landing`), with lineage and record keys."""
    if source.records == "events":
        insert_event_rows(con, source, load_id, file, sheet, table, ingested_at)
        return
    names = table.column_names
    columns, key_sql, params = keyed_batch(source, table)
    columns["_payload"] = pa.StructArray.from_arrays([table.column(n).combine_chunks() for n in names], names=names)
    staged = pa.table(columns)
    con.register(_STAGED_VIEW, staged)
    try:
        con.execute(
            "INSERT INTO raw.records (record_key, source, load_id, file, sheet, row_number, ingested_at, payload) "
            f"SELECT {key_sql}, ?, ?, ?, ?, _row, ?, to_json(_payload) FROM {_STAGED_VIEW}",
            [*params, source.name, load_id, file, sheet, ingested_at],
        )
    finally:
        con.unregister(_STAGED_VIEW)


def _insert_load(
    ctx: RunContext,
    load_id: str,
    source: str,
    file: str,
    content_hash: str | None,
    status: str,
    rows: int | None,
    error: str | None,
    started: Any,
) -> None:
    ctx.con.execute(
        "INSERT INTO raw.loads (load_id, run_id, source, file, content_hash, status, rows_read, error, "
        "started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [load_id, ctx.run_id, source, file, content_hash, status, rows, error, started, now()],
    )


def _record_failure(
    ctx: RunContext,
    source: SourceConfig,
    item: SourceItem,
    content_hash: str | None,
    error: str,
    move: bool = True,
) -> ItemOutcome:
    started = now()
    error = mask_label(error)
    load_id = new_load_id(ctx.run_id, source.name, item.label, content_hash or error)
    _insert_load(ctx, load_id, source.name, item.label, content_hash, "failed", 0, error, started)
    if move and item.path is not None:
        try:
            reject_file(ctx.config.paths.rejected / source.name, item.path, error, load_id)
        except OSError as exc:  # the failed load is recorded either way; the run goes on
            log.warning("%s: could not move a rejected file aside (%s)", source.name, type(exc).__name__)
    log.warning("%s: failed load %s", source.name, load_id)
    return ItemOutcome(status="failed", load_id=load_id, error=f"{source.name}: {error}")


def reject_file(folder: Path, path: Path, error: str, load_id: str) -> Path:
    """Move a file that could not be loaded aside, with a `<file>.reason.txt` saying why."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    if target.exists() or target.is_symlink():
        target = folder / f"{load_id}-{path.name}"
    shutil.move(str(path), str(target))
    reason = target.with_name(target.name + ".reason.txt")
    reason.write_text(f"load_id: {load_id}\nat: {now().isoformat()}\nerror: {error}\n", encoding="utf-8")
    return target
