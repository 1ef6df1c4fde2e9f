"""The documentation keeps up with the code: every config key, CLI command and reason code is documented."""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path

import click
from pydantic import BaseModel

from cli import mdm
from mdm.config import MdmConfig

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")


def _model_keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        if name in ("config_path", "paths"):
            continue
        keys.add(name)
        for inner in _models_in(field.annotation):
            keys |= _model_keys(inner, f"{prefix}{name}.")
    return keys


def _models_in(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            found += _models_in(arg)
    return found


def test_every_config_key_is_documented() -> None:
    doc = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = sorted(k for k in _model_keys(MdmConfig) if f"`{k}`" not in doc)
    assert not missing, f"undocumented mdm.yaml keys in docs/configuration.md: {missing}"


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
