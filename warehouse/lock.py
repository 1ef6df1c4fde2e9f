"""One pipeline writer at a time: an exclusive `flock` on `$MDM_HOME/warehouse.lock`.

DuckDB itself refuses a second writer with an IO error; the lock turns that into a clear
message ("another run is in progress") and serialises runs started by the CLI, the Dagster
schedule and the sensor.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class WarehouseBusy(RuntimeError):
    """Another process holds the pipeline lock."""


@contextmanager
def pipeline_lock(path: Path, timeout_s: float = 0.0) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"another pipeline run holds {path}; try again when it has finished"
                    ) from None
                time.sleep(0.2)
        yield
    finally:
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
