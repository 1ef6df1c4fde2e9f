"""The compaction after a run: never a run's failure, always retried until it has succeeded.

Why: a run's work is committed and published before compaction rewrites the files (see
`warehouse.retention.compact`). If compaction then fails (a BI tool holds a published file
open, the disk fills up), the run has still succeeded: reporting it as a failed run with a
traceback misstated it. Instead the failure is returned in plain words, a marker file
(`$MDM_HOME/.compaction-pending`) makes the next run compact again even if nothing new was
retired, and the temporary files a failed or killed rewrite leaves behind (`*.erasing`,
`*.compact` and their `.wal`) are removed before each attempt and after a failure.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from mdm.config import Paths
from mdm.failures import log_traceback, plain_reason
from warehouse.retention.compact import compact_warehouse

log = logging.getLogger("mdm.retention")

MARKER = ".compaction-pending"
#: Temporary files of a rewrite (`rewrite_duckdb`, `rewrite_duckdb_without`, `rewrite_parquet_without`).
LEFTOVER_SUFFIXES = (".erasing", ".erasing.wal", ".compact", ".compact.wal")


def clean_leftovers(home: Path) -> list[Path]:
    """Remove the temporary files of rewrites that did not finish; call under the pipeline lock."""
    removed = []
    for path in home.rglob("*"):
        if path.name.endswith(LEFTOVER_SUFFIXES) and path.is_file() and not path.is_symlink():
            path.unlink(missing_ok=True)
            removed.append(path)
    if removed:
        log.warning("removed %d temporary file(s) left by an unfinished rewrite", len(removed))
    return removed


def compact_after_run(paths: Paths, memory_limit: str | None = None) -> str | None:
    """Compact after a successful run; None when done, else why it failed (plain words).

    Forced when the marker says an earlier compaction did not finish, so its work is retried
    even if this run retired nothing.
    """
    marker = paths.home / MARKER
    try:
        retry = marker.exists()
        clean_leftovers(paths.home)
        marker.touch()
        compact_warehouse(paths, force=retry, memory_limit=memory_limit)
        marker.unlink(missing_ok=True)
        return None
    except Exception as exc:
        reason = plain_reason(exc)
        log.warning("compaction failed after a successful run (%s); the next run retries it", reason)
        log_traceback("compaction failed", exc)
        with contextlib.suppress(OSError):
            clean_leftovers(paths.home)
        return reason


def compaction_pending(paths: Paths) -> bool:
    """True when an earlier compaction did not finish (the next run retries it)."""
    return (paths.home / MARKER).exists()
