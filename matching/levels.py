"""Comparison levels: one SQL condition over a pair (`l.` and `r.` columns) plus a label for people.

Why objects and not SQL strings in the config: the condition is written here, in code, and the
config only picks comparisons by name. A level renders to a DuckDB boolean expression; the same
shape would render for another SQL engine (Spark) by swapping the function names.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Level:
    """One agreement level of a comparison.

    `tf_column`: the prepared column whose term frequency adjusts this level's weight (exact
    levels of names, emails, phones): agreeing on a rare value weighs more than on a common one.
    `weak`: the values are related but not the same give or take a slip (an initial, the same
    year, a loose similarity). EM sessions do not count such a pair as agreeing on the field.
    `household`: the neutral level a household's shared agreement moves to (comparisons.vector_sql);
    a flag, not a label, so that rewording the label cannot switch the rule off.
    """

    label: str
    sql: str
    is_null: bool = False
    tf_column: str | None = None
    weak: bool = False
    household: bool = False


def null_level(*columns: str) -> Level:
    """Either side missing: the comparison says nothing (weight 0)."""
    cond = " OR ".join(f"l.{c} IS NULL OR r.{c} IS NULL" for c in columns)
    return Level("missing", cond, is_null=True)


def exact(column: str, label: str = "exact", tf: bool = False) -> Level:
    return Level(label, f"l.{column} = r.{column}", tf_column=column if tf else None)


def jaro_winkler(column: str, threshold: float, label: str | None = None, weak: bool = False) -> Level:
    return Level(
        label or f"jaro-winkler >= {threshold:g}",
        f"jaro_winkler_similarity(l.{column}, r.{column}) >= {float(threshold)!r}",
        weak=weak,
    )


def damerau(column: str, max_edits: int, label: str | None = None) -> Level:
    return Level(
        label or f"{max_edits} typo(s)",
        f"damerau_levenshtein(l.{column}, r.{column}) <= {int(max_edits)}",
    )


def custom(label: str, sql: str, tf_column: str | None = None, weak: bool = False) -> Level:
    return Level(label, sql, tf_column=tf_column, weak=weak)


def else_level(label: str = "different") -> Level:
    return Level(label, "TRUE")
