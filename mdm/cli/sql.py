"""`mdm sql`: query the published database, read-only, without knowing where it lives."""

from __future__ import annotations

from gettext import ngettext

import click

from mdm.cli.options import config_option, echo_json, get_config, json_option, published_reader


@click.command("sql")
@click.argument("query")
@config_option
@json_option
@click.option("--max-rows", default=40, show_default=True, help="Rows shown in the table view.")
def sql_command(query: str, config_path: str | None, as_json: bool, max_rows: int) -> None:
    """Run a read-only SQL QUERY on the published database ($MDM_HOME/published/mdm.duckdb).

    \b
    Example: mdm sql "SELECT first_name, last_name, city FROM golden.customer LIMIT 5"
    Tables: golden.customer, golden.xref, golden.lineage, golden.alias, golden.history, and the
    stewards' read model (staging.customers, match.pairs, quarantine.rows, audit.events, dq.metrics).
    """
    config = get_config(config_path)
    con = published_reader(config)
    try:
        try:
            cursor = con.execute(query)
        except Exception as exc:  # DuckDB's own message names the problem (syntax, table, read-only)
            raise click.ClickException(f"query failed: {exc}") from exc
        columns = [d[0] for d in cursor.description or []]
        rows = cursor.fetchall()
    finally:
        con.close()
    if as_json:
        echo_json([dict(zip(columns, row, strict=True)) for row in rows])
        return
    import pandas as pd

    # NULL shows as an empty cell, not Python's "None".
    frame = pd.DataFrame([tuple("" if v is None else v for v in row) for row in rows], columns=columns)
    with pd.option_context("display.max_columns", 50, "display.width", 200, "display.max_colwidth", 40):
        click.echo(frame.to_string(max_rows=max_rows, index=False) if len(frame) else "(no rows)")
    click.echo(f"{len(rows)} " + ngettext("row", "rows", len(rows)))


commands = [sql_command]
