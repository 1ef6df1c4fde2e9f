"""The kit can fail: deliberately broken connectors must fail it. And plug-ins register by entry point."""

from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pytest

from sources.base import ReadResult, SheetTable, SourceError, SourceItem
from sources.csv_inbox import CsvInbox
from sources.registry import ENTRY_POINT_GROUP, load_registry
from sources.testing import Scenario, make_config, query, run_ingest
from tests.sources import (
    test_csv_inbox,  # the good CSV suite, reused with broken connectors (module import: not re-collected)
)


class ShufflingCsv(CsvInbox):
    """Broken: every other read returns the rows in reverse order (so two reads always differ)."""

    kind = "shuffling"
    reads = 0

    def read(self, item: SourceItem) -> ReadResult:
        result = super().read(item)
        table = result.sheets[0].table
        ShufflingCsv.reads += 1
        order = list(range(table.num_rows))
        if ShufflingCsv.reads % 2:
            order.reverse()
        return ReadResult(sheets=[SheetTable(None, table.take(order))])


class SwallowingCsv(CsvInbox):
    """Broken: swallows parse errors and hands on what it could read (a half-load)."""

    kind = "swallowing"

    def read(self, item: SourceItem) -> ReadResult:
        try:
            return super().read(item)
        except SourceError:
            assert item.path is not None
            head = item.path.read_bytes().split(b"\n")[:1]
            names = head[0].decode().split(";") if head and head[0] else ["id"]
            return ReadResult(sheets=[SheetTable(None, pa.table({n: ["?"] for n in names}))])


class TypedCsv(CsvInbox):
    """Broken: hands on typed (integer) columns instead of text."""

    kind = "typed"

    def read(self, item: SourceItem) -> ReadResult:
        table = super().read(item).sheets[0].table
        return ReadResult(sheets=[SheetTable(None, table.append_column("n", pa.array(range(table.num_rows))))])


GoodSuite = test_csv_inbox.TestCsvContract


def suite_for(connector: type[CsvInbox]) -> GoodSuite:
    return type(f"Broken{connector.__name__}", (GoodSuite,), {"connector": connector})()


def scenario(name: str) -> Scenario:
    return next(s for s in GoodSuite.scenarios if s.file == name)


def test_kit_catches_non_deterministic_output(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="two reads of the same file differ"):
        suite_for(ShufflingCsv).test_deterministic_output(tmp_path)


def test_kit_catches_a_connector_that_does_not_refuse(tmp_path: Path) -> None:
    suite = suite_for(SwallowingCsv)
    with pytest.raises(AssertionError, match="expected a refusal"):
        suite.test_scenario(scenario("ragged.csv"), tmp_path / "a")


def test_kit_catches_non_text_columns(tmp_path: Path) -> None:
    suite = suite_for(TypedCsv)
    with pytest.raises(AssertionError, match="non-text column"):
        suite.test_scenario(scenario("good.csv"), tmp_path / "a")
    with pytest.raises(AssertionError, match="every column must be text"):
        suite.test_deterministic_output(tmp_path / "b")


def test_the_same_kit_passes_the_real_connector(tmp_path: Path) -> None:
    """Positive control for the three tests above."""
    suite = suite_for(CsvInbox)
    suite.test_deterministic_output(tmp_path / "a")
    suite.test_scenario(scenario("ragged.csv"), tmp_path / "b")
    suite.test_all_or_nothing_and_run_goes_on(tmp_path / "c")


PLUGIN = '''
import pyarrow as pa
from sources.base import ReadResult, SheetTable, SourceConnector, SourceItem


class KeyValue(SourceConnector):
    kind = "keyvalue"
    description = "key=value lines, one record per blank-line-separated block"

    def read(self, item: SourceItem) -> ReadResult:
        blocks = item.path.read_text().strip().split("\\n\\n")
        rows = [dict(line.split("=", 1) for line in block.splitlines()) for block in blocks]
        names = list(dict.fromkeys(k for row in rows for k in row))
        return ReadResult([SheetTable(None, pa.table({n: [r.get(n) for r in rows] for n in names}))])
'''


def install_plugin(folder: Path, monkeypatch: pytest.MonkeyPatch, target: str) -> None:
    """A real installed distribution (dist-info on sys.path), as `pip install` would leave it."""
    (folder / "acme_kv.py").write_text(textwrap.dedent(PLUGIN))
    info = folder / "acme_kv-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-kv\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{target}\n")
    monkeypatch.syspath_prepend(str(folder))
    importlib.invalidate_caches()


def test_plugin_is_found_through_its_entry_point_and_ingests(
    tmp_path: Path, mdm_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "site").mkdir()
    install_plugin(tmp_path / "site", monkeypatch, "keyvalue = acme_kv:KeyValue")
    registry = load_registry()
    assert "keyvalue" in registry.kinds() and registry.origins["keyvalue"] == "acme-kv"
    config = make_config(mdm_home, [{"name": "kv", "kind": "keyvalue", "path": "kv/*.txt", "key_columns": ["id"],
                                     "mapping": {"email": "mail"}}])
    (mdm_home / "inbox" / "kv").mkdir(parents=True)
    (mdm_home / "inbox" / "kv" / "a.txt").write_text("id=1\nmail=a@x.fr\n\nid=2\nmail=b@x.fr\n")
    result = run_ingest(config)  # default registry: the plug-in is discovered, not injected
    assert result.counts["received"] == {"kv": 2}
    assert query(config, "SELECT count(*) FROM raw.records WHERE source = 'kv'") == [(2,)]
    sys.modules.pop("acme_kv", None)


def test_broken_plugin_is_reported_not_fatal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "site").mkdir()
    install_plugin(tmp_path / "site", monkeypatch, "broken = acme_kv:DoesNotExist")
    registry = load_registry()
    assert "broken" not in registry.kinds() and "csv" in registry.kinds()
    assert any("acme-kv" in p and "'broken'" in p for p in registry.problems)
    sys.modules.pop("acme_kv", None)
