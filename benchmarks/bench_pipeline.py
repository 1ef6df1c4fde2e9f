"""The whole pipeline at scale (issue 10): a full nightly run from an empty home, then 1 % more.

    make bench                                   # 1,000,000 records
    .venv/bin/python benchmarks/bench_pipeline.py --records 100000 [--skip-incremental] [--repeat N]

Steps:

1. data: the seeded data set of `benchmarks/datagen.py` (CSV, Excel, NDJSON, Parquet + truth) and
   its 1 % incremental batch, generated once and cached under `benchmarks/data/` (gitignored);
2. full run: a fresh `$MDM_HOME` whose inbox holds the base files (hard links), every stage of
   `mdm.pipeline.STAGES` through `mdm.pipeline.execute_stage`, in ONE child process (as `mdm run`);
3. incremental run: the batch's files added to the same inbox, a second run on that warehouse
   (the batch files are delta exports, so the circuit breaker's row-count check is off);
4. match quality: pairwise precision / recall / F1 of `golden.xref` (current rows) against the
   truth's person_id, over the records present in both (quarantined records are not clustered).

Why a child process: the generator and the parent's own imports must not count, and each run
must start cold like a real nightly run. Memory per stage is the child's RSS high-water mark
(`VmHWM` of /proc/self/status), reset at the start of every stage by writing `5` to
/proc/self/clear_refs, so each stage's figure is its own peak (DuckDB's buffers, Arrow and pandas
all live in this process). A sampling thread (every 20 ms) backs it up where clear_refs is not
allowed. Wall time per stage is measured around `execute_stage` (its transaction included);
module imports are timed once, before the first stage, and reported apart.

Figures go to stdout as a table and to `benchmarks/results/<date>-<records>.json`. Other options:
`--keep-home` / `--incremental-only` (replay the 1 % run on a saved full-run home), `--profile`
(py-spy stacks, see `benchmarks/profile_stacks.py`), `--duckdb-memory-limit 2GB` (experiment).
See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "benchmarks" / "data"
RESULTS = REPO / "benchmarks" / "results"
CONFIG = REPO / "benchmarks" / "bench.yaml"
SIZES = (100_000, 300_000, 1_000_000)
#: The stages of `mdm.pipeline.STAGES`, in order (repeated here so the parent need not import mdm), then
#: the compaction `mdm run` does after a run that retired records (`warehouse.retention.compact`).
STAGE_NAMES = ("ingest", "standardise", "validate", "match", "merge", "events", "expire", "households",
               "organisations", "segment", "measure", "publish", "compact")
SEED = 1
NIGHT_HOUR = "T02:00:00"  # the nightly schedule's hour, for the frozen run clock (MDM_NOW)

#: Targets of issue 10 (2-core, 24 GB machine).
TARGETS = {"full_wall_s_1m": 180.0, "full_peak_gb_1m": 6.0, "incremental_wall_s_1m": 30.0, "f1": 0.99}


# --------------------------------------------------------------------------- memory probes


def _status_kb(field: str) -> int:
    """One `VmXXX` figure of this process, in kB (0 where /proc is missing)."""
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return 0
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else 0


class PeakMeter:
    """Peak RSS over a section: the kernel's high-water mark, reset per section, plus sampling."""

    def __init__(self, interval_s: float = 0.02):
        self.interval_s = interval_s
        self._peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        self.clear_refs = self._reset_hwm()

    def _sample(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._peak_kb = max(self._peak_kb, _status_kb("VmRSS"))

    @staticmethod
    def _reset_hwm() -> bool:
        try:
            Path("/proc/self/clear_refs").write_text("5")
            return True
        except OSError:
            return False

    def start(self) -> None:
        self._reset_hwm()
        self._peak_kb = _status_kb("VmRSS")

    def peak_mb(self) -> float:
        """Peak since `start`, MB: the larger of the kernel's mark and the samples."""
        return round(max(self._peak_kb, _status_kb("VmHWM"), _status_kb("VmRSS")) / 1024, 1)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


# --------------------------------------------------------------------------- child: one run


def _size_literal(text: str) -> str:
    """A DuckDB size like `4GB` or `512MB`, checked, since it is spliced into a SET statement."""
    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)", text.strip(), re.IGNORECASE):
        raise ValueError(f"not a memory size: {text!r} (e.g. 4GB)")
    return text.strip()


def child_run(out_path: Path) -> None:
    """Run every stage in this process ($MDM_HOME, $MDM_NOW set by the parent); write figures."""
    sys.path.insert(0, str(REPO))
    meter = PeakMeter()
    started = time.perf_counter()
    from mdm.config import load_config
    from mdm.pipeline import STAGES, execute_stage
    from mdm.runner import _record_run_end, _record_run_start, new_run_id, open_context

    imports_s = time.perf_counter() - started
    config = load_config(os.environ.get("MDM_BENCH_CONFIG") or CONFIG)
    # The incremental batch's files are delta exports (only new and changed records), so the
    # row-count circuit breaker, meant to catch a truncated FULL export, must not hold them.
    config.validation.circuit_breaker.min_row_ratio = 0.0
    run_id = new_run_id()
    stages: dict[str, dict[str, Any]] = {}
    figures: dict[str, Any] = {"run_id": run_id, "status": "running", "imports_s": round(imports_s, 2)}

    def save(status: str) -> None:
        figures.update({
            "status": status,
            "stages_s": round(sum(s["seconds"] for s in stages.values()), 2),
            "wall_s": round(time.perf_counter() - started, 2),
            "peak_rss_mb": max([s["peak_rss_mb"] for s in stages.values()] + [0.0]),
            "hwm_reset_per_stage": meter.clear_refs,
            "stages": stages,
        })
        out_path.write_text(json.dumps(figures, indent=2, default=str) + "\n", encoding="utf-8")

    with open_context(config, run_id) as ctx:
        memory_limit = os.environ.get("MDM_BENCH_DUCKDB_MEMORY")
        if memory_limit:  # an experiment: cap DuckDB's buffer pool (it spills to disk beyond it)
            ctx.con.execute(f"SET memory_limit = '{_size_literal(memory_limit)}'")
        figures["duckdb_memory_limit"] = ctx.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
        _record_run_start(ctx)
        for name in STAGES:
            rss_before = round(_status_kb("VmRSS") / 1024, 1)
            meter.start()
            t0, cpu0 = time.perf_counter(), time.process_time()
            try:
                result = execute_stage(ctx, name)
            except Exception as exc:  # keep the figures so far; the traceback goes to stderr
                figures.update({"failed_stage": name, "error": type(exc).__name__,
                                "failed_after_s": round(time.perf_counter() - t0, 2)})
                _record_run_end(ctx, "failed", name, type(exc).__name__)
                save("failed")
                meter.close()
                raise
            seconds = time.perf_counter() - t0
            stages[name] = {
                "seconds": round(seconds, 2),
                # CPU of the whole process, DuckDB's threads included: comparable across machine loads
                "cpu_seconds": round(time.process_time() - cpu0, 2),
                "peak_rss_mb": meter.peak_mb(),
                "rss_before_mb": rss_before,  # what earlier stages left resident (DuckDB cache, heap)
                "rss_after_mb": round(_status_kb("VmRSS") / 1024, 1),
                "counts": result.counts,
            }
            print(f"  {name:<12} {seconds:8.2f} s  {stages[name]['peak_rss_mb']:8.0f} MB  "
                  f"cpu {stages[name]['cpu_seconds']:8.2f} s", flush=True)
        _record_run_end(ctx, "succeeded")
    # As `mdm run` does once the writer is closed: rewrite the files if records were retired, so
    # that their bytes leave the disk (a no-op on a night that retired nobody).
    from warehouse.retention.compact import compact_warehouse

    meter.start()
    t0 = time.perf_counter()
    compacted = compact_warehouse(config.paths, memory_limit=config.warehouse.memory_limit)
    seconds = time.perf_counter() - t0
    stages["compact"] = {"seconds": round(seconds, 2), "peak_rss_mb": meter.peak_mb(), "counts": compacted}
    print(f"  {'compact':<12} {seconds:8.2f} s  {stages['compact']['peak_rss_mb']:8.0f} MB", flush=True)
    meter.close()
    save("succeeded")


# --------------------------------------------------------------------------- parent


def ensure_data(records: int, incremental: bool) -> tuple[Path, Path | None]:
    """Generate (once) the base data set and, if wanted, its 1 % batch; return their folders."""
    base = DATA / f"base-{records}-s{SEED}"
    incr = DATA / f"incr-{records}-s{SEED}"
    gen = [sys.executable, "-m", "benchmarks.datagen"]
    if not (base / "manifest.json").exists():
        print(f"generating {records:,} records into {base.relative_to(REPO)} ...", flush=True)
        subprocess.run([*gen, "--records", str(records), "--out", str(base), "--seed", str(SEED)],
                       cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    if incremental and not (incr / "manifest.json").exists():
        print(f"generating the 1 % batch into {incr.relative_to(REPO)} ...", flush=True)
        subprocess.run([*gen, "--incremental-from", str(base), "--fraction", "0.01", "--out", str(incr)],
                       cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    return base, (incr if incremental else None)


def ensure_events(records: int, events: int, base: Path, incr: Path | None) -> tuple[Path, Path | None, Path]:
    """Generate (once) `events` events over the base's records and a 1 % batch of new events, and the
    config: bench.yaml plus the event sources (`benchmarks/eventgen.py`). Returns their folders and it."""
    ev_base = DATA / f"events-{records}-{events}-s{SEED}"
    ev_incr = DATA / f"events-{records}-{events}-s{SEED}-batch"
    gen = [sys.executable, "-m", "benchmarks.eventgen", "--base", str(base), "--seed", str(SEED)]
    if not (ev_base / "manifest.json").exists():
        print(f"generating {events:,} events into {ev_base.relative_to(REPO)} ...", flush=True)
        subprocess.run([*gen, "--events", str(events), "--out", str(ev_base)], cwd=REPO, check=True,
                       stdout=subprocess.DEVNULL)
    if incr is not None and not (ev_incr / "manifest.json").exists():
        batch = max(1, events // 100)
        subprocess.run([*gen, "--events", str(batch), "--first", str(events), "--out", str(ev_incr),
                        "--reference-date", str(_manifest(incr)["reference_date"])],
                       cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    import yaml

    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    config["sources"] += yaml.safe_load((ev_base / "events.yaml").read_text(encoding="utf-8"))["sources"]
    path = DATA / f"bench-events-{records}-{events}.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return ev_base, (ev_incr if incr is not None else None), path


def _manifest(folder: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return result


def link_inbox(data_dir: Path, home: Path) -> None:
    """Put a data set's inbox files into the home's inbox (hard links: no copy of 100s of MB)."""
    for path in sorted((data_dir / "inbox").rglob("*")):
        if path.is_file():
            target = home / "inbox" / path.relative_to(data_dir / "inbox")
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, target)
            except OSError:
                shutil.copy2(path, target)


def run_child(home: Path, run_date: str, label: str, profile: str | None,
              memory_limit: str | None = None, config: Path | None = None) -> dict[str, Any]:
    """One pipeline run in a child process; returns its figures."""
    out = home / f"bench-{label}.json"
    env = {**os.environ, "MDM_HOME": str(home), "MDM_NOW": run_date + NIGHT_HOUR, "PYTHONPATH": str(REPO)}
    if config is not None:
        env["MDM_BENCH_CONFIG"] = str(config)
    if memory_limit:
        env["MDM_BENCH_DUCKDB_MEMORY"] = memory_limit
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(out)]
    if profile:
        svg = DATA / "profiles" / f"{label}.txt"
        svg.parent.mkdir(parents=True, exist_ok=True)
        cmd = [str(Path(sys.executable).with_name("py-spy")), "record", "--format", "raw", "--rate", "50",
               "--output", str(svg), "--", *cmd]
    print(f"{label}:", flush=True)
    out.unlink(missing_ok=True)
    code = subprocess.run(cmd, cwd=REPO, env=env, check=False).returncode
    if not out.exists():
        return {"status": "failed", "error": f"exit status {code} before any figure", "stages": {}}
    figures: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return figures


def match_quality(home: Path, truth: Path) -> dict[str, Any]:
    """Pairwise precision/recall/F1 of the current golden.xref clusters against the truth."""
    import duckdb

    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        con.execute("CREATE TEMP TABLE truth AS SELECT * FROM read_csv(?, header=true, all_varchar=true)",
                    [str(truth)])
        row = con.execute("""
            WITH both_ AS (
                SELECT x.golden_id, t.person_id
                FROM golden.xref x JOIN truth t USING (record_key)
                WHERE x.valid_to IS NULL
            ),
            cells AS (SELECT count(*) AS n FROM both_ GROUP BY golden_id, person_id),
            pred AS (SELECT count(*) AS n FROM both_ GROUP BY golden_id),
            real AS (SELECT count(*) AS n FROM both_ GROUP BY person_id)
            SELECT (SELECT sum(n * (n - 1) / 2) FROM cells),
                   (SELECT sum(n * (n - 1) / 2) FROM pred),
                   (SELECT sum(n * (n - 1) / 2) FROM real),
                   (SELECT count(*) FROM both_),
                   (SELECT count(*) FROM truth),
                   (SELECT count(*) FROM golden.xref WHERE valid_to IS NULL),
                   (SELECT count(DISTINCT golden_id) FROM both_),
                   (SELECT count(DISTINCT person_id) FROM both_)
        """).fetchone()
    finally:
        con.close()
    assert row is not None
    tp, predicted, actual = (float(v or 0) for v in row[:3])
    precision = tp / predicted if predicted else 1.0
    recall = tp / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 5), "recall": round(recall, 5), "f1": round(f1, 5),
        "records_scored": int(row[3]), "records_in_truth": int(row[4]), "xref_current": int(row[5]),
        "golden_records": int(row[6]), "true_persons": int(row[7]),
    }


def one_round(records: int, base: Path, incr: Path | None, profile: str | None, keep: bool,
              incremental_only: bool = False, memory_limit: str | None = None,
              events: tuple[Path, Path | None, Path] | None = None) -> dict[str, Any]:
    """A full run from an empty home, then (optionally) the incremental run on it.

    With `keep`, the home after the full run is also copied to `home-N-after-full/`, so that
    `incremental_only` can replay the incremental run on it without a new full run.
    """
    home = DATA / f"home-{records}"
    snapshot = DATA / f"home-{records}-after-full"
    full_json = f"bench-full-{records}.json"
    result: dict[str, Any] = {}
    shutil.rmtree(home, ignore_errors=True)
    if incremental_only:
        if not (snapshot / full_json).exists():
            raise SystemExit(f"no {snapshot.relative_to(REPO)}: run once with --keep-home first")
        shutil.copytree(snapshot, home)
        os.sync()  # a night starts on a home at rest, not behind gigabytes of the copy's dirty pages
        full = json.loads((snapshot / full_json).read_text(encoding="utf-8"))
        full["reused_from"] = str(snapshot.relative_to(REPO))
    else:
        home.mkdir(parents=True)
        link_inbox(base, home)
        if events is not None:
            link_inbox(events[0], home)
        full = run_child(home, str(_manifest(base)["reference_date"]), f"full-{records}", profile, memory_limit,
                         events[2] if events else None)
        if full["status"] == "succeeded":
            full["match"] = match_quality(home, base / "truth.csv")
            (home / full_json).write_text(json.dumps(full, indent=2, default=str) + "\n", encoding="utf-8")
            if keep and incr is not None:
                shutil.rmtree(snapshot, ignore_errors=True)
                shutil.copytree(home, snapshot)
                os.sync()
    result["full"] = full
    if incr is not None and full["status"] == "succeeded":
        manifest = _manifest(incr)
        link_inbox(incr, home)
        if events is not None and events[1] is not None:
            link_inbox(events[1], home)
        inc = run_child(home, str(manifest["reference_date"]), f"incremental-{records}", profile, memory_limit,
                        events[2] if events else None)
        inc["batch_records"] = manifest["records"]
        if inc["status"] == "succeeded":
            inc["match"] = match_quality(home, incr / "truth_all.csv")
        result["incremental"] = inc
    result["home_mb"] = round(sum(p.stat().st_size for p in home.rglob("*") if p.is_file()) / 2**20, 1)
    if not keep:
        shutil.rmtree(home, ignore_errors=True)
    return result


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def environment() -> dict[str, Any]:
    import duckdb

    mem_kb = 0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        match = re.search(r"MemTotal:\s+(\d+)", meminfo.read_text())
        mem_kb = int(match.group(1)) if match else 0
    return {
        "cpus": os.cpu_count(), "memory_gb": round(mem_kb / 2**20, 1), "python": platform.python_version(),
        "duckdb": duckdb.__version__, "commit": _git("rev-parse", "--short", "HEAD"),
        "dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        # The machine may be shared: a load above the core count means the figures are inflated.
        "loadavg_1m_at_end": round(os.getloadavg()[0], 2),
    }


def _median_run(rounds: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    """Per stage, the median seconds and the max peak over the rounds (stages that ran)."""
    runs = [r[kind] for r in rounds if kind in r]
    names = [n for n in STAGE_NAMES if any(n in r.get("stages", {}) for r in runs)]
    failed = [f"{r.get('failed_stage', '?')}: {r.get('error', '?')}" for r in runs if r.get("status") != "succeeded"]

    def median(key: str) -> float | None:
        values = [r[key] for r in runs if key in r]
        return statistics.median(values) if values else None

    f1s = [r["match"]["f1"] for r in runs if "match" in r]
    return {
        "status": "failed" if failed else "succeeded",
        "failures": failed,
        "wall_s": median("wall_s"),
        "stages_s": median("stages_s"),
        "imports_s": median("imports_s"),
        "peak_rss_mb": max((r.get("peak_rss_mb", 0.0) for r in runs), default=0.0),
        "f1": min(f1s) if f1s else None,
        "stages": {
            name: {
                "seconds": statistics.median(r["stages"][name]["seconds"] for r in runs if name in r["stages"]),
                "peak_rss_mb": max(r["stages"][name]["peak_rss_mb"] for r in runs if name in r["stages"]),
            }
            for name in names
        },
    }


def _cell(value: float | None, width: int, digits: int) -> str:
    return f"{'-' if value is None else f'{value:.{digits}f}':>{width}}"


def print_table(records: int, summary: dict[str, dict[str, Any]]) -> None:
    kinds = list(summary)
    print(f"\n{records:,} records ({', '.join(kinds)}; seconds = median, MB = peak RSS)")
    header = f"{'stage':<12}" + "".join(f"{k + ' s':>16}{k[:4] + ' MB':>12}" for k in kinds)
    print(header)
    print("-" * len(header))
    for name in STAGE_NAMES:
        cells = ""
        for k in kinds:
            stage = summary[k]["stages"].get(name, {})
            cells += _cell(stage.get("seconds"), 16, 2) + _cell(stage.get("peak_rss_mb"), 12, 0)
        print(f"{name:<12}{cells}")
    print("-" * len(header))
    for label, key in (("imports", "imports_s"), ("stages", "stages_s"), ("wall", "wall_s")):
        print(f"{label:<12}" + "".join(_cell(summary[k][key], 16, 2) + " " * 12 for k in kinds))
    print(f"{'peak':<12}" + "".join(" " * 16 + _cell(summary[k]["peak_rss_mb"], 12, 0) for k in kinds))
    print(f"{'match F1':<12}" + "".join(_cell(summary[k]["f1"], 16, 4) + " " * 12 for k in kinds))
    for k in kinds:
        for failure in summary[k]["failures"]:
            print(f"{k} run FAILED in {failure} (traceback above)")


def results_path(records: int, events: int = 0) -> Path:
    stem = f"{datetime.now(UTC):%Y-%m-%d}-{records}" + (f"-events{events}" if events else "")
    path = RESULTS / f"{stem}.json"
    n = 2
    while path.exists():
        path = RESULTS / f"{stem}-{n}.json"
        n += 1
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Benchmark the whole pipeline (see the module docstring).")
    parser.add_argument("--records", type=int, choices=SIZES, default=1_000_000)
    parser.add_argument("--skip-incremental", action="store_true", help="only the full run")
    parser.add_argument("--repeat", type=int, default=1, help="rounds (full + incremental); medians are reported")
    parser.add_argument("--keep-home", action="store_true",
                        help="keep benchmarks/data/home-N, and a copy of it after the full run (home-N-after-full)")
    parser.add_argument("--incremental-only", action="store_true",
                        help="replay only the incremental run on the home-N-after-full of an earlier --keep-home run")
    parser.add_argument("--profile", action="store_true",
                        help="sample each run with py-spy (raw stacks in benchmarks/data/profiles/; py-spy must be installed)")
    parser.add_argument("--duckdb-memory-limit", metavar="SIZE",
                        help="experiment: SET memory_limit on the pipeline's connection (e.g. 3GB; default DuckDB's 80%% of RAM)")
    parser.add_argument("--events", type=int, default=0, metavar="N",
                        help="extended data: also N events (orders, tickets, campaigns) over the records, and a 1 %% "
                        "batch of new events in the incremental run (benchmarks/eventgen.py)")
    parser.add_argument("--no-save", action="store_true", help="do not write benchmarks/results/")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_run(args.child)
        return
    started = time.perf_counter()
    load_before = round(os.getloadavg()[0], 2)
    base, incr = ensure_data(args.records, not args.skip_incremental)
    if args.incremental_only and incr is None:
        parser.error("--incremental-only contradicts --skip-incremental")
    events = ensure_events(args.records, args.events, base, incr) if args.events else None
    rounds = [one_round(args.records, base, incr, "yes" if args.profile else None, args.keep_home,
                        args.incremental_only, args.duckdb_memory_limit, events) for _ in range(args.repeat)]
    kinds: list[str] = [kind for kind in ("full", "incremental") if kind in rounds[0]]
    summary = {kind: _median_run(rounds, kind) for kind in kinds}
    print_table(args.records, summary)
    for kind in summary:
        if "match" not in rounds[-1][kind]:
            continue
        match = rounds[-1][kind]["match"]
        print(f"{kind}: precision={match['precision']:.4f} recall={match['recall']:.4f} f1={match['f1']:.4f} "
              f"scored={match['records_scored']:,}/{match['records_in_truth']:,} records")
    document = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "records": args.records,
        "seed": SEED,
        "repeat": args.repeat,
        "duckdb_memory_limit": args.duckdb_memory_limit,
        "events": args.events,
        "data": {"base": _manifest(base), "incremental": _manifest(incr) if incr else None},
        "environment": {**environment(), "loadavg_1m_at_start": load_before},
        "targets": TARGETS,
        "summary": summary,
        "rounds": rounds,
        "bench_seconds": round(time.perf_counter() - started, 1),
    }
    if not args.no_save:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = results_path(args.records, args.events)
        path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"figures: {path.relative_to(REPO)}")
    if any(part["status"] != "succeeded" for part in summary.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
