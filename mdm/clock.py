"""The run clock. `MDM_NOW` (ISO date or datetime) freezes it, for tests and reproducible demos."""

from __future__ import annotations

import os
from datetime import UTC, datetime


def now() -> datetime:
    """Current time as a naive UTC datetime (DuckDB TIMESTAMP), or the frozen `MDM_NOW`."""
    frozen = os.environ.get("MDM_NOW")
    if frozen:
        parsed = datetime.fromisoformat(frozen)
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        return parsed
    return datetime.now(UTC).replace(tzinfo=None)
