"""`mdm golden ...` (show, find, split, merge) and `mdm rollback`.

Reads come from the PUBLISHED database (never blocked by a running pipeline). Split and merge are
requests written to the stewards' store (SQLite): the next run applies them in its merge stage,
or `--now` runs merge + publish at once when no run holds the warehouse.
"""

from __future__ import annotations

import getpass
from datetime import datetime
from gettext import ngettext
from typing import Any

import click
import duckdb

from mdm import golden_view
from mdm.canonical import GOLDEN_FIELDS
from mdm.cli.failure import one_line
from mdm.cli.options import config_option, echo_json, get_config, json_option, published_reader
from mdm.clock import now
from mdm.config import MdmConfig
from mdm.failures import log_traceback, plain_reason
from mdm.stewardship import store
from warehouse.lock import WarehouseBusy
from warehouse.publication import files
from warehouse.publication.rollback import RollbackError, read_info, rollback

FIELDS_SHOWN = GOLDEN_FIELDS


def golden_record(
    con: duckdb.DuckDBPyConnection, golden_id: str, at: datetime | None = None
) -> dict[str, Any] | None:
    """The read model the app shows too (`mdm.golden_view.customer`)."""
    return golden_view.customer(con, golden_id, at)


def _fmt(value: Any) -> str:
    """A value as a person reads it in a terminal: nothing for NULL, timestamps to the minute
    (no microseconds), lists as "crm, webshop" (not Python's "['crm', 'webshop']")."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _records(n: int) -> str:
    return f"{n} " + ngettext("record", "records", n)


def _print_record(data: dict[str, Any]) -> None:
    c = data["customer"]
    if data["resolved_from_alias"]:
        click.echo(f"{data['requested_id']} was merged into {data['golden_id']}")
    click.echo(f"Golden customer {data['golden_id']}")
    click.echo(
        f"  first seen {_fmt(c['first_seen_at'])}, updated {_fmt(c['updated_at'])}, "
        f"{_records(c['record_count'] or 0)} from {_fmt(c['sources'])}"
    )
    lineage = {row["field"]: row for row in data["lineage"]}
    click.echo("\nValues (field, value, from record, rule):")
    for f in FIELDS_SHOWN:
        if c.get(f) is not None:
            src = lineage.get(f, {})
            click.echo(f"  {f:<16} {_fmt(c[f]):<36} {src.get('record_key', ''):<24} {src.get('rule', '')}")
    click.echo("\nSource records:")
    for r in data["records"]:
        if r["current"]:
            values = " ".join(_fmt(r.get(f)) for f in ("first_name", "last_name", "email", "phone") if r.get(f))
            click.echo(f"  {r['record_key']:<26} trust {_fmt(r.get('trust_rank')):<3} {values}")
    click.echo("\nMembership:")
    for x in data["xref"]:
        state = "current" if x["valid_to"] is None else f"left {_fmt(x['valid_to'])}"
        click.echo(f"  {x['record_key']:<26} {x['source']:<12} since {_fmt(x['valid_from'])}  {state}")
    if data["aliases"]:
        click.echo("\nAliases (merged into this customer):")
        for a in data["aliases"]:
            click.echo(f"  {a['alias_id']}  {a['reason']}  since {_fmt(a['since'])}")
    click.echo("\nHistory:")
    for h in data["history"]:
        until = _fmt(h["valid_to"]) or "now"
        click.echo(f"  v{h['version']}  {_fmt(h['valid_from'])} -> {until}")
    as_of = data.get("as_of")
    if as_of:
        click.echo(f"\nOn {_fmt(as_of['at'])}:")
        version = as_of["version"]
        if version is None:
            click.echo("  this customer did not exist yet")
        else:
            click.echo(f"  version v{version['version']}, records: {', '.join(as_of['record_keys']) or 'none'}")
            for f in FIELDS_SHOWN:
                if version["values"].get(f) is not None:
                    click.echo(f"  {f:<16} {_fmt(version['values'][f])}")


@click.group("golden")
def golden_group() -> None:
    """Look at golden customers, and ask for a split or a merge (applied by the next run)."""


@golden_group.command("show")
@click.argument("golden_id")
@click.option("--at", "at", type=click.DateTime(), default=None,
              help="Also show what we knew on this date (UTC): the version and the records linked then.")
@config_option
@json_option
def show_command(golden_id: str, at: datetime | None, config_path: str | None, as_json: bool) -> None:
    """Show a golden customer: values and where each came from, source records, aliases, history.

    An ID that was merged away resolves to the surviving customer.
    """
    config = get_config(config_path)
    con = published_reader(config)
    try:
        data = golden_record(con, golden_id, at)
    finally:
        con.close()
    if data is None:
        raise click.ClickException(f"no golden customer {golden_id} in the published database")
    if as_json:
        echo_json(data)
    else:
        _print_record(data)


@golden_group.command("find")
@click.argument("query", required=False)
@click.option("--email", help="Email address, or its beginning (case-insensitive).")
@click.option("--phone", help="Phone number in any format (its significant digits end the stored number).")
@click.option("--name", help="Names: each word starts a first or last name (case- and accent-insensitive).")
@click.option("--limit", default=50, show_default=True)
@config_option
@json_option
def find_command(
    query: str | None, email: str | None, phone: str | None, name: str | None, limit: int, config_path: str | None,
    as_json: bool,
) -> None:
    """Find golden customers as the app's search does: QUERY is read as an email, a phone, a golden ID
    or names; or say which with --email, --phone or --name."""
    asked = [(kind, value) for kind, value in (("name", query), ("email", email), ("phone", phone), ("name", name))
             if value]
    if len(asked) != 1:
        raise click.UsageError("give one of QUERY, --email, --phone or --name")
    kind, value = asked[0]
    forced = None if query else kind
    if forced == "phone" and len(golden_view.phone_digits(value)) < 6:
        raise click.UsageError("--phone needs at least 6 digits")
    config = get_config(config_path)
    con = published_reader(config)
    try:
        found = golden_view.find(con, value, limit, kind=forced)
    finally:
        con.close()
    rows = found["results"]
    if as_json:
        echo_json({"count": len(rows), "read_as": found["kind"], "customers": rows})
        return
    if not rows:
        click.echo("no golden customer found")
        return
    for r in rows:
        click.echo(
            f"{r['golden_id']}  {_fmt(r['first_name'])} {_fmt(r['last_name'])}  {_fmt(r['email'])}  "
            f"{_fmt(r['phone'])}  {_fmt(r['postcode'])} {_fmt(r['city'])}  ({_records(r['record_count'] or 0)})"
        )


def _apply_now(config: MdmConfig) -> str:
    from mdm.pipeline import PipelineFailed, run_pipeline

    try:
        summary = run_pipeline(config, stages=["merge", "publish"])
    except WarehouseBusy:
        return "a run is in progress: the request will be applied by the next run"
    except PipelineFailed as exc:
        log_traceback("applying a steward's request failed", exc)
        reason = f"{plain_reason(exc.error)}; the request is saved and the next run applies it"
        raise one_line(click.get_current_context(), reason, stage=exc.stage) from None
    merge = summary.results["merge"].counts
    return (
        f"applied and published (run {summary.run_id}): {merge.get('split', 0)} split, "
        f"{merge.get('merged', 0)} merged, {merge.get('golden_customers', 0)} golden customers"
    )


def _save_request(config: MdmConfig, action: str, golden_id: str, user: str, **kw: Any) -> int:
    con = store.connect(config.paths.steward_db)
    try:
        with store.transaction(con):
            return store.add_golden_action(con, action, golden_id, user, now(), **kw)
    finally:
        con.close()


def _user_option(func: Any) -> Any:
    return click.option("--user", default=None, help="Steward name recorded with the request (default: login).")(func)


def _submit(
    config: MdmConfig, action: str, golden_id: str, user: str | None, apply_now: bool, as_json: bool,
    described: str, shown: dict[str, Any], **request: Any,
) -> None:
    """Save a steward's split or merge request, apply it now if asked, and say what happened."""
    request_id = _save_request(config, action, golden_id, user or getpass.getuser(), **request)
    outcome = _apply_now(config) if apply_now else "saved: the next run applies it"
    if as_json:
        echo_json({"request_id": request_id, "action": action, "golden_id": golden_id, **shown, "outcome": outcome})
    else:
        click.echo(f"{action} request {request_id} {described}: {outcome}")


def _preview(config: MdmConfig, make: Any) -> dict[str, Any]:
    """A request's preview from `golden_view` (the same checks as the app); a refusal exits 1."""
    con = published_reader(config)
    try:
        preview: dict[str, Any] = make(con)
    except golden_view.RequestRefused as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        con.close()
    return preview


@golden_group.command("split")
@click.argument("golden_id")
@click.option("--records", required=True, help="Comma-separated record keys that leave this customer.")
@click.option("--now", "apply_now", is_flag=True, help="Run merge + publish now (unless a run is in progress).")
@_user_option
@config_option
@json_option
def split_command(
    golden_id: str, records: str, apply_now: bool, user: str | None, config_path: str | None, as_json: bool
) -> None:
    """Ask to split records out of a golden customer; the part keeping its oldest record keeps the ID."""
    config = get_config(config_path)
    keys = sorted({k.strip() for k in records.split(",") if k.strip()})
    preview = _preview(config, lambda con: golden_view.preview_split(con, golden_id, keys))
    resolved = preview["golden_id"]
    keeps = "the records that stay keep" if preview["keeps_id"] == "stay" else "the leaving records keep"
    _submit(config, "split", resolved, user, apply_now, as_json,
            f"for {resolved} ({_records(len(keys))} leave; {keeps} the ID)", {"records": keys}, record_keys=keys)


@golden_group.command("merge")
@click.argument("golden_id")
@click.argument("other_id")
@click.option("--now", "apply_now", is_flag=True, help="Run merge + publish now (unless a run is in progress).")
@_user_option
@config_option
@json_option
def merge_command(
    golden_id: str, other_id: str, apply_now: bool, user: str | None, config_path: str | None, as_json: bool
) -> None:
    """Ask to merge two golden customers; the older ID survives and the other becomes its alias."""
    config = get_config(config_path)
    preview = _preview(config, lambda con: golden_view.preview_merge(con, golden_id, other_id))
    survivor, absorbed = preview["golden_id"], preview["other_golden_id"]
    _submit(config, "merge", survivor, user, apply_now, as_json,
            f"({absorbed} into {survivor}, {_records(preview['records'])})", {"other_golden_id": absorbed},
            other_golden_id=absorbed)


@golden_group.command("withdraw")
@click.argument("request_id", type=int)
@_user_option
@config_option
def withdraw_command(request_id: int, user: str | None, config_path: str | None) -> None:
    """Withdraw a split or merge request that no run has applied yet."""
    config = get_config(config_path)
    con = store.connect(config.paths.steward_db)
    try:
        with store.transaction(con):
            done = store.withdraw_golden_action(con, request_id, user or getpass.getuser(), now())
    finally:
        con.close()
    if not done:
        raise click.ClickException(f"no pending request {request_id} (already applied or withdrawn?)")
    click.echo(f"request {request_id} withdrawn: no run will apply it")


@click.command("rollback")
@click.option("--to", "to_version", default=None, help="Version (run id) to publish again; default: the previous.")
@click.option("--list", "list_only", is_flag=True, help="List the kept versions and exit.")
@config_option
@json_option
def rollback_command(to_version: str | None, list_only: bool, config_path: str | None, as_json: bool) -> None:
    """Publish a previously published version again (the last few are kept in published/versions/)."""
    config = get_config(config_path)
    if list_only:
        current_file = config.paths.current_published()
        current = read_info(current_file).run_id if current_file.exists() else None
        versions = [
            {"version": v.version, "saved_at": v.saved_at, "size_bytes": v.size, "current": v.version == current}
            for v in files.list_versions(config.paths.published_dir)
        ]
        if as_json:
            echo_json({"current": current, "versions": versions})
        else:
            for v in versions:
                click.echo(f"{'*' if v['current'] else ' '} {v['version']}  {v['saved_at']}  {v['size_bytes']} bytes")
            if not versions:
                click.echo("no kept versions")
        return
    try:
        info = rollback(config, to_version)
    except WarehouseBusy as exc:
        raise click.ClickException("a pipeline run is in progress; roll back when it has finished") from exc
    except RollbackError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        echo_json({"published": str(config.paths.published), "version": info.run_id, "row_counts": info.row_counts})
    else:
        click.echo(
            f"published version {info.run_id} again ({info.row_counts.get('golden.customer', 0)} golden customers)"
        )


commands = [golden_group, rollback_command]
