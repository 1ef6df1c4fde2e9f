"""Segments in the manager's report: sizes and their trend, completeness per segment, and how
reachable the customers that matter are, per channel. Measured into `dq.metrics` (scope `golden`,
dimension `segments`) by the measure stage, like every other figure of the report.

- `customers.<segment>`: golden customers in the segment;
- `no_phone_pct.<segment>`, `no_email_pct.<segment>`, `no_address_pct.<segment>`: the share of
  them without a valid phone, a valid e-mail, a complete postal address;
- `key_customers` and `contactable_pct.<channel>` (email, phone, post) among the segments that
  matter (`segments.key_segments`): e-mail counts when the address is valid and marketing consent
  is not refused (`opt_in` not false), phone when valid, post when street, postcode and city are set.
"""

from __future__ import annotations

from typing import Any

import duckdb

from mdm.reports.labels import Labels

SCOPE, DIMENSION = "golden", "segments"
CHANNELS = ("email", "phone", "post")
_EMAIL_OK = "g.email IS NOT NULL AND g.opt_in IS NOT FALSE"
_PHONE_OK = "g.phone IS NOT NULL"
_POST_OK = "g.street IS NOT NULL AND g.postcode IS NOT NULL AND g.city IS NOT NULL"


def measure(con: duckdb.DuckDBPyConnection, key_segments: list[str]) -> list[tuple[str, str, str, float | None]]:
    """(scope, dimension, metric, value) rows; none when no segment was computed."""
    per_segment = con.execute(
        f"""
        SELECT s.segment, count(*),
               100.0 * count(*) FILTER (WHERE g.phone IS NULL) / count(*),
               100.0 * count(*) FILTER (WHERE g.email IS NULL) / count(*),
               100.0 * count(*) FILTER (WHERE NOT ({_POST_OK})) / count(*)
        FROM golden.customer_summary s JOIN golden.customer g ON g.golden_id = s.golden_id
        GROUP BY s.segment ORDER BY s.segment
        """
    ).fetchall()
    out: list[tuple[str, str, str, float | None]] = []
    for segment, n, no_phone, no_email, no_address in per_segment:
        out += [(SCOPE, DIMENSION, f"customers.{segment}", float(n)),
                (SCOPE, DIMENSION, f"no_phone_pct.{segment}", float(no_phone)),
                (SCOPE, DIMENSION, f"no_email_pct.{segment}", float(no_email)),
                (SCOPE, DIMENSION, f"no_address_pct.{segment}", float(no_address))]
    if not per_segment:
        return out
    row = con.execute(
        f"""
        SELECT count(*), 100.0 * count(*) FILTER (WHERE {_EMAIL_OK}) / nullif(count(*), 0),
               100.0 * count(*) FILTER (WHERE {_PHONE_OK}) / nullif(count(*), 0),
               100.0 * count(*) FILTER (WHERE {_POST_OK}) / nullif(count(*), 0)
        FROM golden.customer_summary s JOIN golden.customer g ON g.golden_id = s.golden_id
        WHERE s.segment IN (SELECT unnest(?::VARCHAR[]))
        """,
        [key_segments],
    ).fetchall()[0]
    out.append((SCOPE, DIMENSION, "key_customers", float(row[0])))
    out += [(SCOPE, DIMENSION, f"key_segment.{name}", 1.0) for name in key_segments]
    for channel, value in zip(CHANNELS, row[1:], strict=True):
        out.append((SCOPE, DIMENSION, f"contactable_pct.{channel}", None if value is None else float(value)))
    return out


def segment_rows(data: Any, lab: Labels) -> list[dict[str, str]]:
    """One row per segment for the report: size, change since the previous run, sparkline-free
    trend as numbers over the runs, and completeness. `data` is a `ReportData`."""
    sizes = data.with_prefix(SCOPE, DIMENSION, "customers")
    previous = data.previous or {}
    rows = []
    for segment, size in sorted(sizes.items(), key=lambda kv: -(kv[1] or 0)):
        before = previous.get((SCOPE, DIMENSION, f"customers.{segment}"))
        trend = [v for v in data.series((SCOPE, DIMENSION, f"customers.{segment}")) if v is not None]
        rows.append({
            "segment": segment,
            "label": lab(f"segments.{segment}", segment.replace("_", " ")),
            "customers": lab.fmt_number(size),
            "change": lab.fmt.signed(None if before is None or size is None else size - before, 0),
            "trend": " → ".join(lab.fmt_number(v) for v in trend[-6:]),
            "no_phone": lab.fmt_pct(data.get(SCOPE, DIMENSION, f"no_phone_pct.{segment}")),
            "no_email": lab.fmt_pct(data.get(SCOPE, DIMENSION, f"no_email_pct.{segment}")),
            "no_address": lab.fmt_pct(data.get(SCOPE, DIMENSION, f"no_address_pct.{segment}")),
        })
    return rows


def contactability(data: Any, lab: Labels) -> dict[str, str] | None:
    """Among the customers that matter: how many, and reachable per channel (None if not measured)."""
    key = data.get(SCOPE, DIMENSION, "key_customers")
    if key is None:
        return None
    names = sorted(data.with_prefix(SCOPE, DIMENSION, "key_segment"))
    return {"customers": lab.fmt_number(key),
            "segments": ", ".join(lab(f"segments.{n}", n.replace("_", " ")).lower() for n in names),
            **{c: lab.fmt_pct(data.get(SCOPE, DIMENSION, f"contactable_pct.{c}")) for c in CHANNELS}}
