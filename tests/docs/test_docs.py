"""The documentation keeps up with the code: every config key, CLI command and reason code is documented."""

from __future__ import annotations

import re
from pathlib import Path

import click

from mdm.cli import mdm
from mdm.config import MdmConfig
from mdm.config_reference import iter_keys, replace_reference

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")


def test_config_reference_is_current_and_complete() -> None:
    doc = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert replace_reference(doc) == doc, "docs/configuration.md is stale: run `mdm config docs --write`"
    keys = [key for key, _ in iter_keys(MdmConfig)]  # the walk reaches nested sections and lists
    assert "sources.mapping" in keys and "retention.rules.period" in keys


def _commands(group: click.Group, prefix: str = "mdm") -> list[str]:
    names = []
    for name, command in group.commands.items():
        full = f"{prefix} {name}"
        names.append(full)
        if isinstance(command, click.Group):
            names += _commands(command, full)
    return names


def test_every_cli_command_is_in_the_readme() -> None:
    missing = [c for c in _commands(mdm) if not re.search(rf"`{re.escape(c)}[ `]", README)]
    assert not missing, f"commands missing from README.md: {missing}"


def test_readme_opens_with_the_two_commands() -> None:
    head = "\n".join(README.splitlines()[:40])
    assert "make demo" in head and "make test" in head
