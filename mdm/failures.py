"""Why something failed, in plain words, and whether it is the machine's fault or the input's.

Why this module: a failure must end in one line a steward can act on ("the disk is full"), not a
chained traceback; and ingest must tell a file that cannot be loaded (rejected, the run goes on)
from a machine that cannot load anything (the run stops, the file stays in the inbox for the
next night). Both questions are answered here, once, for every command.
"""

from __future__ import annotations

import errno
import logging

#: Tracebacks go to this logger: the log file always, the terminal only with `mdm -v`.
TRACEBACK_LOGGER = "mdm.traceback"

#: errno -> plain words, for failures of the machine rather than of the input. (Permission
#: denied is not one: on an inbox file it is that file's problem, and must not stop every night.)
_ENVIRONMENT_ERRNOS: dict[int, str] = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.EROFS: "the file system is read-only",
    errno.EIO: "the disk reported an input/output error",
}
#: Fragments of DuckDB's IO error messages -> plain words (DuckDB raises no OSError).
_DUCKDB_FRAGMENTS: dict[str, str] = {
    "No space left on device": "the disk is full",
    "Disk quota exceeded": "the disk quota is exhausted",
    "Read-only file system": "the file system is read-only",
    "Conflicting lock is held": "another program holds a database file open (close it and try again)",
}


def _innermost(error: BaseException) -> list[BaseException]:
    """The error and its causes, outermost first (a disk-full error is often wrapped)."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def environment_cause(error: BaseException) -> str | None:
    """Plain words if `error` (or its cause) is the machine's fault (full disk, a lock), else None.

    Running out of memory is not counted: while a file is read it is the file's doing (a bomb).
    """
    for item in _innermost(error):
        if isinstance(item, OSError) and item.errno in _ENVIRONMENT_ERRNOS:
            return f"{_ENVIRONMENT_ERRNOS[item.errno]} ({item.strerror})"
        text = str(item)
        for fragment, words in _DUCKDB_FRAGMENTS.items():
            if fragment in text:
                return f"{words} ({fragment})"
    return None


def out_of_memory(error: BaseException) -> bool:
    """True when `error` (or its cause) is Python's or DuckDB's out-of-memory error."""
    return any(isinstance(item, MemoryError) or "Out of Memory" in str(item) for item in _innermost(error))


def plain_reason(error: BaseException) -> str:
    """One short phrase saying why `error` happened, for the one-line failure message."""
    cause = environment_cause(error)
    if cause is not None:
        return cause
    if out_of_memory(error):
        return "the machine ran out of memory"
    message = " ".join(str(error).split())
    if len(message) > 300:
        message = message[:297] + "..."
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def log_traceback(message: str, error: BaseException) -> None:
    """Keep the whole traceback for whoever debugs (log file, `-v`), out of the one-line message."""
    logging.getLogger(TRACEBACK_LOGGER).error(message, exc_info=(type(error), error, error.__traceback__))
