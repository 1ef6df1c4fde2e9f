"""Helpers for the matching tests: a warehouse whose `staging.customers` we fill directly.

Records go through the real standardiser (`matching.evaluation.standardise_records`) and are
marked validated, so `staging.valid_customers` (the matcher's input) shows them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from matching.evaluation import standardise_records
from mdm.config import MdmConfig
from mdm.context import RunContext, StageResult
from mdm.pipeline import execute_stage

NOW = datetime(2026, 11, 23, 12, 0, 0)

STAGING_COLUMNS = [
    "record_key", "source", "first_name", "last_name", "first_name_key", "last_name_key", "email", "phone",
    "street", "street_key", "postcode", "city", "city_key", "country", "birth_date",
]


class MatchWarehouse:
    def __init__(self, config: MdmConfig, con: duckdb.DuckDBPyConnection):
        self.config = config
        self.con = con
        self.runs = 0

    def load(self, frame: pd.DataFrame) -> None:
        """Standardise canonical records (record_id, source, ...) and upsert them into staging."""
        records = standardise_records(frame, NOW)[STAGING_COLUMNS].copy()
        records["birth_date"] = pd.to_datetime(records["birth_date"], errors="coerce")
        self.con.register("fixture_records", records)
        try:
            self.con.execute(
                "DELETE FROM staging.customers WHERE record_key IN (SELECT record_key FROM fixture_records)"
            )
            self.con.execute("""
                INSERT INTO staging.customers (record_key, source, load_id, trust_rank, first_name, last_name,
                    first_name_key, last_name_key, email, phone, street, street_key, postcode, city, city_key,
                    country, birth_date, standardised_at, validated_run_id)
                SELECT record_key, source, 'load-1', 1, first_name, last_name, first_name_key, last_name_key,
                       email, phone, street, street_key, postcode, city, city_key, country,
                       CAST(birth_date AS DATE), TIMESTAMP '2026-11-23 12:00:00', 'fixture'
                FROM fixture_records
            """)
        finally:
            self.con.unregister("fixture_records")

    def remove(self, keys: list[str]) -> None:
        self.con.execute("DELETE FROM staging.customers WHERE list_contains(?, record_key)", [keys])

    def run(self) -> StageResult:
        self.runs += 1
        ctx = RunContext(config=self.config, con=self.con, run_id=f"run-{self.runs}", now=NOW)
        return execute_stage(ctx, "match")

    def clusters(self) -> dict[str, str]:
        return dict(self.con.execute("SELECT record_key, cluster_id FROM match.clusters").fetchall())

    def pairs(self) -> list[tuple[Any, ...]]:
        return self.con.execute(
            "SELECT record_key_l, record_key_r, round(match_weight, 6), decision, contributions"
            " FROM match.pairs ORDER BY ALL"
        ).fetchall()

    def same_cluster(self, a: str, b: str) -> bool:
        c = self.clusters()
        return c[a] == c[b]


def person(record_id: str, source: str = "crm", **fields: Any) -> dict[str, Any]:
    return {"record_id": record_id, "source": source, **fields}


def frame(*rows: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def final_vector(spec: Any, raw: dict[str, int]) -> dict[str, int]:
    """A spec's final comparison vector (its household rule applied) for a raw one: the level
    index of each comparison named in `raw`, missing (0) for the others."""
    from matching.comparisons import vector_sql

    comparisons = list(spec.comparisons)
    inner = "SELECT " + ", ".join(f"{raw.get(c.name, 0)}::TINYINT AS g_{c.name}" for c in comparisons)
    with duckdb.connect() as con:
        row = con.execute(vector_sql(comparisons, inner, spec.household)).fetchone()
        names = [d[0] for d in con.description or []]
    assert row is not None
    return dict(zip(names, row, strict=True))
