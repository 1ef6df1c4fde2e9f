"""`mdm rollback`: put a kept version back as the published file (and its Parquet export).

Takes the pipeline lock so it never races a publication. The rolled-back file is a copy of the
kept version (versions stay immutable), swapped in with `os.replace` like a publication.
"""

from __future__ import annotations

import json
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from mdm.config import MdmConfig
from warehouse.connection import sql_literal
from warehouse.lock import pipeline_lock
from warehouse.publication import contract, files


class RollbackError(RuntimeError):
    """No such version, or nothing to roll back to."""


@dataclass
class PublishedInfo:
    run_id: str | None
    published_at: str | None
    row_counts: dict[str, int]


def read_info(path: Path) -> PublishedInfo:
    """Which run a published (or kept) file comes from. Attaches it read-only to a fresh in-memory
    database, so a long-lived process never gets a cached, older copy (stack notes)."""
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH {sql_literal(str(path))} AS pub (READ_ONLY)")
        row = con.execute("SELECT run_id, published_at::VARCHAR, row_counts FROM pub.ops.publication").fetchone()
    except duckdb.Error:
        return PublishedInfo(None, None, {})
    finally:
        con.close()
    if not row:
        return PublishedInfo(None, None, {})
    return PublishedInfo(str(row[0]), str(row[1]), json.loads(row[2]) if row[2] else {})


def export_parquet_from(path: Path, published_dir: Path, label: str) -> Path:
    """Re-export the Parquet tables of a kept version (used by rollback)."""
    out = published_dir / f"parquet-{label}"
    tmp = published_dir / f".parquet-{label}.tmp"
    for p in (out, tmp):
        if p.exists():
            shutil.rmtree(p)
    tmp.mkdir(parents=True)
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH {sql_literal(str(path))} AS pub (READ_ONLY)")
        for t in contract.load():
            if t.parquet:
                target = sql_literal(str(tmp / f"{t.table}.parquet"))
                con.execute(
                    f"COPY (SELECT * FROM pub.{contract.quote(t.schema)}.{contract.quote(t.table)}) "
                    f"TO {target} ({files.PARQUET_OPTIONS})"
                )
    finally:
        con.close()
    tmp.rename(out)
    return out


def rollback(config: MdmConfig, to: str | None = None) -> PublishedInfo:
    """Publish kept version `to` (default: the one before the current publication)."""
    published_dir = config.paths.published_dir
    with pipeline_lock(config.paths.lock, timeout_s=0.0):
        versions = files.list_versions(published_dir)
        current_file = config.paths.current_published()
        current = read_info(current_file).run_id if current_file.exists() else None
        if to is None:
            older = [v for v in versions if v.version != current]
            if current is not None:
                names = [v.version for v in versions]
                older = [v for v in versions[names.index(current) + 1 :]] if current in names else older
            if not older:
                raise RollbackError("no earlier published version is kept; nothing to roll back to")
            target = older[0]
        else:
            matches = [v for v in versions if v.version == to]
            if not matches:
                known = ", ".join(v.version for v in versions) or "none"
                raise RollbackError(f"no kept version {to!r}; kept versions: {known}")
            target = matches[0]
        tmp = published_dir / f"golden-rollback-{uuid.uuid4().hex[:8]}.duckdb.tmp"
        try:
            shutil.copyfile(target.path, tmp)
            parquet_dir = None
            if config.publication.parquet:
                parquet_dir = export_parquet_from(tmp, published_dir, f"{target.version}-rollback")
            files.swap_in(tmp, config.paths.published)
            files.retire_legacy(config.paths.legacy_published)
        except BaseException:
            files.remove_db(tmp)
            raise
        if parquet_dir is not None:
            files.swap_parquet(published_dir, parquet_dir)
        return read_info(config.paths.published)
