"""The data-quality measures of one run, each computed set-based in SQL on the working warehouse.

One function per dimension; each returns `Metric` rows `(scope, dimension, metric, value)`.
The SQL aggregates the whole table at once; Python only reshapes the few aggregated rows.

Conventions (documented in docs/reports.md):
- `scope` is a source name, `golden` (the golden table) or `all` (pooled over the warehouse).
- Shares are percentages 0-100 and their metric name ends in `_pct`; per-field metrics are
  `<measure>.<field>` (e.g. `fill_pct.email`); per-reason ones `<measure>.<reason>`.
- Every dimension has a headline `score` (0-100, higher is better) at scope `all`.
- A value is NULL when it cannot be computed (no data, a source never loaded).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import duckdb

from mdm.canonical import ACTIVITY_FIELDS, CANONICAL_FIELDS, GOLDEN_FIELDS
from warehouse.retention.config import RetentionConfig
from warehouse.retention.selection import selection_query

#: Staging columns measured for completeness (full_name is split before staging).
STAGING_FIELDS: tuple[str, ...] = tuple(f for f in CANONICAL_FIELDS if f != "full_name")

#: Fields whose staging column holds only a *valid* value (NULL when invalid) and that carry a
#: `<field>_status` column (valid | invalid | missing).
STATUS_FIELDS: tuple[str, ...] = ("email", "phone", "birth_date")

#: Fields averaged into the completeness score of the golden table: what a manager needs to know
#: and reach a customer.
CORE_FIELDS: tuple[str, ...] = ("first_name", "last_name", "email", "phone", "postcode", "city")

#: Inactivity horizons in months (timeliness); the score uses `SCORE_INACTIVE_MONTHS`.
INACTIVE_MONTHS: tuple[int, ...] = (12, 24, 36)
SCORE_INACTIVE_MONTHS = 24

#: When a pending review counts as old.
OLD_REVIEW_DAYS = 7

DIMENSIONS: tuple[str, ...] = (
    "completeness",
    "validity",
    "uniqueness",
    "timeliness",
    "retention",
    "stewardship",
)


class Metric(NamedTuple):
    scope: str
    dimension: str
    metric: str
    value: float | None


@dataclass(frozen=True)
class MeasureInput:
    """Everything the measures read besides the warehouse."""

    run_id: str
    now: datetime
    #: source name -> staging fields it collects (from its mapping); None = infer from the data.
    collected_fields: dict[str, frozenset[str]] | None = None
    #: the retention section of the config (None = no rules: nothing is due)
    retention: RetentionConfig | None = None
    configured_sources: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _filled_sql(name: str) -> str:
    """SQL condition 'this staging/golden column holds a usable value'. `name` comes from code."""
    if name in ("birth_date", "opt_in") or name in ACTIVITY_FIELDS:
        return f'"{name}" IS NOT NULL'
    return f"NULLIF(TRIM(CAST(\"{name}\" AS VARCHAR)), '') IS NOT NULL"


def _fill_pct_sql(fields: Sequence[str]) -> str:
    return ", ".join(
        f'100.0 * COUNT(*) FILTER (WHERE {_filled_sql(f)}) / NULLIF(COUNT(*), 0) AS "{f}"' for f in fields
    )


def _score(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


# --------------------------------------------------------------------------------------------
# completeness
# --------------------------------------------------------------------------------------------


def completeness(con: duckdb.DuckDBPyConnection, inp: MeasureInput) -> list[Metric]:
    """Fill rate per field and source and for the golden table; reachable share."""
    out: list[Metric] = []
    fields = list(STAGING_FIELDS)
    reachable_src = (
        "100.0 * COUNT(*) FILTER (WHERE email_status = 'valid' OR phone_status = 'valid' "
        "OR email IS NOT NULL OR phone IS NOT NULL) / NULLIF(COUNT(*), 0) AS reachable"
    )
    rows = con.execute(
        f"SELECT source, COUNT(*) AS n, {reachable_src}, {_fill_pct_sql(fields)} "
        "FROM staging.customers GROUP BY source ORDER BY source"
    ).fetchall()
    union_collected: set[str] = set()
    for row in rows:
        source, _n, reachable, *fills = row
        declared = (inp.collected_fields or {}).get(source)
        for name, fill in zip(fields, fills, strict=True):
            # A field the source does not collect is "not collected", not "0 % filled".
            if (declared is not None and name not in declared) and not fill:
                continue
            if declared is None and not fill:
                continue
            union_collected.add(name)
            out.append(Metric(source, "completeness", f"fill_pct.{name}", _num(fill)))
        out.append(Metric(source, "completeness", "reachable_pct", _num(reachable)))

    golden_fields = [f for f in GOLDEN_FIELDS if f in union_collected]
    golden = con.execute(
        "SELECT COUNT(*) AS n, "
        "100.0 * COUNT(*) FILTER (WHERE email IS NOT NULL OR phone IS NOT NULL) / NULLIF(COUNT(*), 0)"
        + (", " + _fill_pct_sql(golden_fields) if golden_fields else "")
        + " FROM golden.customer"
    ).fetchone()
    assert golden is not None
    n_golden, reachable_golden, *golden_fills = golden
    fill_by_field = dict(zip(golden_fields, golden_fills, strict=True))
    for name in golden_fields:
        out.append(Metric("golden", "completeness", f"fill_pct.{name}", _num(fill_by_field[name])))
    out.append(Metric("golden", "completeness", "reachable_pct", _num(reachable_golden)))
    core = [fill_by_field.get(f) for f in CORE_FIELDS if f in fill_by_field]
    out.append(Metric("all", "completeness", "score", _num(_score(core)) if n_golden else None))
    return out


#: Staging rows about an organisation: the organisation itself, or a person named as its contact.
_B2B_ROWS = "party_kind IN ('organisation', 'contact')"


def b2b_completeness(con: duckdb.DuckDBPyConnection, inp: MeasureInput) -> list[Metric]:
    """B2B completeness per source and pooled (`all`), over the records about an organisation.

    `b2b_records`; `b2b_valid_siret_pct` and `b2b_vat_pct`: records whose SIRET (or SIREN) and VAT
    number passed their check digits; `b2b_named_contact_pct`: organisations (one per SIREN, else
    per name key) with at least one record naming a contact person. No row when a source holds
    no organisation, so a B2C base shows none.
    """
    del inp
    out: list[Metric] = []
    rows = con.execute(f"""
        WITH b AS (
            SELECT source, party_kind, coalesce(siren, company_key) AS org,
                   siret IS NOT NULL AND NOT list_contains(issues, 'siret_invalid') AS siret_ok,
                   vat_number IS NOT NULL AND NOT list_contains(issues, 'vat_invalid') AS vat_ok
            FROM staging.customers WHERE {_B2B_ROWS}
        ),
        per AS (
            SELECT source, count(*) AS n,
                   100.0 * count(*) FILTER (WHERE siret_ok) / count(*) AS siret_pct,
                   100.0 * count(*) FILTER (WHERE vat_ok) / count(*) AS vat_pct
            FROM b GROUP BY GROUPING SETS ((source), ())
        ),
        orgs AS (
            SELECT source, org, bool_or(party_kind = 'contact') AS named
            FROM b WHERE org IS NOT NULL GROUP BY GROUPING SETS ((source, org), (org))
        ),
        named AS (
            SELECT source, 100.0 * count(*) FILTER (WHERE named) / count(*) AS named_pct FROM orgs GROUP BY source
        )
        SELECT coalesce(per.source, 'all'), per.n, per.siret_pct, per.vat_pct, named.named_pct
        FROM per LEFT JOIN named ON named.source IS NOT DISTINCT FROM per.source
        ORDER BY per.source NULLS LAST
    """).fetchall()
    for scope, n, siret_pct, vat_pct, named_pct in rows:
        if not n:
            continue
        out.append(Metric(scope, "completeness", "b2b_records", _num(n)))
        out.append(Metric(scope, "completeness", "b2b_valid_siret_pct", _num(siret_pct)))
        out.append(Metric(scope, "completeness", "b2b_vat_pct", _num(vat_pct)))
        out.append(Metric(scope, "completeness", "b2b_named_contact_pct", _num(named_pct)))
    return out + _golden_organisations(con)


def _golden_organisations(con: duckdb.DuckDBPyConnection) -> list[Metric]:
    """The same three shares over golden organisations (scope `golden`): with an establishment
    (a SIRET that passed its check), with a VAT number (only valid ones survive), with a contact
    link. No row when there is no golden organisation."""
    row = con.execute("""
        SELECT count(*),
               100.0 * count(*) FILTER (WHERE EXISTS (
                   SELECT 1 FROM golden.establishment e WHERE e.organisation_id = o.organisation_id)) / count(*),
               100.0 * count(vat_number) / count(*),
               100.0 * count(*) FILTER (WHERE EXISTS (
                   SELECT 1 FROM golden.contact k WHERE k.organisation_id = o.organisation_id)) / count(*)
        FROM golden.organisation o
    """).fetchone()
    if row is None or not row[0]:
        return []
    n, siret_pct, vat_pct, named_pct = row
    return [
        Metric("golden", "completeness", "organisations", float(n)),
        Metric("golden", "completeness", "b2b_valid_siret_pct", _num(siret_pct)),
        Metric("golden", "completeness", "b2b_vat_pct", _num(vat_pct)),
        Metric("golden", "completeness", "b2b_named_contact_pct", _num(named_pct)),
    ]


# --------------------------------------------------------------------------------------------
# validity
# --------------------------------------------------------------------------------------------


def validity(con: duckdb.DuckDBPyConnection, inp: MeasureInput) -> list[Metric]:
    """Valid share of the values given; issues; quarantine by reason; expectation pass rates."""
    out, total_valid, total_given = _valid_values(con)
    out += _issues_and_reasons(con)
    quarantine, open_total, received_total = _accepted(con, inp.run_id)
    out += quarantine
    out += _expectation_pass(con, inp.run_id)
    value_pct = 100.0 * total_valid / total_given if total_given else None
    accepted_pct = 100.0 * (received_total - open_total) / received_total if received_total else None
    out.append(Metric("all", "validity", "valid_values_pct", value_pct))
    out.append(Metric("all", "validity", "accepted_pct", accepted_pct))
    out.append(Metric("all", "validity", "score", _score([value_pct, accepted_pct])))
    return out


def _valid_values(con: duckdb.DuckDBPyConnection) -> tuple[list[Metric], int, int]:
    """Valid share and invalid count per status field and source; the totals (valid, given)."""
    out: list[Metric] = []
    parts = [
        f"COUNT(*) FILTER (WHERE {f}_status = 'valid') AS {f}_valid, "
        f"COUNT(*) FILTER (WHERE {f}_status = 'invalid') AS {f}_invalid"
        for f in STATUS_FIELDS
    ]
    per_source = con.execute(
        f"SELECT source, {', '.join(parts)} FROM staging.customers GROUP BY source ORDER BY source"
    ).fetchall()
    total_valid = 0
    total_given = 0
    for row in per_source:
        source = row[0]
        for i, f in enumerate(STATUS_FIELDS):
            valid, invalid = int(row[1 + 2 * i]), int(row[2 + 2 * i])
            given = valid + invalid
            total_valid += valid
            total_given += given
            if given:
                out.append(Metric(source, "validity", f"valid_pct.{f}", 100.0 * valid / given))
                out.append(Metric(source, "validity", f"invalid.{f}", float(invalid)))
    return out, total_valid, total_given


def _issues_and_reasons(con: duckdb.DuckDBPyConnection) -> list[Metric]:
    """Issue codes of staging rows; quarantine rows still open by reason (a row with two
    reasons counts for both)."""
    out = [
        Metric(source, "validity", f"issue.{code}", float(n))
        for source, code, n in con.execute(
            "SELECT source, code, COUNT(*) FROM ("
            "  SELECT source, UNNEST(issues) AS code FROM staging.customers WHERE issues IS NOT NULL"
            ") GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    ]
    out += [
        Metric(source, "validity", f"quarantined.{reason}", float(n))
        for source, reason, n in con.execute(
            "SELECT source, reason, COUNT(*) FROM ("
            "  SELECT source, UNNEST(reasons) AS reason FROM quarantine.rows WHERE status = 'open'"
            ") GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    ]
    return out


def _accepted(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[list[Metric], int, int]:
    """Rows in quarantine (open, and sent there this run) and the accepted share, per source;
    the totals (open, received)."""
    q_rows = con.execute(
        """
        WITH q AS (
            SELECT source, COUNT(*) FILTER (WHERE status = 'open') AS open_rows,
                   COUNT(*) FILTER (WHERE run_id = ?) AS this_run
            FROM quarantine.rows GROUP BY source
        ),
        received AS (
            SELECT source, COUNT(*) AS received FROM (
                SELECT source, record_key FROM staging.customers
                UNION
                SELECT source, record_key FROM quarantine.rows WHERE status = 'open'
            ) GROUP BY source
        )
        SELECT source, COALESCE(q.open_rows, 0), COALESCE(q.this_run, 0), COALESCE(r.received, 0)
        FROM q FULL OUTER JOIN received AS r USING (source)
        ORDER BY source
        """,
        [run_id],
    ).fetchall()
    out: list[Metric] = []
    open_total = 0
    received_total = 0
    for source, open_rows, this_run, received in q_rows:
        open_total += int(open_rows)
        received_total += int(received)
        out.append(Metric(source, "validity", "quarantined_open", float(open_rows)))
        out.append(Metric(source, "validity", "quarantined_this_run", float(this_run)))
        if received:
            out.append(Metric(source, "validity", "accepted_pct", 100.0 * (received - open_rows) / received))
    out.append(Metric("all", "validity", "quarantined_open", float(open_total)))
    return out, open_total, received_total


def _expectation_pass(con: duckdb.DuckDBPyConnection, run_id: str) -> list[Metric]:
    """Pass rate of each expectation in this run (written by the validate stage)."""
    return [
        Metric(source, "validity", f"expectation_pass_pct.{expectation}", float(pass_pct))
        for source, expectation, pass_pct in con.execute(
            "SELECT source, expectation, "
            "100.0 * (SUM(element_count) - SUM(COALESCE(unexpected_count, 0))) / NULLIF(SUM(element_count), 0) "
            "FROM dq.validation_results WHERE run_id = ? GROUP BY ALL ORDER BY ALL",
            [run_id],
        ).fetchall()
        if pass_pct is not None
    ]


# --------------------------------------------------------------------------------------------
# uniqueness
# --------------------------------------------------------------------------------------------


def uniqueness(con: duckdb.DuckDBPyConnection, inp: MeasureInput) -> list[Metric]:
    """Records per golden customer per source and overall (current xref); merges and splits."""
    out: list[Metric] = []
    within_records = 0
    within_golden = 0
    for source, records, goldens in con.execute(
        "SELECT source, COUNT(DISTINCT record_key), COUNT(DISTINCT golden_id) FROM golden.xref "
        "WHERE valid_to IS NULL GROUP BY source ORDER BY source"
    ).fetchall():
        within_records += int(records)
        within_golden += int(goldens)
        out.append(Metric(source, "uniqueness", "records", float(records)))
        out.append(Metric(source, "uniqueness", "golden_customers", float(goldens)))
        out.append(Metric(source, "uniqueness", "records_per_golden", records / goldens if goldens else None))
        out.append(
            Metric(
                source,
                "uniqueness",
                "duplicate_pct",
                100.0 * (records - goldens) / records if records else None,
            )
        )
    overall = con.execute(
        "SELECT (SELECT COUNT(DISTINCT record_key) FROM golden.xref WHERE valid_to IS NULL), "
        "(SELECT COUNT(*) FROM golden.customer), "
        "(SELECT COUNT(*) FILTER (WHERE len(sources) > 1) FROM golden.customer)"
    ).fetchone()
    assert overall is not None
    records, goldens, multi = (int(v) for v in overall)
    out.append(Metric("all", "uniqueness", "records", float(records)))
    out.append(Metric("all", "uniqueness", "golden_customers", float(goldens)))
    out.append(Metric("all", "uniqueness", "records_per_golden", records / goldens if goldens else None))
    out.append(
        Metric("golden", "uniqueness", "multi_source_pct", 100.0 * multi / goldens if goldens else None)
    )
    events = dict(
        con.execute(
            "SELECT kind, COUNT(*) FROM audit.events WHERE run_id = ? AND kind IN ('merge', 'split') GROUP BY kind",
            [inp.run_id],
        ).fetchall()
    )
    out.append(Metric("all", "uniqueness", "merges_this_run", float(events.get("merge", 0))))
    out.append(Metric("all", "uniqueness", "splits_this_run", float(events.get("split", 0))))
    # Duplicates inside one source are the problem; the same person in two channels is expected.
    within_dup = 100.0 * (within_records - within_golden) / within_records if within_records else None
    out.append(Metric("all", "uniqueness", "duplicate_pct", within_dup))
    out.append(Metric("all", "uniqueness", "score", None if within_dup is None else 100.0 - within_dup))
    return out


# --------------------------------------------------------------------------------------------
# timeliness
# --------------------------------------------------------------------------------------------


def timeliness(con: duckdb.DuckDBPyConnection, inp: MeasureInput) -> list[Metric]:
    """Days since each source's last successful load; inactive shares of the golden table."""
    out: list[Metric] = []
    loads = {
        source: (last, failed)
        for source, last, failed in con.execute(
            "SELECT source, MAX(COALESCE(finished_at, started_at)) FILTER (WHERE status = 'loaded'), "
            "COUNT(*) FILTER (WHERE status = 'failed' AND run_id = ?) FROM raw.loads GROUP BY source",
            [inp.run_id],
        ).fetchall()
    }
    for source in sorted(set(loads) | set(inp.configured_sources)):
        last, failed = loads.get(source, (None, 0))
        days = None if last is None else max(0.0, (inp.now - last).total_seconds() / 86400.0)
        out.append(Metric(source, "timeliness", "days_since_last_load", days))
        out.append(Metric(source, "timeliness", "failed_loads_this_run", float(failed)))

    horizon_sql = ", ".join(
        f"100.0 * COUNT(*) FILTER (WHERE last_activity_at IS NULL OR last_activity_at < ? - INTERVAL {m} MONTH)"
        " / NULLIF(COUNT(*), 0)"
        for m in INACTIVE_MONTHS
    )
    row = con.execute(
        f"SELECT {horizon_sql}, "
        "100.0 * COUNT(*) FILTER (WHERE last_activity_at IS NULL) / NULLIF(COUNT(*), 0) FROM golden.customer",
        [inp.now] * len(INACTIVE_MONTHS),
    ).fetchone()
    assert row is not None
    score: float | None = None
    for months, pct in zip(INACTIVE_MONTHS, row[:-1], strict=True):
        out.append(Metric("golden", "timeliness", f"inactive_{months}m_pct", _num(pct)))
        if months == SCORE_INACTIVE_MONTHS and pct is not None:
            score = 100.0 - float(pct)
    out.append(Metric("golden", "timeliness", "no_activity_date_pct", _num(row[-1])))
    out.append(Metric("all", "timeliness", "score", score))
    return out


# --------------------------------------------------------------------------------------------
# retention
# --------------------------------------------------------------------------------------------

RETENTION_EVENT_METRICS: dict[str, str] = {
    "expire": "expired_this_run",
    "anonymise": "anonymised_this_run",
    "archive": "archived_this_run",
    "erase": "erased_this_run",
}


def retention(con: duckdb.DuckDBPyConnection, inp: MeasureInput) -> list[Metric]:
    """Records expired/anonymised/archived/erased this run; due soon, overdue and held per the rules.

    The status of each record comes from the retention engineer's own selection query, so the
    report and `mdm retention plan` can never disagree. Measured after the expire stage, a record
    still `due` is overdue: it should have gone and did not.
    """
    out: list[Metric] = []
    done = dict(
        con.execute(
            "SELECT kind, SUM(COALESCE(count, 1)) FROM audit.events WHERE run_id = ? GROUP BY kind",
            [inp.run_id],
        ).fetchall()
    )
    for kind, metric in RETENTION_EVENT_METRICS.items():
        out.append(Metric("all", "retention", metric, float(done.get(kind) or 0)))

    per_source: dict[str, dict[str, int]] = {}
    query = selection_query(inp.retention, inp.now) if inp.retention is not None else None
    if query is not None:
        for source, status, n in con.execute(
            f"SELECT source, status, COUNT(*) FROM ({query.sql}) GROUP BY ALL", query.params
        ).fetchall():
            per_source.setdefault(source, {})[status] = int(n)
    totals = {status: 0 for status in ("due_soon", "due", "held")}
    for source in sorted(per_source):
        for status, metric in (("due_soon", "due_soon"), ("due", "overdue"), ("held", "held")):
            n = per_source[source].get(status, 0)
            totals[status] += n
            out.append(Metric(source, "retention", metric, float(n)))
    out.append(Metric("all", "retention", "due_soon", float(totals["due_soon"])))
    out.append(Metric("all", "retention", "overdue", float(totals["due"])))
    out.append(Metric("all", "retention", "held", float(totals["held"])))
    horizon = inp.retention.due_soon_days if inp.retention is not None else None
    out.append(Metric("all", "retention", "due_soon_days", _num(horizon)))
    staged_row = con.execute("SELECT COUNT(*) FROM staging.customers").fetchone()
    staged = int(staged_row[0]) if staged_row else 0
    score = 100.0 * (staged - totals["due"]) / staged if staged else None
    out.append(Metric("all", "retention", "score", score))
    return out


# --------------------------------------------------------------------------------------------
# stewardship
# --------------------------------------------------------------------------------------------


def stewardship(con: duckdb.DuckDBPyConnection, inp: MeasureInput) -> list[Metric]:
    """Pending review pairs and their age; steward and model decisions this run."""
    out: list[Metric] = []
    pending = con.execute(
        """
        WITH p AS (
            SELECT date_diff('second', r.started_at, ?::TIMESTAMP) / 86400.0 AS age_days
            FROM match.pairs AS m LEFT JOIN ops.runs AS r ON r.run_id = m.run_id
            WHERE m.decision = 'review'
        )
        SELECT COUNT(*), MAX(age_days), MEDIAN(age_days), COUNT(*) FILTER (WHERE age_days > ?) FROM p
        """,
        [inp.now, OLD_REVIEW_DAYS],
    ).fetchone()
    assert pending is not None
    n_pending, age_max, age_median, n_old = pending
    out.append(Metric("all", "stewardship", "pending_reviews", float(n_pending)))
    out.append(Metric("all", "stewardship", "pending_age_days_max", _num(age_max)))
    out.append(Metric("all", "stewardship", "pending_age_days_median", _num(age_median)))
    out.append(Metric("all", "stewardship", f"pending_over_{OLD_REVIEW_DAYS}d", float(n_old or 0)))

    # "This run" for stewards = since the previous run started (they decide between runs).
    since_row = con.execute(
        "SELECT MAX(started_at) FROM ops.runs WHERE run_id <> ? AND started_at < ?", [inp.run_id, inp.now]
    ).fetchone()
    since = since_row[0] if since_row and since_row[0] is not None else datetime.min
    decided = con.execute(
        "SELECT COUNT(*) FILTER (WHERE decision = 'match'), COUNT(*) FILTER (WHERE decision = 'non_match') "
        "FROM match.decisions WHERE decided_by <> 'model' AND decided_at > ? AND decided_at <= ?",
        [since, inp.now + timedelta(seconds=1)],
    ).fetchone()
    assert decided is not None
    out.append(Metric("all", "stewardship", "steward_matches_this_run", float(decided[0])))
    out.append(Metric("all", "stewardship", "steward_non_matches_this_run", float(decided[1])))
    out.append(Metric("all", "stewardship", "steward_decisions_this_run", float(decided[0] + decided[1])))
    by_decision = dict(
        con.execute(
            "SELECT decision, COUNT(*) FROM match.pairs WHERE run_id = ? GROUP BY decision", [inp.run_id]
        ).fetchall()
    )
    out.append(Metric("all", "stewardship", "auto_matches_this_run", float(by_decision.get("auto_match", 0))))
    resolved_row = con.execute(
        "SELECT COUNT(*) FILTER (WHERE decision IN ('steward_match', 'steward_non_match')), "
        "COUNT(*) FILTER (WHERE decision = 'review') FROM match.pairs"
    ).fetchone()
    assert resolved_row is not None
    resolved, waiting = int(resolved_row[0]), int(resolved_row[1])
    score = 100.0 * resolved / (resolved + waiting) if (resolved + waiting) else 100.0
    out.append(Metric("all", "stewardship", "reviewed_pct", score))
    out.append(Metric("all", "stewardship", "score", score))
    return out


def households(con: duckdb.DuckDBPyConnection, inp: MeasureInput) -> list[Metric]:
    """Golden households (scope `golden`, dimension uniqueness): how many, how many customers they
    hold, customers reachable per household (e-mail or phone), households with several consents."""
    del inp
    row = con.execute("""
        SELECT count(*), sum(members), avg(reachable_members), count(*) FILTER (WHERE consenting_members >= 2)
        FROM golden.household
    """).fetchone()
    assert row is not None
    n, members, reachable, several = row
    return [
        Metric("golden", "uniqueness", "households", float(n)),
        Metric("golden", "uniqueness", "customers_in_households", float(members or 0)),
        Metric("golden", "uniqueness", "reachable_per_household", _num(reachable)),
        Metric("golden", "uniqueness", "households_several_consents", float(several)),
    ]


def segments(con: duckdb.DuckDBPyConnection, inp: MeasureInput) -> list[Metric]:
    """Segment sizes, completeness per segment, contactability of the customers that matter
    (`mdm/reports/segments.py`)."""
    from mdm.reports.segments import measure

    key_segments = list(inp.extra.get("key_segments", []))
    return [Metric(*row) for row in measure(con, key_segments)]


MEASURES = (completeness, b2b_completeness, validity, uniqueness, households, timeliness, retention, stewardship,
            segments)


def measure_all(con: duckdb.DuckDBPyConnection, inp: MeasureInput) -> list[Metric]:
    """Every dimension's metrics, in dimension order."""
    rows: list[Metric] = []
    for fn in MEASURES:
        rows.extend(fn(con, inp))
    return rows
