"""`mdm sources ...`: list the configured sources, check one without loading it, scaffold a connector."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mdm.cli.options import config_option, echo_json, get_config, json_option


@click.group("sources")
def sources_group() -> None:
    """Customer data sources: what is configured, whether it reads, and new connectors.

    \b
    Exit codes: 0 fine, 1 a checked source has problems, 2 bad usage or invalid config.
    """


@sources_group.command("list")
@config_option
@json_option
def list_sources(config_path: str | None, as_json: bool) -> None:
    """List the configured sources and the connector kinds available (built-in and plug-ins)."""
    from sources.inbox import find_files
    from sources.registry import load_registry

    config = get_config(config_path)
    registry = load_registry()
    rows = []
    for source in config.sources:
        files = len(find_files(config.paths.inbox, source.path)) if source.path else None
        rows.append({
            "name": source.name, "kind": source.kind, "path": source.path, "files_in_inbox": files,
            "trust_rank": source.trust_rank, "retention_category": source.retention_category,
            "known_kind": source.kind in registry.connectors,
        })
    kinds = [
        {"kind": k, "origin": registry.origins[k], "description": registry.connectors[k].description}
        for k in registry.kinds()
    ]
    if as_json:
        echo_json({"sources": rows, "kinds": kinds, "problems": registry.problems})
        return
    click.echo(f"Sources ({len(rows)}), inbox {config.paths.inbox}:")
    for row in rows:
        where = row["path"] or "(database)"
        count = "" if row["files_in_inbox"] is None else f"  {row['files_in_inbox']} file(s)"
        flag = "" if row["known_kind"] else "  UNKNOWN KIND"
        click.echo(f"  {row['name']:<14} {row['kind']:<8} {where}{count}  trust {row['trust_rank']}{flag}")
    click.echo("Connector kinds:")
    for kind in kinds:
        click.echo(f"  {kind['kind']:<10} {kind['origin']:<10} {kind['description']}")
    for problem in registry.problems:
        click.echo(f"  problem: {problem}", err=True)


@sources_group.command("check")
@click.argument("name")
@config_option
@json_option
def check(name: str, config_path: str | None, as_json: bool) -> None:
    """Read source NAME's files (or extract) without loading them; report rows, columns, problems."""
    from sources.check import check_source

    config = get_config(config_path)
    try:
        report = check_source(config, name)
    except KeyError:
        raise click.UsageError(f"no source named {name!r}; configured: {[s.name for s in config.sources]}") from None
    if as_json:
        echo_json(report.to_dict())
    else:
        click.echo(f"{report.source} ({report.kind}, {report.location}): {'OK' if report.ok else 'PROBLEMS'}")
        for item in report.items:
            sheets = f" sheets {item.sheets}" if item.sheets else ""
            status = "ok" if item.ok else f"REFUSED: {item.problem}"
            click.echo(f"  {item.item}: {item.rows} rows, {len(item.columns)} columns{sheets} - {status}")
        for problem in report.problems:
            click.echo(f"  problem: {problem}")
    if not report.ok:
        sys.exit(1)


@sources_group.command("new")
@click.argument("name")
@click.option("--dir", "folder", type=click.Path(file_okay=False), default=None,
              help="Folder to write into (default: ./connectors/NAME).")
@click.option("--force", is_flag=True, help="Overwrite existing files.")
@json_option
def new(name: str, folder: str | None, force: bool, as_json: bool) -> None:
    """Write a working connector skeleton NAME and its contract test (which passes as generated)."""
    from sources.scaffold import scaffold

    target = Path(folder) if folder else Path("connectors") / name
    try:
        written = scaffold(name, target, force=force)
    except (ValueError, FileExistsError) as exc:
        raise click.UsageError(str(exc)) from None
    if as_json:
        echo_json({"written": [str(p) for p in written]})
        return
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"next: cd {target} && pytest -q   (then fill in read() and real sample files)")


commands = [sources_group]
