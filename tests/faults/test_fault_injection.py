"""Fault injection on a real demo home: a full disk, a concurrent run, a locked published file.

After each fault the published file is the previous complete version (same inode, same counts,
it opens), and the next run completes. The crash case (`kill -9` midway) and the compaction
failure are in `test_one_line_failures.py`; longer soaks are in `benchmarks/soak_faults.py`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.faults_helpers import Home, last_line, lock_is_held, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("end_to_end")]

LATER = "2027-09-01T12:00:00"  # records expire and the publication changes: the run has work to do


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 128 MiB tmpfs (CI runs as root); skipped with the reason when it cannot be mounted."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=128m", "tmpfs", str(mount)], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def newsletter_export(path: Path, rows: int) -> Path:
    """A new newsletter export for the demo's `newsletter` source (made-up addresses)."""
    lines = ["email,prenom,opt_in,date_inscription"]
    lines += [f"abonne{i}@exemple.fr,,1,2027-0{1 + i % 8}-1{i % 10}" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("stage", "new_rows", "left"), [("publish", 0, 2 << 20), ("ingest", 20_000, 256 << 10)])
def test_a_full_disk_fails_in_one_line_changes_nothing_and_the_next_run_completes(
    demo_template: Path, small_disk: Path, stage: str, new_rows: int, left: int
) -> None:
    shutil.copytree(demo_template, small_disk / "home", symlinks=True)
    home = Home(small_disk)
    before = home.published_state()
    export = None
    if new_rows:
        export = newsletter_export(home.home / "inbox" / "newsletter" / "abonnes_2027.csv", new_rows)
    filler = small_disk / "filler"
    free = shutil.disk_usage(small_disk).free
    with filler.open("wb") as handle:  # leave less than the stage needs
        handle.write(b"\0" * (free - left))
    full = home.mdm("run", now=LATER)
    assert full.returncode == 1
    assert "Traceback" not in full.stdout + full.stderr
    assert last_line(full.stderr) == (
        f"mdm run: failed in {stage}: the disk is full (No space left on device). "
        "The published database did not change."
    ), full.stderr
    assert home.published_state() == before
    if export is not None:  # the machine's fault, not the file's: it waits in the inbox
        assert export.exists() and not (home.home / "rejected" / "newsletter" / export.name).exists()
    filler.unlink()
    again = home.mdm("run", now=LATER)
    assert again.returncode == 0, again.stderr
    after = home.published_state()
    assert after[0] != before[0]  # a new publication, complete and readable
    run_id = re.search(r"Run (\S+): succeeded", again.stdout)
    assert run_id, again.stdout
    statuses = dict(home.query(home.home / "warehouse.duckdb", "SELECT run_id, status FROM ops.runs"))
    assert statuses[run_id.group(1)] == "succeeded" and "running" not in statuses.values()
    if export is not None:
        loaded = home.query(home.home / "warehouse.duckdb",
                            "SELECT status, rows_read FROM raw.loads WHERE file = 'newsletter/abonnes_2027.csv'")
        assert loaded == [("loaded", new_rows)]


def test_a_concurrent_run_leaves_the_first_one_to_finish(home: Home) -> None:
    before = home.published_state()
    first = home.start("run", now=LATER)
    try:
        # The second run starts once the first holds the lock (a run takes about 15 s).
        wait_for(lambda: lock_is_held(home.home / "warehouse.lock") or first.poll() is not None)
        second = home.mdm("run", now=LATER)
    finally:
        out, err = first.communicate(timeout=300)
    assert second.returncode == 1 and "another pipeline run is in progress" in second.stderr
    assert first.returncode == 0, err
    after = home.published_state()
    assert after != before
    third = home.mdm("run", now=LATER)
    assert third.returncode == 0, third.stderr


def test_a_published_file_held_open_read_write_does_not_stop_the_run(home: Home) -> None:
    """A BI tool holds the published file read-write: the run publishes beside it (os.replace), the
    tool keeps its old copy, and new readers get the new one."""
    before = home.published_state()
    with home.holding("file", home.published):
        result = home.mdm("run", now=LATER)
    assert result.returncode == 0, result.stderr
    after = home.published_state()
    assert after[0] != before[0] and after[1][0][0] > 0
    assert home.mdm("run", now=LATER).returncode == 0
