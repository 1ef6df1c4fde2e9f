"""`mdm config`: check, show and document the configuration file."""

from __future__ import annotations

from pathlib import Path

import click

from mdm.cli.options import config_option, echo_json, get_config, json_option
from mdm.config_reference import replace_reference

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"

#: Option names whose values are secrets: masked by `mdm config show`.
SECRET_MARKERS = ("password", "secret", "token", "url", "dsn", "key_file")


def _mask(value: object, key: str = "") -> object:
    if isinstance(value, dict):
        return {k: _mask(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v, key) for v in value]
    if value and any(marker in key.lower() for marker in SECRET_MARKERS):
        return "********"
    return value


@click.group("config")
def config_group() -> None:
    """Check and show the configuration file (mdm.yaml)."""


@config_group.command("validate")
@config_option
def validate_command(config_path: str | None) -> None:
    """Check the config file; list every problem with its place in the file (exit 2 if any)."""
    config = get_config(config_path)
    click.echo(f"{config.config_path}: valid ({len(config.sources)} sources, home {config.paths.home})")


@config_group.command("show")
@config_option
@json_option
def show_command(config_path: str | None, as_json: bool) -> None:
    """Print the effective config, defaults filled in and secrets masked."""
    config = get_config(config_path)
    data = _mask(config.model_dump(mode="json", exclude={"config_path", "paths"}))
    assert isinstance(data, dict)
    data["resolved_paths"] = {
        name: str(getattr(config.paths, name))
        for name in ("home", "inbox", "warehouse", "published", "steward_db", "archive", "reports")
    }
    if as_json:
        echo_json(data)
        return
    import yaml

    click.echo(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


@config_group.command("docs")
@click.option("--write", is_flag=True, help="Refresh the reference table in docs/configuration.md.")
def docs_command(write: bool) -> None:
    """Print (or write into docs/configuration.md) the reference of every mdm.yaml key."""
    from mdm.config_reference import render_reference

    if not write:
        click.echo(render_reference())
        return
    DOC.write_text(replace_reference(DOC.read_text(encoding="utf-8")), encoding="utf-8")
    click.echo(f"updated {DOC}")


commands = [config_group]
