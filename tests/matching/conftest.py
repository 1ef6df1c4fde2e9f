"""Fixtures for the matching tests (helpers live in `match_helpers.py`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mdm.config import MdmConfig
from tests.matching.match_helpers import MatchWarehouse
from warehouse.connection import open_writer


@pytest.fixture
def match_wh(demo_config: MdmConfig) -> Iterator[MatchWarehouse]:
    con = open_writer(demo_config.paths)
    try:
        yield MatchWarehouse(demo_config, con)
    finally:
        con.close()
