"""Excel/ODS connector: the contract kit, plus title rows, numbers-as-text, dates, formulas, sheets."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from sources.base import SourceError, SourceItem
from sources.config import SourceConfig
from sources.excel_inbox import ExcelInbox, find_header
from sources.testing import REFUSED, ROWS, Scenario, SourceContractSuite

HEADER = ["N°", "Nom complet", "Portable", "CP", "Date visite"]


def workbook(rows: list[list[object]], title: str | None = "Salon de Lyon 2026", sheet: str = "Contacts",
             extra_sheet: bool = False) -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet
    if title:
        ws.append([title])
        ws.append([])
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    if extra_sheet:
        other = book.create_sheet("Notes")
        other.append(["Remarque"])
        other.append(["rien"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


ROWS_3 = [
    [1, "Jean DUPONT", 612345678, 1000, dt.datetime(2026, 3, 14)],
    [2, "Zoé Martin", 33698765432, 75001, dt.datetime(2026, 3, 15, 10, 30)],
    [3, "Éric Bernard", None, 69003, dt.date(2026, 3, 16)],
]


def ods_bytes() -> bytes:
    frame = pd.DataFrame(ROWS_3, columns=HEADER)
    buffer = io.BytesIO()
    frame.to_excel(buffer, engine="odf", sheet_name="Contacts", index=False)
    return buffer.getvalue()


class TestExcelContract(SourceContractSuite):
    connector = ExcelInbox
    source = {
        "path": "salon/*",
        "options": {"sheets": ["Contacts"]},
        "key_columns": ["N°"],
        "mapping": {"full_name": {"split_full_name": "Nom complet"}, "phone": "Portable", "postcode": "CP"},
    }
    files = {
        "good.xlsx": workbook(ROWS_3),
        "two_sheets.xlsx": workbook(ROWS_3, extra_sheet=True),
        "no_title.xlsx": workbook(ROWS_3, title=None),
        "good.ods": ods_bytes(),
        "wrong_sheet.xlsx": workbook(ROWS_3, sheet="Feuil1"),
        "header_only.xlsx": workbook([]),
        "corrupt.xlsx": b"PK\x03\x04 this is not really a zip",
    }
    scenarios = [
        Scenario("good.xlsx", expect=ROWS(3)),
        Scenario("two_sheets.xlsx", expect=ROWS(3)),
        Scenario("no_title.xlsx", expect=ROWS(3)),
        Scenario("good.ods", expect=ROWS(3)),
        Scenario("wrong_sheet.xlsx", expect=REFUSED, error_contains="not found"),
        Scenario("header_only.xlsx", expect=REFUSED, error_contains="no data rows"),
        Scenario("corrupt.xlsx", expect=REFUSED, error_contains="not a readable workbook"),
    ]


def read(tmp_path: Path, data: bytes, name: str = "f.xlsx", **options: object) -> dict[str, dict[str, list]]:
    path = tmp_path / name
    path.write_bytes(data)
    source = SourceConfig(name="s", kind="excel", path="*", mapping={}, options=dict(options))
    result = ExcelInbox(source).read(SourceItem(label=name, path=path))
    return {str(s.sheet): s.table.to_pydict() for s in result.sheets}


def test_numbers_dates_and_title_rows(tmp_path: Path) -> None:
    data = read(tmp_path, workbook(ROWS_3))["Contacts"]
    assert list(data) == HEADER
    assert data["N°"] == ["1", "2", "3"]
    assert data["Portable"] == ["612345678", "33698765432", None]  # no ".0", leading zero left to repair
    assert data["CP"] == ["1000", "75001", "69003"]
    assert data["Date visite"] == ["2026-03-14", "2026-03-15T10:30:00", "2026-03-16"]


def test_formulas_are_never_evaluated(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["a", "b"])
    ws.append([1, "=1+1"])
    ws.append([2, '=cmd|" /C calc"!A0'])
    buffer = io.BytesIO()
    book.save(buffer)
    data = read(tmp_path, buffer.getvalue())["Sheet"]
    # openpyxl stores no cached result: calamine hands on the cached value (none), never a computed one.
    assert "2" not in data["b"] and not any(v and "calc" in v and v != '=cmd|" /C calc"!A0' for v in data["b"])


def test_all_sheets_and_explicit_header_row(tmp_path: Path) -> None:
    data = read(tmp_path, workbook(ROWS_3, extra_sheet=True), sheets="all")
    assert set(data) == {"Contacts", "Notes"} and data["Notes"] == {"Remarque": ["rien"]}
    explicit = read(tmp_path, workbook(ROWS_3), header_row=3)["Contacts"]
    assert explicit["N°"] == ["1", "2", "3"]


def test_missing_sheet_names_the_sheets(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"\['Contacts'\] not found"):
        read(tmp_path, workbook(ROWS_3, sheet="Feuil1"), sheets=["Contacts"])


def test_find_header_skips_title_rows() -> None:
    rows: list[list[object]] = [["Export"], ["", ""], ["a", "b", "c"], [1, 2, 3]]
    assert find_header(rows) == 2
    assert find_header([["only"], ["x"]]) == 0
    assert find_header([[], []]) == -1
