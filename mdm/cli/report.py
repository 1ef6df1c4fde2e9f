"""`mdm report`: the data-quality report (HTML) and exports of the metrics (CSV, JSON).

Reads the published database only, so it works while a run is writing the warehouse.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from mdm.cli.options import config_option, echo_json, get_config, json_option, published_reader
from mdm.reports.metrics import headline_metrics
from mdm.reports.render import export_metrics, latest_run_id, render_report


def _write(path: Path, text: str) -> None:
    """Write next to the target and swap it in, so a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@click.command("report")
@config_option
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Output file. Default for html: $MDM_HOME/reports/dq_report.html; csv/json print to stdout.",
)
@click.option(
    "--lang", type=click.Choice(["en", "fr"]), default="en", show_default=True, help="Report language."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "csv", "json"]),
    default="html",
    show_default=True,
    help="html: the manager report; csv/json: the stored metrics, one row per run, scope, dimension and metric.",
)
@click.option(
    "--run", "run_id", default=None, help="csv/json: only this run's metrics ('latest' for the last run)."
)
@json_option
def report(
    config_path: str | None, out: Path | None, lang: str, fmt: str, run_id: str | None, as_json: bool
) -> None:
    """Write the data-quality report of the latest published run, or export its metrics.

    \b
    Examples:
      mdm report                              # HTML report in $MDM_HOME/reports/
      mdm report --lang fr --out qualite.html
      mdm report --format csv --out metrics.csv
      mdm report --format json --run latest

    Exit codes: 0 written, 1 nothing published yet, 2 bad usage or invalid config.
    """
    config = get_config(config_path)
    con = published_reader(config)
    try:
        latest = latest_run_id(con)
        if fmt == "html":
            path = out or config.paths.reports / "dq_report.html"
            _write(path, render_report(con, lang))
            headline = headline_metrics(con, latest) if latest else {}
            if as_json:
                echo_json(
                    {"path": str(path), "format": fmt, "lang": lang, "run_id": latest, "headline": headline}
                )
            else:
                click.echo(f"Report of run {latest or '(none yet)'} written to {path}")
            return
        selected = latest if run_id == "latest" else run_id
        text = export_metrics(con, fmt, selected)
    finally:
        con.close()
    if out is None:
        click.echo(text, nl=False)
        return
    _write(out, text)
    if as_json:
        echo_json({"path": str(out), "format": fmt, "run_id": selected})
    else:
        click.echo(f"Metrics written to {out}")


commands = [report]
