"""The top problems of a run, in plain words, ranked by how much they hurt.

Each rule looks at the latest run's metrics and proposes sentences with a severity (roughly "the
share of customers affected", weighted by how much the field matters to reach and know them).
Thresholds keep noise out: a few percent missing in an optional field is not a problem worth a
manager's time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from mdm.reports.data import ReportData
from mdm.reports.labels import Labels

#: Field -> weight of its absence (contact fields matter most).
MISSING_WEIGHTS: dict[str, float] = {
    "email": 1.0,
    "phone": 0.9,
    "last_name": 0.8,
    "first_name": 0.6,
    "postcode": 0.6,
    "city": 0.5,
    "street": 0.5,
    "company": 0.3,
    "birth_date": 0.3,
}
MISSING_MIN_PCT = 20.0
INVALID_MIN_PCT = 5.0
DUPLICATE_MIN_PCT = 5.0
STALE_DAYS = 7.0
INACTIVE_MIN_PCT = 10.0
UNREACHABLE_MIN_PCT = 5.0


@dataclass(frozen=True)
class Problem:
    dimension: str
    severity: float
    text: str


def _missing(data: ReportData, lab: Labels) -> Iterator[Problem]:
    for source in data.sources():
        for field_name, fill in data.with_prefix(source, "completeness", "fill_pct").items():
            weight = MISSING_WEIGHTS.get(field_name)
            if fill is None or weight is None or not lab.has(f"missing_phrase.{field_name}"):
                continue
            missing = 100.0 - fill
            if missing >= MISSING_MIN_PCT:
                text = lab("problem.missing").format(
                    pct=lab.fmt_pct(missing),
                    source=lab.source(source),
                    phrase=lab(f"missing_phrase.{field_name}"),
                )
                yield Problem("completeness", missing * weight, text)
    reachable = data.get("golden", "completeness", "reachable_pct")
    if reachable is not None and 100.0 - reachable >= UNREACHABLE_MIN_PCT:
        yield Problem(
            "completeness",
            (100.0 - reachable) * 1.2,
            lab("problem.unreachable").format(pct=lab.fmt_pct(100 - reachable)),
        )


def _invalid(data: ReportData, lab: Labels) -> Iterator[Problem]:
    for source in data.sources():
        for field_name, valid in data.with_prefix(source, "validity", "valid_pct").items():
            if valid is None or 100.0 - valid < INVALID_MIN_PCT:
                continue
            text = lab("problem.invalid").format(
                pct=lab.fmt_pct(100.0 - valid),
                values=lab(f"values_phrase.{field_name}"),
                source=lab.source(source),
            )
            yield Problem("validity", (100.0 - valid) * 0.8, text)
        reasons = data.with_prefix(source, "validity", "quarantined")
        open_rows = data.get(source, "validity", "quarantined_open") or 0.0
        accepted = data.get(source, "validity", "accepted_pct")
        if open_rows > 0 and reasons:
            top_reason = max(sorted(reasons), key=lambda r: reasons[r] or 0.0)
            text = lab.count_text(
                "problem.quarantine",
                open_rows,
                source=lab.source(source),
                reason=lab(f"reasons.{top_reason}", default=top_reason.replace("_", " ")),
            )
            share = 100.0 - accepted if accepted is not None else 10.0
            yield Problem("validity", max(share, 1.0), text)


def _duplicates(data: ReportData, lab: Labels) -> Iterator[Problem]:
    for source in data.sources():
        dup = data.get(source, "uniqueness", "duplicate_pct")
        if dup is not None and dup >= DUPLICATE_MIN_PCT:
            text = lab("problem.duplicates").format(pct=lab.fmt_pct(dup), source=lab.source(source))
            yield Problem("uniqueness", dup * 0.7, text)


def _timeliness(data: ReportData, lab: Labels) -> Iterator[Problem]:
    for source in data.sources():
        key = (source, "timeliness", "days_since_last_load")
        if key not in data.latest:
            continue
        days = data.latest[key]
        if days is None:
            yield Problem("timeliness", 40.0, lab("problem.never_loaded").format(source=lab.source(source)))
        elif days > STALE_DAYS:
            text = lab("problem.stale").format(n=lab.fmt_number(days), source=lab.source(source))
            yield Problem("timeliness", min(60.0, days), text)
        failed = data.get(source, "timeliness", "failed_loads_this_run") or 0.0
        if failed > 0:
            text = lab.count_text("problem.failed_loads", failed, source=lab.source(source))
            yield Problem("timeliness", 50.0, text)
    inactive = data.get("golden", "timeliness", "inactive_36m_pct")
    if inactive is not None and inactive >= INACTIVE_MIN_PCT:
        yield Problem("timeliness", inactive * 0.5, lab("problem.inactive").format(pct=lab.fmt_pct(inactive)))


def _retention(data: ReportData, lab: Labels) -> Iterator[Problem]:
    overdue = data.get("all", "retention", "overdue") or 0.0
    if overdue > 0:
        yield Problem("retention", 90.0, lab.count_text("problem.overdue", overdue))
    due = data.get("all", "retention", "due_soon") or 0.0
    if due > 0:
        days = data.get("all", "retention", "due_soon_days") or 30.0
        yield Problem("retention", 5.0, lab.count_text("problem.due_soon", due, days=lab.fmt_number(days)))


def _stewardship(data: ReportData, lab: Labels) -> Iterator[Problem]:
    pending = data.get("all", "stewardship", "pending_reviews") or 0.0
    if pending > 0:
        oldest = data.get("all", "stewardship", "pending_age_days_max") or 0.0
        key = "problem.pending" if oldest >= 1 else "problem.pending_new"
        text = lab.count_text(key, pending, days=lab.fmt_number(oldest))
        yield Problem("stewardship", min(50.0, 5.0 + pending / 10.0 + oldest), text)


RULES = (_missing, _invalid, _duplicates, _timeliness, _retention, _stewardship)


def top_problems(data: ReportData, lab: Labels, limit: int = 8) -> list[Problem]:
    """The `limit` most severe problems of the latest run (stable order for equal severities)."""
    found = [p for rule in RULES for p in rule(data, lab)]
    found.sort(key=lambda p: (-p.severity, p.text))
    return found[:limit]
