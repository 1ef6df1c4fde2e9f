"""Erasure on request (GDPR art. 17): remove a person from every layer, every file, for good.

`erase(config, kind, value)` with kind email | phone | national_id | golden_id | record_key:

1. Under the pipeline lock (no run can start meanwhile), find the person: the records carrying
   the identifier (staging, raw payloads, the archive), then every current record of the golden
   customer(s) they belong to.
2. In one warehouse transaction: add the salted hashes of their e-mails, phones, national
   identifiers and record keys
   to the suppression list; drop golden history versions carrying their identifiers; delete the
   records from every table naming a record key and the golden customers from every table naming
   a golden id; audit one `erase` row per record and one `erase_request` row (hashes and counts).
3. Outside it: delete them from the archive file and from the stewards' store (vacuumed), rewrite
   every published DuckDB / Parquet file without them, and rewrite the warehouse and archive
   files so no deleted byte survives (`compact.py`).

Everything printed or returned is counts and ids of the request, never the person's data.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from matching.merge import organisation_history
from mdm.clock import now as clock_now
from mdm.config import MdmConfig, get_salt
from mdm.context import RunContext
from mdm.events.forget import keep_amounts_of, person_event_keys
from mdm.privacy import fingerprint
from mdm.standardise.national_ids import SEPARATORS
from warehouse.connection import open_reader, open_writer, transaction
from warehouse.lock import pipeline_lock
from warehouse.retention import cascade, heal, journal, sole_traders
from warehouse.retention.audit import record_events, summary_event
from warehouse.retention.identifiers import (
    mailbox,
    mailbox_sql,
    normalise_email,
    normalise_national_id,
    normalise_phone,
    phone_digit_forms,
)
from warehouse.retention.resume import Completion, resume_pending
from warehouse.retention.scrub import rejected_holding, scrub_duckdb_text
from warehouse.retention.suppression import add_suppressed
from warehouse.retention.targets import Targets, name_tokens

log = logging.getLogger("mdm.retention")

KINDS = ("email", "phone", "national_id", "golden_id", "record_key")


class ErasureError(ValueError):
    """The request cannot be understood (e.g. a phone number that does not parse)."""


@dataclass
class ErasureResult:
    request_id: str
    records: int = 0
    golden_customers: int = 0
    suppressed_identifiers: int = 0
    rows_deleted: dict[str, int] = field(default_factory=dict)
    #: What the steps outside the warehouse did for this request (`resume.Completion`).
    completion: Completion | None = None
    #: Earlier pending erasures this call completed or tried again.
    resumed: list[Completion] = field(default_factory=list)
    #: Whether one of them was of the identifier this request names (a retried erasure).
    resumed_same_person: bool = False

    @property
    def archive_records(self) -> int:
        return self.completion.archive_records if self.completion else 0

    @property
    def store_rows(self) -> int:
        return self.completion.store_rows if self.completion else 0

    @property
    def published_rows(self) -> dict[str, int]:
        return self.completion.published_rows if self.completion else {}

    @property
    def pending(self) -> bool:
        return self.completion is None or bool(self.completion.problems)

    def as_dict(self) -> dict[str, Any]:
        done = self.completion or Completion(self.request_id, "")
        return {
            "request_id": self.request_id,
            "status": "pending" if self.pending else "done",
            "records": self.records,
            "golden_customers": self.golden_customers,
            "suppressed_identifiers": self.suppressed_identifiers,
            "rows_deleted": self.rows_deleted,
            **done.as_dict(),
            "resumed": [c.as_dict() for c in self.resumed],
        }


@dataclass
class Subject:
    kind: str
    value: str  # normalised
    digit_forms: list[str] = field(default_factory=list)


def normalise_request(kind: str, value: str, region: str = "FR") -> Subject:
    if kind not in KINDS:
        raise ErasureError(f"unknown identifier kind {kind!r}; use one of {list(KINDS)}")
    value = value.strip()
    if not value:
        raise ErasureError(f"empty {kind}")
    if kind == "email":
        email = normalise_email(value)
        if email is None:
            raise ErasureError("that e-mail address is not valid")
        return Subject(kind, email)
    if kind == "phone":
        phone = normalise_phone(value, region)
        if phone is None:
            raise ErasureError("that phone number does not parse")
        return Subject(kind, phone, phone_digit_forms(phone))
    if kind == "national_id":
        national_id = normalise_national_id(value)
        if national_id is None:
            raise ErasureError("that national identifier is not valid (5-20 letters and digits, at least 4 of them digits, not a placeholder)")
        return Subject(kind, national_id)
    return Subject(kind, value)


def _direct_keys(con: duckdb.DuckDBPyConnection, subject: Subject) -> list[str]:
    """Record keys that carry the identifier itself (before widening to the golden customers)."""
    if subject.kind == "record_key":
        sql = ("SELECT record_key FROM staging.customers WHERE record_key = ? UNION SELECT record_key FROM raw.records "
               "WHERE record_key = ? UNION SELECT record_key FROM raw.event_rows WHERE record_key = ?")
        return [r[0] for r in con.execute(sql, [subject.value] * 3).fetchall()]
    if subject.kind == "golden_id":
        sql = """
            SELECT x.record_key FROM golden.xref x
            WHERE x.valid_to IS NULL AND x.golden_id IN (
                SELECT ? UNION SELECT golden_id FROM golden.alias WHERE alias_id = ?)
        """
        return [r[0] for r in con.execute(sql, [subject.value, subject.value]).fetchall()]
    return keys_carrying(con, Identifiers.from_rows([own_identifiers(subject)]))


def _payload_match(value: str) -> str:
    """SQL: the JSON string `value` (a payload field, chosen by code) is one of the identifiers in
    the temp lists `_erase_mailboxes`, `_erase_digits`, `_erase_national_ids`. Phones are compared
    on digits in every usual writing (a spreadsheet's `659345487.0` too), e-mails by mailbox."""
    digits = f"regexp_replace(regexp_replace({value}, '\\.0+$', ''), '[^0-9]', '', 'g')"
    return (
        f"(contains({value}, '@') AND {mailbox_sql(value)} IN (SELECT v FROM _erase_mailboxes))"
        f" OR {digits} IN (SELECT v FROM _erase_digits)"
        f" OR upper(regexp_replace({value}, '{SEPARATORS}', '', 'g')) IN (SELECT v FROM _erase_national_ids)"
    )


def keys_carrying(con: duckdb.DuckDBPyConnection, ids: Identifiers) -> list[str]:
    """Record keys of every record carrying one of the identifiers: in staging (e-mail as written
    or standardised, by mailbox; phone; national id), in a raw payload (any field, any load), in a raw
    event row (its e-mail, phone or customer key) or in
    a quarantined row's payload (as received or as a steward corrected it). Set-based: the
    identifiers go into temp lists, one query scans each layer once."""
    lists = {
        "_erase_mailboxes": sorted({mailbox(e) for e in ids.emails}),
        "_erase_phones": ids.phones,
        "_erase_digits": sorted({form for phone in ids.phones for form in phone_digit_forms(phone)}),
        "_erase_national_ids": ids.national_ids,
    }
    for name, values in lists.items():
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT unnest(?::VARCHAR[]) AS v", [values])
    rows = con.execute(
        f"""
        SELECT record_key FROM staging.customers
        WHERE {mailbox_sql('email')} IN (SELECT v FROM _erase_mailboxes)
           OR {mailbox_sql('email_raw')} IN (SELECT v FROM _erase_mailboxes)
           OR phone IN (SELECT v FROM _erase_phones)
           OR national_id IN (SELECT v FROM _erase_national_ids)
        UNION
        SELECT r.record_key FROM raw.records r, json_each(r.payload) j WHERE {_payload_match("(j.value ->> '$')")}
        UNION
        SELECT record_key FROM raw.event_rows
        WHERE {_payload_match("email")} OR {_payload_match("phone")} OR {_payload_match("customer_key")}
        UNION
        SELECT q.record_key FROM quarantine.rows q, json_each(q.payload) j WHERE {_payload_match("(j.value ->> '$')")}
        """
    ).fetchall()
    for name in lists:
        con.execute(f"DROP TABLE {name}")
    return [r[0] for r in rows]


#: The identifiers gathered from a person's records, in the column order of the queries below.
IDENTIFIER_KINDS = ("email", "phone", "national_id")


@dataclass
class Identifiers:
    """The person's normalised identifiers, gathered from their records (and the request itself)."""

    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    national_ids: list[str] = field(default_factory=list)

    @classmethod
    def from_rows(cls, rows: list[tuple[Any, ...]]) -> Identifiers:
        """From (email, phone, national_id) rows; NULLs skipped, each list sorted and distinct."""
        return cls(*(sorted({row[i] for row in rows if row[i]}) for i in range(len(IDENTIFIER_KINDS))))

    def add(self, other: Identifiers) -> Identifiers:
        mine, theirs = self.by_kind().values(), other.by_kind().values()
        return Identifiers(*(sorted(set(a) | set(b)) for a, b in zip(mine, theirs, strict=True)))

    def by_kind(self) -> dict[str, list[str]]:
        return dict(zip(IDENTIFIER_KINDS, (self.emails, self.phones, self.national_ids), strict=True))


def _archive_matches(config: MdmConfig, keys: list[str], ids: Identifiers) -> tuple[list[str], Identifiers]:
    """Record keys and identifiers of the archived records carrying one of the person's keys or identifiers."""
    path = config.paths.archive
    if not path.exists():
        return [], Identifiers()
    con = open_reader(path)
    try:
        columns = {r[0] for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = 'customers'"
        ).fetchall()}
        if not columns:
            return [], Identifiers()
        # an archive written before national_id existed has no such column until it next archives
        national_id = "national_id" if "national_id" in columns else "NULL::VARCHAR"
        rows = con.execute(
            f"SELECT record_key, email, phone, {national_id} FROM customers"
            " WHERE record_key IN (SELECT unnest(?::VARCHAR[])) OR email IN (SELECT unnest(?::VARCHAR[]))"
            f" OR phone IN (SELECT unnest(?::VARCHAR[])) OR {national_id} IN (SELECT unnest(?::VARCHAR[]))",
            [keys, ids.emails, ids.phones, ids.national_ids],
        ).fetchall()
        return [r[0] for r in rows], Identifiers.from_rows([r[1:] for r in rows])
    finally:
        con.close()


def _identifiers(con: duckdb.DuckDBPyConnection, subject: Subject) -> Identifiers:
    """The normalised identifiers of the records in `_retire_keys`, plus the request's own."""
    people = con.execute(
        f"SELECT {', '.join(IDENTIFIER_KINDS)} FROM staging.customers"
        f" WHERE record_key IN (SELECT record_key FROM {cascade.KEYS_TABLE})"
    ).fetchall()
    return Identifiers.from_rows([*people, own_identifiers(subject)])


def own_identifiers(subject: Subject) -> tuple[str | None, ...]:
    """The request's identifier as an (email, phone, national_id) row."""
    return tuple(subject.value if kind == subject.kind else None for kind in IDENTIFIER_KINDS)


def _golden_of(con: duckdb.DuckDBPyConnection, subject: Subject) -> set[str]:
    """Golden customers holding a record of `_retire_keys`, or named by the request itself."""
    rows = con.execute(
        f"""
        SELECT DISTINCT golden_id FROM golden.xref
        WHERE valid_to IS NULL AND record_key IN (SELECT record_key FROM {cascade.KEYS_TABLE})
        UNION SELECT golden_id FROM golden.customer WHERE golden_id = ?
        UNION SELECT golden_id FROM golden.alias WHERE alias_id = ?
        """,
        [subject.value, subject.value],
    ).fetchall()
    return {r[0] for r in rows}


def find_person(con: duckdb.DuckDBPyConnection, subject: Subject) -> tuple[list[str], list[str]]:
    """(record keys, golden ids): the records with the identifier, every current record of their
    golden customers, and every record carrying one of the identifiers those records hold, until
    nothing new is found.

    Why a closure: a record the matcher did not merge (a quarantined row, a record in a cluster of
    its own) still holds the person's phone or e-mail, and its bytes are the person's. Those
    identifiers go on the suppression list, which would purge such a record at the next run
    anyway; erasing it now is what "erased" means. Each round is a few set-based queries; a person
    takes two or three rounds.
    """
    keys = set(_direct_keys(con, subject))
    golden_ids: set[str] = set()
    while True:
        cascade.load_keys(con, sorted(keys))
        golden_ids |= _golden_of(con, subject)
        members = con.execute(
            "SELECT record_key FROM golden.xref WHERE valid_to IS NULL AND golden_id IN (SELECT unnest(?::VARCHAR[]))",
            [sorted(golden_ids)],
        ).fetchall()
        cascade.load_keys(con, sorted(keys | {r[0] for r in members}))
        found = keys | {r[0] for r in members} | set(keys_carrying(con, _identifiers(con, subject)))
        found |= sole_traders.own_records(con, sorted(golden_ids))
        if found == keys:
            break
        keys = found
    aliases = con.execute(
        "SELECT alias_id FROM golden.alias WHERE golden_id IN (SELECT unnest(?::VARCHAR[]))", [sorted(golden_ids)]
    ).fetchall()
    return sorted(keys), sorted(golden_ids | {r[0] for r in aliases})


def _names(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The folded name words of the records in `_retire_keys` (for the free-text scrub)."""
    rows = con.execute(
        f"SELECT first_name, last_name FROM staging.customers"
        f" WHERE record_key IN (SELECT record_key FROM {cascade.KEYS_TABLE})"
    ).fetchall()
    return name_tokens(*(n for row in rows for n in row))


def _loaded_files(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Content hashes of the loaded files that held a record in `_retire_keys`."""
    rows = con.execute(
        f"""
        SELECT DISTINCT content_hash FROM raw.loads WHERE content_hash IS NOT NULL AND load_id IN (
            SELECT load_id FROM raw.records WHERE record_key IN (SELECT record_key FROM {cascade.KEYS_TABLE})
            UNION ALL
            SELECT load_id FROM raw.event_rows WHERE record_key IN (SELECT record_key FROM {cascade.KEYS_TABLE})
            UNION ALL  -- an event read from the landing names its load where it went
            SELECT load_id FROM events.staged WHERE record_key IN (SELECT record_key FROM {cascade.KEYS_TABLE})
            UNION ALL
            SELECT load_id FROM quarantine.rows WHERE record_key IN (SELECT record_key FROM {cascade.KEYS_TABLE}))
        """
    ).fetchall()
    return [r[0] for r in rows]


def _targets(
    con: duckdb.DuckDBPyConnection, config: MdmConfig, keys: list[str], golden_ids: list[str], ids: Identifiers,
    salt: str,
) -> Targets:
    """Everything the person left, as salted hashes: what the journal keeps for the later steps."""
    phone_forms = [form for phone in ids.phones for form in (phone, *phone_digit_forms(phone))]
    rejected = rejected_holding(
        config.paths.home, [*ids.emails, *(mailbox(e) for e in ids.emails)], phone_forms, ids.national_ids
    )
    targets = Targets(salt).add("record_key", keys).add("golden_id", golden_ids).add_emails(ids.emails)
    targets.add("phone", ids.phones).add("national_id", ids.national_ids).add("token", _names(con))
    return targets.add("file", [*_loaded_files(con), *rejected])


def _remove(con: duckdb.DuckDBPyConnection, ctx: RunContext, golden_ids: list[str]) -> dict[str, int]:
    """Delete the records of `_retire_keys` and the customers from every layer; heal the clusters
    they bridged. Returns rows deleted per table."""
    old_golden = [
        r[0] for r in con.execute(
            f"SELECT DISTINCT golden_id FROM golden.xref WHERE record_key IN (SELECT record_key FROM {cascade.KEYS_TABLE})"
        ).fetchall()
    ]
    cascade.scrub_history(con, sorted(set(old_golden) | set(golden_ids)))
    heal.mark_bridges(con)
    deleted = cascade.delete_records(con)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {cascade.GOLDEN_TABLE} (golden_id VARCHAR)")
    con.execute(f"INSERT INTO {cascade.GOLDEN_TABLE} SELECT unnest(?::VARCHAR[])", [golden_ids])
    for table, n in cascade.delete_golden(con).items():
        deleted[table] = deleted.get(table, 0) + n
    heal.heal(ctx)
    heal.follow_parties(ctx)
    con.execute(f"DROP TABLE IF EXISTS {cascade.GOLDEN_TABLE}")
    return {k: v for k, v in deleted.items() if v}


def _audit_request(con: duckdb.DuckDBPyConnection, result: ErasureResult, subject_hash: str, by: str,
                   keys: list[str], golden_ids: list[str], salt: str, at: datetime) -> None:
    if keys:
        # Record keys are "<source>:<hash>" (sources/keys.py); archived ones are no longer in staging.
        events = pd.DataFrame({"record_key": keys, "source": [k.partition(":")[0] for k in keys]})
        record_events(con, run_id=None, at=at, salt=salt,
                      kind_by_key=events.assign(kind="erase", rule=f"erasure:{result.request_id}"))
    summary_event(
        con, run_id=None, at=at, kind="erase_request", rule=f"erasure:{result.request_id}",
        count=len(keys), subject_hash=subject_hash,
        detail={"by": by, "records": len(keys), "golden_ids": len(golden_ids), "rows_deleted": result.rows_deleted},
    )


def _sole_trader_businesses(con: duckdb.DuckDBPyConnection, keys: list[str], golden_ids: list[str],
                            targets: Targets) -> list[str]:
    """Add the other records of the person's sole-trader businesses (`sole_traders.py`): other
    people's contact rows naming the business. After the identifiers and name words are taken
    (those rows' e-mails, phones and names are another person's), their keys, files and the
    organisations go to the targets. Returns the keys to erase, loaded in `_retire_keys`."""
    naming = sole_traders.naming_records(con, golden_ids) - set(keys)
    businesses = sole_traders.organisations_of(con, golden_ids)
    targets.add("organisation_id", businesses)
    organisation_history.forget(con, businesses)  # their versions name the person too
    if not naming:
        return keys
    keys = sorted(set(keys) | naming)
    cascade.load_keys(con, keys)
    targets.add("record_key", naming).add("file", _loaded_files(con))
    return keys


def erase_in_warehouse(
    con: duckdb.DuckDBPyConnection, config: MdmConfig, subject: Subject, result: ErasureResult, at: datetime
) -> None:
    """Step 1, in the caller's warehouse transaction: find the person, journal the request (hashes
    only), suppress their identifiers, remove them from every layer, audit, scrub free text."""
    salt = get_salt(config)
    keys, golden_ids = find_person(con, subject)
    cascade.load_keys(con, keys)
    ids = _identifiers(con, subject)
    archived_keys, archived_ids = _archive_matches(config, keys, ids)
    keys = sorted(set(keys) | set(archived_keys))
    ids = ids.add(archived_ids)
    cascade.load_keys(con, keys)
    event_keys = person_event_keys(con, cascade.KEYS_TABLE, golden_ids, ids.emails, ids.phones)  # their events too
    keys = sorted(set(keys) | set(event_keys))
    cascade.load_keys(con, keys)
    targets = _targets(con, config, keys, golden_ids, ids, salt)
    keys = _sole_trader_businesses(con, keys, golden_ids, targets)
    counted = con.execute(
        "SELECT count(*) FROM golden.customer WHERE golden_id IN (SELECT unnest(?::VARCHAR[]))", [golden_ids]
    ).fetchone()
    result.records, result.golden_customers = len(keys), int(counted[0]) if counted else 0
    named = mailbox(subject.value) if subject.kind == "email" else subject.value
    subject_hash = fingerprint(f"{subject.kind}:{named}", salt)
    entry = journal.Entry(result.request_id, subject_hash, targets, result.records, result.golden_customers, 0)
    journal.record(con, entry, subject.kind, at)
    result.suppressed_identifiers = add_suppressed(con, salt, at, {**ids.by_kind(), "record_key": keys})
    ctx = RunContext(config=config, con=con, run_id=f"erasure:{result.request_id}", now=at)
    keep_amounts_of(con, event_keys, at)  # amounts stay for the accounts, without the person
    result.rows_deleted = _remove(con, ctx, golden_ids)
    _audit_request(con, result, subject_hash, subject.kind, keys, golden_ids, salt, at)
    scrub_duckdb_text(con, targets)
    con.execute(f"DROP TABLE IF EXISTS {cascade.KEYS_TABLE}")


def _names_subject(targets: Targets, subject: Subject) -> bool:
    """Whether an earlier request's targets include this request's identifier."""
    value = mailbox(subject.value) if subject.kind == "email" else subject.value
    return targets.has(subject.kind, value)


def erase(config: MdmConfig, kind: str, value: str, *, lock_timeout_s: float = 10.0) -> ErasureResult:
    """Erase one person everywhere. Raises `WarehouseBusy` if a run holds the lock too long.

    The request is journalled in the warehouse transaction that erases the warehouse; the steps
    outside it (archive, store, files, published copies, compaction) then run for it and for any
    earlier request still pending. A step that cannot finish (a locked published file) leaves the
    request pending, said in `completion.problems`; the next `mdm erase` or `mdm run` resumes it.
    """
    region = config.sources[0].default_country if config.sources else "FR"
    subject = normalise_request(kind, value, region)
    result = ErasureResult(request_id=uuid.uuid4().hex[:12])
    at = clock_now()
    config.paths.ensure()
    with pipeline_lock(config.paths.lock, timeout_s=lock_timeout_s):
        con = open_writer(config.paths)
        try:
            with transaction(con):
                erase_in_warehouse(con, config, subject, result, at)
        finally:
            con.close()
        completions = resume_pending(config)
    result.completion = next((c for c in completions if c.request_id == result.request_id), None)
    result.resumed = [c for c in completions if c.request_id != result.request_id]
    result.resumed_same_person = any(c.targets is not None and _names_subject(c.targets, subject)
                                     for c in result.resumed)
    log.info("erasure %s: %d record(s), %s", result.request_id, result.records,
             "pending" if result.pending else "done")
    return result
