"""Hashing helpers so that logs, errors and audit trails never carry personal data."""

from __future__ import annotations

import hashlib
import hmac
import re

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
