"""Fixtures for the web app tests (helpers live in `web_helpers.py`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from mdm.config import MdmConfig
from tests.web.web_helpers import add_user, build_published, login
from web.app import create_app


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
