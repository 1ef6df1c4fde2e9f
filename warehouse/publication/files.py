"""Atomic file moves for publication: durable renames, kept versions, the Parquet symlink swap.

Layout under `$MDM_HOME/published/`:

    mdm.duckdb                       the current publication (replaced with os.replace); homes
                                     made before the rename had golden.duckdb, which the next
                                     publication (or rollback) removes (`retire_legacy`)
    versions/golden-<run_id>.duckdb  the current one and the previous N (for `mdm rollback`)
    parquet -> parquet-<run_id>/     symlink swapped atomically; <table>.parquet inside
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

#: How every Parquet file we write is written: zstd at level 1. Against DuckDB's default (Snappy),
#: measured on the 9.3M-event timeline at 1M customers: 3.5 s instead of 4.7 s to write, 430 MB
#: instead of 758 MB (every published table smaller by 35-45 %, none slower). Every Parquet reader
#: in use (DuckDB, Arrow, Polars, Spark, BI drivers) reads zstd.
PARQUET_OPTIONS = "FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1"

VERSION_PREFIX = "golden-"
VERSION_SUFFIX = ".duckdb"


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_db(path: Path) -> None:
    """Remove a DuckDB file and its WAL, if any."""
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)


def remove_leftovers(published_dir: Path) -> int:
    """Delete what a publication killed mid-way left behind (temp files, half Parquet folders).

    Only called with the pipeline lock held, so no other publication or rollback is running."""
    removed = 0
    for p in list(published_dir.glob("*.duckdb.tmp")) + list(published_dir.glob("*.duckdb.tmp.wal")):
        p.unlink(missing_ok=True)
        removed += 1
    for p in list(published_dir.glob(".parquet-*.tmp")) + list(published_dir.glob(".parquet-*.link")):
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
        removed += 1
    return removed


def versions_dir(published_dir: Path) -> Path:
    return published_dir / "versions"


def version_path(published_dir: Path, version: str) -> Path:
    if not version or "/" in version or version.startswith("."):
        raise ValueError(f"not a version name: {version!r}")
    return versions_dir(published_dir) / f"{VERSION_PREFIX}{version}{VERSION_SUFFIX}"


@dataclass
class Version:
    version: str  # the run id that published it
    path: Path
    size: int
    saved_at: datetime


def list_versions(published_dir: Path) -> list[Version]:
    """Kept versions, newest first."""
    folder = versions_dir(published_dir)
    if not folder.exists():
        return []
    out = []
    for p in folder.glob(f"{VERSION_PREFIX}*{VERSION_SUFFIX}"):
        st = p.stat()
        name = p.name[len(VERSION_PREFIX) : -len(VERSION_SUFFIX)]
        out.append(Version(name, p, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC).replace(tzinfo=None)))
    return sorted(out, key=lambda v: (v.path.stat().st_mtime_ns, v.version), reverse=True)


def save_version(published_dir: Path, built: Path, version: str) -> Path:
    """Keep the freshly built file in versions/ as a hard link to it, not a copy: copying the
    1.2 GB file of a million customers cost 3 s a night. Every publication is a new file (built
    beside, then renamed over the published one), so a kept version never changes with the
    publications after it. A reader who writes into the published file itself changes its
    version too; that write also moves the file's signature, so the next publication does not
    start from it (`delta.usable_base`). On a file system without hard links, a copy."""
    target = version_path(published_dir, version)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(built, tmp)
    except OSError:
        shutil.copyfile(built, tmp)
        fsync_file(tmp)
    os.replace(tmp, target)
    return target


def prune_versions(published_dir: Path, keep: int) -> int:
    """Keep the newest `keep` versions (the current one included); returns how many remain."""
    versions = list_versions(published_dir)
    for old in versions[keep:]:
        old.path.unlink(missing_ok=True)
    return min(len(versions), keep)


def swap_in(built: Path, published: Path) -> None:
    """The atomic step: readers opening `published` get either the old file or the new one."""
    fsync_file(built)
    os.replace(built, published)
    fsync_dir(published.parent)


def retire_legacy(legacy: Path) -> None:
    """Remove the publication a home kept under its old name, once the new file is swapped in:
    two published files would leave readers and analysts unsure which one is current."""
    if legacy.exists():
        remove_db(legacy)
        fsync_dir(legacy.parent)


def swap_parquet(published_dir: Path, new_dir: Path) -> None:
    """Point `published/parquet` at `new_dir` atomically (symlink + os.replace); drop older dirs."""
    link = published_dir / "parquet"
    tmp_link = published_dir / f".parquet-{new_dir.name}.link"
    tmp_link.unlink(missing_ok=True)
    os.symlink(new_dir.name, tmp_link)
    if link.exists() and not link.is_symlink():  # a plain folder from an older layout
        shutil.rmtree(link)
    os.replace(tmp_link, link)
    fsync_dir(published_dir)
    for old in published_dir.glob("parquet-*"):
        if old.is_dir() and old.name != new_dir.name:
            shutil.rmtree(old, ignore_errors=True)


def published_by(path: Path) -> str | None:
    """The run that wrote this published file: `ops.publication.run_id` of a DuckDB file, the
    `parquet-<run_id>` folder of a Parquet export; None for any other file."""
    if path.suffix == ".parquet":
        folder = path.parent.name
        return folder.removeprefix("parquet-") if folder.startswith("parquet-") else None
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return None
    try:
        if con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'ops' AND table_name = 'publication'"
                       ).fetchone() != (1,):
            return None
        row = con.execute("SELECT max(run_id) FROM ops.publication").fetchone()
        return str(row[0]) if row and row[0] else None
    finally:
        con.close()
