""""Apply right away": run match, merge and publish in the background when no run holds the lock.

Kept deliberately small: one background thread per app, never two at once, and if a pipeline
run (nightly job, `mdm run`, Dagster) holds the warehouse lock the steward is told the decision
will be applied by the next run instead. The outcome is recorded for `/-/health` and the pages.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mdm.clock import now
from mdm.config import MdmConfig

log = logging.getLogger("mdm.web.apply")

APPLY_STAGES: list[str] = ["match", "merge", "publish"]


def lock_is_held(path: Path) -> bool:
    """True if another open file description holds the pipeline lock (`warehouse/lock.py`)."""
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


@dataclass
class ApplyStatus:
    state: str = "idle"            # idle | running | succeeded | failed | busy
    run_id: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    error: str | None = None       # exception type only: never personal data

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class ApplyRunner:
    """Starts at most one background run of `APPLY_STAGES` at a time."""

    def __init__(self, config: MdmConfig, run: Callable[..., Any] | None = None):
        self.config = config
        self._run = run
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.status = ApplyStatus()

    def request(self) -> str:
        """`started`, `running` (one is already under way) or `busy` (a pipeline run holds the lock)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return "running"
            if lock_is_held(self.config.paths.lock):
                self.status = ApplyStatus(state="busy", finished_at=now().isoformat())
                return "busy"
            self.status = ApplyStatus(state="running", started_at=now().isoformat())
            self._thread = threading.Thread(target=self._work, name="mdm-apply", daemon=True)
            self._thread.start()
            return "started"

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _work(self) -> None:
        from mdm.pipeline import PipelineFailed, run_pipeline
        from warehouse.lock import WarehouseBusy

        run = self._run or run_pipeline
        try:
            summary = run(self.config, stages=APPLY_STAGES)
            self.status.run_id = getattr(summary, "run_id", None)
            self.status.state = "succeeded"
        except WarehouseBusy:
            self.status.state = "busy"
        except PipelineFailed as exc:
            self.status.state = "failed"
            self.status.run_id = exc.run_id
            self.status.error = f"stage {exc.stage}: {type(exc.error).__name__}"
            log.warning("apply-now run failed in stage %s (%s)", exc.stage, type(exc.error).__name__)
        except Exception as exc:  # never let a background failure pass silently
            self.status.state = "failed"
            self.status.error = type(exc).__name__
            log.warning("apply-now run failed (%s)", type(exc).__name__)
        finally:
            self.status.finished_at = now().isoformat()


MESSAGES: dict[str, str] = {
    "started": "Applying now: match, merge and publish are running in the background.",
    "running": "A background run is already applying decisions; yours will be included in the next one.",
    "busy": "A pipeline run is in progress: your decision will be applied by the next run.",
    "disabled": "Your decision will be applied by the next run.",
}
