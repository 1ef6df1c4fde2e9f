"""Real `mdm` processes on a real demo home, for the failure and fault-injection tests.

Everything here runs the installed `mdm` command in a child process, as cron or a steward
would, so that what is checked is exactly what a user sees on the terminal (stdout, stderr,
exit code) and what the files hold afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

MDM = str(Path(sys.executable).parent / "mdm")
_HOLD_FILE = """
import duckdb, sys, time
con = duckdb.connect(sys.argv[1])  # read-write, DuckDB's default
print("ready", flush=True)
time.sleep(120)
"""
_HOLD_LOCK = """
import sys, time
from pathlib import Path
from warehouse.lock import pipeline_lock
with pipeline_lock(Path(sys.argv[1])):
    print("ready", flush=True)
    time.sleep(120)
"""
PYTHON = sys.executable
NOW = "2026-11-23T12:00:00"


@contextmanager
def held_by_another_process(
    what: str, path: Path, cwd: Path | None = None, env: dict[str, str] | None = None
) -> Iterator[None]:
    """Another process holds `path` for the block: `what` is "file" (a DuckDB file open
    read-write, as a BI tool opens it) or "lock" (the pipeline lock, as a run holds it)."""
    code = _HOLD_FILE if what == "file" else _HOLD_LOCK
    child = subprocess.Popen([PYTHON, "-c", code, str(path)], cwd=cwd, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        yield
    finally:
        child.kill()
        child.wait()


@dataclass
class Home:
    """A demo home and the environment that points `mdm` at it."""

    root: Path

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def published(self) -> Path:
        return self.home / "published" / "mdm.duckdb"

    def env(self, now: str = NOW) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MDM_")}
        return {**env, "MDM_HOME": str(self.home), "MDM_SALT": "test-salt", "MDM_NOW": now}

    def mdm(self, *args: str, now: str = NOW, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run([MDM, *args], cwd=self.root, env=self.env(now), capture_output=True, text=True,
                              timeout=timeout, check=False)

    def start(self, *args: str, now: str = NOW) -> subprocess.Popen[str]:
        return subprocess.Popen([MDM, *args], cwd=self.root, env=self.env(now), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def holding(self, what: str, path: Path) -> AbstractContextManager[None]:
        """`held_by_another_process` in this home's environment."""
        return held_by_another_process(what, path, cwd=self.root, env=self.env())

    def query(self, path: Path, sql: str) -> list[tuple[object, ...]]:
        con = duckdb.connect()
        try:
            con.execute(f"ATTACH '{path}' AS db (READ_ONLY)")
            con.execute("USE db")
            return con.execute(sql).fetchall()
        finally:
            con.close()

    def published_state(self) -> tuple[int, list[tuple[object, ...]]]:
        """The published file's inode and its row counts: what readers see."""
        counts = self.query(self.published, "SELECT (SELECT count(*) FROM golden.customer), "
                                            "(SELECT count(*) FROM golden.xref)")
        return self.published.stat().st_ino, counts


def demo_home(template: Path, root: Path) -> Home:
    """A copy of the template home (a demo inbox of 600 people after one complete run)."""
    shutil.copytree(template, root / "home", symlinks=True)
    return Home(root)


def make_template(root: Path) -> Path:
    """Generate the demo inbox (600 people) and run the pipeline once; returns the home."""
    home = Home(root)
    subprocess.run(
        [PYTHON, "-c", "from mdm.demo.generate import generate; import sys; from pathlib import Path; "
                       "h = Path(sys.argv[1]); generate(h / 'inbox', h / 'demo_truth.csv', people=600, seed=7)",
         str(home.home)],
        check=True, env=home.env(),
    )
    result = home.mdm("run")
    assert result.returncode == 0, result.stderr
    return home.home


def last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def lock_is_held(path: Path) -> bool:
    """True when some process holds a flock on `path`, read from /proc/locks (the probe takes no lock,
    so it cannot make the holder fail)."""
    if not path.exists():
        return False
    inode = f":{path.stat().st_ino} "
    return any("FLOCK" in line and inode in line for line in Path("/proc/locks").read_text().splitlines())


def wait_for(predicate: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")
