"""The data-quality report: one self-contained HTML page, and CSV/JSON exports of the metrics.

`render_report(con, lang)` reads only `dq.metrics` from a read-only connection (normally the
published file) and returns HTML with inline CSS and inline SVG charts: no script, no font, no
image and no stylesheet is fetched, so it opens offline and can be mailed as is. It shows
aggregates only, never a record, so it holds no personal data.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from mdm import __version__
from mdm.reports import charts
from mdm.reports.data import ReportData, load_report_data
from mdm.reports.labels import Labels
from mdm.reports.measures import DIMENSIONS, STAGING_FIELDS
from mdm.reports.parties import b2b_rows, households
from mdm.reports.problems import top_problems
from mdm.reports.segments import contactability, segment_rows

#: Beside this module (not importlib.resources: a tests/mdm/reports folder must not shadow it).
TEMPLATES = Path(__file__).resolve().parent / "templates"

EXPORT_COLUMNS: tuple[str, ...] = ("run_id", "at", "scope", "dimension", "metric", "value")


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _run_labels(runs: list[tuple[str, datetime]], lab: Labels) -> list[str]:
    """The trend charts' axis: each run's day in the reader's words, with its time when a day
    holds more than one run."""
    days = [lab.fmt.day(at) for _, at in runs]
    if len(set(days)) == len(days):
        return days
    return [f"{lab.fmt.day(at)} {at.strftime('%H:%M')}" for _, at in runs]


def _cards(data: ReportData, lab: Labels) -> list[dict[str, Any]]:
    cards = []
    previous = data.previous
    for dimension in DIMENSIONS:
        key = ("all", dimension, "score")
        score = data.latest.get(key)
        before = previous.get(key) if previous is not None else None
        delta = None if score is None or before is None else score - before
        series = data.series(key)
        cards.append(
            {
                "dimension": dimension,
                "label": lab(f"dimensions.{dimension}"),
                "help": lab(f"dimension_help.{dimension}"),
                "score": score,
                "score_text": lab.fmt_number(score) if score is not None else "–",
                "colour": charts.score_colour(score),
                "delta": delta,
                "delta_text": lab.fmt_delta(delta) if delta is not None else "",
                "delta_class": "flat" if not delta or abs(delta) < 0.05 else ("up" if delta > 0 else "down"),
                "has_previous": before is not None,
                "sparkline": Markup(
                    charts.sparkline(series, title=f"{lab(f'dimensions.{dimension}')}: {lab('trends')}")
                ),
            }
        )
    return cards


def _heat_map(data: ReportData, lab: Labels) -> str:
    sources = [s for s in data.sources() if data.with_prefix(s, "completeness", "fill_pct")]
    values: dict[tuple[str, str], float | None] = {}
    present: set[str] = set()
    for scope in [*sources, "golden"]:
        for field_name, value in data.with_prefix(scope, "completeness", "fill_pct").items():
            values[(scope, field_name)] = value
            present.add(field_name)
    columns = [(f, lab.field(f)) for f in STAGING_FIELDS if f in present]
    rows = [(s, _capital(lab.source(s))) for s in sources] + [("golden", lab("golden"))]
    return charts.heat_map(
        rows, columns, values, title=lab("heat_map"), missing_label=lab("not_collected"), fmt=lab.fmt_number
    )


def _trends(data: ReportData, lab: Labels) -> tuple[str, str]:
    x = _run_labels(data.runs, lab)
    series = {lab(f"dimensions.{d}"): data.series(("all", d, "score")) for d in DIMENSIONS}
    scores = charts.line_chart(series, x, title=lab("trends"), width=1000, y_max=100.0, fmt=lab.fmt_number)
    customers = charts.line_chart(
        {lab("golden"): data.series(("all", "uniqueness", "golden_customers"))},
        x,
        title=lab("customers_trend"),
        width=1000,
        y_max=None,
        height=220,
        fmt=lab.fmt_number,
    )
    return scores, customers


def _quarantine(data: ReportData, lab: Labels) -> str | None:
    totals: dict[str, float] = {}
    for source in data.sources():
        for reason, n in data.with_prefix(source, "validity", "quarantined").items():
            totals[reason] = totals.get(reason, 0.0) + (n or 0.0)
    items = sorted(
        ((lab(f"reasons.{r}", default=r.replace("_", " ")), n) for r, n in totals.items() if n),
        key=lambda i: -i[1],
    )
    if not items:
        return None
    return charts.bar_chart(
        items[:10], title=lab("quarantine_chart"), width=1000, fmt=lab.fmt_number, colour=charts.PALETTE[5]
    )


def _source_rows(data: ReportData, lab: Labels) -> list[dict[str, str]]:
    rows = []
    for source in data.sources():
        days_key = (source, "timeliness", "days_since_last_load")
        days = data.latest.get(days_key)
        if days_key in data.latest and days is None:
            last_load = lab("never")
        else:
            last_load = (
                "–"
                if days is None
                else (lab("today") if days < 1 else f"{lab.fmt_number(days)} {lab('days')}")
            )
        rows.append(
            {
                "source": source,
                "label": _capital(lab.source(source)),
                "records": lab.fmt_number(data.get(source, "uniqueness", "records")),
                "reachable": lab.fmt_pct(data.get(source, "completeness", "reachable_pct")),
                "duplicates": lab.fmt_pct(data.get(source, "uniqueness", "duplicate_pct"), 1),
                "quarantined": lab.fmt_number(data.get(source, "validity", "quarantined_open")),
                "last_load": last_load,
                "due_soon": lab.fmt_number(data.get(source, "retention", "due_soon") or 0.0),
            }
        )
    return rows


def render_report(
    con: duckdb.DuckDBPyConnection, lang: str = "en", *, source_labels: dict[str, str] | None = None
) -> str:
    """The data-quality report of the latest measured run, as one self-contained HTML page.

    `source_labels` ({source name: plural label}) overrides the labels of `labels.yaml`.
    """
    overrides = {f"sources.{k}": v for k, v in (source_labels or {}).items()}
    lab = Labels(lang, overrides=overrides)
    data = load_report_data(con)
    context: dict[str, Any] = {"lab": lab, "lang": lang, "empty": data.empty, "version": __version__}
    if not data.empty:
        run_id, at = data.latest_run
        scores_svg, customers_svg = _trends(data, lab)
        quarantine_svg = _quarantine(data, lab)
        context.update(
            run_id=run_id,
            subtitle=lab.count_text(
                "subtitle", len(data.runs), run=run_id, date=lab.fmt.datetime(at)
            ),
            cards=_cards(data, lab),
            heat_map=Markup(_heat_map(data, lab)),
            trend_chart=Markup(scores_svg),
            customers_chart=Markup(customers_svg),
            quarantine_chart=Markup(quarantine_svg) if quarantine_svg else None,
            problems=top_problems(data, lab),
            source_rows=_source_rows(data, lab),
            golden_customers=lab.fmt_number(data.get("all", "uniqueness", "golden_customers")),
            reachable=lab.fmt_pct(data.get("golden", "completeness", "reachable_pct")),
            segment_rows=segment_rows(data, lab),
            contactability=contactability(data, lab),
            b2b_rows=b2b_rows(data, lab),
            households=households(data, lab),
        )
    return _environment().get_template("dq_report.html.j2").render(**context)


# ------------------------------------------------------------------------------------------------
# exports
# ------------------------------------------------------------------------------------------------


def metric_rows(con: duckdb.DuckDBPyConnection, run_id: str | None = None) -> list[dict[str, Any]]:
    """Every stored metric (or one run's), oldest run first, as plain dicts."""
    sql = 'SELECT run_id, "at", scope, dimension, metric, value FROM dq.metrics'
    params: list[Any] = []
    if run_id is not None:
        sql += " WHERE run_id = ?"
        params.append(run_id)
    sql += ' ORDER BY "at", run_id, dimension, scope, metric'
    return [dict(zip(EXPORT_COLUMNS, row, strict=True)) for row in con.execute(sql, params).fetchall()]


def latest_run_id(con: duckdb.DuckDBPyConnection) -> str | None:
    row = con.execute('SELECT run_id FROM dq.metrics ORDER BY "at" DESC, run_id DESC LIMIT 1').fetchone()
    return None if row is None else str(row[0])


def export_metrics(con: duckdb.DuckDBPyConnection, fmt: str, run_id: str | None = None) -> str:
    """The metrics as CSV (one row per metric, header first) or JSON (a list of objects)."""
    rows = metric_rows(con, run_id)
    if fmt == "json":
        return json.dumps(
            rows, indent=2, default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v)
        )
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(EXPORT_COLUMNS), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {
                    **row,
                    "at": row["at"].isoformat(),
                    "value": "" if row["value"] is None else repr(row["value"]),
                }
            )
        return buffer.getvalue()
    raise ValueError(f"unknown export format {fmt!r}; choose csv or json")
