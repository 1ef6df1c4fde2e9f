"""Excel and OpenDocument workbooks (.xlsx .xlsm .xls .ods) through python-calamine.

calamine is a Rust reader: it returns each cell's cached value, so formulas are never evaluated
and macros never run. Title rows above the header are skipped by finding the first row that is
about as wide as the table. Numbers become text without a spurious `.0` (a phone stored as a
number, 612345678, stays "612345678" for the standardiser to repair); Excel dates become ISO text.

Before calamine opens a zipped workbook, `sources.workbook_guard` refuses one that would inflate
past the `ingest:` limits (zip bombs, entity expansion, a sheet spanning billions of cells).
"""

from __future__ import annotations

from typing import Any, Literal

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field
from python_calamine import CalamineWorkbook

from sources.base import ReadResult, SheetTable, SourceConnector, SourceError, SourceItem
from sources.limits import check_shape
from sources.text import text_column, to_text, unique_names
from sources.workbook_guard import inspect_workbook

HEADER_SCAN_ROWS = 30


class ExcelOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sheets: list[str] | Literal["all"] | None = Field(
        default=None, description="Sheet names to read, or 'all'; default: the first sheet."
    )
    header_row: int | None = Field(
        default=None, ge=1, description="1-based row of the header in the sheet; default: detected."
    )


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def find_header(rows: list[list[Any]]) -> int:
    """0-based index of the header: the first row at least half as wide as the widest early row."""
    widths = [sum(not _is_blank(v) for v in row) for row in rows[:HEADER_SCAN_ROWS]]
    widest = max(widths, default=0)
    if widest == 0:
        return -1
    needed = max(1, min(2, widest), (widest + 1) // 2)
    return next(i for i, width in enumerate(widths) if width >= needed)


def sheet_table(rows: list[list[Any]], header_row: int | None, label: str, sheet: str) -> pa.Table | None:
    """One sheet's rows as an all-string table; None when the sheet holds no header at all."""
    header_index = header_row - 1 if header_row else find_header(rows)
    if header_index < 0 or header_index >= len(rows):
        return None
    header = rows[header_index]
    body = [row for row in rows[header_index + 1 :] if not all(_is_blank(v) for v in row)]
    width = max([len(header), *(len(r) for r in body)]) if body else len(header)
    keep = [
        i
        for i in range(width)
        if (i < len(header) and not _is_blank(header[i])) or any(i < len(r) and not _is_blank(r[i]) for r in body)
    ]
    if not keep:
        return None
    names = unique_names([header[i] if i < len(header) else None for i in keep])
    columns = [text_column(row[i] if i < len(row) else None for row in body) for i in keep]
    return pa.table(columns, names=names)


class ExcelInbox(SourceConnector):
    kind = "excel"
    description = "Excel / OpenDocument workbooks (.xlsx .xlsm .xls .ods), formulas never evaluated"
    options_model = ExcelOptions

    def read(self, item: SourceItem) -> ReadResult:
        assert item.path is not None
        options: ExcelOptions = self.options
        inspect_workbook(item.path, item.label, self.limits)
        try:
            workbook = CalamineWorkbook.from_path(str(item.path))
        except Exception as exc:  # calamine raises several types for corrupt or unknown files
            raise SourceError(f"{item.label}: not a readable workbook ({type(exc).__name__})") from None
        try:
            names = list(workbook.sheet_names)
            if options.sheets == "all":
                wanted = names
            elif options.sheets:
                missing = [s for s in options.sheets if s not in names]
                if missing:
                    raise SourceError(f"{item.label}: sheet(s) {missing} not found; the workbook has {names}")
                wanted = list(options.sheets)
            else:
                wanted = names[:1]
            sheets: list[SheetTable] = []
            for name in wanted:
                try:
                    sheet = workbook.get_sheet_by_name(name)
                except Exception as exc:
                    raise SourceError(f"{item.label}: sheet {name!r} unreadable ({type(exc).__name__})") from None
                # Before the rows become Python objects (a .xls or .ods is not inspected cell by cell).
                check_shape(item.label, sheet.total_height, sheet.total_width, self.limits, f" (sheet {name!r})")
                try:
                    rows = sheet.to_python(skip_empty_area=False)
                except Exception as exc:
                    raise SourceError(f"{item.label}: sheet {name!r} unreadable ({type(exc).__name__})") from None
                table = sheet_table(rows, options.header_row, item.label, name)
                if table is not None and table.num_rows > 0:
                    sheets.append(SheetTable(sheet=name, table=table))
        finally:
            close = getattr(workbook, "close", None)
            if close is not None:
                close()
        return ReadResult(sheets=sheets)


__all__ = ["ExcelInbox", "ExcelOptions", "find_header", "sheet_table", "to_text"]
