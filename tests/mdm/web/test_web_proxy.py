"""Behind a reverse proxy: forwarded headers from `web.trusted_proxies` only; Secure cookies and
HSTS over https; a login limit that one attacker cannot turn against every user.

The proxy is played by the TestClient: the app is reached over http from the proxy's address
(10.0.0.1), with the headers nginx adds (`X-Forwarded-Proto`, `X-Forwarded-For`), while the
browser's page is https://mdm.example.fr. Cookies are carried by hand, as a browser does over
https (a cookie jar would not send `Secure` cookies over the proxy's plain-http hop).
"""

from __future__ import annotations

import re
from http.cookies import SimpleCookie
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mdm.config import MdmConfig
from mdm.web.app import create_app
from tests.mdm.web.web_helpers import PASSWORD, add_user

PROXY = "10.0.0.1"
SITE = "https://mdm.example.fr"


class Browser:
    """One person's browser on the https site, seen by the app through the proxy at `via`."""

    def __init__(self, app: FastAPI, address: str, via: str = PROXY, proto: str = "https"):
        self.client = TestClient(app, base_url="http://mdm.example.fr", client=(via, 40000))
        self.address, self.proto = address, proto
        self.cookies: dict[str, str] = {}
        self.set_cookies: list[str] = []

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"X-Forwarded-Proto": self.proto, "X-Forwarded-For": self.address, "Origin": SITE,
                   "Sec-Fetch-Site": "same-origin"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.client.cookies.clear()
        response = self.client.request(method, path, headers=headers, follow_redirects=False, **kwargs)
        for raw in response.headers.get_list("set-cookie"):
            self.set_cookies.append(raw)
            for name, morsel in SimpleCookie(raw).items():
                if morsel.value:
                    self.cookies[name] = morsel.value
        return response

    def login(self, name: str, password: str = PASSWORD) -> Any:
        page = self.request("GET", "/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, page.text
        return self.request("POST", "/login",
                            data={"username": name, "password": password, "csrf_token": token.group(1)})

    def csrf(self) -> str:
        match = re.search(r'name="csrf_token" value="([^"]+)"', self.request("GET", "/").text)
        assert match
        return match.group(1)


@pytest.fixture
def proxied_app(web_config: MdmConfig) -> Any:
    web_config.web.trusted_proxies = [PROXY]
    web_config.web.login_max_failures = 2  # fewer (slow, on purpose) Argon2 checks
    app = create_app(web_config)
    yield app
    app.state.mdm.published.close()


def test_an_https_page_behind_the_trusted_proxy_can_post(proxied_app: FastAPI, web_config: MdmConfig) -> None:
    add_user(web_config, "alice", "steward")
    browser = Browser(proxied_app, "198.51.100.7")
    assert browser.login("alice").status_code == 303
    session_cookie = next(c for c in browser.set_cookies if c.startswith("mdm_session="))
    assert "Secure" in session_cookie and "HttpOnly" in session_cookie
    assert any(c.startswith("mdm_login_csrf=") and "Secure" in c for c in browser.set_cookies)
    home = browser.request("GET", "/")
    assert home.status_code == 200
    assert home.headers["strict-transport-security"] == "max-age=31536000"
    logout = browser.request("POST", "/logout", data={"csrf_token": browser.csrf()})
    assert logout.status_code == 303, logout.text  # the Origin https://... matched this https site


def test_forwarded_headers_from_anyone_else_are_not_believed(proxied_app: FastAPI, web_config: MdmConfig) -> None:
    add_user(web_config, "alice", "steward")
    stranger = Browser(proxied_app, "198.51.100.7", via="192.0.2.66")  # not the proxy
    page = stranger.request("GET", "/login")
    assert "strict-transport-security" not in page.headers
    assert not any("Secure" in c for c in stranger.set_cookies)
    assert stranger.login("alice").status_code == 403  # its https Origin does not match http://


def test_without_trusted_proxies_nothing_forwarded_is_believed(web_config: MdmConfig) -> None:
    """The default: an https page behind an unlisted proxy cannot POST (what issue 18 found)."""
    add_user(web_config, "alice", "steward")
    app = create_app(web_config)
    try:
        browser = Browser(app, "198.51.100.7")
        assert browser.login("alice").status_code == 403
        assert "strict-transport-security" not in browser.request("GET", "/login").headers
    finally:
        app.state.mdm.published.close()


def test_direct_https_gets_secure_cookies_and_hsts(web_config: MdmConfig) -> None:
    add_user(web_config, "alice", "steward")
    app = create_app(web_config)
    try:
        client = TestClient(app, base_url=SITE)
        page = client.get("/login")
        assert page.headers["strict-transport-security"] == "max-age=31536000"
        assert "Secure" in page.headers["set-cookie"]
        plain = TestClient(app).get("/login")
        assert "strict-transport-security" not in plain.headers and "Secure" not in plain.headers["set-cookie"]
    finally:
        app.state.mdm.published.close()


def test_one_attacker_cannot_lock_out_every_user(proxied_app: FastAPI, web_config: MdmConfig) -> None:
    for name, role in (("admin", "admin"), ("alice", "steward")):
        add_user(web_config, name, role)
    attacker = Browser(proxied_app, "203.0.113.5")
    # Two failures on the admin (the limit): the admin is refused, but only from the attacker's address.
    for _ in range(2):
        assert attacker.login("admin", "guess").status_code == 401
    assert attacker.login("admin", PASSWORD).status_code == 429
    assert Browser(proxied_app, "198.51.100.7").login("admin").status_code == 303
    # Six more names (8 = 4x the limit from one address): the attacker's address is refused for any name...
    for name in ("bob", "carol", "dave", "erin", "frank", "grace"):
        assert attacker.login(name, "guess").status_code == 401
    assert attacker.login("alice", PASSWORD).status_code == 429
    # ...and everybody else still logs in: the addresses come from the trusted proxy's X-Forwarded-For.
    assert Browser(proxied_app, "198.51.100.8").login("alice").status_code == 303
    # A spoofed X-Forwarded-For the attacker sends is left of the proxy's own entry and ignored.
    spoofing = Browser(proxied_app, "198.51.100.9, 203.0.113.5")
    assert spoofing.login("alice", PASSWORD).status_code == 429


def test_trusted_proxies_must_be_addresses(web_config: MdmConfig) -> None:
    from pydantic import ValidationError

    from mdm.web.config import WebConfig

    with pytest.raises(ValidationError, match="not an IP address or network"):
        WebConfig(trusted_proxies=["proxy.example.fr"])
    assert WebConfig(trusted_proxies=["10.0.0.0/8", "::1"]).trusted_proxies == ["10.0.0.0/8", "::1"]
