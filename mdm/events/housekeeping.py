"""Raw event rows whose event left play are removed, so retention leaves nothing behind.

Retention's cascade removes an expired customer record's events from `events.staged` and the
timeline (they name it in `customer_record_key` / `ref_record_key`), but the raw row of such an
event names only its own key. This sweep deletes the raw rows of event sources (`raw.event_rows`) that are in
neither `events.staged` nor `quarantine.rows` once their load has been read: nothing else could
bring them back into play.
"""

from __future__ import annotations

from mdm.context import RunContext


def sweep_orphans(ctx: RunContext) -> int:
    """Delete orphaned raw event rows; returns how many."""
    sources = [s.name for s in ctx.config.sources if s.records == "events"]
    if not sources:
        return 0
    swept = 0
    # Event rows landed before `raw.event_rows` existed are in raw.records.
    for table in ("raw.event_rows", "raw.records"):
        row = ctx.con.execute(
            f"""
            DELETE FROM {table} r
            WHERE r.source IN (SELECT unnest(?::VARCHAR[]))
              AND r.load_id IN (SELECT load_id FROM events.processed_loads)
              AND NOT EXISTS (SELECT 1 FROM events.staged s WHERE s.record_key = r.record_key)
              AND NOT EXISTS (SELECT 1 FROM quarantine.rows q WHERE q.record_key = r.record_key)
            """,
            [sources],
        ).fetchall()
        swept += int(row[0][0]) if row else 0
    return swept
