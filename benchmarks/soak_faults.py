"""Fault soak: `kill -9` of `mdm run` at random moments, many times, on a real demo home.

The CI suite kills runs at a few random moments for three seeds (`tests/faults/test_random_kills.py`,
which calls `soak` below); this soak kills many runs at random
moments of every stage, with a new export in the inbox each time so that every run has work to
do, and after each kill checks what issue 18 promises:

1. the published file is a complete version: it opens, and its `ops.publication.row_counts`
   match the rows it holds, table by table;
2. the next run completes, marks the killed run `interrupted`, and every raw record is
   accounted for exactly once (`mdm.accounting`);
3. no temporary file of a rewrite is left behind.

    .venv/bin/python benchmarks/soak_faults.py [--kills 20] [--seed 1] [--people 600] [--workdir DIR]

It prints one line per kill (the moment, the stage it reached, the checks) and a summary.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.faults.faults_helpers import Home, make_template  # noqa: E402

LEFTOVERS = (".erasing", ".erasing.wal", ".compact", ".compact.wal")


def complete(home: Home) -> bool:
    """The published file opens and holds exactly the rows its own `ops.publication` announces."""
    ((counts,),) = home.query(home.published, "SELECT row_counts FROM ops.publication")
    announced = json.loads(str(counts))
    for table, rows in announced.items():
        ((actual,),) = home.query(home.published, f"SELECT count(*) FROM {table}")
        if actual != rows:
            return False
    return bool(announced)


def accounted(home: Home) -> bool:
    import duckdb

    from mdm.accounting import account
    from mdm.config import BUNDLED_DEMO_CONFIG, load_config

    events = [s.name for s in load_config(BUNDLED_DEMO_CONFIG).sources if s.records == "events"]  # the homes' config
    con = duckdb.connect(str(home.home / "warehouse.duckdb"), read_only=True)
    try:
        return account(con, events).ok
    finally:
        con.close()


def new_export(home: Home, number: int) -> None:
    """A small new newsletter export, so that ingest and every later stage have work."""
    rows = [f"soak{number}.{i}@exemple.fr,,1,2026-10-{1 + i % 28:02d}" for i in range(200)]
    path = home.home / "inbox" / "newsletter" / f"soak_{number:03d}.csv"
    path.write_text("email,prenom,opt_in,date_inscription\n" + "\n".join(rows) + "\n", encoding="utf-8")


def one_kill(home: Home, number: int, delay: float) -> dict[str, object]:
    new_export(home, number)
    ((runs_before,),) = home.query(home.home / "warehouse.duckdb", "SELECT count(*) FROM ops.runs")
    child = home.start("run")
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.wait()
    killed = home.query(home.home / "warehouse.duckdb",
                        "SELECT run_id, summary FROM ops.runs WHERE status = 'running'")
    ((runs_after,),) = home.query(home.home / "warehouse.duckdb", "SELECT count(*) FROM ops.runs")
    if killed:
        reached = sorted(json.loads(str(killed[0][1])).keys())
    else:
        reached = ["(killed before the run started)" if runs_after == runs_before else "(finished before the kill)"]
    published_ok = complete(home)
    started = time.perf_counter()
    rerun = home.mdm("run")
    statuses = {str(r): str(s) for r, s in home.query(home.home / "warehouse.duckdb",
                                                      "SELECT run_id, status FROM ops.runs")}
    leftovers = [p.name for p in home.home.rglob("*") if p.name.endswith(LEFTOVERS)]
    return {
        "kill": number, "after_s": round(delay, 2), "stages_done": reached,
        "published_complete": published_ok, "rerun_ok": rerun.returncode == 0,
        "rerun_s": round(time.perf_counter() - started, 1),
        "killed_marked_interrupted": all(statuses.get(str(k[0])) == "interrupted" for k in killed),
        "accounted": accounted(home), "leftovers": leftovers,
    }


def soak(home: Home, kills: int, seed: int) -> tuple[list[dict[str, object]], float]:
    """`kills` runs killed at random moments (seeded) on `home`, each checked; returns the results
    and the time of one uninterrupted nightly run (the kills fall within such a run)."""
    new_export(home, 0)
    t0 = time.perf_counter()
    assert home.mdm("run").returncode == 0
    full_run = time.perf_counter() - t0
    rng = random.Random(seed)
    return [one_kill(home, number, rng.uniform(0.3, max(1.0, full_run))) for number in range(1, kills + 1)], full_run


def failed(result: dict[str, object]) -> bool:
    """Whether a kill broke one of issue 18's promises."""
    return not (result["published_complete"] and result["rerun_ok"] and result["killed_marked_interrupted"]
                and result["accounted"]) or bool(result["leftovers"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    root = args.workdir or Path(tempfile.mkdtemp(prefix="mdm-soak-"))
    shutil.rmtree(root / "home", ignore_errors=True)
    make_template(root)
    results, full_run = soak(Home(root), args.kills, args.seed)
    for result in results:
        print(("FAIL " if failed(result) else "ok   ") + json.dumps(result), flush=True)
    failures = sum(failed(r) for r in results)
    print(f"{args.kills} kills, {failures} failed checks (seed {args.seed}; a nightly run took {full_run:.1f} s)")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
