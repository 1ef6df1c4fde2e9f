"""Ingest speed: a 1,000,000-row CSV, a 100,000-row .xlsx and 300,000 JSON records into raw.records.

Targets on the project's 2-core machine: each <= 15 s, from file in the inbox to rows committed
(hash, read, checks, keys, JSON payloads, insert). Each figure is the median of 3 runs, each into a
fresh warehouse. Input files are generated once (deterministic) under --workdir.

The JSON figures (no target in issue 3) are web-shop exports with a nested address and a phones
array: NDJSON with consistent types (Arrow's reader), the same NDJSON where a postcode is a number
in one record out of seven (as real exports do; DuckDB's reader), and the same as one JSON array.

    .venv/bin/python benchmarks/bench_ingest.py [--rows 1000000] [--xlsx-rows 100000] \
        [--json-rows 300000] [--repeat 3] [--only csv|xlsx|json]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sources.testing import make_config, query, run_ingest  # noqa: E402

COLUMNS = ["Code client", "Nom", "Prénom", "Courriel", "Téléphone", "Adresse", "Code postal", "Ville",
           "Date de naissance", "Statut"]
MAPPING = {"last_name": "Nom", "first_name": "Prénom", "email": "Courriel", "phone": "Téléphone",
           "street": "Adresse", "postcode": "Code postal", "city": "Ville", "birth_date": "Date de naissance"}


def make_csv(path: Path, rows: int) -> None:
    """A CRM-like CSV, written by DuckDB (fast), ';'-separated, UTF-8."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"""
        COPY (
          SELECT 'C' || lpad(i::VARCHAR, 8, '0') AS "Code client",
                 'Nom' || (i % 50000)::VARCHAR AS "Nom",
                 'Prénom' || (i % 700)::VARCHAR AS "Prénom",
                 'p' || i::VARCHAR || '@example.org' AS "Courriel",
                 '06 ' || lpad((i % 100000000)::VARCHAR, 8, '0') AS "Téléphone",
                 (i % 200)::VARCHAR || ' rue de la Paix' AS "Adresse",
                 lpad((i % 95000 + 1000)::VARCHAR, 5, '0') AS "Code postal",
                 'Ville' || (i % 3000)::VARCHAR AS "Ville",
                 strftime(DATE '1950-01-01' + (i % 20000)::INTEGER, '%d/%m/%Y') AS "Date de naissance",
                 CASE WHEN i % 3 = 0 THEN 'prospect' ELSE 'client' END AS "Statut"
          FROM range({rows}) t(i)
        ) TO '{path}' (HEADER, DELIMITER ';')
    """)
    con.close()


def make_xlsx(path: Path, rows: int) -> None:
    """A trade-fair-like workbook: a title row, numbers for phones and postcodes, real dates."""
    import datetime as dt

    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Contacts")
    sheet.append(["Salon 2026 - contacts"])
    sheet.append(COLUMNS)
    base = dt.date(1950, 1, 1)
    for i in range(rows):
        sheet.append([i, f"Nom{i % 50000}", f"Prénom{i % 700}", f"p{i}@example.org", 600000000 + i,
                      f"{i % 200} rue de la Paix", 1000 + i % 95000, f"Ville{i % 3000}",
                      base + dt.timedelta(days=i % 20000), "prospect"])
    book.save(path)


JSON_MAPPING = {"email": "email", "first_name": "first_name", "last_name": "last_name", "phone": "phones[0]",
                "street": "address.line1", "postcode": "address.postcode", "city": "address.city"}


def make_json(folder: Path, rows: int) -> dict[str, Path]:
    """Web-shop exports written by DuckDB: NDJSON, NDJSON with mixed-type postcodes, a JSON array."""
    import duckdb

    files = {"ndjson": folder / f"shop_{rows}.ndjson", "mixed": folder / f"shop_mixed_{rows}.ndjson",
             "array": folder / f"shop_{rows}.json"}
    record = """'{{"Code client":"W' || lpad(i::VARCHAR, 8, '0') || '","email":"p' || i::VARCHAR
        || '@example.org","first_name":"Prénom' || (i % 700)::VARCHAR || '","last_name":"Nom'
        || (i % 50000)::VARCHAR || '","created_at":"2024-05-' || lpad((i % 28 + 1)::VARCHAR, 2, '0')
        || 'T08:06:46Z","orders":' || (i % 17)::VARCHAR || ',"score":' || ((i % 1000) / 8)::VARCHAR
        || ',"vip":' || CASE WHEN i % 5 = 0 THEN 'true' ELSE 'false' END
        || ',"address":{{"line1":"' || (i % 200)::VARCHAR || ' rue de la Paix","postcode":'
        || {postcode} || ',"city":"Ville' || (i % 3000)::VARCHAR || '"}},"phones":["06'
        || lpad((i % 100000000)::VARCHAR, 8, '0') || '"'
        || CASE WHEN i % 3 = 0 THEN ',"01' || lpad((i % 1000)::VARCHAR, 8, '0') || '"' ELSE '' END || ']}}'"""
    quoted = "'\"' || lpad((i % 95000 + 1000)::VARCHAR, 5, '0') || '\"'"
    mixed = f"CASE WHEN i % 7 = 0 THEN (i % 95000 + 1000)::VARCHAR ELSE {quoted} END"
    con = duckdb.connect()
    try:
        for kind, postcode in (("ndjson", quoted), ("mixed", mixed)):
            lines = con.execute(f"SELECT string_agg({record.format(postcode=postcode)}, chr(10) ORDER BY i) "
                                f"FROM range({rows}) t(i)").fetchall()[0][0]
            files[kind].write_text(lines + "\n", encoding="utf-8")
        body = files["ndjson"].read_text(encoding="utf-8").strip().replace("\n", ",\n")
        files["array"].write_text(f"[{body}]\n", encoding="utf-8")
    finally:
        con.close()
    return files


def bench(label: str, kind: str, source_file: Path, pattern: str, options: dict, repeat: int,
          mapping: dict[str, str] = MAPPING) -> list[float]:
    times = []
    for _ in range(repeat):
        home = Path(tempfile.mkdtemp(prefix="mdm-bench-"))
        try:
            target = home / "inbox" / "bench" / source_file.name
            target.parent.mkdir(parents=True)
            shutil.copyfile(source_file, target)
            config = make_config(home, [{"name": "bench", "kind": kind, "path": f"bench/{pattern}",
                                         "key_columns": ["Code client"], "mapping": mapping,
                                         "options": options}])
            start = time.perf_counter()
            result = run_ingest(config)
            times.append(time.perf_counter() - start)
            stored = query(config, "SELECT count(*) FROM raw.records")[0][0]
            assert result.counts["failed_loads"]["bench"] == 0, result.warnings
            assert stored == result.counts["received"]["bench"]
        finally:
            shutil.rmtree(home, ignore_errors=True)
    print(f"{label}: {stored:,} rows -> raw.records  median {statistics.median(times):.2f} s  "
          f"(runs: {', '.join(f'{t:.2f}' for t in times)})", flush=True)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--json-rows", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "mdm-bench-inputs")
    parser.add_argument("--only", choices=["csv", "xlsx", "json"], default=None)
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.only in (None, "csv"):
        csv_path = args.workdir / f"crm_{args.rows}.csv"
        if not csv_path.exists():
            start = time.perf_counter()
            make_csv(csv_path, args.rows)
            print(f"generated {csv_path} in {time.perf_counter() - start:.1f} s", flush=True)
        bench(f"CSV  {csv_path.stat().st_size / 1e6:.0f} MB", "csv", csv_path, "*.csv", {}, args.repeat)
    if args.only in (None, "xlsx"):
        xlsx_path = args.workdir / f"salon_{args.xlsx_rows}.xlsx"
        if not xlsx_path.exists():
            start = time.perf_counter()
            make_xlsx(xlsx_path, args.xlsx_rows)
            print(f"generated {xlsx_path} in {time.perf_counter() - start:.1f} s", flush=True)
        bench(f"XLSX {xlsx_path.stat().st_size / 1e6:.0f} MB", "excel", xlsx_path, "*.xlsx",
              {"sheets": ["Contacts"]}, args.repeat)
    if args.only in (None, "json"):
        names = {"ndjson": "NDJSON", "mixed": "NDJSON, mixed-type postcode", "array": "JSON array"}
        files = {kind: args.workdir / f"shop{suffix}_{args.json_rows}.{ext}" for kind, suffix, ext in
                 (("ndjson", "", "ndjson"), ("mixed", "_mixed", "ndjson"), ("array", "", "json"))}
        if not all(path.exists() for path in files.values()):
            start = time.perf_counter()
            files = make_json(args.workdir, args.json_rows)
            print(f"generated {len(files)} JSON files in {time.perf_counter() - start:.1f} s", flush=True)
        for kind, path in files.items():
            bench(f"JSON {names[kind]} {path.stat().st_size / 1e6:.0f} MB", "json", path, f"*.{path.suffix[1:]}",
                  {}, args.repeat, JSON_MAPPING)


if __name__ == "__main__":
    main()
