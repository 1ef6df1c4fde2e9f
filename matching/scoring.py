"""Comparison vectors and match weights, set-wise in DuckDB.

Two steps with different costs:
- `compute_gammas` runs the string comparisons (Jaro-Winkler, Damerau-Levenshtein, token overlap)
  once per *new* candidate pair and stores the level indexes in `match.candidates`. This is the
  expensive part, and an incremental run pays it only for pairs that touch new or changed records.
- `score` turns stored vectors into match weights with the model and its term frequencies: a
  join and a few CASE expressions. A full run (or a new model) scores every candidate; an
  incremental run scores only the pairs it has to (new pairs, changed steward decisions).

Term frequencies are frozen with the model (`freeze_term_frequencies`): computed from the records
when the model version first scores, kept in `match.term_frequencies` under that version. So a
stored pair's score is a function of its vector, its left record's values and the model version
alone, and a record arriving tonight cannot move the score of a pair scored last month. A value
unseen when the frequencies were frozen counts as seen once. The table holds salted 64-bit hashes
of the values (never the values: an erased customer's e-mail must leave no bytes behind) and only
values seen at least twice (a value seen once has the default frequency anyway). Rows are keyed
by the model version and a fingerprint of the salt (`tf_key`).

Each pair keeps its per-comparison weights (`w_<comparison>`): the explanation a steward sees.
"""

from __future__ import annotations

import hashlib

import duckdb

from matching.blocking import CANDIDATES_TABLE, BlockingRule
from matching.comparisons import TF_COLUMNS, TF_LEVELS, Comparison, vector_sql
from matching.model import MatchModel
from matching.settings import COMPARISONS
from matching.sql import one, scalar_int
from warehouse.connection import sql_literal

SCORED_TABLE = "match_scored"


def compute_gammas(
    con: duckdb.DuckDBPyConnection, comparisons: list[Comparison], rules: list[BlockingRule]
) -> int:
    """Insert the new candidate pairs with their comparison vectors into `match.candidates`."""
    enabled = {c.name for c in comparisons}
    raw = ", ".join(f"{c.gamma_sql()} AS g_{c.name}" for c in comparisons)
    vectors = ", ".join(f"g_{name}" if name in enabled else "NULL" for name in COMPARISONS)
    rule_names = " ".join(f"WHEN {i} THEN {sql_literal(r.name)}" for i, r in enumerate(rules))
    inner = f"""
        SELECT c.key_l, c.key_r, CASE c.rule_idx {rule_names} ELSE 'steward' END AS rule, c.rule_idx, {raw}
        FROM {CANDIDATES_TABLE} c
        JOIN match_input l ON l.record_key = c.key_l
        JOIN match_input r ON r.record_key = c.key_r
    """
    con.execute(f"""
        INSERT INTO match.candidates
        SELECT key_l, key_r, rule, rule_idx, {vectors} FROM ({vector_sql(comparisons, inner)})
    """)
    row = one(con, f"SELECT count(*) FROM {CANDIDATES_TABLE}")
    return int(row[0]) if row else 0


TF_TABLE = "match.term_frequencies"
RECORD_TF_TABLE = "match_record_tf"


def _hash_sql(expr: str) -> str:
    """SQL: the salted 64-bit hash a value is stored under (the salt is bound as parameter 1)."""
    return f"md5_number_lower(?::VARCHAR || chr(31) || CAST({expr} AS VARCHAR))"


def tf_key(version: str, salt: str) -> str:
    """The `model_version` key of the frozen frequencies: the model version and which salt hashed
    them (a changed salt must not silently turn every value into an unseen one)."""
    return version + ":" + hashlib.sha256(("mdm-tf" + salt).encode()).hexdigest()[:8]


def scores_fingerprint(
    model: MatchModel, comparisons: list[Comparison], tf_adjust: list[str], tf_minimum: float, salt: str
) -> str:
    """What a stored pair's weight depends on besides its vector: unchanged, stored scores stay valid."""
    data = repr((tf_key(model.version, salt), [c.name for c in comparisons], sorted(tf_adjust), tf_minimum))
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def tf_columns(comparisons: list[Comparison], tf_adjust: list[str]) -> list[str]:
    return [TF_COLUMNS[c.name] for c in comparisons if c.name in tf_adjust and c.name in TF_COLUMNS]


def freeze_term_frequencies(con: duckdb.DuckDBPyConnection, version: str, columns: list[str], salt: str) -> list[str]:
    """Store the term frequencies of `columns` under `version` unless already there; return those computed.

    Rows of other model versions are dropped when a version first freezes: only the current
    model scores. A model pinned again later re-freezes from the records of that day.
    """
    version = tf_key(version, salt)
    present = {r[0] for r in con.execute(
        f"SELECT DISTINCT column_name FROM {TF_TABLE} WHERE model_version = ?", [version]).fetchall()}
    missing = [c for c in columns if c not in present]
    if not missing:
        return []
    con.execute(f"DELETE FROM {TF_TABLE} WHERE model_version <> ?", [version])
    for col in missing:
        # the NULL-hash row: the frequency of a value seen once, which an unlisted value gets
        con.execute(f"""
            INSERT INTO {TF_TABLE} (model_version, column_name, value_hash, tf)
            WITH counts AS (SELECT {col} AS v, count(*) AS n FROM match_input WHERE {col} IS NOT NULL GROUP BY ALL),
                 total AS (SELECT greatest(sum(n), 1)::DOUBLE AS t FROM counts)
            SELECT ?, ?, {_hash_sql("v")}, n / t FROM counts, total WHERE n > 1
            UNION ALL
            SELECT ?, ?, NULL, 1.0 / t FROM total
        """, [version, col, salt, version, col])
    return missing


def _record_tf(
    con: duckdb.DuckDBPyConnection, version: str, columns: list[str], salt: str, keys_sql: str | None
) -> None:
    """Temp table `match_record_tf`: each (needed) record's frozen term frequency per column.

    Hashes are computed once per distinct value, not per record or pair. `keys_sql` (a query of
    record keys) limits the records; None means every record.
    """
    version = tf_key(version, salt)
    where = f"WHERE record_key IN ({keys_sql})" if keys_sql else ""
    ctes, selects, joins, params = [], [], [], []
    for col in columns:
        ctes.append(f"""
            h_{col} AS (
                SELECT v.v, coalesce(f.tf, d.tf) AS tf
                FROM (SELECT DISTINCT {col} AS v FROM recs WHERE {col} IS NOT NULL) v
                CROSS JOIN (SELECT tf FROM {TF_TABLE}
                            WHERE model_version = ? AND column_name = ? AND value_hash IS NULL) d
                LEFT JOIN {TF_TABLE} f ON f.model_version = ? AND f.column_name = ?
                                      AND f.value_hash = {_hash_sql("v.v")}
            )""")
        params += [version, col, version, col, salt]
        selects.append(f"h_{col}.tf AS tf_{col}")
        joins.append(f"LEFT JOIN h_{col} ON h_{col}.v = recs.{col}")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {RECORD_TF_TABLE} AS
        WITH recs AS (SELECT record_key, {", ".join(columns)} FROM match_input {where}),
        {",".join(ctes)}
        SELECT recs.record_key, {", ".join(selects)} FROM recs {" ".join(joins)}
    """, params)


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
                f"WHEN {i} THEN log2({params.m[i]!r} / greatest(coalesce(t.tf_{TF_COLUMNS[comp.name]}, "
                f"{params.u[i]!r}), {tf_minimum!r}))"
            )
        else:
            whens.append(f"WHEN {i} THEN {weights[i]!r}")
    return f"(CASE g_{comp.name} {' '.join(whens)} ELSE 0.0 END)"


def score(
    con: duckdb.DuckDBPyConnection,
    comparisons: list[Comparison],
    model: MatchModel,
    tf_adjust: list[str],
    tf_minimum: float,
    salt: str = "",
    only: str | None = None,
    keep_from: float = 0.0,
    always_keep: str | None = None,
) -> int:
    """Create `match_scored`: stored candidates with their weight, probability and contributions.

    `only`: a table of (record_key_l, record_key_r) limiting the pairs scored (an incremental
    run); None scores every stored candidate. Only pairs of probability >= `keep_from`, or listed
    in `always_keep` (a table of record_key_l, record_key_r), are kept: most candidates score far
    below the store threshold, and not materialising them halves a full run's scoring time. The
    term frequencies must be frozen for the model's version (`freeze_term_frequencies`).
    Returns the number of pairs kept.
    """
    tf_comps = [c for c in comparisons if c.name in tf_adjust and c.name in TF_COLUMNS]
    columns = [TF_COLUMNS[c.name] for c in tf_comps]
    source = "match.candidates c"
    if only is not None:
        source = f"{only} o JOIN match.candidates c USING (record_key_l, record_key_r)"
    if columns:
        keys = f"SELECT DISTINCT record_key_l FROM {only}" if only is not None else None
        _record_tf(con, model.version, columns, salt, keys)
        source += f" LEFT JOIN {RECORD_TF_TABLE} t ON t.record_key = c.record_key_l"
    w_exprs = ", ".join(
        f"{weight_sql(c, model, c in tf_comps, tf_minimum)} AS w_{c.name}" for c in comparisons
    )
    total = " + ".join(f"w_{c.name}" for c in comparisons) or "0.0"
    g_cols = ", ".join(f"g_{c.name}" for c in comparisons)
    keep = ""
    if always_keep is not None:
        keep = (f" OR EXISTS (SELECT 1 FROM {always_keep} k"
                " WHERE k.record_key_l = w.record_key_l AND k.record_key_r = w.record_key_r)")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {SCORED_TABLE} AS
        WITH w AS (
            SELECT c.record_key_l, c.record_key_r, c.rule, {g_cols}, {w_exprs}
            FROM {source}
        )
        SELECT *, {model.prior_weight!r} + {total} AS match_weight,
               1.0 / (1.0 + pow(2.0, -({model.prior_weight!r} + {total}))) AS match_probability
        FROM w
        WHERE 1.0 / (1.0 + pow(2.0, -({model.prior_weight!r} + {total}))) >= ?{keep}
    """, [keep_from])
    con.execute(f"DROP TABLE IF EXISTS {RECORD_TF_TABLE}")
    return scalar_int(con, f"SELECT count(*) FROM {SCORED_TABLE}")


def contributions_sql(comparisons: list[Comparison]) -> str:
    """JSON {comparison: {"level": label, "weight": w}} from a `match_scored` row."""
    parts = []
    for c in comparisons:
        labels = " ".join(f"WHEN {i} THEN {sql_literal(level.label)}" for i, level in enumerate(c.levels))
        parts.append(
            f"{sql_literal(c.name)}, json_object('level', CASE g_{c.name} {labels} END, "
            f"'weight', round(w_{c.name}, 3))"
        )
    return "json_object(" + ", ".join(parts) + ")"
