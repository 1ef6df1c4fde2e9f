"""Steward web app settings in `mdm.yaml` (`web:`). Owned by `web/`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


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
        default=False, description="Send cookies only over HTTPS (turn on behind a TLS proxy)."
    )
    login_max_failures: int = Field(
        default=5, ge=1, description="Failed logins allowed per user name and per client address in the window."
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
