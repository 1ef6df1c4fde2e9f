"""`mdm quarantine ...`: list quarantined rows, look at one, release a corrected row or discard it.

Release and discard are *requests* written to the stewards' store (SQLite): the pipeline may be
running and holding the warehouse. The next run applies them at the start of its standardise
stage; a released row is re-standardised from the corrected payload and validated again.

Reading uses the published database when it holds the quarantine table, else the working
warehouse read-only, which is only possible while no run holds it.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
import duckdb

from mdm.cli.options import config_option, echo_json, get_config, json_option
from mdm.clock import now
from mdm.config import MdmConfig
from mdm.stewardship import store
from warehouse.connection import open_reader
from warehouse.lock import WarehouseBusy, pipeline_lock


def _has_quarantine(con: duckdb.DuckDBPyConnection) -> bool:
    rows = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'quarantine' AND table_name = 'rows'"
    ).fetchall()
    return bool(rows[0][0])


@contextmanager
def quarantine_reader(config: MdmConfig) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection that has `quarantine.rows`: the published file, else the warehouse."""
    published = config.paths.current_published()
    if published.exists():
        con = open_reader(published)
        if _has_quarantine(con):
            try:
                yield con
            finally:
                con.close()
            return
        con.close()
    if not config.paths.warehouse.exists():
        raise click.ClickException("no warehouse yet: run the pipeline first (mdm run)")
    try:
        with pipeline_lock(config.paths.lock, timeout_s=0.0):
            con = open_reader(config.paths.warehouse)
            try:
                yield con
            finally:
                con.close()
    except WarehouseBusy:
        raise click.ClickException(
            "a pipeline run holds the warehouse and the published database has no quarantine table; "
            "try again when the run has finished"
        ) from None


def _plain(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@click.group("quarantine")
def quarantine_group() -> None:
    """Rows kept out of matching because a blocking check failed, and what stewards do with them.

    \b
    Reason codes are listed in docs/validation.md. Typical flow:
      mdm quarantine list --reason email_invalid
      mdm quarantine show crm:0123456789abcdef
      mdm quarantine release crm:0123456789abcdef --set Courriel=jean.dupont@example.fr
      mdm run            # applies the release; the row is validated again
    """


@quarantine_group.command("list")
@config_option
@click.option("--source", default=None, help="Only rows of this source.")
@click.option("--reason", default=None, help="Only rows with this reason code.")
@click.option("--status", default="open", show_default=True,
              type=click.Choice(["open", "released", "discarded", "superseded", "all"]),
              help="Rows in this state.")
@click.option("--limit", default=200, show_default=True, help="At most this many rows (0 = all).")
@json_option
def list_command(config_path: str | None, source: str | None, reason: str | None, status: str, limit: int,
                 as_json: bool) -> None:
    """List quarantined rows with their reasons (no personal data: keys and codes only)."""
    from expectations.quarantine import list_rows, reason_counts

    config = get_config(config_path)
    with quarantine_reader(config) as con:
        rows = list_rows(con, source=source, reason=reason, status=None if status == "all" else status,
                         limit=limit or None)
        by_reason = reason_counts(con)
    if as_json:
        echo_json({"rows": [{k: _plain(v) for k, v in r.items()} for r in rows], "open_by_reason": by_reason})
        return
    if not rows:
        click.echo("No quarantined rows match.")
    for row in rows:
        click.echo(f"{row['record_key']:<28} {row['status']:<10} {', '.join(row['reasons'])}")
    if by_reason:
        click.echo("\nOpen rows by reason: " + ", ".join(f"{k} {v}" for k, v in by_reason.items()))


@quarantine_group.command("show")
@config_option
@click.argument("record_key")
@json_option
def show_command(config_path: str | None, record_key: str, as_json: bool) -> None:
    """Show one quarantined row: reasons, status and the payload as the pipeline saw it."""
    from expectations.quarantine import show_row

    config = get_config(config_path)
    with quarantine_reader(config) as con:
        row = show_row(con, record_key)
    if row is None:
        raise click.ClickException(f"{record_key} is not in quarantine")
    if as_json:
        echo_json({k: _plain(v) for k, v in row.items()})
        return
    click.echo(f"{row['record_key']}  ({row['source']}, load {row['load_id']})")
    click.echo(f"  status   {row['status']}  since {_plain(row['quarantined_at'])}")
    click.echo(f"  reasons  {', '.join(row['reasons'])}")
    click.echo("  payload:")
    for column, value in row["payload"].items():
        click.echo(f"    {column}: {value if value is not None else ''}")


def _parse_sets(pairs: tuple[str, ...]) -> dict[str, Any]:
    corrections: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            raise click.BadParameter(f"expected COLUMN=VALUE, got {pair!r}", param_hint="--set")
        column, _, value = pair.partition("=")
        corrections[column.strip()] = value if value != "" else None
    return corrections


def _source_columns(config: MdmConfig, source: str, corrections: dict[str, Any],
                    payload: dict[str, Any]) -> dict[str, Any]:
    """Allow canonical field names (`email`) for a source column the field maps from (`Courriel`)."""
    try:
        mapping = config.source(source).mapping
    except KeyError:
        return corrections
    # An event row's payload holds its canonical fields (docs/events.md): a file column maps back to one.
    from_column = {str(spec): field for field, spec in mapping.items() if isinstance(spec, str) and field in payload}
    out: dict[str, Any] = {}
    for column, value in corrections.items():
        target = column
        if column not in payload and column in from_column:
            target = from_column[column]
        elif column not in payload and column in mapping:
            spec = mapping[column]
            plain = spec if isinstance(spec, str) else (spec.get("column") if isinstance(spec, dict) else None)
            if plain is None:
                raise click.BadParameter(
                    f"{column} is built from several columns in source {source}; set those columns instead",
                    param_hint="--set",
                )
            target = str(plain)
        elif column not in payload:
            raise click.BadParameter(
                f"{column} is neither a column of this row nor a mapped field of source {source}",
                param_hint="--set",
            )
        out[target] = value
    return out


def _request(config: MdmConfig, record_key: str, action: str, user: str | None,
             corrections: dict[str, Any] | None) -> int:
    con = store.connect(config.paths.steward_db)
    try:
        return store.add_quarantine_action(con, record_key, action, user or getpass.getuser(), now(), corrections)
    finally:
        con.close()


def _open_row(config: MdmConfig, record_key: str) -> dict[str, Any]:
    """The quarantined row a steward acts on; a clear exit if it is unknown or already handled."""
    from expectations.quarantine import show_row

    with quarantine_reader(config) as con:
        row = show_row(con, record_key)
    if row is None:
        raise click.ClickException(f"{record_key} is not in quarantine")
    if row["status"] != "open":
        raise click.ClickException(f"{record_key} is {row['status']}, not open")
    return row


@quarantine_group.command("release")
@config_option
@click.argument("record_key")
@click.option("--set", "sets", multiple=True, metavar="COLUMN=VALUE",
              help="Correct a value (a source column, or a canonical field mapped from one). Repeatable.")
@click.option("--user", default=None, help="Steward name recorded with the action (default: login name).")
@json_option
def release_command(config_path: str | None, record_key: str, sets: tuple[str, ...], user: str | None,
                    as_json: bool) -> None:
    """Release a row, optionally corrected; the next run validates it again."""
    config = get_config(config_path)
    corrections = _parse_sets(sets)
    row = _open_row(config, record_key)
    corrections = _source_columns(config, row["source"], corrections, row["payload"])
    action_id = _request(config, record_key, "release", user, corrections)
    if as_json:
        echo_json({"action_id": action_id, "record_key": record_key, "action": "release",
                   "corrected_columns": sorted(corrections)})
    else:
        click.echo(f"Release of {record_key} recorded (action {action_id}); the next run applies it.")


@quarantine_group.command("discard")
@config_option
@click.argument("record_key")
@click.option("--user", default=None, help="Steward name recorded with the action (default: login name).")
@json_option
def discard_command(config_path: str | None, record_key: str, user: str | None, as_json: bool) -> None:
    """Discard a row for good (until the source sends a different version of it)."""
    config = get_config(config_path)
    _open_row(config, record_key)  # unknown or already handled: a clear exit
    action_id = _request(config, record_key, "discard", user, None)
    if as_json:
        echo_json({"action_id": action_id, "record_key": record_key, "action": "discard"})
    else:
        click.echo(f"Discard of {record_key} recorded (action {action_id}); the next run applies it.")


commands = [quarantine_group]
