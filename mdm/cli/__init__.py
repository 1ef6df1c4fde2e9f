"""`mdm`: the command-line tool. One click group; one module per noun adds its commands.

Modules are imported when the group is built; each exposes `commands: list[click.Command]`.
"""

from __future__ import annotations

import importlib

import click

from mdm import __version__
from mdm.cli.failure import OneLineFailures, configure_logging

#: Modules that contribute commands, in the order `mdm --help` lists them.
COMMAND_MODULES: list[str] = [
    "mdm.cli.run",
    "mdm.cli.sql",
    "mdm.cli.config",
    "mdm.cli.sources",
    "mdm.cli.report",
    "mdm.cli.evaluate",
    "mdm.cli.retention",
    "mdm.cli.serve",
    "mdm.cli.quarantine",
    "mdm.cli.golden",
]


@click.group(
    cls=OneLineFailures, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.version_option(__version__, prog_name="mdm")
@click.option(
    "-v", "--verbose", is_flag=True,
    help="Show progress messages (never personal data), and a failure's traceback.",
)
def mdm(verbose: bool) -> None:
    """customer-mdm: clean, deduplicated, lawful customer master data.

    A nightly run ingests the files in the inbox, standardises and validates them, merges
    duplicates into golden customers, expires stale data and publishes the golden tables.

    \b
    Exit codes: 0 success, 1 the run or command failed, 2 bad usage or invalid config.
    A failure is one line: the command, the stage, why, and whether the published database
    changed; the traceback is in $MDM_HOME/logs/mdm.log (and on the terminal with -v).
    """
    configure_logging(verbose)


for _module_name in COMMAND_MODULES:
    for _command in importlib.import_module(_module_name).commands:
        mdm.add_command(_command)


def main() -> None:
    mdm()
