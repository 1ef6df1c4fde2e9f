"""Read-only access to the published DuckDB file, reconnecting after each publication.

Why ATTACH into a fresh in-memory database instead of `duckdb.connect(path, read_only=True)`:
within one process DuckDB reuses an already-open database for the same path and keeps serving
the OLD file after `os.replace` (stack notes). A new `:memory:` database per publication with the
file attached read-only always opens the file that is at the path now, while requests still
running on the previous one finish undisturbed. The in-memory side also holds what the app
precomputes once per publication (the ordered review queue), see `mdm.web.queue`.

Each request takes its own cursor (DuckDB connections are not shared between threads).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from warehouse.connection import open_reader
from warehouse.publication import contract

CATALOG = "pub"


class NotPublished(RuntimeError):
    """No published database yet: the pipeline has not completed a run."""


class PublicationOutdated(NotPublished):
    """The published file was written by an older version (its tables differ from the contract).

    After an upgrade that adds a column, the file the last run published lacks it until the next
    run republishes; the pages say so instead of failing on a missing column.
    """


@dataclass
class Snapshot:
    """One opened publication: the connection, the file identity it was opened from, and caches."""

    con: duckdb.DuckDBPyConnection
    identity: tuple[int, int, int]
    cache: dict[str, Any] = field(default_factory=dict)


def file_identity(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class PublishedDatabase:
    """Hands out read-only cursors over the current publication; notices a replaced file."""

    def __init__(
        self,
        path: Path | Callable[[], Path],
        on_open: Callable[[duckdb.DuckDBPyConnection], dict[str, Any]] | None = None,
    ):
        # A callable is asked on every request: a home upgraded from the legacy file name moves
        # to the new file at its next publication, and the app follows without a restart.
        self._locate: Callable[[], Path] = path if callable(path) else (lambda: path)
        self._on_open = on_open
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None

    @property
    def path(self) -> Path:
        """The file the next request opens."""
        return self._locate()

    def _open(self, path: Path, identity: tuple[int, int, int]) -> Snapshot:
        con = open_reader(path, alias=CATALOG, use=False)
        problems = contract.drift(con, CATALOG)
        if problems:
            described = _describe(con, problems)
            con.close()
            raise PublicationOutdated(
                "The published database was written by an older version of customer-mdm "
                f"({described}): run the pipeline (mdm run) to publish it again."
            )
        snapshot = Snapshot(con=con, identity=identity)
        if self._on_open is not None:
            snapshot.cache.update(self._on_open(con))
        return snapshot

    def snapshot(self) -> Snapshot:
        """The current publication, reopened if the file at the path changed since last time."""
        path = self.path
        identity = file_identity(path)
        if identity is None:
            raise NotPublished(f"no published database at {path}: run the pipeline first (mdm run)")
        with self._lock:
            current = self._snapshot
            if current is None or current.identity != identity:
                current = self._open(path, identity)
                self._snapshot = current
                # The old in-memory database closes when its last cursor is released.
            return current

    @contextmanager
    def cursor(self) -> Iterator[tuple[duckdb.DuckDBPyConnection, Snapshot]]:
        snap = self.snapshot()
        cur = snap.con.cursor()
        try:
            cur.execute(f"USE {CATALOG}")
            yield cur, snap
        finally:
            cur.close()

    def close(self) -> None:
        with self._lock:
            if self._snapshot is not None:
                with contextlib.suppress(duckdb.Error):  # a background index build still running
                    self._snapshot.con.close()
                self._snapshot = None


def _describe(con: duckdb.DuckDBPyConnection, problems: list[str]) -> str:
    """The drift in a steward's words: the columns the file lacks, else the contract's own lines."""
    missing = []
    for t in contract.load():
        actual = {name for name, _ in contract.actual_columns(con, CATALOG, t.name)}
        if actual:
            missing += [f"{t.name}.{c.name}" for c in t.columns if c.name not in actual]
    return f"it lacks {', '.join(missing)}" if missing else "; ".join(problems)




def last_publication(cur: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """Which run this file comes from: `ops.publication` when the publisher wrote it, else the
    latest run in `ops.runs` (the publishing run itself still shows as 'running' there)."""
    try:
        row = cur.execute("SELECT run_id, published_at FROM ops.publication ORDER BY published_at DESC LIMIT 1").fetchone()
    except duckdb.CatalogException:
        row = None
    if row is None:
        row = cur.execute("SELECT run_id, coalesce(finished_at, started_at) FROM ops.runs "
                          "ORDER BY started_at DESC LIMIT 1").fetchone()
    if row is None:
        return None
    return {"run_id": row[0], "published_at": row[1].isoformat() if row[1] else None}
