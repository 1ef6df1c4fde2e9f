"""Steward web app settings in `mdm.yaml` (`web:`). Owned by `mdm/web/`."""

from __future__ import annotations

import ipaddress

from pydantic import BaseModel, ConfigDict, Field, field_validator


class WebConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = Field(default="127.0.0.1", description="Address `mdm serve` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `mdm serve` listens on.")
    secret_env: str = Field(
        default="MDM_WEB_SECRET",
        description="Environment variable with the key that signs session cookies; a per-home file "
        "`web_secret` (mode 0600) is created and used if it is unset.",
    )
    session_hours: float = Field(default=12, gt=0, description="A session ends after this many hours.")
    cookie_secure: bool = Field(
        default=False,
        description="Always mark cookies Secure. They are marked Secure anyway whenever a page is served over "
        "https (directly or, with trusted_proxies, as the proxy says).",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or networks (e.g. 127.0.0.1, 10.0.0.0/8) of reverse proxies whose "
        "X-Forwarded-Proto and X-Forwarded-For headers are believed: the scheme (https) and the client's "
        "address then come from them, for the Origin check, Secure cookies, HSTS and the login limit. "
        "Empty: no forwarded header is believed.",
    )
    login_max_failures: int = Field(
        default=5, ge=1,
        description="Failed logins allowed for one user name from one client address in the window; a client "
        "address gets 4x this over all names, and a user name 10x this over all addresses.",
    )
    login_window_minutes: float = Field(default=15, gt=0, description="Window of the login rate limit.")
    lease_minutes: float = Field(
        default=10, gt=0, description="How long a suggestion stays reserved for the steward who opened it."
    )
    page_size: int = Field(default=50, ge=1, le=500, description="Rows per page in lists.")
    apply_right_away: bool = Field(
        default=True,
        description="Allow stewards to ask for a decision to be applied at once (runs match, merge, "
        "publish in the background when no pipeline run holds the lock).",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                ipaddress.ip_network(value, strict=False)
            except ValueError:
                raise ValueError(f"{value!r} is not an IP address or network (e.g. 127.0.0.1, 10.0.0.0/8)") from None
        return values
