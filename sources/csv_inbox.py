"""CSV and delimited text files, as people export them.

Encoding: explicit `encoding` wins; otherwise a BOM decides (UTF-8, UTF-16 from Excel's
"Unicode text"), then strict UTF-8, then Windows-1252, then Latin-1. Delimiter: explicit
`delimiter` wins; otherwise the one of `,` `;` tab `|` that splits the first lines into the same,
largest number of fields. Parsing is pyarrow.csv (multi-threaded, quotes and embedded newlines),
every column read as a string.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
from pydantic import BaseModel, ConfigDict, Field, field_validator

from sources.base import ReadResult, SheetTable, SourceConnector, SourceError, SourceItem
from sources.limits import read_file_capped
from sources.text import unique_names

CANDIDATE_DELIMITERS = (",", ";", "\t", "|")
SNIFF_BYTES = 64 * 1024


class CsvOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    encoding: str | None = Field(
        default=None, description="Text encoding (e.g. utf-8, cp1252, latin-1, utf-16); default: detected."
    )
    delimiter: str | None = Field(default=None, description="Field separator; default: sniffed among , ; tab |.")
    quote_char: str = Field(default='"', description="Quote character.")
    skip_rows: int = Field(default=0, ge=0, description="Lines to skip above the header row.")

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                codecs.lookup(value)
            except LookupError:
                raise ValueError(f"unknown encoding {value!r}") from None
        return value

    @field_validator("delimiter", "quote_char")
    @classmethod
    def _one_char(cls, value: str | None) -> str | None:
        if value is not None:
            value = {"\\t": "\t", "tab": "\t"}.get(value, value)
            if len(value) != 1:
                raise ValueError("must be a single character (use 'tab' for a tab)")
        return value


def detect_encoding(data: bytes) -> str:
    """The encoding a file most plausibly has (see module docstring for the order)."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = data[:SNIFF_BYTES]
    if sample and sample.count(b"\x00") > len(sample) // 4:
        # UTF-16 without a BOM: every ASCII character has a zero byte beside it.
        return "utf-16-le" if sample[1:2] == b"\x00" else "utf-16-be"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        data.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def _field_counts(sample: str, delimiter: str, quote_char: str) -> list[int]:
    lines = sample.splitlines(keepends=True)
    if len(lines) > 1 and len(sample) >= SNIFF_BYTES:
        lines = lines[:-1]  # the last line of a truncated sample may be cut in half
    reader = csv.reader(io.StringIO("".join(lines[:50])), delimiter=delimiter, quotechar=quote_char)
    try:
        return [len(row) for row in reader if row]
    except csv.Error:
        return []


def sniff_delimiter(sample: str, quote_char: str = '"') -> str:
    """The candidate delimiter giving the most rows with the header's (largest) field count."""
    best, best_score = ",", (0, 0)
    for delimiter in CANDIDATE_DELIMITERS:
        counts = _field_counts(sample, delimiter, quote_char)
        if not counts or counts[0] < 2:
            continue
        consistent = sum(1 for c in counts if c == counts[0])
        score = (consistent, counts[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


_EXPECTED = re.compile(r"Expected \d+ columns?, got \d+")
_ROW = re.compile(r"[Rr]ow #?(\d+)")


def safe_parse_error(exc: Exception) -> str:
    """pyarrow's parse error without the offending line's text (it may hold personal data)."""
    message = str(exc)
    parts = []
    if match := _EXPECTED.search(message):
        parts.append(match.group(0).lower())
    if match := _ROW.search(message):
        parts.append(f"near row {match.group(1)}")
    return "malformed CSV: " + (", ".join(parts) if parts else "could not be parsed")


def decode(data: bytes, encoding: str | None, label: str) -> tuple[bytes, str]:
    """UTF-8 bytes of the file (BOM removed) and the encoding used; SourceError if undecodable."""
    used = encoding or detect_encoding(data)
    try:
        if used.replace("_", "-").lower() in ("utf-8", "utf8", "utf-8-sig"):
            data.decode("utf-8")  # validate only: pyarrow reads UTF-8 as is
            return (data[3:] if data.startswith(codecs.BOM_UTF8) else data), used
        text = data.decode(used)
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"{label}: cannot be decoded as {used} (invalid byte at offset {exc.start})"
        ) from None
    return text.lstrip("\ufeff").encode("utf-8"), used


class CsvInbox(SourceConnector):
    kind = "csv"
    description = "CSV / delimited text files (encoding and delimiter detected)"
    options_model = CsvOptions

    def read(self, item: SourceItem) -> ReadResult:
        assert item.path is not None
        data = read_file_capped(Path(item.path), item.label, self.limits, line_limit=True)
        return ReadResult(sheets=[SheetTable(sheet=None, table=self.parse(data, item.label))])

    def parse(self, data: bytes, label: str) -> pa.Table:
        options: CsvOptions = self.options
        utf8, _ = decode(data, options.encoding, label)
        if options.skip_rows:
            lines = utf8.split(b"\n", options.skip_rows)
            utf8 = lines[-1] if len(lines) > options.skip_rows else b""
        if not utf8.strip():
            raise SourceError(f"{label}: the file is empty")
        sample = utf8[:SNIFF_BYTES].decode("utf-8", errors="ignore")
        delimiter = options.delimiter or sniff_delimiter(sample, options.quote_char)
        header_rows = list(
            csv.reader(io.StringIO(sample), delimiter=delimiter, quotechar=options.quote_char)
        )[:1]
        if not header_rows or not any(cell.strip() for cell in header_rows[0]):
            raise SourceError(f"{label}: no header row")
        names = unique_names(header_rows[0])
        try:
            table = pacsv.read_csv(
                io.BytesIO(utf8),
                read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=16 << 20),
                parse_options=pacsv.ParseOptions(
                    delimiter=delimiter,
                    quote_char=options.quote_char,
                    # Embedded newlines need quotes; without any quote the faster parallel parser is exact.
                    newlines_in_values=options.quote_char.encode("utf-8") in utf8,
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()),
                    null_values=[""],
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=True,
                ),
            )
        except pa.ArrowInvalid as exc:
            raise SourceError(f"{label}: {safe_parse_error(exc)}") from None
        return table.combine_chunks()

