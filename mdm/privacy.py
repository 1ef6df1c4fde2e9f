"""Hashing helpers so that logs, errors and audit trails never carry personal data."""

from __future__ import annotations

import hashlib
import hmac


def fingerprint(value: str | None, salt: str = "") -> str:
    """A short, salted SHA-256 of a value, safe to log or audit.

    Used wherever we need to say *which* record or identifier without saying *who*.
    """
    if value is None:
        return "null"
    digest = hmac.new(salt.encode(), str(value).encode("utf-8"), hashlib.sha256).hexdigest()
    return digest[:16]
