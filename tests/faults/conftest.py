"""A demo home after one complete run, built once per test session worker and copied per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.faults_helpers import Home, demo_home, make_template


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template(tmp_path_factory.mktemp("fault-template"))


@pytest.fixture
def home(demo_template: Path, tmp_path: Path) -> Home:
    return demo_home(demo_template, tmp_path)
