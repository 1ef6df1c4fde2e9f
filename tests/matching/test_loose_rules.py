"""A loose blocking rule is skipped, or keeps its small blocks (`blocking.rule_caps`).

On a big company file the rule "same name" is loose because "Pharmacie de la Gare" fills a block
in every town, while its small blocks (a rare name) are the only way two establishments of one
company that share nothing but their name are ever compared.
"""

from __future__ import annotations

from dataclasses import replace

import duckdb

from matching.blocking import CANDIDATES_TABLE, BlockingRule, block, rule_caps
from matching.prepare import INPUT_TABLE

#: Block sizes: two pairs of two, a trio, one name held by 40 records (780 pairs).
SIZES = {"rare-a": 2, "rare-b": 2, "trio": 3, "gare": 40}


def _input() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"CREATE TEMP TABLE {INPUT_TABLE} (record_key VARCHAR, k VARCHAR, is_new BOOLEAN)")
    rows = [(f"{key}-{i}", key, True) for key, n in SIZES.items() for i in range(n)]
    con.executemany(f"INSERT INTO {INPUT_TABLE} VALUES (?, ?, ?)", rows)
    return con


def test_a_loose_rule_is_skipped_or_keeps_the_blocks_that_fit() -> None:
    con = _input()
    skip, keep = BlockingRule("skip", ("k",)), BlockingRule("keep", ("k",), "keep_small_blocks")
    # 785 pairs in all, over a limit of 10 (per record 0.2 of 47 records, floor 10)
    caps = rule_caps(con, [skip, keep], max_block_size=400, per_record=0.2, records=47, floor=10)
    assert caps == {"skip": 0, "keep": 3}
    result = block(con, [replace(keep, max_block=caps["keep"])], max_block_size=400, max_candidate_pairs=10_000)
    pairs = con.execute(f"SELECT key_l, key_r FROM {CANDIDATES_TABLE}").fetchall()
    assert result.candidate_pairs == len(pairs) == 5            # 1 + 1 + 3: the block of 40 is left out
    assert all(not left.startswith("gare") for left, _ in pairs)
    assert result.warnings == ["blocking rule keep: 1 block(s) over 3 records skipped, to keep this loose rule "
                               "within max_rule_pairs_per_record (40 records)"]


def test_a_rule_within_its_limit_keeps_every_block() -> None:
    con = _input()
    keep = BlockingRule("keep", ("k",), "keep_small_blocks")
    assert rule_caps(con, [keep], max_block_size=400, per_record=1.5, records=47, floor=1_000) == {}
    result = block(con, [keep], max_block_size=400, max_candidate_pairs=10_000)
    assert result.candidate_pairs == 785 and not result.warnings


def test_a_keep_small_blocks_rule_is_skipped_when_not_even_its_pairs_of_two_fit() -> None:
    con = _input()
    keep = BlockingRule("keep", ("k",), "keep_small_blocks")
    # a limit under one pair: the blocks of two alone (two pairs) are over it
    assert rule_caps(con, [keep], max_block_size=400, per_record=0.01, records=47, floor=0) == {"keep": 0}
