"""Dataset-level expectations: the circuit breaker on each source's new load.

A new load is compared with the previous accepted load of the same file (or, for sources listed
in `circuit_breaker.snapshot_sources`, of the same source whatever the file name: a new file of
an ordinary source is an addition, e.g. this month's new subscribers, not a shrunken export):

- `row_count_dropped`   it has fewer than `min_row_ratio` (default half) of the previous rows;
- `column_emptied`      a column that was mostly filled is now mostly empty;
- `unexpected_columns`  it has columns the source's previous load did not have (a changed
                        export; checked against the source's last load whatever the file).

A failing load is *held*: `raw.loads.status = 'held'` with the reason, its records leave play
(staging falls back to each record's previous version), the run goes on with the other
sources, and the result is stored in `dq.validation_results` (suite `dataset.<source>`).

The checks run in SQL over a per-load profile (`dq.load_profiles`: rows and non-empty cells per
source column), computed once per load, so a million-row load costs one scan.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from expectations.config import CircuitBreakerConfig
from mdm.canonical import EVENT_FIELDS
from mdm.context import RunContext
from sources.loads import NEWEST_LOAD_FIRST

ROW_COUNT_DROPPED = "row_count_dropped"
COLUMN_EMPTIED = "column_emptied"
UNEXPECTED_COLUMNS = "unexpected_columns"


@dataclass
class LoadCheck:
    load_id: str
    source: str
    rows: int
    previous_load_id: str | None
    failures: list[tuple[str, str | None, dict[str, Any]]] = field(default_factory=list)  # reason, column, observed

    @property
    def held(self) -> bool:
        return bool(self.failures)


#: Rows sampled per load for the column profile (the row count is always exact).
PROFILE_SAMPLE_ROWS = 20_000
#: A new column must be filled in at least this share of the sampled rows to count as "new".
NEW_COLUMN_MIN_SHARE = 0.01


def profile_load(ctx: RunContext, load_id: str, source: str) -> None:
    """Row count (exact) and non-empty cells per source column (on an even sample of at most
    PROFILE_SAMPLE_ROWS rows) of one load, into dq.load_profiles.

    Why a sample: parsing every payload of a million-row load per key costs tens of seconds in
    DuckDB (`json_each`), and shares of filled cells are what the checks compare.
    """
    total = int(ctx.con.execute("SELECT count(*) FROM raw.records WHERE load_id = ?", [load_id]).fetchall()[0][0])
    if total == 0 and _profile_event_load(ctx, load_id, source):
        return
    step = max(1, -(-total // PROFILE_SAMPLE_ROWS))
    payloads = ctx.con.execute(
        "SELECT payload FROM raw.records WHERE load_id = ? AND coalesce(row_number, 0) % ? = 0 LIMIT ?",
        [load_id, step, PROFILE_SAMPLE_ROWS],
    ).fetchall()
    present: dict[str, int] = {}
    filled: dict[str, int] = {}
    for (text,) in payloads:
        record = json.loads(text) if text else {}
        for column, value in record.items():
            present[column] = present.get(column, 0) + 1
            if value is not None and str(value).strip() != "":
                filled[column] = filled.get(column, 0) + 1
    sampled = len(payloads)
    rows = [(load_id, source, "", total, total)]
    rows += [(load_id, source, column, sampled, filled.get(column, 0)) for column in sorted(present)]
    ctx.con.executemany(
        "INSERT INTO dq.load_profiles (load_id, source, column_name, row_count, non_empty) VALUES (?, ?, ?, ?, ?)",
        rows,
    )


def _profile_event_load(ctx: RunContext, load_id: str, source: str) -> bool:
    """An event load (`raw.event_rows`, one column per canonical event field): exact counts in one
    set-based scan, per mapped field. False when the load has no event rows either."""
    filled = ", ".join(f"count(*) FILTER (WHERE nullif(trim({f}), '') IS NOT NULL)" for f in EVENT_FIELDS)
    row = ctx.con.execute(f"SELECT count(*), {filled} FROM raw.event_rows WHERE load_id = ?", [load_id]).fetchall()[0]
    total = int(row[0])
    if total == 0:
        return False
    rows = [(load_id, source, "", total, total)]
    rows += [(load_id, source, f, total, int(n)) for f, n in zip(EVENT_FIELDS, row[1:], strict=True) if n]
    ctx.con.executemany(
        "INSERT INTO dq.load_profiles (load_id, source, column_name, row_count, non_empty) VALUES (?, ?, ?, ?, ?)",
        rows,
    )
    return True


def _profile(ctx: RunContext, load_id: str) -> dict[str, tuple[int, int]]:
    rows = ctx.con.execute(
        "SELECT column_name, row_count, non_empty FROM dq.load_profiles WHERE load_id = ?", [load_id]
    ).fetchall()
    return {str(r[0]): (int(r[1]), int(r[2])) for r in rows}


def evaluate(
    new: dict[str, tuple[int, int]], previous: dict[str, tuple[int, int]], settings: CircuitBreakerConfig
) -> list[tuple[str, str | None, dict[str, Any]]]:
    """Compare two load profiles; return the failed checks (reason, column, observed)."""
    failures: list[tuple[str, str | None, dict[str, Any]]] = []
    new_rows = new.get("", (0, 0))[0]
    old_rows = previous.get("", (0, 0))[0]
    if old_rows >= settings.min_previous_rows and new_rows < settings.min_row_ratio * old_rows:
        failures.append((ROW_COUNT_DROPPED, None, {"rows": new_rows, "previous_rows": old_rows,
                                                    "min_ratio": settings.min_row_ratio}))
    for column, (rows_before, filled_before) in sorted(previous.items()):
        if not column or rows_before == 0 or new_rows < settings.min_previous_rows:
            continue
        share_before = filled_before / rows_before
        if share_before < settings.min_filled_before:
            continue
        rows_now, filled_now = new.get(column, (new_rows, 0))
        share_now = filled_now / rows_now if rows_now else 0.0
        if share_now < share_before * settings.max_emptied_ratio:
            failures.append((COLUMN_EMPTIED, column, {"filled_share": round(share_now, 4),
                                                      "previous_filled_share": round(share_before, 4)}))
    if not settings.allow_new_columns and previous:
        added = sorted(c for c, (rows, filled) in new.items()
                       if c and c not in previous and rows and filled / rows >= NEW_COLUMN_MIN_SHARE)
        if added:
            failures.append((UNEXPECTED_COLUMNS, None, {"columns": added}))
    return failures


def check_new_loads(ctx: RunContext, settings: CircuitBreakerConfig) -> list[LoadCheck]:
    """Profile every load not profiled yet, compare it with its source's previous accepted load,
    hold the ones that fail, and record every check in dq.validation_results."""
    pending = ctx.con.execute(
        """
        SELECT load_id, source FROM raw.loads l
        WHERE status NOT IN ('failed', 'held')
          AND NOT EXISTS (SELECT 1 FROM dq.load_profiles p WHERE p.load_id = l.load_id)
        ORDER BY seq
        """
    ).fetchall()
    checks: list[LoadCheck] = []
    for load_id, source in pending:
        profile_load(ctx, load_id, source)
        new = _profile(ctx, load_id)
        same_source = _previous_load(ctx, load_id, source, same_file=False)
        same_file = _previous_load(ctx, load_id, source, same_file=True)
        baseline = same_source if source in settings.snapshot_sources else same_file
        check = LoadCheck(load_id=load_id, source=source, rows=new.get("", (0, 0))[0], previous_load_id=baseline)
        if settings.enabled:
            if baseline is not None:
                check.failures += [f for f in evaluate(new, _profile(ctx, baseline), settings)
                                   if f[0] != UNEXPECTED_COLUMNS]
            if same_source is not None:
                # Schema drift matters whatever the file: compare columns with the source's last load.
                check.failures += [f for f in evaluate(new, _profile(ctx, same_source), settings)
                                   if f[0] == UNEXPECTED_COLUMNS]
        _record(ctx, check)
        if check.held:
            reasons = ", ".join(sorted({f[0] + (f" ({f[1]})" if f[1] else "") for f in check.failures}))
            ctx.con.execute(
                "UPDATE raw.loads SET status = 'held', error = ? WHERE load_id = ?",
                [f"held by the circuit breaker in run {ctx.run_id}: {reasons}", load_id],
            )
        checks.append(check)
    return checks


def _previous_load(ctx: RunContext, load_id: str, source: str, same_file: bool) -> str | None:
    """The latest accepted, profiled load of the source before this one (of the same file if asked)."""
    file_filter = "AND l.file IS NOT DISTINCT FROM (SELECT file FROM raw.loads WHERE load_id = ?)" if same_file else ""
    params: list[Any] = [source, load_id, load_id] + ([load_id] if same_file else [])
    found = ctx.con.execute(
        f"""
        SELECT l.load_id FROM raw.loads l
        WHERE l.source = ? AND l.status NOT IN ('failed', 'held') AND l.load_id <> ?
          AND EXISTS (SELECT 1 FROM dq.load_profiles p WHERE p.load_id = l.load_id)
          AND l.seq < (SELECT seq FROM raw.loads WHERE load_id = ?)
          {file_filter}
        ORDER BY {NEWEST_LOAD_FIRST} LIMIT 1
        """,
        params,
    ).fetchall()
    return str(found[0][0]) if found else None


def _record(ctx: RunContext, check: LoadCheck) -> None:
    failed = {(reason, column) for reason, column, _ in check.failures}
    rows: list[list[Any]] = []
    for reason, column, observed in check.failures:
        rows.append([reason, column, False, observed])
    for reason in (ROW_COUNT_DROPPED, COLUMN_EMPTIED, UNEXPECTED_COLUMNS):
        if not any(f[0] == reason for f in failed):
            rows.append([reason, None, True, {"previous_load": check.previous_load_id is not None}])
    for reason, column, success, observed in rows:
        ctx.con.execute(
            """
            INSERT INTO dq.validation_results (run_id, source, suite, expectation, column_name, severity, success,
                element_count, unexpected_count, validated_at, load_id, observed, blocking)
            VALUES (?, ?, ?, ?, ?, 'error', ?, ?, ?, ?, ?, ?::JSON, ?)
            """,
            [ctx.run_id, check.source, f"dataset.{check.source}", reason, column, success, check.rows,
             0 if success else 1, ctx.now, check.load_id, json.dumps(observed), not success],
        )
