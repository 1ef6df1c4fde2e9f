"""`mdm serve` (the steward web app) and `mdm users add/list/remove` (its accounts)."""

from __future__ import annotations

import sqlite3
import sys

import click

from mdm.cli.options import config_option, echo_json, get_config, json_option
from mdm.clock import now


@click.command("serve")
@config_option
@click.option("--host", default=None, help="Address to listen on (default: web.host in mdm.yaml, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: web.port in mdm.yaml, 8000).")
def serve_command(config_path: str | None, host: str | None, port: int | None) -> None:
    """Start the steward web app (review, customers, quarantine, reports). Ctrl-C stops it."""
    import uvicorn

    from mdm.web.app import create_app

    config = get_config(config_path)
    config.paths.ensure()
    app = create_app(config)
    bind_host = host or config.web.host
    bind_port = port or config.web.port
    click.echo(f"Stewards' app on http://{bind_host}:{bind_port}/ (reading {config.paths.published})")
    # Forwarded headers are handled inside the app, and only from `web.trusted_proxies`.
    uvicorn.run(app, host=bind_host, port=bind_port, log_level="warning", proxy_headers=False,
                server_header=False)


@click.group("users")
def users_group() -> None:
    """Accounts of the web app: stewards, managers, admins."""


def _web_db(config_path: str | None) -> sqlite3.Connection:
    from mdm.web import db

    config = get_config(config_path)
    config.paths.home.mkdir(parents=True, exist_ok=True)
    return db.connect(db.web_db_path(config.paths.home))


@users_group.command("add")
@config_option
@click.argument("name")
@click.option("--role", type=click.Choice(["steward", "manager", "admin"]), required=True,
              help="steward: reviews and fixes; manager: reports only; admin: everything and users.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@json_option
def users_add(config_path: str | None, name: str, role: str, password_stdin: bool, as_json: bool) -> None:
    """Add a user; the password is asked for (or read from stdin) and stored as an Argon2 hash."""
    from mdm.web import auth

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    con = _web_db(config_path)
    try:
        auth.add_user(con, name, role, password, now())
    except auth.UserError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        con.close()
    if as_json:
        echo_json({"added": name, "role": role})
    else:
        click.echo(f"Added {role} {name}.")


@users_group.command("list")
@config_option
@json_option
def users_list(config_path: str | None, as_json: bool) -> None:
    """List users and their roles."""
    from mdm.web import auth

    con = _web_db(config_path)
    try:
        users = auth.list_users(con)
    finally:
        con.close()
    if as_json:
        echo_json(users)
        return
    if not users:
        click.echo("No users yet: add one with `mdm users add NAME --role admin`.")
    for u in users:
        click.echo(f"{u['name']:<24} {u['role']:<8} since {u['created_at']}")


@users_group.command("remove")
@config_option
@click.argument("name")
@json_option
def users_remove(config_path: str | None, name: str, as_json: bool) -> None:
    """Remove a user and end their sessions."""
    from mdm.web import auth

    con = _web_db(config_path)
    try:
        removed = auth.remove_user(con, name)
    finally:
        con.close()
    if not removed:
        raise click.ClickException(f"no user named {name!r}")
    if as_json:
        echo_json({"removed": name})
    else:
        click.echo(f"Removed {name}.")


commands = [serve_command, users_group]
