"""Hostile files are rejected, never fatal: each is a failed load moved to `rejected/`, the others load.

The files are generated here (see `hostile_files`): a 1 MB .xlsx inflating to 1 GiB, a billion
laughs inside an .xlsx, a sheet spanning 17 billion cells, a CSV with a 2 GB line. Each test
also proves the reader stopped early: bytes read from disk (`/proc/self/io`) or the process's
peak memory stay far below what the file would have cost.
"""

from __future__ import annotations

import resource
from pathlib import Path
from typing import Any

import pytest

from sources.csv_inbox import CsvInbox
from sources.limits import LimitExceeded
from sources.testing import make_config, query, run_ingest
from tests.sources.hostile_files import (
    GIB,
    billion_laughs_prolog,
    bomb_sheet,
    csv_with_long_line,
    laughing_sheet,
    plain_sheet,
    sparse_extent_sheet,
    write_xlsx,
)

FAIR = {"name": "fair", "kind": "excel", "path": "fair/*.xlsx", "mapping": {"last_name": "Nom", "email": "Courriel"}}
CRM = {"name": "crm", "kind": "csv", "path": "crm/*.csv", "mapping": {"last_name": "Nom", "email": "Courriel"}}


def bytes_read() -> int:
    """Bytes this process has read through system calls so far (`rchar`)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ingest_beside_a_good_file(home: Path, sources: list[dict[str, Any]], **ingest: Any) -> Any:
    """Run ingest with a good CRM file beside the hostile one; return (result, config)."""
    config = make_config(home, [*sources, CRM])
    config.ingest = config.ingest.model_copy(update=ingest)
    good = home / "inbox" / "crm" / "good.csv"
    good.parent.mkdir(parents=True, exist_ok=True)
    good.write_text("Nom;Courriel\nMartin;m@x.fr\nDurand;d@x.fr\n", encoding="utf-8")
    return run_ingest(config), config


def assert_rejected(home: Path, config: Any, result: Any, source: str, name: str, reason: str) -> str:
    """The file is a failed load with `reason`, moved aside with a reason file; the good file loaded."""
    assert result.counts["failed_loads"][source] == 1, result.warnings
    assert result.counts["received"]["crm"] == 2
    ((status, error, rows),) = query(
        config, "SELECT status, error, rows_read FROM raw.loads WHERE file = ?", [f"{source}/{name}"]
    )
    assert (status, rows) == ("failed", 0) and reason in error, error
    assert not (home / "inbox" / source / name).exists()
    assert (home / "rejected" / source / name).exists()
    assert reason in (home / "rejected" / source / f"{name}.reason.txt").read_text()
    assert query(config, "SELECT count(*) FROM raw.records WHERE source = ?", [source]) == [(0,)]
    return str(error)


def test_a_plain_generated_workbook_loads(mdm_home: Path) -> None:
    """The control: the same generator without the hostile part gives a file that loads."""
    write_xlsx(mdm_home / "inbox" / "fair" / "ok.xlsx", plain_sheet([("Dupont", "d@x.fr")]))
    result, _ = ingest_beside_a_good_file(mdm_home, [FAIR])
    assert result.counts["received"] == {"fair": 1, "crm": 2}


@pytest.mark.slow  # about 9 s, most of it deflating the 1 GiB while writing the bomb
def test_zip_bomb_is_refused_before_it_inflates(mdm_home: Path) -> None:
    path = write_xlsx(mdm_home / "inbox" / "fair" / "bomb.xlsx", bomb_sheet(GIB))
    assert path.stat().st_size < 2_000_000  # ~1 MB on disk, 1 GiB inflated
    before = peak_rss_mib()
    result, config = ingest_beside_a_good_file(mdm_home, [FAIR])
    error = assert_rejected(mdm_home, config, result, "fair", "bomb.xlsx", "once inflated")
    assert "ingest.max_file_bytes" in error
    assert peak_rss_mib() - before < 200  # nothing near the 1 GiB the file inflates to


def test_a_smaller_bomb_meets_a_lower_limit_from_the_config(mdm_home: Path) -> None:
    """A lower file limit in mdm.yaml is honoured too: a 64 MiB cell against a 16 MiB limit."""
    write_xlsx(mdm_home / "inbox" / "fair" / "bomb.xlsx", bomb_sheet(64 << 20))
    result, config = ingest_beside_a_good_file(mdm_home, [FAIR], max_file_bytes=16 << 20)
    assert_rejected(mdm_home, config, result, "fair", "bomb.xlsx", "more than the limit of 16.0 MiB")


@pytest.mark.parametrize(("name", "hostile", "reason"), [
    # The billion laughs: 10**10 "lol"s from a few hundred bytes of entity declarations.
    ("lol.xlsx", "laughs", "declares a DTD or entities"),
    # Two cells, at A1 and XFD1048576: calamine's dense grid would need 17 billion cells.
    ("wide.xlsx", "sparse", "16,384 columns, more than the limit"),
])
def test_entity_bombs_and_huge_extents_are_refused_unloaded(
    mdm_home: Path, name: str, hostile: str, reason: str
) -> None:
    path = mdm_home / "inbox" / "fair" / name
    if hostile == "laughs":
        write_xlsx(path, laughing_sheet(), prolog=billion_laughs_prolog())
    else:
        write_xlsx(path, sparse_extent_sheet())
    before = peak_rss_mib()
    result, config = ingest_beside_a_good_file(mdm_home, [FAIR])
    assert_rejected(mdm_home, config, result, "fair", name, reason)
    assert peak_rss_mib() - before < 200


def test_a_sparse_sheet_within_the_column_limit_is_stopped_by_the_cell_limit(mdm_home: Path) -> None:
    write_xlsx(mdm_home / "inbox" / "fair" / "wide.xlsx", sparse_extent_sheet())
    result, config = ingest_beside_a_good_file(mdm_home, [FAIR], max_columns=20_000)
    error = assert_rejected(mdm_home, config, result, "fair", "wide.xlsx", "1,048,576 x 16,384 cells")
    assert "ingest.max_cells" in error


@pytest.mark.parametrize(("setting", "value", "words"), [
    ("max_rows", 2, "rows, more than the limit of 2"),
    ("max_columns", 1, "2 columns, more than the limit of 1"),
    ("max_cells", 5, "x 2 cells, more than the limit of 5"),
])
def test_row_column_and_cell_limits_come_from_the_config(
    mdm_home: Path, setting: str, value: int, words: str
) -> None:
    rows = [("Dupont", "d@x.fr"), ("Durand", "e@x.fr"), ("Petit", "p@x.fr")]
    write_xlsx(mdm_home / "inbox" / "fair" / "big.xlsx", plain_sheet(rows))
    csv = mdm_home / "inbox" / "crm" / "big.csv"
    csv.parent.mkdir(parents=True, exist_ok=True)
    csv.write_text("Nom;Courriel\n" + "".join(f"{n};{e}\n" for n, e in rows), encoding="utf-8")
    config = make_config(mdm_home, [FAIR, CRM])
    config.ingest = config.ingest.model_copy(update={setting: value})
    result = run_ingest(config)
    assert result.counts["failed_loads"] == {"fair": 1, "crm": 1}
    errors = [e for (e,) in query(config, "SELECT error FROM raw.loads ORDER BY source")]
    assert all(words in e and f"ingest.{setting}" in e for e in errors), errors


def test_csv_with_a_2_gb_line_is_refused_after_reading_a_few_megabytes(tmp_path: Path) -> None:
    path = csv_with_long_line(tmp_path / "crm" / "long.csv", 2 * GIB)
    assert path.stat().st_size > 2 * GIB
    config = make_config(tmp_path / "home", [CRM])
    connector = CsvInbox(config.sources[0])
    connector.limits = config.ingest.model_copy(update={"max_file_bytes": 4 * GIB})
    from sources.base import SourceItem

    start, peak = bytes_read(), peak_rss_mib()
    with pytest.raises(LimitExceeded, match=r"a line is over .* \(ingest.max_line_bytes\)"):
        connector.read(SourceItem(label="crm/long.csv", path=path))
    read = bytes_read() - start
    assert read < connector.limits.max_line_bytes + 3 * (1 << 20), read  # the limit plus a chunk or two
    assert peak_rss_mib() - peak < 100


def test_csv_over_the_file_limit_is_refused_unread_and_the_run_goes_on(mdm_home: Path) -> None:
    csv_with_long_line(mdm_home / "inbox" / "crm" / "long.csv", 2 * GIB)
    config = make_config(mdm_home, [CRM])
    good = mdm_home / "inbox" / "crm" / "good.csv"
    good.write_text("Nom;Courriel\nMartin;m@x.fr\n", encoding="utf-8")
    start = bytes_read()
    result = run_ingest(config)
    assert bytes_read() - start < 50 << 20  # not even hashed
    assert result.counts["received"] == {"crm": 1} and result.counts["failed_loads"] == {"crm": 1}
    ((error,),) = query(config, "SELECT error FROM raw.loads WHERE status = 'failed'")
    assert "crm/long.csv: the file is over 2048.0 MiB" in error and "ingest.max_file_bytes" in error
    assert (mdm_home / "rejected" / "crm" / "long.csv").exists()


def test_modest_long_line_with_a_small_limit(mdm_home: Path) -> None:
    """A line of 300 KB against a 64 KB limit: rejected with the line limit named."""
    path = mdm_home / "inbox" / "crm" / "wide.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("Nom;Courriel\n" + "x" * 300_000 + ";a@x.fr\n", encoding="utf-8")
    config = make_config(mdm_home, [CRM])
    config.ingest = config.ingest.model_copy(update={"max_line_bytes": 64_000})
    result = run_ingest(config)
    assert result.counts["failed_loads"] == {"crm": 1}
    ((error,),) = query(config, "SELECT error FROM raw.loads")
    assert "a line is over" in error and "ingest.max_line_bytes" in error and "xxx" not in error


def test_a_file_whose_insert_fails_is_a_failed_load_and_the_files_before_it_stay(mdm_home: Path) -> None:
    """The insert runs out of DuckDB memory (8 MB cap): that file is rejected, the other one kept.

    Before, `insert_records` ran outside the stage's error handling and the aborted transaction
    took the whole night down ("Current transaction is aborted").
    """
    from mdm.clock import now
    from mdm.context import RunContext
    from sources.ingest import ingest
    from sources.registry import load_registry
    from warehouse.connection import open_writer, transaction

    config = make_config(mdm_home, [CRM])
    folder = mdm_home / "inbox" / "crm"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "a.csv").write_text("Nom;Courriel\nMartin;m@x.fr\n", encoding="utf-8")
    (folder / "b.csv").write_text(
        "Nom;Courriel\n" + "".join(f"N{i}{'y' * 200};{i}@x.fr\n" for i in range(200_000)), encoding="utf-8"
    )
    con = open_writer(config.paths, memory_limit="8MB")
    try:
        ctx = RunContext(config=config, con=con, run_id="run-oom", now=now())
        with transaction(con):
            result = ingest(ctx, load_registry())
    finally:
        con.close()
    assert result.counts["received"] == {"crm": 1} and result.counts["failed_loads"] == {"crm": 1}
    loads = query(config, "SELECT file, status, error FROM raw.loads ORDER BY file")
    assert loads[0] == ("crm/a.csv", "loaded", None)
    assert loads[1][:2] == ("crm/b.csv", "failed") and "ran out of memory" in loads[1][2]
    assert query(config, "SELECT count(*) FROM raw.records") == [(1,)]
    assert (mdm_home / "rejected" / "crm" / "b.csv").exists()


@pytest.mark.parametrize("limit", [1_000, 70_000, 1 << 20])
@pytest.mark.parametrize("offset", [0, 5, 65_535, 1_000_003])
def test_the_line_limit_is_exact_wherever_the_line_falls(limit: int, offset: int) -> None:
    """A line of exactly the limit passes, one byte more is refused, whatever the chunk boundaries
    (small limits are scanned, larger ones read in chunks no longer than the limit)."""
    import io

    from sources.config import IngestLimits
    from sources.limits import read_capped

    limits = IngestLimits(max_line_bytes=limit)
    before = b"a,b\n" + b"x" * offset + b"\n"
    for length, refused in ((limit, False), (limit + 1, True)):
        data = before + b"y" * length + b"\nz\n"
        if refused:
            with pytest.raises(LimitExceeded, match="a line is over"):
                read_capped(io.BytesIO(data), "f.csv", limits, line_limit=True)
        elif offset <= limit:
            assert read_capped(io.BytesIO(data), "f.csv", limits, line_limit=True) == data


@pytest.mark.parametrize(("xml", "extent"), [
    (b'<row r="12"><c r="AB3" t="s"><v>1</v></c></row>', (12, 28)),
    (b'<c t="s" r="XFD1048576"><v>1</v></c>', (1_048_576, 16_384)),
    (b'<row spans="1:2" r="900000"><c t="n"><v>1</v></c></row>', (900_000, 0)),
    (b'<c r="Z9"/><c r="A1"/>', (9, 26)),
    (b'<c ref="ZZ99"/><c r="B2"/> r="A12', (2, 2)),  # `ref=` is not a reference; a cut one is skipped
    (b"<sheetData/>", (0, 0)),
])
def test_sheet_references_are_read_exactly(xml: bytes, extent: tuple[int, int]) -> None:
    from sources.workbook_guard import ref_extent

    assert ref_extent(xml) == extent
