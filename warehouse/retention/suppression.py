"""The erasure suppression list: people erased on request do not come back with the next export.

`retention.suppressed` holds salted SHA-256 hashes (see `identifiers.suppression_hash`) of the
erased records' normalised e-mails, E.164 phones, national identifiers and record keys; never the
values. The lead's standardise stage calls `purge_suppressed(ctx)` at its end: newly standardised
records of a source with `suppression: true` (the default) whose e-mail, phone, national
identifier or record key is on the list
are removed from raw, staging and quarantine, with one `suppress` audit row each.

Set `suppression: false` on a source where a new, explicit consent must be able to bring a person
back (e.g. a newsletter sign-up form), and document why.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from mdm.config import get_salt
from mdm.context import RunContext
from warehouse.retention import cascade
from warehouse.retention.audit import record_events
from warehouse.retention.identifiers import SUPPRESSION_HASH_SQL, mailbox, mailbox_sql, suppression_hash


def add_suppressed(
    con: duckdb.DuckDBPyConnection, salt: str, at: datetime, values: dict[str, list[str]]
) -> int:
    """Add hashes of identifiers ({kind: [normalised values]}); returns how many are new."""
    rows = sorted({(suppression_hash(kind, form, salt), kind)
                   for kind, vs in values.items() for v in vs if v for form in suppressed_forms(kind, v)})
    if not rows:
        return 0
    before = con.execute("SELECT count(*) FROM retention.suppressed").fetchone()
    con.execute(
        "INSERT OR IGNORE INTO retention.suppressed (identifier_hash, kind, added_at) "
        "SELECT h, k, ? FROM (SELECT unnest(?::VARCHAR[]) AS h, unnest(?::VARCHAR[]) AS k)",
        [at, [r[0] for r in rows], [r[1] for r in rows]],
    )
    after = con.execute("SELECT count(*) FROM retention.suppressed").fetchone()
    return int(after[0] if after else 0) - int(before[0] if before else 0)


#: Identifier kinds a re-ingested record is checked against (the columns of staging.customers).
SUPPRESSED_KINDS = ("email", "phone", "national_id", "record_key")


def suppressed_forms(kind: str, value: str) -> list[str]:
    """The forms of a value that go on the list: an e-mail as written and as its mailbox (so the
    Gmail variant with other dots, or a `+tag`, is the same person), other kinds as they are."""
    return sorted({value, mailbox(value)}) if kind == "email" else [value]


def _form_sqls(kind: str) -> list[str]:
    """SQL twins of `suppressed_forms` over the staging column of that kind."""
    return [f"c.{kind}", mailbox_sql(f"c.{kind}")] if kind == "email" else [f"c.{kind}"]


def suppressed_keys_sql() -> str:
    """Staging records whose identifiers are suppressed; params: sources, then (salt, kind) per
    form of each kind (`suppressed_params`)."""
    clauses = "\n           OR ".join(
        f"(c.{kind} IS NOT NULL AND {SUPPRESSION_HASH_SQL.format(value=form)} IN "
        f"(SELECT identifier_hash FROM retention.suppressed WHERE kind = '{kind}'))"
        for kind in SUPPRESSED_KINDS for form in _form_sqls(kind)
    )
    return f"""
        SELECT c.record_key, c.source FROM staging.customers c
        WHERE c.source IN (SELECT unnest(?::VARCHAR[])) AND (
              {clauses})
    """


def purge_suppressed(ctx: RunContext) -> int:
    """Remove suppressed people from raw, staging and quarantine; returns records removed."""
    con = ctx.con
    row = con.execute("SELECT count(*) FROM retention.suppressed").fetchone()
    if not row or not row[0]:
        return 0
    sources = [s.name for s in ctx.config.sources if s.suppression]
    if not sources:
        return 0
    salt = get_salt(ctx.config)
    # The params of the SQL come in text order: sources first, then one hash per kind.
    params: list[object] = [
        sources, *(p for kind in SUPPRESSED_KINDS for _ in _form_sqls(kind) for p in (salt, kind))
    ]
    found = con.execute(suppressed_keys_sql(), params).df()
    if found.empty:
        return 0
    cascade.load_keys(con, found["record_key"].tolist())
    cascade.delete_records(con)
    con.execute(f"DROP TABLE IF EXISTS {cascade.KEYS_TABLE}")
    events = found.assign(kind="suppress", rule="suppression_list")
    record_events(con, run_id=ctx.run_id, at=ctx.now, kind_by_key=events, salt=salt)
    ctx.log.info("suppression list: %d newly ingested record(s) removed", len(found))
    return len(found)


#: (kind on the list, SQL of the value) for an event: its own key, the customer key it names, its
#: e-mail (as written and as mailbox) and phone. Over `events.staged` (alias e), the quarantined
#: events' references (q) and, for quarantined events, their own keys.
_EVENT_FORMS = (("record_key", "e.record_key"), ("record_key", "e.ref_record_key"), ("email", "e.email"),
                ("email", mailbox_sql("e.email")), ("phone", "e.phone"))


def purge_suppressed_events(ctx: RunContext) -> int:
    """Remove events that name an erased person (their record key, e-mail or phone, or the event's
    own key) from every layer, raw rows included, one `suppress` audit row each; returns how many.
    Run after the events stage (`mdm.pipeline.events`), as `purge_suppressed` after standardise."""
    con = ctx.con
    row = con.execute("SELECT count(*) FROM retention.suppressed").fetchone()
    sources = [s.name for s in ctx.config.sources if s.records == "events" and s.suppression]
    if not row or not row[0] or not sources:
        return 0
    salt = get_salt(ctx.config)
    clauses = " OR ".join(
        f"({value} IS NOT NULL AND {SUPPRESSION_HASH_SQL.format(value=value)} IN "
        f"(SELECT identifier_hash FROM retention.suppressed WHERE kind = '{kind}'))"
        for kind, value in _EVENT_FORMS
    )
    params = [p for kind, _ in _EVENT_FORMS for p in (salt, kind)]
    found = con.execute(
        f"""
        SELECT record_key, source FROM (
            SELECT record_key, source, ref_record_key, email, phone FROM events.staged
            UNION ALL
            SELECT q.record_key, q.source, r.ref_record_key, NULL, NULL FROM quarantine.rows q
            LEFT JOIN events.quarantined_refs r ON r.record_key = q.record_key
            WHERE q.source IN (SELECT unnest(?::VARCHAR[]))
        ) e WHERE e.source IN (SELECT unnest(?::VARCHAR[])) AND ({clauses})
        """,
        [sources, sources, *params],
    ).df().drop_duplicates("record_key")
    if found.empty:
        return 0
    cascade.load_keys(con, found["record_key"].tolist())
    cascade.delete_records(con)
    con.execute(f"DROP TABLE IF EXISTS {cascade.KEYS_TABLE}")
    record_events(con, run_id=ctx.run_id, at=ctx.now, salt=salt,
                  kind_by_key=found.assign(kind="suppress", rule="suppression_list"))
    return len(found)
