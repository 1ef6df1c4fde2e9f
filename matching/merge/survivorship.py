"""Survivorship: which source record supplies each golden field, and why.

Set-based: one window query per survivorship group over `(golden_id, record_key)` members joined
with `staging.customers`. The rule chain becomes an ORDER BY (each rule one sort key, the record
key last so ties are deterministic); `valid_only` is a filter. The winner is compared with the
best other value to name the rule that actually decided (`golden.lineage.rule`):

- a rule name (`trust`, `most_recent`, ...): the first rule on which the winner beat the best
  candidate holding a different value;
- `valid_only`: the only candidate left once invalid values were dropped;
- `only_value`: a single record had a value; `unanimous`: every candidate had the same value;
- `tie_break`: every rule tied, the smallest record key won.

Output (temporary tables on the connection): `merge_values` (one row per golden_id, every golden
field plus record_count, sources, last_activity_at) and `merge_lineage`.
"""

from __future__ import annotations

from functools import cache

import duckdb

from matching.merge.config import GOLDEN_FIELDS, GROUPS, SurvivorshipConfig
from warehouse.connection import sql_literal

#: A record's own date, newest first, for `most_recent`.
RECENCY_SQL = "coalesce(s.updated_at, s.last_contact_at, s.last_order_at, s.created_at)"
#: Activity dates for `golden.customer.last_activity_at`.
ACTIVITY_SQL = "greatest(s.last_contact_at, s.last_order_at, s.updated_at, s.created_at)"
#: Fields counted by `most_complete` (record completeness).
COMPLETENESS_FIELDS: tuple[str, ...] = GOLDEN_FIELDS

#: Fields whose validation result lives in a status column; others use `<field>_invalid` issue codes.
STATUS_COLUMNS: dict[str, str] = {
    "email": "email_status",
    "phone": "phone_status",
    "birth_date": "birth_date_status",
}


#: Standardisation issue codes (`staging.customers.issues`) that mark a field's value invalid;
#: a field not listed here uses `<field>_invalid`.
INVALID_ISSUES: dict[str, tuple[str, ...]] = {
    "birth_date": ("birth_date_unparseable", "birth_date_impossible"),
    "vat_number": ("vat_invalid",),
    "country": ("country_unknown",),
    "opt_in": ("opt_in_unparseable",),
}


def _valid_sql(fields: tuple[str, ...]) -> str:
    """True when none of the group's values failed validation."""
    checks = []
    codes: list[str] = []
    for f in fields:
        if f in STATUS_COLUMNS:
            checks.append(f"coalesce(s.{STATUS_COLUMNS[f]}, 'valid') = 'valid'")
        codes += INVALID_ISSUES.get(f, (f"{f}_invalid",))
    listed = ", ".join(sql_literal(c) for c in codes)
    checks.append(f"NOT list_has_any(coalesce(s.issues, []::VARCHAR[]), [{listed}])")
    return " AND ".join(checks)


@cache
def diminutive_heads() -> dict[str, tuple[str, ...]]:
    """Folded diminutive -> the full names it shortens, from the nickname table ('seb' ->
    ('sebastien',)). Group heads themselves are full names and are not listed."""
    from matching.prepare import nickname_groups

    return {name: tuple(g for g in ids if g != name) for name, ids in nickname_groups().items() if name not in ids}


def _formal_sql(fields: tuple[str, ...]) -> str:
    """1 when a value is a diminutive of another value the same customer holds ('Seb' beside
    'Sébastien'), else 0, so the full name sorts first. A name that is only *possibly* a
    diminutive ('Carole') never loses to a typo that way. The names come from our own data file,
    never from records, and are quoted all the same."""

    pairs = ", ".join(
        f"{sql_literal(name)}: [{', '.join(sql_literal(h) for h in heads)}]" for name, heads in sorted(diminutive_heads().items())
    )
    folded = " || ' ' || ".join(
        f"coalesce(lower(strip_accents(replace(s.{f}::VARCHAR, '-', ' '))), '')" for f in fields
    )
    return (
        f"(CASE WHEN list_has_any(coalesce(MAP {{{pairs}}}[trim({folded})], []::VARCHAR[]), "
        f"list(trim({folded})) OVER (PARTITION BY s.golden_id)) THEN 1 ELSE 0 END)"
    )


def _sort_key(rule: str, fields: tuple[str, ...]) -> tuple[str, str]:
    """(expression, direction) of an ordering rule."""
    if rule == "formal_name":
        return _formal_sql(fields), "ASC"
    if rule == "trust":
        return "s.trust_rank", "ASC"
    if rule == "most_recent":
        return "s._recent_at", "DESC"
    if rule == "most_complete":
        group = " + ".join(f"(s.{f} IS NOT NULL)::INTEGER" for f in fields)
        return f"(({group}) * 100 + s._completeness)", "DESC"
    if rule == "most_frequent":  # 'Hélène' and 'HELENE' count as the same value
        partition = ", ".join(f"lower(strip_accents(s.{f}::VARCHAR))" for f in fields)
        return f"count(*) OVER (PARTITION BY s.golden_id, {partition})", "DESC"
    if rule == "longest":  # in bytes: 'Hélène' beats the same name typed without accents
        return " + ".join(f"coalesce(strlen(s.{f}::VARCHAR), 0)" for f in fields), "DESC"
    raise ValueError(f"unknown survivorship rule {rule!r}")


def group_sql(group: str, chain: list[str], candidates: str = "merge_cand") -> str:
    """The SELECT choosing one record per golden_id for one group (see module docstring).

    `candidates` is the table built by `candidates_sql` (members joined once with staging)."""
    fields = GROUPS[group]
    value_cols = ", ".join(f"s.{f}" for f in fields)
    any_value = " OR ".join(f"s.{f} IS NOT NULL" for f in fields)
    order_rules = [r for r in chain if r != "valid_only"]
    keys = [_sort_key(r, fields) for r in order_rules]
    key_cols = "".join(f", {expr} AS k{i}" for i, (expr, _) in enumerate(keys))
    valid_filter = "WHERE _valid" if "valid_only" in chain else ""
    order_by = ", ".join([f"k{i} {d} NULLS LAST" for i, (_, d) in enumerate(keys)] + ["record_key ASC"])
    window = f"(PARTITION BY golden_id ORDER BY {order_by})"
    value_hash = f"hash({', '.join(fields)})"
    decided = "".join(f" WHEN w.k{i} IS DISTINCT FROM a.k{i} THEN '{r}'" for i, r in enumerate(order_rules))
    field_list = ", ".join(f"w.{f}" for f in fields)
    return f"""
        WITH cand AS (
            SELECT s.golden_id, s.record_key, {value_cols}, {_valid_sql(fields)} AS _valid,
                   count(*) OVER (PARTITION BY s.golden_id) AS n_all{key_cols}
            FROM {candidates} s
            WHERE s._n > 1 AND ({any_value})
        ), kept AS (
            SELECT *, count(*) OVER (PARTITION BY golden_id) AS n_kept, {value_hash} AS vh
            FROM cand {valid_filter}
        ), ranked AS (
            SELECT *, row_number() OVER {window} AS rn FROM kept
        ), win AS (
            SELECT * FROM ranked WHERE rn = 1
        ), alt AS (  -- the best candidate holding a DIFFERENT value: what the winner beat
            SELECT r.* FROM ranked r JOIN win w ON w.golden_id = r.golden_id AND r.vh <> w.vh
            QUALIFY row_number() OVER (PARTITION BY r.golden_id ORDER BY r.rn) = 1
        )
        SELECT w.golden_id, w.record_key, {field_list},
               CASE WHEN w.n_kept = 1 AND w.n_all > 1 THEN 'valid_only'
                    WHEN w.n_kept = 1 THEN 'only_value'
                    WHEN a.golden_id IS NULL THEN 'unanimous'{decided}
                    ELSE 'tie_break' END AS rule
        FROM win w LEFT JOIN alt a ON a.golden_id = w.golden_id
    """


def single_sql(config: SurvivorshipConfig, candidates: str = "merge_cand") -> str:
    """Values of the customers with ONE record, without windows: each group's value is that
    record's (`only_value`), unless `valid_only` drops it. Most customers have one record, and the
    windows (a sort per rule chain) are the stage's main cost, so they only see customers with
    several. Columns: golden_id, record_key, every golden field, record_count, sources,
    last_activity_at."""
    cols = []
    for group, fields in GROUPS.items():
        keep = _valid_sql(fields) if "valid_only" in config.chain(group) else None
        cols += [f"CASE WHEN {keep} THEN s.{f} END AS {f}" if keep else f"s.{f}" for f in fields]
    return f"""
        SELECT s.golden_id, s.record_key, {", ".join(cols)}, 1 AS record_count,
               list_sort(list_distinct([s.source])) AS sources, s._activity_at AS last_activity_at
        FROM {candidates} s WHERE s._n = 1
    """


def candidates_sql(members: str) -> str:
    """Members joined ONCE with staging, with the per-record sort keys precomputed and `_n`, the
    customer's number of members (a member missing from staging only sends a customer through the
    windowed path, which is right for any number of records)."""
    status = ", ".join(f"s.{c}" for c in STATUS_COLUMNS.values())
    fields = ", ".join(f"s.{f}" for f in GOLDEN_FIELDS)
    completeness = " + ".join(f"(s.{f} IS NOT NULL)::INTEGER" for f in COMPLETENESS_FIELDS)
    return f"""
        SELECT m.golden_id, s.record_key, s.source, s.trust_rank, s.issues, {status}, {fields},
               {RECENCY_SQL} AS _recent_at, {ACTIVITY_SQL} AS _activity_at, ({completeness}) AS _completeness,
               n.n AS _n
        FROM {members} m JOIN staging.customers s ON s.record_key = m.record_key
        JOIN (SELECT golden_id, count(*) AS n FROM {members} GROUP BY golden_id) n ON n.golden_id = m.golden_id
    """


def compute(con: duckdb.DuckDBPyConnection, members: str, config: SurvivorshipConfig) -> None:
    """Fill `merge_values` and `merge_lineage` for the golden ids in `members(golden_id, record_key)`.

    `members` is a table name chosen by code (never data). Customers with several records go
    through one window query per group (`group_sql`), those with one through `single_sql`.
    """
    con.execute(f"CREATE OR REPLACE TEMP TABLE merge_cand AS {candidates_sql(members)}")
    for group in GROUPS:
        con.execute(f"CREATE OR REPLACE TEMP TABLE merge_sv_{group} AS {group_sql(group, config.chain(group))}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE merge_single AS {single_sql(config)}")
    joins = "".join(f" LEFT JOIN merge_sv_{g} ON merge_sv_{g}.golden_id = base.golden_id" for g in GROUPS)
    field_cols = ", ".join(f"merge_sv_{g}.{f}" for g, fields in GROUPS.items() for f in fields)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE merge_values AS
        WITH base AS (
            SELECT golden_id, count(*)::INTEGER AS record_count,
                   list_sort(list_distinct(list(source))) AS sources,
                   max(_activity_at) AS last_activity_at
            FROM merge_cand WHERE _n > 1 GROUP BY golden_id
        )
        SELECT base.golden_id, {field_cols}, base.record_count, base.sources, base.last_activity_at
        FROM base{joins}
        UNION ALL
        SELECT golden_id, {", ".join(GOLDEN_FIELDS)}, record_count, sources, last_activity_at FROM merge_single
        """
    )
    lineage = " UNION ALL ".join(
        f"SELECT golden_id, '{f}' AS field, record_key, rule FROM merge_sv_{g} WHERE {f} IS NOT NULL"
        f" UNION ALL SELECT golden_id, '{f}', record_key, 'only_value' FROM merge_single WHERE {f} IS NOT NULL"
        for g, fields in GROUPS.items()
        for f in fields
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE merge_lineage AS {lineage}")
    for group in GROUPS:
        con.execute(f"DROP TABLE IF EXISTS merge_sv_{group}")
    con.execute("DROP TABLE IF EXISTS merge_single")
    con.execute("DROP TABLE IF EXISTS merge_cand")
