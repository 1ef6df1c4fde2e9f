"""`mdm golden ...` (show, find, split, merge) and `mdm rollback`.

Reads come from the PUBLISHED database (never blocked by a running pipeline). Split and merge are
requests written to the stewards' store (SQLite): the next run applies them in its merge stage,
or `--now` runs merge + publish at once when no run holds the warehouse.
"""

from __future__ import annotations

import getpass
import json
import re
from datetime import datetime
from gettext import ngettext
from typing import Any

import click
import duckdb

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


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    schema, table = name.split(".")
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = ? "
        "AND table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])


def resolve_golden_id(con: duckdb.DuckDBPyConnection, golden_id: str) -> tuple[str, bool]:
    """(surviving id, whether `golden_id` was an alias). Aliases are kept flat (one hop)."""
    row = con.execute("SELECT golden_id FROM golden.alias WHERE alias_id = ?", [golden_id]).fetchone()
    return (str(row[0]), True) if row else (golden_id, False)


def golden_record(
    con: duckdb.DuckDBPyConnection, golden_id: str, at: datetime | None = None
) -> dict[str, Any] | None:
    """Everything a steward needs about one golden customer, from the published database; with `at`,
    also what we knew on that date (the history version and the records linked then)."""
    resolved, was_alias = resolve_golden_id(con, golden_id)
    customers = _rows(con, "SELECT * FROM golden.customer WHERE golden_id = ?", [resolved])
    if not customers:
        return None
    lineage = _rows(
        con, "SELECT field, record_key, rule FROM golden.lineage WHERE golden_id = ? ORDER BY field", [resolved]
    )
    xref = _rows(
        con,
        "SELECT record_key, source, valid_from, valid_to FROM golden.xref WHERE golden_id = ? "
        "ORDER BY valid_to NULLS FIRST, valid_from, record_key",
        [resolved],
    )
    records: list[dict[str, Any]] = []
    current = [x["record_key"] for x in xref if x["valid_to"] is None]
    if current and _has_table(con, "staging.customers"):
        cols = ", ".join(("record_key", "source", "trust_rank", *FIELDS_SHOWN, "updated_at", "last_contact_at"))
        records = _rows(
            con,
            f"SELECT {cols} FROM staging.customers WHERE record_key IN (SELECT unnest(?::VARCHAR[])) "
            "ORDER BY record_key",
            [current],
        )
    aliases = _rows(
        con, "SELECT alias_id, since, reason FROM golden.alias WHERE golden_id = ? ORDER BY since", [resolved]
    )
    history = _rows(
        con,
        'SELECT version, "values", valid_from, valid_to FROM golden.history WHERE golden_id = ? ORDER BY version',
        [resolved],
    )
    for h in history:
        h["values"] = json.loads(h["values"]) if isinstance(h["values"], str) else h["values"]
    as_of = None
    if at is not None:
        version = [h for h in history if h["valid_from"] <= at and (h["valid_to"] is None or h["valid_to"] > at)]
        linked = [x["record_key"] for x in xref if x["valid_from"] <= at and (x["valid_to"] is None or x["valid_to"] > at)]
        as_of = {"at": at, "version": version[0] if version else None, "record_keys": linked}
    return {
        "golden_id": resolved,
        "requested_id": golden_id,
        "resolved_from_alias": was_alias,
        "customer": customers[0],
        "lineage": lineage,
        "records": records,
        "xref": xref,
        "aliases": aliases,
        "history": history,
        "as_of": as_of,
    }


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


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


@golden_group.command("find")
@click.option("--email", help="Email address (case-insensitive, exact).")
@click.option("--phone", help="Phone number in any format (matched on its last 9 digits).")
@click.option("--name", help="Part of a first or last name (case- and accent-insensitive).")
@click.option("--limit", default=50, show_default=True)
@config_option
@json_option
def find_command(
    email: str | None, phone: str | None, name: str | None, limit: int, config_path: str | None, as_json: bool
) -> None:
    """Find golden customers by email, phone or name (their own values or any of their records')."""
    if not (email or phone or name):
        raise click.UsageError("give --email, --phone or --name")
    conditions, params = [], []
    if email:
        conditions.append("lower(s.email) = lower(?)")
        params.append(email.strip())
    if phone:
        tail = _digits(phone)[-9:]
        if len(tail) < 6:
            raise click.UsageError("--phone needs at least 6 digits")
        conditions.append("right(regexp_replace(coalesce(s.phone, ''), '\\D', '', 'g'), 9) = ?")
        params.append(tail)
    if name:
        conditions.append(
            "(strip_accents(lower(coalesce(s.first_name, '') || ' ' || coalesce(s.last_name, ''))) "
            "LIKE '%' || strip_accents(lower(?)) || '%')"
        )
        params.append(name.strip())
    where = " AND ".join(conditions)
    config = get_config(config_path)
    con = published_reader(config)
    try:
        member_search = ""
        if _has_table(con, "staging.customers"):
            member_search = (
                f" UNION SELECT x.golden_id FROM staging.customers s JOIN golden.xref x "
                f"ON x.record_key = s.record_key AND x.valid_to IS NULL WHERE {where}"
            )
        rows = _rows(
            con,
            f"""
            WITH hits AS (SELECT s.golden_id FROM golden.customer s WHERE {where}{member_search})
            SELECT g.golden_id, g.first_name, g.last_name, g.email, g.phone, g.postcode, g.city, g.record_count,
                   g.sources
            FROM golden.customer g WHERE g.golden_id IN (SELECT golden_id FROM hits)
            ORDER BY g.last_name, g.first_name, g.golden_id LIMIT ?
            """,
            params + (params if member_search else []) + [limit],
        )
    finally:
        con.close()
    if as_json:
        echo_json({"count": len(rows), "customers": rows})
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
    con = published_reader(config)
    try:
        resolved, _ = resolve_golden_id(con, golden_id)
        members = {
            str(r[0])
            for r in con.execute(
                "SELECT record_key FROM golden.xref WHERE golden_id = ? AND valid_to IS NULL", [resolved]
            ).fetchall()
        }
    finally:
        con.close()
    if not members:
        raise click.ClickException(f"no golden customer {golden_id} in the published database")
    unknown = [k for k in keys if k not in members]
    if unknown:
        raise click.ClickException(f"not records of {resolved}: {', '.join(unknown)}")
    if not keys or set(keys) == members:
        raise click.ClickException("a split must leave at least one record on each side")
    _submit(config, "split", resolved, user, apply_now, as_json,
            f"for {resolved} ({len(keys)} record(s))", {"records": keys}, record_keys=keys)


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
    con = published_reader(config)
    try:
        first, _ = resolve_golden_id(con, golden_id)
        second, _ = resolve_golden_id(con, other_id)
        found = {
            str(r[0])
            for r in con.execute(
                "SELECT golden_id FROM golden.customer WHERE golden_id IN (?, ?)", [first, second]
            ).fetchall()
        }
    finally:
        con.close()
    missing = [g for g in (first, second) if g not in found]
    if missing:
        raise click.ClickException(f"no golden customer {', '.join(missing)} in the published database")
    if first == second:
        raise click.ClickException("these are already the same golden customer")
    _submit(config, "merge", first, user, apply_now, as_json,
            f"({first} + {second})", {"other_golden_id": second}, other_golden_id=second)


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
