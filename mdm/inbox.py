"""What is waiting in the inbox: the files each source's glob matches, with a cheap change signal.

Used by the Dagster inbox sensor to decide whether a run is due. Paths are confined to the
inbox: a glob never reaches outside it, and symlinks pointing outside are ignored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from mdm.config import MdmConfig


@dataclass(frozen=True)
class InboxFile:
    source: str
    path: Path
    relpath: str
    size: int
    mtime_ns: int

    @property
    def signature(self) -> str:
        """Size and modification time: changes when the file is replaced or rewritten."""
        return f"{self.size}:{self.mtime_ns}"


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def inbox_files(config: MdmConfig) -> list[InboxFile]:
    """Files matched by the file sources' globs, sorted by path; nothing outside the inbox."""
    inbox = config.paths.inbox
    found: list[InboxFile] = []
    if not inbox.exists():
        return found
    for source in config.sources:
        if not source.path or Path(source.path).is_absolute() or ".." in Path(source.path).parts:
            continue
        for path in sorted(inbox.glob(source.path)):
            if not path.is_file() or not _inside(path, inbox):
                continue
            stat = path.stat()
            found.append(
                InboxFile(
                    source=source.name,
                    path=path,
                    relpath=path.relative_to(inbox).as_posix(),
                    size=stat.st_size,
                    mtime_ns=stat.st_mtime_ns,
                )
            )
    return found


def content_hash(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks: the sensor's run key and ingest's "already loaded"."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class InboxChanges:
    changed: list[InboxFile]
    seen: dict[str, str]  # relpath -> signature, the sensor's new cursor

    @property
    def batch_key(self) -> str:
        """Identifies this batch by content, so the same files never trigger two runs."""
        digest = hashlib.sha256()
        for item in sorted(self.changed, key=lambda f: f.relpath):
            digest.update(f"{item.relpath}\0{content_hash(item.path)}\n".encode())
        return digest.hexdigest()[:32]


def changes_since(config: MdmConfig, seen: dict[str, str]) -> InboxChanges:
    """Files that are new or rewritten since the signatures in `seen`.

    `seen` (the sensor's cursor, stored in Dagster's database) is keyed by a salted fingerprint of
    each path, never the path: an export's file name can hold an e-mail address, and an erasure
    cannot reach into Dagster's storage."""
    from mdm.privacy import fingerprint
    from warehouse.retention.salt import get_salt

    salt = get_salt(config)
    files = inbox_files(config)
    keys = {f.relpath: fingerprint(f.relpath, salt) for f in files}
    changed = [f for f in files if seen.get(keys[f.relpath]) != f.signature]
    return InboxChanges(changed=changed, seen={keys[f.relpath]: f.signature for f in files})
