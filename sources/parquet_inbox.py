"""Parquet files: typed columns turned into text, nested columns flattened to dotted paths.

The footer says how many rows, columns and uncompressed bytes the file holds; they are checked
against the `ingest:` limits before any page is decompressed (a small file of highly compressed
pages must not inflate past them).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from sources.base import ReadResult, SheetTable, SourceConnector, SourceError, SourceItem
from sources.limits import check_shape, too_big
from sources.text import table_to_text


class ParquetInbox(SourceConnector):
    kind = "parquet"
    description = "Parquet files (typed columns read as text, nested columns flattened)"

    def read(self, item: SourceItem) -> ReadResult:
        assert item.path is not None
        try:
            meta = pq.read_metadata(item.path)
        except (pa.ArrowException, OSError) as exc:
            raise SourceError(f"{item.label}: not a readable Parquet file ({type(exc).__name__})") from None
        self.check_footer(item.label, meta)
        try:
            table = pq.read_table(item.path)
        except (pa.ArrowException, OSError) as exc:
            raise SourceError(f"{item.label}: not a readable Parquet file ({type(exc).__name__})") from None
        return ReadResult(sheets=[SheetTable(sheet=None, table=table_to_text(table))])

    def check_footer(self, label: str, meta: pq.FileMetaData) -> None:
        """Refuse, from the footer alone, a file whose shape or uncompressed size passes the limits."""
        check_shape(label, meta.num_rows, meta.num_columns, self.limits)
        inflated = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        if inflated > self.limits.max_file_bytes:
            raise too_big(label, "the uncompressed data", inflated, self.limits.max_file_bytes, "max_file_bytes")
