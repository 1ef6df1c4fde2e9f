"""Options and helpers shared by every `mdm` command."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import click
import duckdb

from mdm.cli.failure import remember
from mdm.config import ConfigError, MdmConfig, load_config
from warehouse.connection import open_published_reader

F = TypeVar("F", bound=Callable[..., Any])


def config_option(func: F) -> F:
    """`--config FILE` (default: $MDM_CONFIG, ./mdm.yaml, else the bundled demo config)."""
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False),
        default=None,
        help="Config file (default: $MDM_CONFIG, ./mdm.yaml, else the bundled demo config).",
    )(func)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")(func)


class ConfigProblem(click.ClickException):
    """An invalid or missing config file: exit code 2, every problem listed."""

    exit_code = 2


def get_config(config_path: str | None) -> MdmConfig:
    """Load the config or exit 2 with every problem listed."""
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        raise ConfigProblem(str(exc)) from exc
    ctx = click.get_current_context(silent=True)
    remember(ctx.command_path if ctx else "mdm", config.paths.published, config.paths.home)
    return config


def published_reader(config: MdmConfig) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published file, or a clear exit when nothing is published yet."""
    try:
        return open_published_reader(config.paths)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from exc


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))
