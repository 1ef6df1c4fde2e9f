"""Comparison vectors and match weights, set-wise in DuckDB.

Two steps with different costs:
- `compute_gammas` runs the string comparisons (Jaro-Winkler, Damerau-Levenshtein, token overlap)
  once per *new* candidate pair and stores the level indexes in `match.candidates`. This is the
  expensive part, and an incremental run pays it only for pairs that touch new or changed records.
- `score_all` turns every stored vector into a match weight with the current model and the
  current term frequencies: a join and a few CASE expressions, cheap even for millions of pairs.
  Rescoring everything each run is what makes an incremental run equal a full one.

Each pair keeps its per-comparison weights (`w_<comparison>`): the explanation a steward sees.
"""

from __future__ import annotations

import duckdb

from matching.blocking import CANDIDATES_TABLE, BlockingRule
from matching.comparisons import TF_COLUMNS, TF_LEVELS, Comparison
from matching.model import MatchModel
from matching.settings import COMPARISONS
from matching.sql import one

SCORED_TABLE = "match_scored"


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def compute_gammas(
    con: duckdb.DuckDBPyConnection, comparisons: list[Comparison], rules: list[BlockingRule]
) -> int:
    """Insert the new candidate pairs with their comparison vectors into `match.candidates`."""
    enabled = {c.name: c for c in comparisons}
    gamma_exprs = ", ".join(
        f"{enabled[name].gamma_sql()}" if name in enabled else "NULL" for name in COMPARISONS
    )
    rule_names = " ".join(f"WHEN {i} THEN {_sql_str(r.name)}" for i, r in enumerate(rules))
    con.execute(f"""
        INSERT INTO match.candidates
        SELECT c.key_l, c.key_r, CASE c.rule_idx {rule_names} ELSE 'steward' END, c.rule_idx, {gamma_exprs}
        FROM {CANDIDATES_TABLE} c
        JOIN match_input l ON l.record_key = c.key_l
        JOIN match_input r ON r.record_key = c.key_r
    """)
    row = one(con, f"SELECT count(*) FROM {CANDIDATES_TABLE}")
    return int(row[0]) if row else 0


def _tf_tables(con: duckdb.DuckDBPyConnection, columns: list[str]) -> None:
    for col in columns:
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE match_tf_{col} AS
            SELECT {col} AS v, count(*)::DOUBLE / sum(count(*)) OVER () AS tf
            FROM match_input WHERE {col} IS NOT NULL GROUP BY {col}
        """)


def weight_sql(comp: Comparison, model: MatchModel, tf: bool, tf_minimum: float) -> str:
    params = model.comparisons[comp.name]
    weights = params.weights()
    whens = []
    for i, level in enumerate(comp.levels):
        if i == 0:
            whens.append("WHEN 0 THEN 0.0")
        elif tf and level.label in TF_LEVELS:
            # Splink's term-frequency adjustment: weight log2(m / tf(value)) instead of log2(m / u)
            whens.append(
                f"WHEN {i} THEN log2({params.m[i]!r} / greatest(coalesce(tf_{comp.name}.tf, {params.u[i]!r}), "
                f"{tf_minimum!r}))"
            )
        else:
            whens.append(f"WHEN {i} THEN {weights[i]!r}")
    return f"(CASE g_{comp.name} {' '.join(whens)} ELSE 0.0 END)"


def score_all(
    con: duckdb.DuckDBPyConnection,
    comparisons: list[Comparison],
    model: MatchModel,
    tf_adjust: list[str],
    tf_minimum: float,
) -> None:
    """Create `match_scored`: every stored candidate with its weight, probability and contributions."""
    tf_comps = [c for c in comparisons if c.name in tf_adjust and c.name in TF_COLUMNS]
    _tf_tables(con, [TF_COLUMNS[c.name] for c in tf_comps])
    joins = []
    for c in tf_comps:
        col = TF_COLUMNS[c.name]
        joins.append(f"LEFT JOIN match_tf_{col} tf_{c.name} ON tf_{c.name}.v = l.{col}")
    needs_l = bool(joins)
    w_exprs = ", ".join(
        f"{weight_sql(c, model, c in tf_comps, tf_minimum)} AS w_{c.name}" for c in comparisons
    )
    total = " + ".join(f"w_{c.name}" for c in comparisons) or "0.0"
    g_cols = ", ".join(f"g_{c.name}" for c in comparisons)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {SCORED_TABLE} AS
        WITH w AS (
            SELECT c.record_key_l, c.record_key_r, c.rule, {g_cols}, {w_exprs}
            FROM match.candidates c
            {"JOIN match_input l ON l.record_key = c.record_key_l" if needs_l else ""}
            {" ".join(joins)}
        )
        SELECT *, {model.prior_weight!r} + {total} AS match_weight,
               1.0 / (1.0 + pow(2.0, -({model.prior_weight!r} + {total}))) AS match_probability
        FROM w
    """)
    for c in tf_comps:
        con.execute(f"DROP TABLE IF EXISTS match_tf_{TF_COLUMNS[c.name]}")


def contributions_sql(comparisons: list[Comparison]) -> str:
    """JSON {comparison: {"level": label, "weight": w}} from a `match_scored` row."""
    parts = []
    for c in comparisons:
        labels = " ".join(f"WHEN {i} THEN {_sql_str(level.label)}" for i, level in enumerate(c.levels))
        parts.append(
            f"{_sql_str(c.name)}, json_object('level', CASE g_{c.name} {labels} END, "
            f"'weight', round(w_{c.name}, 3))"
        )
    return "json_object(" + ", ".join(parts) + ")"
