"""The connector contract kit: one subclass gives a connector the whole standard suite.

Shaped after Meltano's `get_tap_test_class` (one line pulls in every standard test) and
Airbyte's scenarios (each input carries its expected outcome, and refusing bad input loudly
is a test like any other). Usage, in a connector's own tests:

    from sources.testing import REFUSED, ROWS, Scenario, SourceContractSuite

    class TestAcme(SourceContractSuite):
        connector = AcmeConnector
        source = {"path": "acme/*.txt", "key_columns": ["id"], "mapping": {"email": "mail"}}
        fixtures = Path(__file__).parent / "fixtures"          # or files = {"good.txt": "..."}
        scenarios = [
            Scenario("good.txt", expect=ROWS(3)),
            Scenario("bad_header.txt", expect=REFUSED, error_contains="missing column"),
        ]

Every test runs the real ingest stage (`sources.ingest`) on a throw-away warehouse, so what is
checked is what a nightly run would do: lineage columns present, deterministic output, a clear
error on a missing column, all-or-nothing on failure, idempotent reload. The class is named
without a `Test` prefix so pytest never collects it on its own.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa

from mdm.canonical import CANONICAL_FIELDS
from mdm.config import MdmConfig, Paths
from mdm.context import RunContext, StageResult
from sources.base import SourceConnector, SourceItem
from sources.config import SourceConfig
from sources.registry import Registry, load_registry

#: Name of the one source the kit configures.
CONTRACT_SOURCE = "contract"


@dataclass(frozen=True)
class Expect:
    outcome: str  # rows | refused
    rows: int = 0

    def __repr__(self) -> str:
        return f"ROWS({self.rows})" if self.outcome == "rows" else "REFUSED"


def ROWS(n: int) -> Expect:  # noqa: N802 - reads like a constant in scenario lists
    """The file loads, with exactly `n` rows (all sheets together)."""
    return Expect("rows", n)


#: The file must be refused: a failed load, no rows, the file moved to `rejected/`.
REFUSED = Expect("refused")


@dataclass(frozen=True)
class Scenario:
    """One input file and what must happen to it.

    `error_contains`: a substring the failure message must hold (e.g. the missing column).
    `private`: values from the file that must never appear in an error message.
    """

    file: str
    expect: Expect
    error_contains: str | None = None
    private: tuple[str, ...] = field(default_factory=tuple)

    def __str__(self) -> str:
        return f"{self.file}->{self.expect!r}"


def make_config(home: Path, sources: list[dict[str, Any]]) -> MdmConfig:
    """An `MdmConfig` with the given sources and its home at `home` (folders created)."""
    config = MdmConfig.model_validate({"sources": sources})
    config.paths = Paths(home=home)
    config.paths.ensure()
    return config


def run_ingest(config: MdmConfig, registry: Registry | None = None, run_id: str | None = None) -> StageResult:
    """Run the ingest stage once, in its own transaction, as the runner does."""
    from mdm.clock import now
    from mdm.runner import new_run_id
    from sources.ingest import ingest
    from warehouse.connection import open_writer, transaction

    con = open_writer(config.paths)
    try:
        ctx = RunContext(config=config, con=con, run_id=run_id or new_run_id(), now=now())
        with transaction(con):
            result = ingest(ctx, registry or load_registry())
    finally:
        con.close()
    return result


def query(config: MdmConfig, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    import duckdb

    con = duckdb.connect(str(config.paths.warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


class SourceContractSuite:
    """Subclass with `connector`, `source`, `scenarios` and `fixtures` or `files`."""

    connector: ClassVar[type[SourceConnector]]
    #: The source's config without `name` and `kind` (the kit sets them): path, options, mapping...
    source: ClassVar[dict[str, Any]]
    scenarios: ClassVar[list[Scenario]]
    #: A folder holding the scenario files...
    fixtures: ClassVar[Path | None] = None
    #: ...or their contents inline (str is written as UTF-8).
    files: ClassVar[dict[str, str | bytes]] = {}

    # ---- plumbing -------------------------------------------------------------------------

    def pytest_generate_tests(self, metafunc: Any) -> None:
        if "scenario" in metafunc.fixturenames:
            metafunc.parametrize("scenario", self.scenarios, ids=[str(s) for s in self.scenarios])

    def source_config(self, **overrides: Any) -> dict[str, Any]:
        data = {"name": CONTRACT_SOURCE, "kind": self.connector.kind, **self.source}
        data.update(overrides)
        return data

    def registry(self) -> Registry:
        registry = load_registry(include_plugins=False)
        registry.add(self.connector)
        return registry

    def config(self, home: Path, **overrides: Any) -> MdmConfig:
        return make_config(home, [self.source_config(**overrides)])

    def folder(self, config: MdmConfig) -> Path:
        pattern = Path(self.source["path"])
        return config.paths.inbox / pattern.parent

    def place(self, config: MdmConfig, name: str, as_name: str | None = None) -> Path:
        """Copy scenario file `name` into the inbox where the source's glob finds it."""
        target = self.folder(config) / (as_name or name)
        target.parent.mkdir(parents=True, exist_ok=True)
        if name in self.files:
            content = self.files[name]
            target.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        elif self.fixtures is not None and (self.fixtures / name).exists():
            shutil.copyfile(self.fixtures / name, target)
        else:
            raise FileNotFoundError(f"scenario file {name!r} is neither in `files` nor in `fixtures`")
        return target

    def good(self) -> Scenario:
        for scenario in self.scenarios:
            if scenario.expect.outcome == "rows":
                return scenario
        raise AssertionError("the suite needs at least one scenario with expect=ROWS(n)")

    def refused(self) -> list[Scenario]:
        return [s for s in self.scenarios if s.expect.outcome == "refused"]

    def label(self, config: MdmConfig, path: Path) -> str:
        return path.relative_to(config.paths.inbox).as_posix()

    # ---- the standard tests ---------------------------------------------------------------

    def test_scenario(self, scenario: Scenario, tmp_path: Path) -> None:
        """Each scenario ends as it says: rows with full lineage, or a clean refusal."""
        config = self.config(tmp_path / "home")
        path = self.place(config, scenario.file)
        label = self.label(config, path)
        result = run_ingest(config, self.registry())
        loads = query(config, "SELECT load_id, status, rows_read, error FROM raw.loads WHERE file = ?", [label])
        assert len(loads) == 1, f"{scenario}: expected one raw.loads row for {label}, got {len(loads)}"
        load_id, status, rows_read, error = loads[0]
        records = query(config, "SELECT count(*) FROM raw.records WHERE file = ?", [label])[0][0]
        if scenario.expect.outcome == "rows":
            assert status == "loaded", f"{scenario}: load {status}: {error}"
            assert rows_read == scenario.expect.rows == records, (
                f"{scenario}: expected {scenario.expect.rows} rows, loaded {rows_read}, stored {records}"
            )
            assert result.counts["received"][CONTRACT_SOURCE] == scenario.expect.rows
            self.check_lineage(config, load_id, label)
        else:
            assert status == "failed", f"{scenario}: expected a refusal, got {status} with {rows_read} rows"
            assert records == 0, f"{scenario}: a refused file left {records} rows behind (half-load)"
            assert error and label in error, f"{scenario}: the error must name the file: {error!r}"
            if scenario.error_contains:
                assert scenario.error_contains in error, f"{scenario}: {scenario.error_contains!r} not in {error!r}"
            for value in scenario.private:
                assert value not in error, f"{scenario}: the error message leaks a cell value"
            assert result.counts["failed_loads"][CONTRACT_SOURCE] == 1
            rejected = config.paths.rejected / CONTRACT_SOURCE
            assert not path.exists(), f"{scenario}: a refused file must leave the inbox"
            assert (rejected / path.name).exists(), f"{scenario}: not moved to {rejected}"
            assert (rejected / f"{path.name}.reason.txt").exists(), f"{scenario}: no .reason.txt"

    def check_lineage(self, config: MdmConfig, load_id: str, label: str) -> None:
        rows = query(
            config,
            "SELECT record_key, source, load_id, file, sheet, row_number, ingested_at, payload "
            "FROM raw.records WHERE load_id = ? ORDER BY sheet, row_number",
            [load_id],
        )
        required = SourceConfig.model_validate(self.source_config()).required_columns()
        per_sheet: dict[Any, list[int]] = {}
        for record_key, source, row_load, file, sheet, row_number, ingested_at, payload in rows:
            assert source == CONTRACT_SOURCE and row_load == load_id and file == label
            assert record_key and record_key.startswith(f"{CONTRACT_SOURCE}:"), "record_key missing or unprefixed"
            assert ingested_at is not None, "ingested_at missing"
            values = json.loads(payload)
            assert isinstance(values, dict), "payload must be a JSON object"
            assert all(v is None or isinstance(v, str) for v in values.values()), "payload values must be text"
            missing = [c for c in required if c not in values]
            assert not missing, f"payload lacks mapped column(s) {missing}"
            per_sheet.setdefault(sheet, []).append(row_number)
        for sheet, numbers in per_sheet.items():
            assert numbers == list(range(1, len(numbers) + 1)), f"row numbers of sheet {sheet!r} not 1..n"

    def test_deterministic_output(self, tmp_path: Path) -> None:
        """Reading the same file twice gives identical all-text tables."""
        config = self.config(tmp_path / "home")
        path = self.place(config, self.good().file)
        source = SourceConfig.model_validate(self.source_config())
        item = SourceItem(label=self.label(config, path), path=path)
        first = self.connector(source).read(item)
        second = self.connector(source).read(item)
        assert len(first.sheets) == len(second.sheets) > 0
        for a, b in zip(first.sheets, second.sheets, strict=True):
            assert a.sheet == b.sheet
            assert all(pa.types.is_string(t) for t in a.table.schema.types), "every column must be text"
            assert a.table.equals(b.table), f"two reads of the same file differ (sheet {a.sheet!r})"

    def test_missing_mapped_column_is_refused_clearly(self, tmp_path: Path) -> None:
        """A mapping naming a column the file lacks is a failed load that names the column."""
        absent = "mdm_contract_absent_column"
        mapping = dict(self.source.get("mapping", {}))
        target = next(f for f in CANONICAL_FIELDS if f not in mapping)
        mapping[target] = absent
        config = self.config(tmp_path / "home", mapping=mapping)
        self.place(config, self.good().file)
        run_ingest(config, self.registry())
        loads = query(config, "SELECT status, error FROM raw.loads")
        assert [s for s, _ in loads] == ["failed"], f"expected one failed load, got {loads}"
        assert absent in (loads[0][1] or ""), f"the error must name the missing column: {loads[0][1]!r}"
        assert query(config, "SELECT count(*) FROM raw.records")[0][0] == 0

    def test_all_or_nothing_and_run_goes_on(self, tmp_path: Path) -> None:
        """A refused file beside a good one: the good one loads whole, the bad one not at all."""
        if not self.refused():
            raise AssertionError("the suite needs at least one scenario with expect=REFUSED")
        config = self.config(tmp_path / "home")
        good = self.place(config, self.good().file)
        bad_scenario = self.refused()[0]
        bad = self.place(config, bad_scenario.file, as_name=f"zz_{bad_scenario.file}")
        result = run_ingest(config, self.registry())
        assert result.counts["received"][CONTRACT_SOURCE] == self.good().expect.rows
        assert result.counts["failed_loads"][CONTRACT_SOURCE] == 1
        assert query(config, "SELECT count(*) FROM raw.records WHERE file = ?", [self.label(config, bad)])[0][0] == 0
        good_rows = query(config, "SELECT count(*) FROM raw.records WHERE file = ?", [self.label(config, good)])
        assert good_rows[0][0] == self.good().expect.rows

    def test_idempotent_reload(self, tmp_path: Path) -> None:
        """The same file ingested again (even under another name) adds nothing."""
        config = self.config(tmp_path / "home")
        self.place(config, self.good().file)
        first = run_ingest(config, self.registry())
        before = query(config, "SELECT count(*), count(DISTINCT record_key) FROM raw.records")[0]
        self.place(config, self.good().file, as_name=f"copy_of_{self.good().file}")
        second = run_ingest(config, self.registry())
        after = query(config, "SELECT count(*), count(DISTINCT record_key) FROM raw.records")[0]
        assert first.counts["loads"] == 1 and first.counts["received"][CONTRACT_SOURCE] > 0
        assert second.counts["loads"] == 0, "the same content was loaded twice"
        assert second.counts["skipped_already_loaded"] == 2
        assert before == after
