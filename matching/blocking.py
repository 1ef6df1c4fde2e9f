"""Multi-pass blocking: each rule pairs records that share all of its keys, in SQL.

Pairs found by several rules are kept once, credited to the first rule that found them (the
rule order in the config). A block larger than `max_block_size` (a shared office phone, MARTIN
born on 1 January) is skipped with a warning instead of exploding into n^2 pairs: its records
are still paired by the other rules.

Incremental runs pair only records flagged `is_new` (new or changed) with everything, so the
work grows with the new records, not with the base. Block sizes are always measured over the
whole input, so a capped block is capped the same way in a full and an incremental run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from matching.prepare import INPUT_TABLE
from matching.settings import BLOCKING_KEYS, BlockingRuleConfig, WhenLoose
from matching.sql import one

CANDIDATES_TABLE = "match_candidates_new"


class BlockingTooLarge(RuntimeError):
    """Blocking would produce more candidate pairs than `matching.max_candidate_pairs`."""


def check_limit(rule: str, estimated_total: int, limit: int) -> None:
    if estimated_total > limit:
        raise BlockingTooLarge(
            f"blocking would produce about {estimated_total:,} candidate pairs (after rule {rule!r}), over the "
            f"limit matching.max_candidate_pairs = {limit:,}: tighten the rule or lower max_block_size"
        )


@dataclass(frozen=True)
class BlockingRule:
    """A rule: records sharing every column of `columns` are paired.

    `when_loose`: what happens when the rule would yield too many pairs on this data (`rule_caps`):
    `skip` it, or `keep_small_blocks` (its largest blocks left out until the rest fits). `max_block`:
    the block size cap a loose rule got (None: the stage's `max_block_size`).
    """

    name: str
    columns: tuple[str, ...]
    when_loose: WhenLoose = "skip"
    max_block: int | None = None

    @classmethod
    def from_config(cls, rule: BlockingRuleConfig) -> BlockingRule:
        return cls(rule.name, tuple(BLOCKING_KEYS[k] for k in rule.on), rule.when_loose)

    def block_cap(self, max_block_size: int) -> int:
        """The largest block this rule pairs."""
        return min(self.max_block or max_block_size, max_block_size)

    def key_sql(self) -> str:
        if len(self.columns) == 1:
            return f"CAST({self.columns[0]} AS VARCHAR)"
        return "concat_ws(chr(31), " + ", ".join(f"CAST({c} AS VARCHAR)" for c in self.columns) + ")"

    def not_null_sql(self) -> str:
        return " AND ".join(f"{c} IS NOT NULL" for c in self.columns)


@dataclass
class RuleStats:
    rule: str
    blocks: int = 0
    estimated_pairs: int = 0
    pairs: int = 0
    new_pairs: int = 0
    capped_blocks: int = 0
    capped_records: int = 0


@dataclass
class BlockingResult:
    rules: list[RuleStats] = field(default_factory=list)
    candidate_pairs: int = 0
    warnings: list[str] = field(default_factory=list)


def _block_keys(con: duckdb.DuckDBPyConnection, rule: BlockingRule) -> None:
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE match_block_keys AS
        SELECT record_key, {rule.key_sql()} AS bk, is_new
        FROM {INPUT_TABLE} WHERE {rule.not_null_sql()}
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE match_block_sizes AS
        SELECT bk, count(*) AS n, count(*) FILTER (WHERE is_new) AS n_new
        FROM match_block_keys GROUP BY bk HAVING count(*) > 1
    """)


def estimate_rule(con: duckdb.DuckDBPyConnection, rule: BlockingRule, max_block_size: int) -> RuleStats:
    """Blocks and comparisons a rule will produce (before any pair is built)."""
    _block_keys(con, rule)
    row = one(con,
        """
        SELECT count(*) FILTER (WHERE n <= ?),
               coalesce(sum(n_new * (n - n_new) + n_new * (n_new - 1) / 2) FILTER (WHERE n <= ?), 0),
               count(*) FILTER (WHERE n > ?),
               coalesce(sum(n) FILTER (WHERE n > ?), 0)
        FROM match_block_sizes
        """,
        [max_block_size] * 4,
    )
    assert row is not None
    return RuleStats(rule.name, int(row[0]), int(row[1]), 0, 0, int(row[2]), int(row[3]))


def rule_total_pairs(con: duckdb.DuckDBPyConnection, rule: BlockingRule, max_block_size: int) -> int:
    """Pairs the rule yields over the whole input (every record, not only new ones), after the cap."""
    row = one(con, f"""
        SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM (
            SELECT count(*) AS n FROM {INPUT_TABLE} WHERE {rule.not_null_sql()} GROUP BY {rule.key_sql()}
        ) WHERE n BETWEEN 2 AND ?
    """, [max_block_size])
    return int(row[0]) if row else 0


def fitting_block_size(con: duckdb.DuckDBPyConnection, rule: BlockingRule, max_block_size: int, limit: float) -> int:
    """The largest block size such that the rule's blocks up to it yield at most `limit` pairs
    (0: not even its blocks of two fit)."""
    row = one(con, f"""
        WITH sizes AS (
            SELECT n, count(*) * n * (n - 1) / 2 AS pairs FROM (
                SELECT count(*) AS n FROM {INPUT_TABLE} WHERE {rule.not_null_sql()} GROUP BY {rule.key_sql()}
            ) WHERE n BETWEEN 2 AND ? GROUP BY n
        )
        SELECT max(n) FROM (SELECT n, sum(pairs) OVER (ORDER BY n) AS running FROM sizes) WHERE running <= ?
    """, [max_block_size, limit])
    return int(row[0]) if row and row[0] is not None else 0


def rule_caps(
    con: duckdb.DuckDBPyConnection, rules: list[BlockingRule], max_block_size: int, per_record: float, records: int,
    floor: int = 0,
) -> dict[str, int]:
    """The loose rules and the block size each keeps (0: skipped).

    A rule is loose when it would yield more than `per_record` pairs per record (and more than
    `floor`) here. A rule that suits 5,000 Australian records (same town and street number) can
    produce millions of pairs on a million French ones, where a few big towns hold most records:
    such a rule is skipped. A rule whose `when_loose` is `keep_small_blocks` keeps its blocks up to
    the size where its pairs fit the limit instead: its pairs are worth most where its blocks are
    small (a rare company name), and least in the big ones ("Pharmacie de la Gare" in every town).
    Judged on the whole input, so a full and an incremental run block alike. The `floor` is a
    cost: below it a rule is affordable whatever its pairs per record, and where each person has
    ten records, ten pairs per record is what a good name rule yields.
    """
    limit = max(per_record * max(records, 1), floor)
    caps = {}
    for rule in rules:
        if rule_total_pairs(con, rule, max_block_size) > limit:
            keep = rule.when_loose == "keep_small_blocks"
            caps[rule.name] = fitting_block_size(con, rule, max_block_size, limit) if keep else 0
    return caps


def block(
    con: duckdb.DuckDBPyConnection,
    rules: list[BlockingRule],
    max_block_size: int,
    max_candidate_pairs: int,
) -> BlockingResult:
    """Create `match_candidates_new(key_l, key_r, rule)`: pairs with at least one new record."""
    result = BlockingResult()
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {CANDIDATES_TABLE}_all (key_l VARCHAR, key_r VARCHAR, rule_idx INTEGER)"
    )
    for idx, rule in enumerate(rules):
        cap = rule.block_cap(max_block_size)
        stats = estimate_rule(con, rule, cap)
        check_limit(rule.name, stats.estimated_pairs + sum(s.estimated_pairs for s in result.rules),
                    max_candidate_pairs)
        if stats.capped_blocks:
            why = ", to keep this loose rule within max_rule_pairs_per_record" if cap < max_block_size else ""
            result.warnings.append(
                f"blocking rule {rule.name}: {stats.capped_blocks} block(s) over {cap} records "
                f"skipped{why} ({stats.capped_records} records)"
            )
        con.execute(
            f"""
            INSERT INTO {CANDIDATES_TABLE}_all
            SELECT l.record_key, r.record_key, ?
            FROM match_block_keys l
            JOIN match_block_keys r ON l.bk = r.bk AND l.record_key < r.record_key
            JOIN match_block_sizes s ON s.bk = l.bk AND s.n <= ? AND s.n_new > 0
            WHERE l.is_new OR r.is_new
            """,
            [idx, cap],
        )
        result.rules.append(stats)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {CANDIDATES_TABLE} AS
        SELECT key_l, key_r, min(rule_idx) AS rule_idx FROM {CANDIDATES_TABLE}_all GROUP BY key_l, key_r
    """)
    per_rule = dict(
        con.execute(f"SELECT rule_idx, count(*) FROM {CANDIDATES_TABLE}_all GROUP BY rule_idx").fetchall()
    )
    first = dict(con.execute(f"SELECT rule_idx, count(*) FROM {CANDIDATES_TABLE} GROUP BY rule_idx").fetchall())
    for idx, stats in enumerate(result.rules):
        stats.pairs = int(per_rule.get(idx, 0))
        stats.new_pairs = int(first.get(idx, 0))
    row = one(con, f"SELECT count(*) FROM {CANDIDATES_TABLE}")
    result.candidate_pairs = int(row[0]) if row else 0
    con.execute(f"DROP TABLE {CANDIDATES_TABLE}_all")
    con.execute("DROP TABLE IF EXISTS match_block_keys")
    con.execute("DROP TABLE IF EXISTS match_block_sizes")
    return result
