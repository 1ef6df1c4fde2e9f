"""Failures are one clear line, runs left `running` by a crash are marked `interrupted`, and a
compaction failure after a publish is reported as what it is and retried by the next run."""

from __future__ import annotations

import signal
import time

import pytest

from tests.faults.faults_helpers import Home, last_line, lock_is_held, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("end_to_end")]



def test_a_concurrent_run_is_one_line_and_changes_nothing(home: Home) -> None:
    before = home.published_state()
    with home.holding("lock", home.home / "warehouse.lock"):
        result = home.mdm("run")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "mdm run: failed: another pipeline run is in progress (the warehouse is locked); try again when it has "
        "finished. The published database did not change."
    ), result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert home.published_state() == before


def test_a_killed_run_is_marked_interrupted_by_the_next_one(home: Home) -> None:
    before = home.published_state()
    child = home.start("run", now="2027-03-01T12:00:00")
    # Killed right after it took the lock: in ingest or standardise, long before publish. (Two
    # seconds was too long on a quiet machine: a run with nothing new reached publish by then.)
    wait_for(lambda: lock_is_held(home.home / "warehouse.lock") or child.poll() is not None)
    time.sleep(0.3)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert home.published_state() == before  # readers still see the previous complete version
    killed = home.query(home.home / "warehouse.duckdb", "SELECT run_id FROM ops.runs WHERE status = 'running'")
    assert len(killed) == 1, killed
    result = home.mdm("run", now="2027-03-01T12:00:00")
    assert result.returncode == 0, result.stderr
    ((status, error),) = home.query(
        home.home / "warehouse.duckdb", f"SELECT status, error FROM ops.runs WHERE run_id = '{killed[0][0]}'"
    )
    assert status == "interrupted" and "stopped before the run finished" in str(error)
    assert home.query(home.home / "warehouse.duckdb", "SELECT count(*) FROM ops.runs WHERE status = 'running'") == [
        (0,)
    ]


def test_a_compaction_failure_after_publish_is_reported_and_retried(home: Home) -> None:
    """A BI tool holds a kept version open read-write: the run publishes, compaction cannot rewrite
    that version; the run says so in one line, exits 0, and the next run compacts."""
    (version,) = sorted((home.home / "published" / "versions").glob("*.duckdb"))
    leftover = home.home / "published" / "mdm.duckdb.erasing.wal"
    leftover.write_bytes(b"\0" * 4096)  # what a killed erasure leaves behind
    later = "2028-06-01T12:00:00"  # prospects expire: records to purge from every published copy
    with home.holding("file", version):
        result = home.mdm("run", now=later)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert last_line(result.stderr) == (
        "mdm run: the run succeeded and was published; the compaction after it failed: another program holds a "
        "database file open (close it and try again) (Conflicting lock is held). The next run will retry it."
    )
    assert "published" in result.stdout and not leftover.exists()
    assert (home.home / ".compaction-pending").exists()
    warehouse = home.home / "warehouse.duckdb"
    ((pending,),) = home.query(warehouse, "SELECT count(*) FROM retention.pending_purge")
    assert pending > 0
    assert "Traceback" in (home.home / "logs" / "mdm.log").read_text()  # kept for whoever debugs
    retry = home.mdm("run", now=later)
    assert retry.returncode == 0 and "compaction" not in retry.stderr, retry.stderr
    assert not (home.home / ".compaction-pending").exists()
    assert home.query(warehouse, "SELECT count(*) FROM retention.pending_purge") == [(0,)]


def test_a_locked_published_file_is_one_line_and_verbose_adds_the_traceback(home: Home) -> None:
    """A BI tool holds the published file read-write: `mdm sql` cannot open it; one line, -v adds the traceback."""
    with home.holding("file", home.published):
        quiet = home.mdm("sql", "SELECT count(*) FROM golden.customer")
        loud = home.mdm("-v", "sql", "SELECT count(*) FROM golden.customer")
    assert quiet.returncode == loud.returncode == 1
    assert quiet.stderr.strip() == (
        "mdm sql: failed: another program holds a database file open (close it and try again) "
        "(Conflicting lock is held). The published database did not change."
    ), quiet.stderr
    assert "Traceback" in loud.stderr and last_line(loud.stderr) == quiet.stderr.strip()
    assert "Conflicting lock is held" in (home.home / "logs" / "mdm.log").read_text()
