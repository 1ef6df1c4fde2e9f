"""Record keys: `<source>:<16 hex>` from the source's key columns, stable across loads.

The key is a hash so that no personal value (an email used as a newsletter's key, say) ends up
in an identifier that travels into logs, URLs and audit trails. The same function is used by
the ingest stage (vectorised in SQL, see `record_key_sql`) and by the demo generator's truth file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

KEY_SEPARATOR = "\x1f"  # unit separator: cannot appear in a CSV cell by accident


def normalise_key_part(value: object) -> str:
    """Text form of one key value: stripped; integral floats lose their `.0` (Excel numbers)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def record_key(source: str, key_values: Sequence[object]) -> str:
    joined = KEY_SEPARATOR.join(normalise_key_part(v) for v in key_values)
    return f"{source}:{hashlib.sha256(joined.encode('utf-8')).hexdigest()[:16]}"


def record_key_sql(source_sql: str, key_parts_sql: Sequence[str]) -> str:
    """The same key as a DuckDB expression over already-normalised text columns."""
    joined = " || chr(31) || ".join(f"coalesce({part}, '')" for part in key_parts_sql)
    return f"({source_sql} || ':' || substr(sha256({joined}), 1, 16))"
