"""prepare_input at scale: its helper tables keep their types whatever their first rows hold."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from matching.evaluation import standardise_records
from matching.prepare import nickname_groups, prepare_input

NOW = datetime(2026, 11, 23, 12, 0)


def test_names_without_nickname_groups_first_do_not_break_the_types() -> None:
    # DuckDB infers a pandas object column's type from its first rows: thousands of names with no
    # nickname group ([]) sorting before one that has a group once made that column NULL-typed.
    grouped = sorted(n for n, g in nickname_groups().items() if g and n.isalpha())[-1]
    names = [f"aaa{chr(97 + i // 676)}{chr(97 + i // 26 % 26)}{chr(97 + i % 26)}" for i in range(3000)] + [grouped]
    rows = [{"record_id": f"r{i}", "first_name": n, "last_name": "martin", "email": f"p{i}@example.org",
             "street": f"{i} zzz", "postcode": "75001", "city": "paris"} for i, n in enumerate(names)]
    frame = standardise_records(pd.DataFrame(rows), NOW)
    frame["birth_date"] = pd.to_datetime(frame.get("birth_date"), errors="coerce")
    con = duckdb.connect()
    con.execute("CREATE SCHEMA staging")
    con.register("f", frame)
    con.execute("CREATE TABLE staging.valid_customers AS SELECT * REPLACE (CAST(birth_date AS DATE) AS birth_date)"
                " FROM f")
    assert prepare_input(con) == len(names)
    groups = con.execute("SELECT fn_groups FROM match_input WHERE fn = ?", [grouped]).fetchall()
    assert groups and groups[0][0]
