"""How much one inbox file may hold (`ingest:` in `mdm.yaml`), checked while reading, not after.

Why: a hostile or broken file must be a failed load, never a failed night. A 1 MB .xlsx that
inflates to 1 GiB, or a CSV with a 2 GB line, used to exhaust memory inside the stage and stop
every run. The limits here are checked as the bytes stream in, so a reader stops at the limit
(plus one read buffer) whatever the file claims or holds:

- `max_file_bytes`: bytes a reader may take from one file once decompressed (the file itself for
  text, the sum of the inflated zip entries for .xlsx/.ods, the uncompressed pages for Parquet);
- `max_line_bytes`: one physical line of a CSV file;
- `max_rows`, `max_columns`, `max_cells`: the shape of what one file (one sheet) may yield;
- `max_field_chars`: one mapped value; a longer value sends its row to quarantine
  (`field_too_long`) instead of rejecting the file, since one bad cell is the row's problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import numpy as np

from sources.base import SourceError
from sources.config import MIB, IngestLimits

#: Bytes read at a time: what a reader may hold beyond a limit before it notices.
CHUNK_BYTES = 1 << 20
#: Below this, a line limit is checked by scanning each chunk rather than by reading smaller ones.
MIN_CHUNK_BYTES = 64 << 10


class LimitExceeded(SourceError):
    """A file goes beyond one of the `ingest:` limits; the message names the limit, never a value."""


def _size(n: int) -> str:
    return f"{n / MIB:.1f} MiB" if n >= MIB else f"{n:,} bytes"


def too_big(label: str, what: str, size: int, limit: int, key: str) -> LimitExceeded:
    """The one wording of every size refusal: what, how big, the limit and the key that sets it."""
    return LimitExceeded(f"{label}: {what} is over {_size(size)}, more than the limit of {_size(limit)} "
                         f"(ingest.{key})")


def check_shape(label: str, rows: int, columns: int, limits: IngestLimits, where: str = "") -> None:
    """Refuse a table (or a sheet's declared extent) bigger than the row, column or cell limits."""
    place = f"{label}{where}"
    if rows > limits.max_rows:
        raise LimitExceeded(f"{place}: {rows:,} rows, more than the limit of {limits.max_rows:,} (ingest.max_rows)")
    if columns > limits.max_columns:
        raise LimitExceeded(
            f"{place}: {columns:,} columns, more than the limit of {limits.max_columns:,} (ingest.max_columns)"
        )
    if rows * columns > limits.max_cells:
        raise LimitExceeded(
            f"{place}: {rows:,} x {columns:,} cells, more than the limit of {limits.max_cells:,} (ingest.max_cells)"
        )


def _longest_line(chunk: bytes, carried: int, exact: bool) -> tuple[int, int]:
    """(longest line seen in `chunk`, counting `carried` bytes of a line left open before it; bytes left open).

    Unless `exact`, only the line crossing into the chunk is measured (two `find`s, no scan): a
    line wholly inside a chunk is shorter than the chunk, which is read no longer than the limit.
    """
    first = chunk.find(b"\n")
    if first < 0:
        return carried + len(chunk), carried + len(chunk)
    left_open = len(chunk) - chunk.rfind(b"\n") - 1
    if not exact:
        return carried + first, left_open
    ends = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10)
    inner = int(np.diff(ends).max()) - 1 if ends.size > 1 else 0
    return max(carried + first, inner), left_open


def read_capped(stream: BinaryIO, label: str, limits: IngestLimits, line_limit: bool) -> bytes:
    """All of `stream`, read a chunk at a time, refusing it as soon as a size or line limit is passed.

    Never holds more than the limit plus one chunk, whatever the file holds: a 2 GB line is
    refused after about `max_line_bytes` + 1 MiB have been read.
    """
    size = max(MIN_CHUNK_BYTES, min(CHUNK_BYTES, limits.max_line_bytes)) if line_limit else CHUNK_BYTES
    exact = size > limits.max_line_bytes  # a limit below the smallest chunk: measure every line
    parts: list[bytes] = []
    total = open_line = 0
    while chunk := stream.read(size):
        total += len(chunk)
        if total > limits.max_file_bytes:
            raise too_big(label, "the file", total, limits.max_file_bytes, "max_file_bytes")
        if line_limit:
            longest, open_line = _longest_line(chunk, open_line, exact)
            if longest > limits.max_line_bytes:
                raise too_big(label, "a line", longest, limits.max_line_bytes, "max_line_bytes")
        parts.append(chunk)
    return b"".join(parts)


def read_file_capped(path: Path, label: str, limits: IngestLimits, line_limit: bool = False) -> bytes:
    """`read_capped` on a file, refusing at once a file whose size on disk is already over the limit."""
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise too_big(label, "the file", size, limits.max_file_bytes, "max_file_bytes")
    with path.open("rb") as stream:
        return read_capped(stream, label, limits, line_limit)
