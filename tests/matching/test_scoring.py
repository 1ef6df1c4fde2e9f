"""Frozen term frequencies (`matching.scoring.freeze_term_frequencies`)."""

from __future__ import annotations

import duckdb

from matching.prepare import INPUT_TABLE
from matching.scoring import freeze_term_frequencies, tf_key
from matching.settings import MatchingConfig
from matching.spec import person_spec
from warehouse.schema import ddl_text


def _frozen(values: list[str | None]) -> dict[object, float]:
    """The frozen frequencies of the last name over records holding `values`, by value hash (None: the default)."""
    spec = person_spec(MatchingConfig())
    columns = spec.tf_columns()
    with duckdb.connect() as con:
        con.execute(ddl_text("50_match.sql"))
        con.execute(f"CREATE TABLE {INPUT_TABLE} ({', '.join(f'{c} VARCHAR' for c in columns)})")
        for value in values:
            con.execute(f"INSERT INTO {INPUT_TABLE} (ln) VALUES (?)", [value])
        freeze_term_frequencies(con, spec, "v1", "salt")
        rows = con.execute(
            "SELECT value_hash, tf FROM match.term_frequencies WHERE column_name = 'ln' AND model_version = ?",
            [tf_key("v1", "salt")],
        ).fetchall()
    return {h: tf for h, tf in rows}


def test_a_value_counts_the_other_records_holding_it() -> None:
    """Ten last names: MARTIN four times, DURAND twice (one person's two records), four seen once.
    A stranger to a MARTIN record holds MARTIN 3 times in 10; to a DURAND record once: the default."""
    frozen = _frozen(["martin"] * 4 + ["durand"] * 2 + ["petit", "roux", "blanc", "faure"] + [None])
    assert frozen.pop(None) == 1 / 10                       # the default: one other record
    assert list(frozen.values()) == [3 / 10]                # only MARTIN is listed; DURAND has the default
