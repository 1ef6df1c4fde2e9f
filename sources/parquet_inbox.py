"""Parquet files: typed columns turned into text, nested columns flattened to dotted paths."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from sources.base import ReadResult, SheetTable, SourceConnector, SourceError, SourceItem
from sources.text import table_to_text


class ParquetInbox(SourceConnector):
    kind = "parquet"
    description = "Parquet files (typed columns read as text, nested columns flattened)"

    def read(self, item: SourceItem) -> ReadResult:
        assert item.path is not None
        try:
            table = pq.read_table(item.path)
        except (pa.ArrowException, OSError) as exc:
            raise SourceError(f"{item.label}: not a readable Parquet file ({type(exc).__name__})") from None
        return ReadResult(sheets=[SheetTable(sheet=None, table=table_to_text(table))])
