"""Legacy Excel 97-2003 (.xls, BIFF8) through the real Excel connector and the ingest stage.

The fixtures are real BIFF files written by xlwt (a test-only dependency): a title row above the
header, a phone and a postcode stored as numbers (leading zero lost), dates stored as Excel serial
numbers with a date format, and a second sheet chosen by name.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import xlwt

from sources.base import SourceItem
from sources.config import SourceConfig
from sources.excel_inbox import ExcelInbox
from sources.testing import REFUSED, ROWS, Scenario, SourceContractSuite, make_config, query, run_ingest

HEADER: list[object] = ["N°", "Nom complet", "Portable", "CP", "Date visite"]
ROWS_3: list[list[object]] = [
    [1, "Jean DUPONT", 612345678, 1000, dt.date(2026, 3, 14)],
    [2, "Zoé Martin", 33698765432, 75001, dt.datetime(2026, 3, 15, 10, 30)],
    [3, "Éric Bernard", None, 69003, dt.date(2026, 3, 16)],
]
DATE = xlwt.easyxf(num_format_str="DD/MM/YYYY")
DATETIME = xlwt.easyxf(num_format_str="DD/MM/YYYY HH:MM")


def _write(sheet: xlwt.Worksheet, rows: list[list[object]]) -> None:
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, dt.datetime):
                sheet.write(r, c, value, DATETIME)
            elif isinstance(value, dt.date):
                sheet.write(r, c, value, DATE)
            else:
                sheet.write(r, c, value)


def xls(rows: list[list[object]], title: str | None = "Salon de Lyon 2026", sheet: str = "Contacts",
        notes_first: bool = False) -> bytes:
    """A BIFF8 workbook; with `notes_first` the contacts are on the second sheet."""
    book = xlwt.Workbook(encoding="utf-8")
    if notes_first:
        _write(book.add_sheet("Notes"), [["Remarque"], ["rien"]])
    body: list[list[object]] = [[title], []] if title else []
    _write(book.add_sheet(sheet), [*body, HEADER, *rows])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_fixture_is_a_real_biff_file() -> None:
    # The OLE2 compound-document signature of .xls, not a zip (.xlsx) in disguise.
    assert xls(ROWS_3)[:8] == bytes.fromhex("d0cf11e0a1b11ae1")


class TestXlsContract(SourceContractSuite):
    connector = ExcelInbox
    source = {
        "path": "salon/*",
        "options": {"sheets": ["Contacts"]},
        "key_columns": ["N°"],
        "mapping": {"full_name": {"split_full_name": "Nom complet"}, "phone": "Portable", "postcode": "CP"},
    }
    files = {
        "good.xls": xls(ROWS_3),
        "second_sheet.xls": xls(ROWS_3, notes_first=True),
        "wrong_sheet.xls": xls(ROWS_3, sheet="Feuil1"),
        "header_only.xls": xls([]),
        "corrupt.xls": bytes.fromhex("d0cf11e0a1b11ae1") + b" not really an OLE2 file",
    }
    scenarios = [
        Scenario("good.xls", expect=ROWS(3)),
        Scenario("second_sheet.xls", expect=ROWS(3)),
        Scenario("wrong_sheet.xls", expect=REFUSED, error_contains="not found"),
        Scenario("header_only.xls", expect=REFUSED, error_contains="no data rows"),
        Scenario("corrupt.xls", expect=REFUSED, error_contains="not a readable workbook"),
    ]


def test_xls_values_reach_the_raw_layer_as_text(tmp_path: Path) -> None:
    """Through ingest: title row skipped, numbers as text without `.0`, dates as ISO, sheet by name."""
    home = tmp_path / "home"
    config = make_config(home, [{
        "name": "salon", "kind": "excel", "path": "salon/*.xls", "key_columns": ["N°"],
        "options": {"sheets": ["Contacts"]},
        "mapping": {"full_name": {"split_full_name": "Nom complet"}, "phone": "Portable", "postcode": "CP"},
    }])
    folder = config.paths.inbox / "salon"
    folder.mkdir(parents=True)
    (folder / "lyon.xls").write_bytes(xls(ROWS_3, notes_first=True))
    result = run_ingest(config)
    assert result.counts["received"]["salon"] == 3 and result.counts["failed_loads"]["salon"] == 0
    rows = query(config, "SELECT sheet, row_number, payload FROM raw.records ORDER BY row_number")
    assert [(sheet, number) for sheet, number, _ in rows] == [("Contacts", 1), ("Contacts", 2), ("Contacts", 3)]
    payloads = [json.loads(payload) for _, _, payload in rows]
    assert payloads[0] == {"N°": "1", "Nom complet": "Jean DUPONT", "Portable": "612345678", "CP": "1000",
                           "Date visite": "2026-03-14"}
    assert payloads[1]["Portable"] == "33698765432" and payloads[1]["Date visite"] == "2026-03-15T10:30:00"
    assert payloads[2]["Portable"] is None and payloads[2]["Date visite"] == "2026-03-16"
    assert not any("Remarque" in payload for payload in payloads)  # the first sheet was not read


def test_xls_all_sheets_and_explicit_header_row(tmp_path: Path) -> None:
    path = tmp_path / "lyon.xls"
    path.write_bytes(xls(ROWS_3, notes_first=True))

    def read(**options: object) -> dict[str, dict[str, list[object]]]:
        source = SourceConfig(name="s", kind="excel", path="*", mapping={}, options=dict(options))
        result = ExcelInbox(source).read(SourceItem(label="lyon.xls", path=path))
        return {str(s.sheet): s.table.to_pydict() for s in result.sheets}

    both = read(sheets="all")
    assert list(both) == ["Notes", "Contacts"] and both["Notes"] == {"Remarque": ["rien"]}
    assert read()["Notes"] == {"Remarque": ["rien"]}  # default: the first sheet only
    explicit = read(sheets=["Contacts"], header_row=3)["Contacts"]
    assert list(explicit) == HEADER and explicit["CP"] == ["1000", "75001", "69003"]
