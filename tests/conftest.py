"""Shared fixtures: a throw-away $MDM_HOME with a frozen clock, the demo config and demo inbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mdm.config import BUNDLED_DEMO_CONFIG, MdmConfig, load_config

#: The clock every test runs at unless it says otherwise (the demo data is generated relative to it).
FROZEN_NOW = "2026-11-23T12:00:00"


@pytest.fixture
def mdm_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    monkeypatch.setenv("MDM_HOME", str(home))
    monkeypatch.setenv("MDM_NOW", FROZEN_NOW)
    monkeypatch.setenv("MDM_SALT", "test-salt")
    monkeypatch.delenv("MDM_CONFIG", raising=False)
    yield home


@pytest.fixture
def demo_config(mdm_home: Path) -> MdmConfig:
    config = load_config(BUNDLED_DEMO_CONFIG)
    config.paths.ensure()
    return config


@pytest.fixture
def small_demo(demo_config: MdmConfig) -> MdmConfig:
    """The demo config with a small generated inbox (600 people): fast end-to-end runs."""
    from mdm.demo.generate import generate

    generate(demo_config.paths.inbox, demo_config.paths.home / "demo_truth.csv", people=600, seed=7)
    return demo_config
