"""Finish pending erasures: every step outside the warehouse transaction, driven by the journal.

Each step is idempotent and reads only salted hashes (`targets.Targets`), so it can run again at
any time: right after `mdm erase` recorded the request, at the next `mdm erase`, and after every
`mdm run` (the runner calls `resume_pending` under the pipeline lock, writer closed). A step that
fails is reported in plain words (never a value, never a traceback) and the request stays
pending; the others still run. Steps:

1. the archive file loses the person's records;
2. the stewards' store loses the rows naming them and its free text is scrubbed;
3. the inbox and rejected files that held them are deleted (`scrub.py` says why not redacted);
4. every published DuckDB and Parquet file (current, kept versions, exports) is rewritten without
   their rows and with its free text scrubbed; a file another program holds open is a problem;
5. the warehouse's free text is scrubbed again (a run may have copied a store comment back);
6. the warehouse and archive files are rewritten (`compact.py`), then the journal row is updated.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mdm.clock import now as clock_now
from mdm.config import MdmConfig, get_salt
from warehouse.connection import open_writer, transaction
from warehouse.retention import journal
from warehouse.retention.archive import delete_from_archive
from warehouse.retention.compact import compact_warehouse
from warehouse.retention.published import Erased, erase_from_published
from warehouse.retention.scrub import delete_files, scrub_duckdb_text
from warehouse.retention.store_purge import purge_store
from warehouse.retention.targets import Targets

log = logging.getLogger("mdm.retention")


@dataclass
class Completion:
    """What the steps outside the warehouse did for one request, and what stopped them."""

    request_id: str
    subject_hash: str
    archive_records: int = 0
    store_rows: int = 0
    files_deleted: int = 0
    published_rows: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    #: The request's targets (hashes), to tell whether a later request names the same person.
    targets: Targets | None = field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "archive_records": self.archive_records,
            "store_rows": self.store_rows,
            "files_deleted": self.files_deleted,
            "published_rows": self.published_rows,
            "problems": self.problems,
        }


def _step(done: Completion, name: str, fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - a failed step leaves the request pending, said in plain words
        done.problems.append(journal.plain(name, exc))
        log.warning("erasure %s: %s", done.request_id, done.problems[-1])
        return None


def _outside_steps(config: MdmConfig, entry: journal.Entry) -> Completion:
    paths = config.paths
    done = Completion(entry.request_id, entry.subject_hash, targets=entry.targets)
    targets = entry.targets
    done.archive_records = _step(done, "archive", lambda: delete_from_archive(paths.archive, targets)) or 0
    done.store_rows = _step(done, "stewards' store", lambda: purge_store(paths.steward_db, targets)) or 0
    done.files_deleted = _step(done, "inbox and rejected files", lambda: delete_files(paths.home, targets)) or 0
    problems: list[str] = []
    done.published_rows = erase_from_published(
        paths.home, [paths.warehouse, paths.archive], Erased(targets), problems=problems
    )
    done.problems += problems
    return done


def _pending(config: MdmConfig) -> list[journal.Entry]:
    if not config.paths.warehouse.exists():
        return []
    con = open_writer(config.paths)
    try:
        return journal.pending(con, get_salt(config))
    finally:
        con.close()


def resume_pending(config: MdmConfig) -> list[Completion]:
    """Run the steps for every pending erasure (under the pipeline lock, no connection open on the
    warehouse); mark those that met no problem done. Returns one `Completion` per request."""
    entries = _pending(config)
    if not entries:
        return []
    completions = [_outside_steps(config, entry) for entry in entries]
    shared = Completion("", "")  # steps done once for all requests
    _step(shared, "warehouse free text", lambda: _scrub_warehouse(config, entries))
    _step(shared, "compaction", lambda: compact_warehouse(config.paths, force=True, memory_limit=config.warehouse.memory_limit))
    con = open_writer(config.paths)
    try:
        with transaction(con):
            for done in completions:
                done.problems += shared.problems
                journal.finish(con, done.request_id, clock_now(), done.problems)
    finally:
        con.close()
    return completions


def _scrub_warehouse(config: MdmConfig, entries: list[journal.Entry]) -> None:
    con = open_writer(config.paths)
    try:
        with transaction(con):
            for entry in entries:
                scrub_duckdb_text(con, entry.targets)
    finally:
        con.close()
