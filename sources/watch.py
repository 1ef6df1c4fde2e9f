"""What is waiting in the inbox, for the Dagster sensor: the files each source's glob matches,
with a cheap change signal.

The files are those ingest would read (`sources.inbox.find_files`, the one inbox walk): an Excel
lock file (`~$export.xlsx`), a hidden or partial file never starts a run that ingest then
ignores, and a file whose real path leaves the inbox is left out.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from mdm.config import MdmConfig, get_salt
from mdm.privacy import fingerprint
from sources.inbox import confined, content_hash, find_files


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


def inbox_files(config: MdmConfig) -> list[InboxFile]:
    """Files matched by the file sources' globs, sorted by path within each source."""
    inbox = config.paths.inbox
    found: list[InboxFile] = []
    for source in config.sources:
        if not source.path:
            continue
        for relpath, path in find_files(inbox, source.path):
            if not confined(inbox, path) or not path.is_file():
                continue
            stat = path.stat()
            found.append(InboxFile(source=source.name, path=path, relpath=relpath, size=stat.st_size,
                                   mtime_ns=stat.st_mtime_ns))
    return found


@dataclass(frozen=True)
class InboxChanges:
    changed: list[InboxFile]
    seen: dict[str, str]  # fingerprint of the relpath -> signature, the sensor's new cursor

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
    salt = get_salt(config)
    files = inbox_files(config)
    keys = {f.relpath: fingerprint(f.relpath, salt) for f in files}
    changed = [f for f in files if seen.get(keys[f.relpath]) != f.signature]
    return InboxChanges(changed=changed, seen={keys[f.relpath]: f.signature for f in files})
