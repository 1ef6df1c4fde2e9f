"""Hashing helpers so that logs, errors and audit trails never carry personal data, and the one
secret salt every hash of personal identifiers uses (audit, suppression list, logs).

The salt: `$MDM_SALT` (or the variable named by `privacy.salt_env`) wins; otherwise a random salt
is created once in `$MDM_HOME/.salt`, readable by the owner only. Losing the salt file makes the
suppression list useless (its hashes can no longer be recomputed), so back it up with the home.
`read_salt` is the only code that reads it (`mdm.config.get_salt` for a config).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

#: An e-mail address, possibly glued to other text (a file name): masked in labels, scrubbed on erasure.
EMAIL_PATTERN = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+")
_LONG_NUMBER = re.compile(r"\+?\d(?:[\d .-]{6,}\d)")


def fingerprint(value: str | None, salt: str = "") -> str:
    """A short, salted SHA-256 of a value, safe to log or audit.

    Used wherever we need to say *which* record or identifier without saying *who*.
    """
    if value is None:
        return "null"
    digest = hmac.new(salt.encode(), str(value).encode("utf-8"), hashlib.sha256).hexdigest()
    return digest[:16]


def mask_label(text: str) -> str:
    """A file name or load error with its e-mail addresses and phone-like numbers masked.

    Ingest stores and logs file names (`raw.loads.file`, errors, Dagster's event log); a source
    export named after a person (`export_jean.dupont@gmail.com.csv`) must not put them there."""
    def number(match: re.Match[str]) -> str:  # 9 digits or more: a phone, not a date
        return "[number]" if sum(c.isdigit() for c in match.group(0)) >= 9 else match.group(0)

    return _LONG_NUMBER.sub(number, EMAIL_PATTERN.sub("[e-mail]", text))


SALT_FILE = ".salt"


def read_salt(home: Path, salt_env: str = "MDM_SALT", *, create: bool = True) -> str | None:
    """The salt of the home `home`: `$salt_env` if set, else the home's salt file, created first
    when `create` (None when it does not exist and `create` is false: a reader that must not
    write, such as the steward app, has nothing to fingerprint with yet)."""
    from_env = os.environ.get(salt_env)
    if from_env:
        return from_env
    path = home / SALT_FILE
    if not path.exists():
        if not create:
            return None
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
