"""Merge + publish alone at scale (issue 6), on synthetic staged records: no ingest/matching cost.

    .venv/bin/python benchmarks/bench_golden.py --records 1000000

N records from two sources, two records per person (one cluster each); then: merge, publish, a
second merge with nothing changed, a second publish. Prints wall time and counts per step.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import datetime
from pathlib import Path

SYNTHETIC_SQL = """
INSERT INTO staging.customers (record_key, source, load_id, trust_rank, first_name, last_name, email, email_status,
  phone, phone_status, street, postcode, city, country, birth_date, birth_date_status, created_at, last_contact_at,
  standardised_at)
SELECT src || ':' || lpad(i::VARCHAR, 9, '0'), src, 'L', CASE src WHEN 'crm' THEN 1 ELSE 2 END,
  'First' || (i % 5000), 'Last' || i, 'p' || i || '@example.fr', 'valid',
  CASE WHEN i % 3 = 0 THEN '+3361' || lpad(i::VARCHAR, 7, '0') END,
  CASE WHEN i % 3 = 0 THEN 'valid' ELSE 'missing' END,
  i || ' rue X', lpad((i % 95000)::VARCHAR, 5, '0'), 'City' || (i % 1000), 'FR',
  DATE '1970-01-01' + (i % 15000)::INTEGER, 'valid',
  TIMESTAMP '2020-01-01' + INTERVAL (i % 1000) DAY, TIMESTAMP '2024-01-01' + INTERVAL (i % 500) DAY,
  TIMESTAMP '2026-01-01'
FROM range(?) r(i), (VALUES ('crm'), ('web')) s(src)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--home", type=Path, default=None, help="Where to build $MDM_HOME (default: a temp dir).")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="bench-golden-"))
    os.environ.update(MDM_HOME=str(home), MDM_SALT=os.environ.get("MDM_SALT", "bench"))

    from mdm.config import BUNDLED_DEMO_CONFIG, load_config
    from mdm.context import RunContext
    from mdm.pipeline import execute_stage
    from warehouse.connection import open_writer

    config = load_config(BUNDLED_DEMO_CONFIG)
    config.paths.ensure()
    con = open_writer(config.paths)
    con.execute(SYNTHETIC_SQL, [args.records // 2])
    con.execute(
        "INSERT INTO match.clusters SELECT record_key, 'crm:' || split_part(record_key, ':', 2) FROM staging.customers"
    )
    print(f"home {home}: {args.records} records, {args.records // 2} people")
    for i, stage in enumerate(["merge", "publish", "merge", "publish"]):
        os.environ["MDM_NOW"] = f"2026-01-0{i + 1}T00:00:00"
        ctx = RunContext(config, con, f"bench-{i}", datetime(2026, 1, i + 1))
        t0 = time.perf_counter()
        result = execute_stage(ctx, stage)
        counts = {k: v for k, v in result.counts.items() if k != "published"}
        print(f"{stage:<8} {time.perf_counter() - t0:7.2f} s  {counts}")
    con.close()


if __name__ == "__main__":
    main()
