"""Benchmark: standardise + validate N raw records (default 1,000,000) on this machine.

    .venv/bin/python benchmarks/bench_standardise.py [--rows 1000000] [--repeat 3]

Builds a warehouse with N messy CRM-like records in `raw.records` (generated in SQL: French
names with particles and capitals, emails with typos and invalid ones, phones in every format
incl. Excel damage, postcodes that lost their zero, dd/mm/yyyy and impossible birth dates),
then runs the real `standardise` and `validate` stages on a copy, each repetition in a fresh
process so its peak memory (max RSS, DuckDB included) is its own. Prints per-step seconds
(median of the repetitions; wall clock, and CPU seconds of the process, which a busy machine
inflates less), each stage's own step timings, the load average, and the peak memory.
Target: <= 60 s and <= 4 GB for 1M rows on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing as mp
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIRST = ["Jean", "Marie", "Pierre", "Jean-Pierre", "Éloïse", "François", "Anne-Sophie", "Hélène", "Luc", "Chloé",
         "Nicolas", "Camille", "Léa", "Thomas", "Inès", "Gaëlle", "Zoé", "Noël", "Manon", "Hugo"]
LAST = ["Dupont", "Martin", "de la Fontaine", "Le Goff", "O'Brien", "McDonald", "d'Artagnan", "Lefèvre",
        "Bernard", "Petit", "Durand", "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia",
        "van der Berg", "Müller", "Rousseau", "Fournier", "Girard", "Bonnet", "Dupuis", "Lambert", "Fontaine"]
DOMAINS = ["gmail.com", "orange.fr", "wanadoo.fr", "free.fr", "hotmail.fr", "yahoo.fr", "laposte.net", "sfr.fr",
           "gmial.com", "hotmal.fr", "outlook.fr", "example.org"]
STREETS = ["rue de la République", "av. Foch", "bd Haussmann", "r. Victor Hugo", "chemin des Vignes",
           "imp. des Lilas", "place du Marché", "allée des Tilleuls", "avenue Jean Jaurès", "bld Voltaire"]
CITIES = [("75015", "PARIS 15E"), ("69003", "Lyon"), ("13008", "Marseille"), ("01000", "Bourg-en-Bresse"),
          ("1000", "BOURG EN BRESSE"), ("33000", "Bordeaux"), ("59000", "LILLE"), ("06000", "Nice"),
          ("92100", "Boulogne-Billancourt CEDEX"), ("44000", "Nantes")]


def _sql_list(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def build_raw(path: Path, rows: int) -> None:
    """A warehouse whose raw.records holds `rows` generated CRM records (one load)."""
    from mdm.config import BUNDLED_DEMO_CONFIG, load_config
    from warehouse.connection import open_writer

    config = load_config(BUNDLED_DEMO_CONFIG)
    config.paths.home = path.parent
    con = open_writer(config.paths)
    pick = "list_element({lst}, 1 + (hash(i, {salt}) % len({lst}))::INT)"
    first = pick.format(lst=_sql_list(FIRST), salt=1)
    last = pick.format(lst=_sql_list(LAST), salt=2)
    domain = pick.format(lst=_sql_list(DOMAINS), salt=3)
    street = pick.format(lst=_sql_list(STREETS), salt=4)
    city_i = "1 + (hash(i, 5) % 10)::INT"
    postcodes = _sql_list([c[0] for c in CITIES])
    cities = _sql_list([c[1] for c in CITIES])
    con.execute(
        "INSERT INTO raw.loads (load_id, run_id, source, file, content_hash, status, rows_read, started_at) "
        "VALUES ('bench-load', 'bench', 'crm', 'bench.csv', 'x', 'loaded', ?, now())",
        [rows],
    )
    con.execute(
        f"""
        INSERT INTO raw.records (record_key, source, load_id, file, sheet, row_number, ingested_at, payload)
        WITH base AS (
            SELECT i, {first} AS f, {last} AS l, {domain} AS d, hash(i, 6) AS h FROM range({rows}) t(i)
        )
        SELECT 'crm:' || lpad(printf('%x', i), 16, '0'), 'crm', 'bench-load', 'bench.csv', NULL, i + 1, now(),
            json_object(
                'Code client', 'C' || i,
                'Civilité', CASE h % 5 WHEN 0 THEN 'M.' WHEN 1 THEN 'Mme' WHEN 2 THEN 'Monsieur' ELSE NULL END,
                'Nom', CASE WHEN h % 7 = 0 THEN upper(l) WHEN h % 11 = 0 THEN NULL ELSE l END,
                'Prénom', CASE WHEN h % 13 = 0 THEN lower(f) ELSE f END,
                'Courriel', CASE WHEN h % 50 = 0 THEN 'pas-un-email@' WHEN h % 9 = 0 THEN NULL
                                 ELSE lower(strip_accents(replace(f, ' ', ''))) || '.' ||
                                      lower(strip_accents(replace(replace(l, ' ', ''), '''', ''))) ||
                                      (i % 100003)::VARCHAR || '@' || d END,
                'Téléphone', CASE h % 6
                    WHEN 0 THEN '06 ' || lpad(((h // 7) % 100)::VARCHAR, 2, '0') || ' ' ||
                                lpad(((h // 700) % 1000000)::VARCHAR, 6, '0')
                    WHEN 1 THEN '6' || lpad(((h // 7) % 100000000)::VARCHAR, 8, '0') || '.0'
                    WHEN 2 THEN '+33 7 ' || lpad(((h // 7) % 100000000)::VARCHAR, 8, '0')
                    WHEN 3 THEN '01.' || lpad(((h // 7) % 100000000)::VARCHAR, 8, '0')
                    WHEN 4 THEN '0033 6' || lpad(((h // 7) % 100000000)::VARCHAR, 8, '0')
                    ELSE NULL END,
                'Adresse', ((h // 11) % 200 + 1)::VARCHAR || ' ' || {street},
                'Code postal', list_element({postcodes}, {city_i}),
                'Ville', list_element({cities}, {city_i}),
                'Pays', CASE h % 4 WHEN 0 THEN 'France' WHEN 1 THEN 'FR' ELSE NULL END,
                'Date de naissance', CASE WHEN h % 40 = 0 THEN '31/02/1980' WHEN h % 97 = 0 THEN '01/01/1850'
                    ELSE strftime(DATE '1940-01-01' + ((h // 13) % 25000)::INT, '%d/%m/%Y') END,
                'Date de création', strftime(DATE '2015-01-01' + ((h // 17) % 3000)::INT, '%d/%m/%Y'),
                'Dernier contact', strftime(DATE '2020-01-01' + ((h // 19) % 2000)::INT, '%d/%m/%Y'),
                'Statut', list_element(['client', 'prospect', 'ancien client'], 1 + (h % 3)::INT)
            )
        FROM base
        """
    )
    con.close()


def _one_run(warehouse: str, out: Any) -> None:
    """Child process: run standardise + validate on a copy of the warehouse; report timings."""
    os.environ.setdefault("MDM_NOW", "2026-11-23T12:00:00")
    os.environ.setdefault("MDM_SALT", "bench")
    logging.basicConfig(level=logging.WARNING, format="    %(name)s: %(message)s", stream=sys.stdout)
    # The stages log their per-step seconds: print them with each run.
    logging.getLogger("mdm.standardise").setLevel(logging.INFO)
    logging.getLogger("mdm.standardise.frame").setLevel(logging.DEBUG)
    logging.getLogger("mdm.validate").setLevel(logging.INFO)
    from mdm.clock import now
    from mdm.config import BUNDLED_DEMO_CONFIG, Paths, load_config
    from mdm.context import RunContext
    from mdm.pipeline import execute_stage
    from warehouse.connection import open_writer

    home = Path(warehouse).parent
    config = load_config(BUNDLED_DEMO_CONFIG)
    config.paths = Paths(home=home)
    timings: dict[str, float] = {}

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    t0 = time.perf_counter()
    con = open_writer(config.paths)
    ctx = RunContext(config=config, con=con, run_id="bench", now=now())
    timings["open"] = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), cpu()
    std = execute_stage(ctx, "standardise")
    timings["standardise"] = time.perf_counter() - t0
    timings["standardise_cpu"] = cpu() - c0
    t0, c0 = time.perf_counter(), cpu()
    val = execute_stage(ctx, "validate")
    timings["validate"] = time.perf_counter() - t0
    timings["validate_cpu"] = cpu() - c0
    con.close()
    timings["total"] = timings["standardise"] + timings["validate"]
    timings["total_cpu"] = timings["standardise_cpu"] + timings["validate_cpu"]
    out.put({
        "timings": timings,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "standardised": std.counts["standardised"],
        "validated": val.counts["validated"],
        "valid": val.counts["valid"],
        "quarantined": val.counts["quarantined"],
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="mdm-bench-"))
    try:
        template = workdir / "template" / "warehouse.duckdb"
        template.parent.mkdir(parents=True)
        t0 = time.perf_counter()
        build_raw(template, args.rows)
        print(f"generated {args.rows} raw records in {time.perf_counter() - t0:.1f} s", flush=True)
        results = []
        ctx = mp.get_context("spawn")
        for rep in range(args.repeat):
            run_dir = workdir / f"run{rep}"
            run_dir.mkdir()
            shutil.copy(template, run_dir / "warehouse.duckdb")
            queue: Any = ctx.Queue()
            proc = ctx.Process(target=_one_run, args=(str(run_dir / "warehouse.duckdb"), queue))
            proc.start()
            result = queue.get()
            proc.join()
            results.append(result)
            print(f"run {rep + 1}: " + json.dumps({k: round(v, 2) for k, v in result["timings"].items()})
                  + f" peak {result['peak_rss_mb']:.0f} MB", flush=True)
            shutil.rmtree(run_dir)
        print(f"\nload average during the runs: {os.getloadavg()} on {os.cpu_count()} cores")
        print("median seconds per step over", len(results), "runs:")
        for step in results[0]["timings"]:
            print(f"  {step:<12} {statistics.median(r['timings'][step] for r in results):7.2f}")
        print(f"  peak memory  {max(r['peak_rss_mb'] for r in results):7.0f} MB (max RSS of a run)")
        last = results[-1]
        print(f"  standardised {last['standardised']}, validated {last['validated']}, valid {last['valid']}, "
              f"quarantined {json.dumps(last['quarantined'])}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
