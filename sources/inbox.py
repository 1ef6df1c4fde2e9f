"""Finding a source's files in the inbox, and never outside it: the one inbox walk, used by ingest
(`sources.base`) and by the Dagster sensor (`sources.watch`), so both skip the same names.

A glob from the config cannot climb out (`..` and absolute patterns are refused when the config
is loaded), and a file whose real path leaves the inbox (a symlink to `/etc/passwd`, say) is
reported as escaping instead of being read.
"""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath

#: Names that are never data: hidden files, Office lock files, our own reason notes, partial copies.
IGNORED_PREFIXES = (".", "~$")
IGNORED_SUFFIXES = (".reason.txt", ".tmp", ".part", ".crdownload")


class PathEscapesInbox(Exception):
    """A matched path resolves outside the inbox."""


def check_pattern(pattern: str) -> str:
    """Validate a glob: relative, no `..` segment. Returns it unchanged or raises ValueError."""
    if not pattern or pattern.strip() == "":
        raise ValueError("must be a non-empty glob relative to the inbox")
    posix = PurePosixPath(pattern.replace("\\", "/"))
    if posix.is_absolute() or pattern.startswith(("/", "\\")) or (len(pattern) > 1 and pattern[1] == ":"):
        raise ValueError(f"must be relative to the inbox, got an absolute path {pattern!r}")
    if ".." in posix.parts:
        raise ValueError(f"must stay inside the inbox ('..' is not allowed): {pattern!r}")
    return pattern


def is_ignored(path: Path) -> bool:
    name = path.name
    return name.startswith(IGNORED_PREFIXES) or name.endswith(IGNORED_SUFFIXES)


def confined(inbox: Path, path: Path) -> bool:
    """True when `path`'s real location is inside the inbox."""
    try:
        path.resolve(strict=True).relative_to(inbox.resolve())
    except (ValueError, OSError):
        return False
    return True


def find_files(inbox: Path, pattern: str) -> list[tuple[str, Path]]:
    """(label relative to the inbox, path) of every file matching `pattern`, sorted by label.

    Paths escaping the inbox are returned too (so that ingest can record and reject them);
    `confined()` tells them apart.
    """
    check_pattern(pattern)
    if not inbox.is_dir():
        return []
    found: list[tuple[str, Path]] = []
    for path in inbox.glob(pattern):
        if is_ignored(path) or any(part.startswith(".") for part in path.relative_to(inbox).parts[:-1]):
            continue
        if path.is_symlink() or path.is_file():
            found.append((path.relative_to(inbox).as_posix(), path))
    return sorted(found)


def content_hash(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks: the sensor's run key and ingest's "already loaded"."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
