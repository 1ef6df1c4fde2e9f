"""The one secret salt every hash of personal identifiers uses (audit, suppression list, logs).

`$MDM_SALT` (or the variable named by `privacy.salt_env`) wins; otherwise a random salt is
created once in `$MDM_HOME/.salt`, readable by the owner only. Losing the salt file makes the
suppression list useless (its hashes can no longer be recomputed), so back it up with the home.
"""

from __future__ import annotations

import os
import secrets

from mdm.config import MdmConfig

SALT_FILE = ".salt"


def get_salt(config: MdmConfig) -> str:
    from_env = os.environ.get(config.privacy.salt_env)
    if from_env:
        return from_env
    path = config.paths.home / SALT_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write a private temp file, then link it into place: atomic, and a racing process
        # either wins (we read its salt) or loses (it reads ours). Never a half-written salt.
        tmp = path.with_name(f"{SALT_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    salt = path.read_text(encoding="ascii").strip()
    if not salt:
        raise RuntimeError(f"the salt file {path} is empty; restore it from a backup")
    return salt
