"""Fixtures for the web app tests (helpers live in `web_helpers.py`)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from mdm.config import MdmConfig
from mdm.web.app import create_app
from tests.mdm.web.web_helpers import add_user, build_published, free_port, login, need_browser


@pytest.fixture
def web_config(demo_config: MdmConfig) -> MdmConfig:
    build_published(demo_config.paths.published)
    return demo_config


@pytest.fixture
def make_client(web_config: MdmConfig) -> Iterator[Callable[..., TestClient]]:
    app = create_app(web_config)
    clients: list[TestClient] = []

    def make(role: str | None = "steward", name: str | None = None, lang: str = "en") -> TestClient:
        """A logged-in client whose browser asks for `lang` (the app's default is French)."""
        client = TestClient(app, headers={"Accept-Language": lang})
        clients.append(client)
        if role is not None:
            user = name or f"{role}1"
            add_user(web_config, user, role)
            response = login(client, user)
            assert response.status_code == 303, response.text
        return client

    yield make
    for c in clients:
        c.close()
    app.state.mdm.published.close()


@pytest.fixture
def server(web_config: MdmConfig) -> Iterator[str]:
    """The real app served by `mdm serve` in its own process, for the browser tests."""
    need_browser()
    add_user(web_config, "stella", "steward")
    port = free_port()
    root = Path(__file__).resolve().parents[3]
    proc = subprocess.Popen(
        [sys.executable, "-c", "from mdm.cli import main; main()", "serve", "--port", str(port)],
        cwd=root, env={**os.environ, "PYTHONPATH": str(root)}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if httpx.get(url + "/-/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise AssertionError("the app did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
