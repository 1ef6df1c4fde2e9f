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
alone, and a record arriving tonight cannot move the score of a pair scored last month.

A value's frequency counts the *other* records holding it, (n - 1) / N. The weight answers "one
record holds this value: how likely is a stranger to hold it too?", and the record itself is no
stranger. Counting it (n / N) doubled the frequency of a value two records share, which is
exactly a person's two records under a rare name, and took a bit off each such name. A value
unseen when the frequencies were frozen counts as held by one other record. The table holds
salted 64-bit hashes of the values (never the values: an erased customer's e-mail must leave no
bytes behind) and only values held by three records or more (below that, the default frequency
is the same). Rows are keyed by the definition, the model version and a fingerprint of the salt
(`tf_key`).

Each pair keeps its per-comparison weights (`w_<comparison>`): the explanation a steward sees.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import duckdb

from matching.blocking import CANDIDATES_TABLE
from matching.comparisons import Comparison, vector_sql
from matching.model import MatchModel
from matching.prepare import INPUT_TABLE
from matching.spec import ModelSpec
from matching.sql import one, scalar_int
from warehouse.connection import sql_literal

SCORED_TABLE = "match_scored"


def ensure_vector_columns(con: duckdb.DuckDBPyConnection, spec: ModelSpec) -> None:
    """`<schema>.candidates` holds one `g_<comparison>` column per comparison of the spec."""
    for c in spec.comparisons:
        con.execute(f"ALTER TABLE {spec.schema}.candidates ADD COLUMN IF NOT EXISTS g_{c.name} TINYINT")


def compute_gammas(con: duckdb.DuckDBPyConnection, spec: ModelSpec, rules: list[str]) -> int:
    """Insert the new candidate pairs with their comparison vectors into `<schema>.candidates`.

    `rules`: the names of the active blocking rules, by `rule_idx`. Columns of comparisons the
    spec does not use stay NULL.
    """
    comparisons = list(spec.comparisons)
    raw = ", ".join(f"{c.gamma_sql()} AS g_{c.name}" for c in comparisons)
    vectors = ", ".join(f"g_{c.name}" for c in comparisons)
    rule_names = " ".join(f"WHEN {i} THEN {sql_literal(name)}" for i, name in enumerate(rules))
    inner = f"""
        SELECT c.key_l, c.key_r, CASE c.rule_idx {rule_names} ELSE 'steward' END AS rule, c.rule_idx, {raw}
        FROM {CANDIDATES_TABLE} c
        JOIN {INPUT_TABLE} l ON l.record_key = c.key_l
        JOIN {INPUT_TABLE} r ON r.record_key = c.key_r
    """
    con.execute(f"""
        INSERT INTO {spec.schema}.candidates BY NAME
        SELECT key_l AS record_key_l, key_r AS record_key_r, rule, rule_idx, {vectors}
        FROM ({vector_sql(comparisons, inner, spec.household)})
    """)
    row = one(con, f"SELECT count(*) FROM {CANDIDATES_TABLE}")
    return int(row[0]) if row else 0


RECORD_TF_TABLE = "match_record_tf"


def _hash_sql(expr: str) -> str:
    """SQL: the salted 64-bit hash a value is stored under (the salt is bound as parameter 1)."""
    return f"md5_number_lower(?::VARCHAR || chr(31) || CAST({expr} AS VARCHAR))"


#: Part of every frozen frequency's key: a warehouse frozen under another definition (before
#: 2026-12-08, n / N) re-freezes and rescores once, instead of mixing the two.
TF_DEFINITION = "mdm-tf-others"


def tf_key(version: str, salt: str) -> str:
    """The `model_version` key of the frozen frequencies: the model version and which salt hashed
    them (a changed salt must not silently turn every value into an unseen one)."""
    return version + ":" + hashlib.sha256((TF_DEFINITION + salt).encode()).hexdigest()[:8]


@dataclass(frozen=True)
class PairScoring:
    """What a stored pair's weight is computed from besides its vector, and which pairs to score.

    `only`: a table of (record_key_l, record_key_r) limiting the pairs scored (an incremental
    run); None scores every stored candidate. Only pairs of probability >= `keep_from`, or listed
    in `always_keep` (a table of record_key_l, record_key_r), are kept: most candidates score far
    below the store threshold, and not materialising them halves a full run's scoring time.
    `salt`: the secret the frozen term frequencies' value hashes are salted with.
    """

    model: MatchModel
    tf_minimum: float
    salt: str = ""
    only: str | None = None
    keep_from: float = 0.0
    always_keep: str | None = None

    def fingerprint(self, spec: ModelSpec) -> str:
        """What a stored pair's weight depends on besides its vector: unchanged, stored scores stay valid."""
        data = repr((tf_key(self.model.version, self.salt), [c.name for c in spec.comparisons],
                     sorted(spec.tf_adjust), self.tf_minimum))
        return hashlib.sha256(data.encode()).hexdigest()[:16]


def freeze_term_frequencies(con: duckdb.DuckDBPyConnection, spec: ModelSpec, version: str, salt: str) -> list[str]:
    """Store the term frequencies the spec's scoring needs under `version` unless already there;
    return the columns computed.

    Rows of other model versions are dropped when a version first freezes: only the current
    model scores. A model pinned again later re-freezes from the records of that day.
    """
    columns = spec.tf_columns()
    table = f"{spec.schema}.term_frequencies"
    version = tf_key(version, salt)
    present = {r[0] for r in con.execute(
        f"SELECT DISTINCT column_name FROM {table} WHERE model_version = ?", [version]).fetchall()}
    missing = [c for c in columns if c not in present]
    if not missing:
        return []
    con.execute(f"DELETE FROM {table} WHERE model_version <> ?", [version])
    for col in missing:
        # the NULL-hash row: the frequency of a value held by one other record (a value seen once,
        # or never, when the frequencies were frozen), which an unlisted value gets
        con.execute(f"""
            INSERT INTO {table} (model_version, column_name, value_hash, tf)
            WITH counts AS (SELECT {col} AS v, count(*) AS n FROM {INPUT_TABLE} WHERE {col} IS NOT NULL GROUP BY ALL),
                 total AS (SELECT greatest(sum(n), 1)::DOUBLE AS t FROM counts)
            SELECT ?, ?, {_hash_sql("v")}, (n - 1) / t FROM counts, total WHERE n > 2
            UNION ALL
            SELECT ?, ?, NULL, 1.0 / t FROM total
        """, [version, col, salt, version, col])
    return missing


def _record_tf(
    con: duckdb.DuckDBPyConnection, table: str, version: str, columns: list[str], salt: str, keys_sql: str | None
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
                CROSS JOIN (SELECT tf FROM {table}
                            WHERE model_version = ? AND column_name = ? AND value_hash IS NULL) d
                LEFT JOIN {table} f ON f.model_version = ? AND f.column_name = ?
                                      AND f.value_hash = {_hash_sql("v.v")}
            )""")
        params += [version, col, version, col, salt]
        selects.append(f"h_{col}.tf AS tf_{col}")
        joins.append(f"LEFT JOIN h_{col} ON h_{col}.v = recs.{col}")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {RECORD_TF_TABLE} AS
        WITH recs AS (SELECT record_key, {", ".join(columns)} FROM {INPUT_TABLE} {where}),
        {",".join(ctes)}
        SELECT recs.record_key, {", ".join(selects)} FROM recs {" ".join(joins)}
    """, params)


def weight_sql(comp: Comparison, model: MatchModel, tf: bool, tf_minimum: float) -> str:
    """SQL: the weight of comparison `comp` for a pair, by its level (`g_<name>`).

    With `tf`, a level that names a `tf_column` weighs log2(m / tf(value)) instead of log2(m / u)
    (Splink's term-frequency adjustment): agreeing on a rare value weighs more than on a common one.
    """
    params = model.comparisons[comp.name]
    weights = params.weights()
    whens = []
    for i, level in enumerate(comp.levels):
        if i == 0:
            whens.append("WHEN 0 THEN 0.0")
        elif tf and level.tf_column:
            whens.append(
                f"WHEN {i} THEN log2({params.m[i]!r} / greatest(coalesce(t.tf_{level.tf_column}, "
                f"{params.u[i]!r}), {tf_minimum!r}))"
            )
        else:
            whens.append(f"WHEN {i} THEN {weights[i]!r}")
    return f"(CASE g_{comp.name} {' '.join(whens)} ELSE 0.0 END)"


def score(con: duckdb.DuckDBPyConnection, spec: ModelSpec, scoring: PairScoring) -> int:
    """Create `match_scored`: stored candidates with their weight, probability and contributions.

    The term frequencies must be frozen for the model's version (`freeze_term_frequencies`).
    Returns the number of pairs kept (see `PairScoring`).
    """
    model, only = scoring.model, scoring.only
    comparisons = list(spec.comparisons)
    tf_comps = spec.tf_comparisons
    columns = spec.tf_columns()
    source = f"{spec.schema}.candidates c"
    if only is not None:
        source = f"{only} o JOIN {spec.schema}.candidates c USING (record_key_l, record_key_r)"
    if columns:
        keys = f"SELECT DISTINCT record_key_l FROM {only}" if only is not None else None
        _record_tf(con, f"{spec.schema}.term_frequencies", model.version, columns, scoring.salt, keys)
        source += f" LEFT JOIN {RECORD_TF_TABLE} t ON t.record_key = c.record_key_l"
    w_exprs = ", ".join(
        f"{weight_sql(c, model, c in tf_comps, scoring.tf_minimum)} AS w_{c.name}" for c in comparisons
    )
    total = " + ".join(f"w_{c.name}" for c in comparisons) or "0.0"
    g_cols = ", ".join(f"g_{c.name}" for c in comparisons)
    keep = ""
    if scoring.always_keep is not None:
        keep = (f" OR EXISTS (SELECT 1 FROM {scoring.always_keep} k"
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
    """, [scoring.keep_from])
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
