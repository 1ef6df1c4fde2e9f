"""`mdm`: the command-line tool. One click group; one module per noun adds its commands.

Modules are imported when the group is built; each exposes `commands: list[click.Command]`.
"""

from __future__ import annotations

import importlib
import logging
import sys

import click

from mdm import __version__

#: Modules that contribute commands, in the order `mdm --help` lists them.
COMMAND_MODULES: list[str] = [
    "cli.run",
    "cli.sql",
    "cli.config",
    "cli.sources",
    "cli.report",
    "cli.evaluate",
    "cli.retention",
    "cli.serve",
    "cli.quarantine",
    "cli.golden",
]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="mdm")
@click.option("-v", "--verbose", is_flag=True, help="Show progress messages (never personal data).")
def mdm(verbose: bool) -> None:
    """customer-mdm: clean, deduplicated, lawful customer master data.

    A nightly run ingests the files in the inbox, standardises and validates them, merges
    duplicates into golden customers, expires stale data and publishes the golden tables.

    \b
    Exit codes: 0 success, 1 the run or command failed, 2 bad usage or invalid config.
    """
    level = logging.INFO if verbose else logging.WARNING
    # The level is set on the handler too: some libraries (Great Expectations) set their own
    # loggers to INFO, which a root-logger level alone does not silence.
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])


for _module_name in COMMAND_MODULES:
    for _command in importlib.import_module(_module_name).commands:
        mdm.add_command(_command)


def main() -> None:
    mdm()
