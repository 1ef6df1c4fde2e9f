"""Scrub free text and files of an erased person, by salted hash (`targets.Targets`).

- `scrub_duckdb_text`: every free-text column (`FREE_TEXT_COLUMNS`: steward comments, hold
  reasons, file names, load errors) of every table of a DuckDB database.
- `files_holding`: the inbox and rejected files that held the person, as content hashes.
- `delete_files`: deletes them (and a rejected file's `.reason.txt`).

Inbox files are deleted on erasure, not redacted: a loaded file is never read again (its content
hash is in `raw.loads`), and an export in a binary format (.xlsx) cannot be rewritten faithfully
without the person. A rejected file never loaded, so it is found by its bytes instead.
"""

from __future__ import annotations

import os
import re
import zipfile
import zlib
from pathlib import Path
from typing import IO

import duckdb

from sources.inbox import content_hash
from warehouse.retention.targets import FREE_TEXT_COLUMNS, Targets

REASON_SUFFIX = ".reason.txt"
FILE_FOLDERS = ("inbox", "rejected")


def _text_columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    return con.execute(
        """
        SELECT schema_name, table_name, column_name FROM duckdb_columns()
        WHERE database_name = current_database() AND NOT internal AND data_type = 'VARCHAR'
          AND lower(column_name) IN (SELECT unnest(?::VARCHAR[]))
          AND (schema_name, table_name) IN (SELECT schema_name, table_name FROM duckdb_tables())
        ORDER BY 1, 2, 3
        """,
        [list(FREE_TEXT_COLUMNS)],
    ).fetchall()


def scrub_duckdb_text(con: duckdb.DuckDBPyConnection, targets: Targets) -> int:
    """Scrub the free-text columns in place (caller's transaction); returns rows changed.

    Each distinct value is scrubbed once in Python (a handful: comments, file names), then one
    UPDATE per column joins the changed ones."""
    if not targets.scrubs_text():
        return 0
    changed = 0
    for schema, table, column in _text_columns(con):
        values = con.execute(f'SELECT DISTINCT "{column}" FROM "{schema}"."{table}" WHERE "{column}" IS NOT NULL')
        pairs = [(old, new) for (old,) in values.fetchall() if (new := targets.scrub(old)) != old]
        if not pairs:
            continue
        con.execute("CREATE OR REPLACE TEMP TABLE _scrub_map (old VARCHAR, new VARCHAR)")
        con.executemany("INSERT INTO _scrub_map VALUES (?, ?)", pairs)
        row = con.execute(
            f'UPDATE "{schema}"."{table}" AS t SET "{column}" = m.new FROM _scrub_map m WHERE t."{column}" = m.old'
        ).fetchone()
        changed += int(row[0]) if row else 0
        con.execute("DROP TABLE _scrub_map")
    return changed


def _needles(emails: list[str], phone_forms: list[str], national_ids: list[str]) -> tuple[list[bytes], list[bytes]]:
    text = [v.lower().encode() for v in (*emails, *national_ids) if v]
    digits = [re.sub(r"\D", "", v).encode() for v in phone_forms if v]
    return text, [d for d in digits if len(d) >= 8]


#: Most bytes inflated from one rejected archive's members while looking for an identifier: a
#: zip bomb is rejected at ingest, and must not fill the memory of the erasure that scans it.
MAX_INFLATED_BYTES = 512 << 20


def _stream_holds(handle: IO[bytes], name: str, text: list[bytes], digits: list[bytes], budget: int) -> bool:
    """Whether the stream's bytes (read in 1 MiB blocks, at most `budget`) or `name` carry a needle,
    case-insensitively; phone numbers are compared on digits alone."""
    overlap = max((len(n) for n in text), default=0) + 64
    tail = name.lower().encode() + b"\n"
    digit_tail = re.sub(rb"\D", b"", tail)
    read = 0
    while True:
        chunk = handle.read(min(1 << 20, max(budget - read, 0))).lower()
        read += len(chunk)
        block, flat = tail + chunk, digit_tail + re.sub(rb"\D", b"", chunk)
        if any(n in block for n in text) or any(d in flat for d in digits):
            return True
        if not chunk:
            return False
        tail, digit_tail = block[-overlap:], flat[-24:]


def _archive_holds(path: Path, text: list[bytes], digits: list[bytes]) -> bool:
    """Whether a member of a zip archive (.xlsx, .ods: their cells are deflated, so the file's own
    bytes never show an e-mail typed in a cell) carries a needle, inflating at most
    `MAX_INFLATED_BYTES` in all. A file that is no readable archive holds nothing more."""
    budget = MAX_INFLATED_BYTES
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.infolist():
                if budget <= 0:
                    return False
                with archive.open(member) as handle:
                    if _stream_holds(handle, member.filename, text, digits, budget):
                        return True
                budget -= member.file_size
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError, zlib.error):
        return False
    return False


def _holds(path: Path, text: list[bytes], digits: list[bytes]) -> bool:
    """Whether the file's bytes or name carry a needle, or, for a zip archive, its members' bytes."""
    with path.open("rb") as handle:
        if _stream_holds(handle, path.name, text, digits, path.stat().st_size):
            return True
    return zipfile.is_zipfile(path) and _archive_holds(path, text, digits)


def rejected_holding(home: Path, emails: list[str], phone_forms: list[str], national_ids: list[str]) -> list[str]:
    """Content hashes of the inbox and rejected files whose bytes (or name) carry one of the
    identifiers. The inbox too: a row that never reached the warehouse (a later row with the same
    source key replaced it, say) still holds the person's bytes in the file it came in."""
    text, digits = _needles(emails, phone_forms, national_ids)
    return [
        content_hash(path) for folder in FILE_FOLDERS for path in sorted((home / folder).rglob("*"))
        if path.is_file() and not path.is_symlink() and not path.name.endswith(REASON_SUFFIX)
        and _holds(path, text, digits)
    ]


def delete_files(home: Path, targets: Targets) -> int:
    """Delete the inbox and rejected files whose content hash is a target; returns how many."""
    if not targets.of("file"):
        return 0
    deleted = 0
    for folder in FILE_FOLDERS:
        for path in sorted((home / folder).rglob("*")):
            if path.is_file() and not path.is_symlink() and not path.name.endswith(REASON_SUFFIX) \
                    and targets.has("file", content_hash(path)):
                path.with_name(path.name + REASON_SUFFIX).unlink(missing_ok=True)
                os.unlink(path)
                deleted += 1
    return deleted
