"""What the CLI shows people: no Python reprs ("None", "['crm']"), no microseconds, real plurals.
Run on a real published file (the web tests' fixture publication)."""

from __future__ import annotations

import re

from click.testing import CliRunner

from mdm.cli import mdm
from mdm.config import MdmConfig
from tests.mdm.web.web_helpers import build_published

GID = "33333333-3333-4333-8333-333333333333"  # Jean Martin, two records (crm, webshop)


def test_sql_shows_null_as_nothing(demo_config: MdmConfig) -> None:
    build_published(demo_config.paths.published)
    out = CliRunner().invoke(mdm, ["sql", "SELECT NULL AS nothing, 'x' AS something"]).output
    assert "None" not in out and "x" in out
    assert out.rstrip().endswith("1 row")


def test_golden_show_and_find_read_as_words(demo_config: MdmConfig) -> None:
    build_published(demo_config.paths.published)
    runner = CliRunner()
    shown = runner.invoke(mdm, ["golden", "show", GID])
    assert shown.exit_code == 0, shown.output
    assert "2 records from crm, webshop" in shown.output
    assert "['" not in shown.output
    assert re.search(r"\d{2}:\d{2}:\d{2}", shown.output) is None  # to the minute: no seconds, no microseconds
    found = runner.invoke(mdm, ["golden", "find", "--name", "marie"]).output
    assert "(1 record)" in found and "records)" not in found
