"""Event rows from `raw.event_rows` -> `events.staged`, or quarantine with reason codes. Set-based SQL.

An event source's new loads are read once (`events.processed_loads`); each event's latest version
(its fields were mapped at load, `sources.event_landing`) is parsed in DuckDB and checked, and so
is an event a steward released from quarantine (with the fields as corrected). A row failing a check goes to `quarantine.rows` with its reasons, like a customer row; a
good row replaces its previous version in `events.staged`, unresolved until `resolve.py` finds
its customer. E-mails and phones go through the customers' own standardisers (on distinct values
only), so an event's e-mail is compared in the same form as the records'.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mdm.canonical import EVENT_FIELDS
from mdm.context import RunContext
from mdm.events import resolve
from mdm.events.config import EventsConfig
from mdm.standardise.booleans import FALSE_WORDS, TRUE_WORDS
from mdm.standardise.emails import standardise_emails
from mdm.standardise.phones import standardise_phones
from sources.config import SourceConfig
from sources.keys import record_key_sql
from sources.loads import NEWEST_LOAD_FIRST
from warehouse.publication import delta

ROWS = "_mdm_ev_rows"
PARSED = "_mdm_ev_parsed"
_IDS = "_mdm_ev_ids"

#: Reason codes of a quarantined event row (docs/events.md).
REASONS: dict[str, str] = {
    "event_type_missing": "The event has no type (order, ticket, ...).",
    "event_date_missing": "The event has no date.",
    "event_date_invalid": "The event date matches neither the source's date_format, ISO 8601 nor an Excel date.",
    "event_in_future": "The event is dated after the run (beyond events.future_tolerance_days).",
    "event_no_customer": "The event names no customer: no customer key, no valid e-mail, no valid phone.",
    "event_amount_invalid": "The amount is not a number.",
    "event_currency_invalid": "The currency is not a three-letter ISO 4217 code (or €, $, £).",
}

_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP"}


#: The canonical text fields of an event row, as landed (`raw.event_rows`) or as a steward corrected
#: them (`quarantine.rows.payload` of an event: a JSON object of these fields).
FIELDS = EVENT_FIELDS
#: The hash of an event version: its fields, NULL told apart from empty.
_HASH_SQL = "md5(concat_ws(chr(31), " + ", ".join(f"coalesce({f}, chr(30))" for f in FIELDS) + "))"


def select_new_rows(ctx: RunContext, source: SourceConfig) -> int:
    """`ROWS`: the latest version of each event in the source's loads not read yet, plus the events
    a steward released from quarantine since (with their corrections). Returns how many.

    An event is usually in one new load once: the rows are taken as they are, and only when a key
    repeats (the same export twice in one night, a re-sent correction) is the latest version
    picked by a window over the keys, which costs twice the plain read (3.7 s for 4M rows)."""
    fields = ", ".join(f"r.{f}" for f in FIELDS)
    new_rows = f"""
        SELECT r.record_key, r.load_id, r.event_key, {fields}
        FROM raw.event_rows r JOIN raw.loads l ON l.load_id = r.load_id
        WHERE r.source = ? AND l.status NOT IN ('failed', 'held')
          AND NOT EXISTS (SELECT 1 FROM events.processed_loads p WHERE p.load_id = l.load_id)"""
    rows_sql = (f"CREATE OR REPLACE TEMP TABLE {ROWS} AS SELECT record_key, load_id, {_HASH_SQL} AS payload_hash, "
                "* EXCLUDE (record_key, load_id) FROM ({rows})")
    ctx.con.execute(rows_sql.format(rows=new_rows), [source.name])
    repeated = ctx.con.execute(f"SELECT count(*) - count(DISTINCT record_key) FROM {ROWS}").fetchall()
    if repeated[0][0]:
        latest = (f"{new_rows} QUALIFY row_number() OVER ("
                  f"PARTITION BY r.record_key ORDER BY {NEWEST_LOAD_FIRST}, r.row_number DESC) = 1")
        ctx.con.execute(rows_sql.format(rows=latest), [source.name])
    _add_released(ctx, source)
    # A version already staged as it is (the same export sent again under another name) is left
    # alone, and so is a version a steward discarded (until the source sends a different one).
    # Joins, not EXISTS: the night's few rows are the hash table and the timeline-sized
    # events.staged is only scanned (EXISTS built a table of every staged key: 3 s at 10M events).
    ctx.con.execute(
        f"DELETE FROM {ROWS} t USING events.staged s "
        "WHERE s.record_key = t.record_key AND s.payload_hash = t.payload_hash"
    )
    ctx.con.execute(
        f"DELETE FROM {ROWS} t USING quarantine.rows q WHERE q.record_key = t.record_key "
        "AND q.status = 'discarded' AND q.source_payload_hash = t.payload_hash"
    )
    return int(ctx.con.execute(f"SELECT count(*) FROM {ROWS}").fetchall()[0][0])


def _add_released(ctx: RunContext, source: SourceConfig) -> None:
    """Released events of this source not staged since: their corrected fields replace the version
    the steward corrected (same source hash), or join `ROWS` when no new version came. A newer
    version from the source (another hash) wins over the correction, as for customer rows."""
    released = (
        "SELECT q.record_key, q.load_id, q.source_payload_hash AS payload_hash, q.payload ->> '$.event_key' AS event_key, "
        + ", ".join(f"nullif(trim(q.payload ->> '$.{f}'), '') AS {f}" for f in FIELDS)
        + " FROM quarantine.rows q WHERE q.source = ? AND q.status = 'released' "
        "AND NOT EXISTS (SELECT 1 FROM events.staged s WHERE s.record_key = q.record_key)"
    )
    waiting = ctx.con.execute(
        "SELECT count(*) FROM quarantine.rows WHERE source = ? AND status = 'released'", [source.name]
    ).fetchall()
    if not waiting[0][0]:  # most nights: the anti-join below would scan every staged event for nothing
        return
    ctx.con.execute(
        f"DELETE FROM {ROWS} t WHERE EXISTS (SELECT 1 FROM ({released}) q "
        "WHERE q.record_key = t.record_key AND q.payload_hash = t.payload_hash)",
        [source.name],
    )
    ctx.con.execute(
        f"INSERT INTO {ROWS} BY NAME SELECT * FROM ({released}) q "
        f"WHERE NOT EXISTS (SELECT 1 FROM {ROWS} t WHERE t.record_key = q.record_key)",
        [source.name],
    )


def _timestamp_sql(date_format: str | None) -> tuple[str, list[Any]]:
    """Text `occurred_at` -> TIMESTAMP (UTC): the source's format (with or without a time), ISO 8601,
    or an Excel serial day number.

    An ISO time with an offset or a zone name is converted to UTC; one without is taken as UTC, as
    a time read with the source's `date_format` is, whatever the machine's time zone (a cast to
    TIMESTAMPTZ would read it in the session's zone). The plain cast also costs a quarter of the
    zone-aware one (0.6 against 2.4 CPU-s per ten million events)."""
    parts = []
    params: list[Any] = []
    if date_format:
        parts.append("try_strptime(occurred_at, ?::VARCHAR[])")
        params.append([date_format, date_format + " %H:%M", date_format + " %H:%M:%S"])
    parts.append("CASE WHEN regexp_full_match(occurred_at, '\\d{4}-\\d{2}-\\d{2}([ T][0-9:.]*)?') "
                 "THEN try_cast(occurred_at AS TIMESTAMP) "
                 "WHEN regexp_full_match(occurred_at, '\\d{4}-\\d{2}-\\d{2}.*') THEN "
                 "(try_cast(occurred_at AS TIMESTAMPTZ) AT TIME ZONE 'UTC') END")
    parts.append("CASE WHEN regexp_full_match(occurred_at, '\\d{1,5}(\\.\\d+)?') "
                 "AND try_cast(occurred_at AS DOUBLE) BETWEEN 1 AND 99999 THEN "
                 "TIMESTAMP '1899-12-30' + to_microseconds(round(try_cast(occurred_at AS DOUBLE) * 86400) "
                 "::BIGINT * 1000000) END")
    return "coalesce(" + ", ".join(parts) + ")", params


#: Amount text without spaces or currency signs; a last separator followed by one or two digits is
#: the decimal point (12,50 / 1.234,50 / 1,234.50), every other separator groups thousands.
_AMOUNT_CLEAN = "regexp_replace(amount, '[\\s\u00a0\u202f€$£]|(?i:eur|usd|gbp)', '', 'g')"
#: A plain number (what a typed export writes: 12 / -41.15) is cast as it is; only the other forms
#: are cleaned and read by the rule above (four regular expressions a row: a third of the parse).
_AMOUNT_SQL = (
    "CASE WHEN regexp_full_match(amount, '[+-]?[0-9]+(\\.[0-9]{1,2})?') THEN try_cast(amount AS DECIMAL(18, 2)) "
    f"WHEN regexp_full_match({_AMOUNT_CLEAN}, '[+-]?[0-9.,]*[.,][0-9]{{1,2}}') THEN "
    f"try_cast(regexp_replace(regexp_extract({_AMOUNT_CLEAN}, '^(.*)[.,][0-9]{{1,2}}$', 1), '[.,]', '', 'g') "
    f"|| '.' || regexp_extract({_AMOUNT_CLEAN}, '[.,]([0-9]{{1,2}})$', 1) AS DECIMAL(18, 2)) "
    f"ELSE try_cast(regexp_replace({_AMOUNT_CLEAN}, '[.,]', '', 'g') AS DECIMAL(18, 2)) END"
)


def parse_rows(ctx: RunContext, source: SourceConfig, events: EventsConfig) -> None:
    """`PARSED`: one row per candidate with typed event fields and `reasons` (empty = good).

    One pass over the batch: the contacts are standardised first (distinct values, in Python) and
    joined in, so the ten million rows of a first load are written once (rewriting them to add the
    contacts cost 6 CPU-s per ten million). The fields as received are not carried along: the few
    quarantined rows read them back from `ROWS`."""
    has_key = "customer_key IS NOT NULL" if source.customer_source else "false"
    _standardise_contacts(ctx, source, has_key)
    ts_sql, ts_params = _timestamp_sql(source.date_format)
    key_sql = (f"CASE WHEN {has_key} THEN {record_key_sql('?', ['customer_key'])} END"
               if source.customer_source else "NULL::VARCHAR")
    key_params = [source.customer_source] if source.customer_source else []
    names = list(events.type_names)
    ctx.con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {PARSED} AS
        WITH typed AS (
            SELECT record_key, load_id, payload_hash, occurred_at, amount,
                   email AS email_raw, phone AS phone_raw, channel,
                   nullif(lower(trim(event_type)), '') AS type_word,
                   {ts_sql} AS ts,
                   {_AMOUNT_SQL} AS amount_value,
                   upper(coalesce(nullif(trim(currency), ''),
                                  CASE WHEN contains(amount, '€') THEN 'EUR' WHEN contains(amount, '$') THEN 'USD'
                                       WHEN contains(amount, '£') THEN 'GBP' END)) AS currency_text,
                   strip_accents(lower(trim(initiated_by_customer))) AS initiated_word,
                   {key_sql} AS ref_record_key
            FROM {ROWS}
        )
        SELECT t.record_key, t.load_id, t.payload_hash, t.ref_record_key, t.email_raw, t.phone_raw,
               e.value AS email, ph.value AS phone,
               coalesce((?::VARCHAR[])[list_position(?::VARCHAR[], t.type_word)], t.type_word) AS event_type,
               t.ts AS occurred_at,
               nullif(lower(trim(t.channel)), '') AS channel,
               t.amount_value AS amount,
               CASE WHEN t.amount_value IS NULL THEN NULL
                    ELSE coalesce(CASE t.currency_text WHEN '€' THEN 'EUR' WHEN '$' THEN 'USD' WHEN '£' THEN 'GBP'
                                  ELSE t.currency_text END, ?) END AS currency,
               CASE WHEN list_contains(?::VARCHAR[], t.initiated_word) THEN true
                    WHEN list_contains(?::VARCHAR[], t.initiated_word) THEN false END AS initiated_flag,
               list_filter([
                   CASE WHEN t.type_word IS NULL THEN 'event_type_missing' END,
                   CASE WHEN nullif(trim(t.occurred_at), '') IS NULL THEN 'event_date_missing'
                        WHEN t.ts IS NULL THEN 'event_date_invalid'
                        WHEN t.ts > ?::TIMESTAMP + to_days(?) THEN 'event_in_future' END,
                   CASE WHEN nullif(trim(t.amount), '') IS NOT NULL AND t.amount_value IS NULL
                        THEN 'event_amount_invalid' END,
                   CASE WHEN t.currency_text IS NOT NULL AND t.currency_text NOT IN ('€', '$', '£')
                             AND NOT regexp_full_match(t.currency_text, '[A-Z]{{3}}')
                        THEN 'event_currency_invalid' END,
                   CASE WHEN t.ref_record_key IS NULL AND e.value IS NULL AND ph.value IS NULL
                        THEN 'event_no_customer' END
               ], lambda r: r IS NOT NULL) AS reasons
        FROM typed t
        LEFT JOIN (SELECT raw, value FROM {_IDS} WHERE kind = 'email') e
               ON e.raw = t.email_raw AND t.ref_record_key IS NULL
        LEFT JOIN (SELECT raw, value FROM {_IDS} WHERE kind = 'phone') ph
               ON ph.raw = t.phone_raw AND t.ref_record_key IS NULL
        """,
        [*ts_params, *key_params,
         [events.type_names[n] for n in names], names, events.default_currency,
         sorted(TRUE_WORDS), sorted(FALSE_WORDS), ctx.now, events.future_tolerance_days],
    )


def _standardise_contacts(ctx: RunContext, source: SourceConfig, has_key: str) -> None:
    """`_IDS(kind, raw, value)`: the e-mails and phones in the customers' standard form, for the rows
    with no customer key only (a key finds the customer; the contact is then not used, nor kept),
    standardised once per distinct value."""
    raw = ctx.con.execute(
        f"SELECT DISTINCT email AS email_raw, phone AS phone_raw FROM {ROWS} WHERE NOT ({has_key}) "
        "AND (email IS NOT NULL OR phone IS NOT NULL)"
    ).df()
    emails = raw["email_raw"].dropna().drop_duplicates().reset_index(drop=True)
    phones = raw["phone_raw"].dropna().drop_duplicates().reset_index(drop=True)
    std_email = standardise_emails(emails.astype("string"))["email"] if len(emails) else pd.Series(dtype="string")
    std_phone = (standardise_phones(phones.astype("string"), source.default_country)["phone"]
                 if len(phones) else pd.Series(dtype="string"))
    ids = pd.concat([
        pd.DataFrame({"kind": "email", "raw": emails.astype(str), "value": std_email.astype("string")}),
        pd.DataFrame({"kind": "phone", "raw": phones.astype(str), "value": std_phone.astype("string")}),
    ], ignore_index=True)
    ctx.con.register("_mdm_ev_ids_frame", ids)
    try:
        ctx.con.execute(f"CREATE OR REPLACE TEMP TABLE {_IDS} AS SELECT * FROM _mdm_ev_ids_frame")
    finally:
        ctx.con.unregister("_mdm_ev_ids_frame")


#: Whether the customer initiated an event: what the row says, else what its type implies
#: (`events.initiated_types`, bound as the parameter).
_INITIATED_SQL = "coalesce(p.initiated_flag, list_contains(?::VARCHAR[], p.event_type))"


def write_rows(ctx: RunContext, source: SourceConfig, events: EventsConfig) -> dict[str, Any]:
    """Good rows replace their previous version in `events.staged`, resolved to their customer as
    they are written (and put on the timeline when found): one write per event, where writing them
    unresolved and then updating ten million rows cost a fifth of the first run's events stage.
    Bad rows go to quarantine (their previous good version leaves play, as a customer's does).
    Counts, with `resolved` (per method, and held per reason)."""
    con = ctx.con
    delta.log_changes(con, resolve.TIMELINE, f"SELECT record_key FROM {PARSED}")
    con.execute(
        f"DELETE FROM golden.customer_event WHERE event_record_key IN (SELECT record_key FROM {PARSED})"
    )
    con.execute(f"DELETE FROM events.staged WHERE record_key IN (SELECT record_key FROM {PARSED})")
    resolved = resolve.resolve_batch(
        con, f"SELECT record_key, ref_record_key, email, phone FROM {PARSED} WHERE len(reasons) = 0"
    )
    con.execute(
        f"""
        INSERT INTO events.staged (record_key, source, load_id, payload_hash, ref_record_key, email, phone,
            event_type, occurred_at, channel, amount, currency, initiated_by_customer, customer_record_key,
            resolved_by, held_reason, staged_at, staged_run_id)
        SELECT p.record_key, ?, p.load_id, p.payload_hash, p.ref_record_key,
               p.email, p.phone, p.event_type, p.occurred_at, p.channel, p.amount, p.currency,
               {_INITIATED_SQL}, r.customer_record_key, r.resolved_by, r.held_reason, ?, ?
        FROM {PARSED} p JOIN {resolve.RESOLVED} r USING (record_key)
        """,
        [source.name, events.initiated_types, ctx.now, ctx.run_id],
    )
    con.execute(  # from the batch: a night's few rows, where events.staged holds the whole timeline
        f"""
        INSERT INTO golden.customer_event
        SELECT x.golden_id, p.record_key, ?, p.event_type, p.occurred_at, p.channel, p.amount, p.currency,
               {_INITIATED_SQL}, r.customer_record_key
        FROM {PARSED} p
        JOIN {resolve.RESOLVED} r ON r.record_key = p.record_key AND r.customer_record_key IS NOT NULL
        JOIN golden.xref x ON x.record_key = r.customer_record_key AND x.valid_to IS NULL
        """,
        [source.name, events.initiated_types],
    )
    con.execute(f"DROP TABLE IF EXISTS {resolve.RESOLVED}")
    con.execute(f"DELETE FROM events.quarantined_refs WHERE record_key IN (SELECT record_key FROM {PARSED})")
    con.execute(
        f"INSERT INTO events.quarantined_refs SELECT record_key, ref_record_key FROM {PARSED} "
        "WHERE len(reasons) > 0 AND ref_record_key IS NOT NULL"
    )
    # A good version supersedes an open (or discarded) quarantine row of the same event.
    con.execute(
        f"UPDATE quarantine.rows SET status = 'superseded', resolved_at = ? WHERE status IN ('open', 'discarded') "
        f"AND record_key IN (SELECT record_key FROM {PARSED} WHERE len(reasons) = 0)",
        [ctx.now],
    )
    con.execute(
        f"""
        INSERT INTO quarantine.rows (record_key, source, load_id, run_id, reasons, payload, status,
            quarantined_at, source_payload_hash)
        SELECT p.record_key, ?, p.load_id, ?, p.reasons,
               to_json(struct_pack(event_key := r.event_key, {", ".join(f"{f} := r.{f}" for f in FIELDS)})),
               'open', ?, p.payload_hash
        FROM {PARSED} p JOIN {ROWS} r USING (record_key) WHERE len(p.reasons) > 0
        ON CONFLICT (record_key) DO UPDATE SET load_id = excluded.load_id, run_id = excluded.run_id,
            reasons = excluded.reasons, payload = excluded.payload, status = 'open',
            quarantined_at = excluded.quarantined_at, resolved_at = NULL, resolved_by = NULL,
            source_payload_hash = excluded.source_payload_hash
        """,
        [source.name, ctx.run_id, ctx.now],
    )
    rows = con.execute(
        f"SELECT count(*) FILTER (WHERE len(reasons) = 0), count(*) FILTER (WHERE len(reasons) > 0) FROM {PARSED}"
    ).fetchall()[0]
    return {"staged": int(rows[0]), "quarantined": int(rows[1]), "resolved": resolved}


def quarantine_reasons(ctx: RunContext) -> dict[str, int]:
    """Reason -> rows quarantined in this batch (`PARSED`)."""
    rows = ctx.con.execute(
        f"SELECT r, count(*) FROM (SELECT unnest(reasons) AS r FROM {PARSED}) GROUP BY r ORDER BY r"
    ).fetchall()
    return {r: int(n) for r, n in rows}


def mark_loads_read(ctx: RunContext, source: SourceConfig) -> None:
    """Mark the source's new loads read, and empty the landing of their rows.

    Why the landing is emptied: every row read is now in `events.staged` (parsed) or in
    `quarantine.rows` (its fields as received, `payload`), or was a version already staged; nothing
    reads a landed row twice. Keeping ten million rows a second time would only make every
    compaction and erasure scan copy or read them again (docs/events.md).
    """
    ctx.con.execute(
        "INSERT INTO events.processed_loads (load_id, run_id, processed_at) "
        "SELECT load_id, ?, ? FROM raw.loads l WHERE source = ? AND status NOT IN ('failed', 'held') "
        "AND NOT EXISTS (SELECT 1 FROM events.processed_loads p WHERE p.load_id = l.load_id)",
        [ctx.run_id, ctx.now, source.name],
    )
    ctx.con.execute(
        "DELETE FROM raw.event_rows WHERE source = ? "
        "AND load_id IN (SELECT load_id FROM events.processed_loads)",
        [source.name],
    )


def drop_temp(ctx: RunContext) -> None:
    for table in (ROWS, PARSED, _IDS):
        ctx.con.execute(f"DROP TABLE IF EXISTS {table}")

