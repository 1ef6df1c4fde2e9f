"""Wiring shared by the views: app state, login and role checks, CSRF, HTML-or-JSON responses."""

from __future__ import annotations

import hmac
import os
import secrets
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import duckdb
from fastapi import Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeTimedSerializer

from mdm import __version__
from mdm.clock import now
from mdm.config import MdmConfig
from mdm.locale_format import LANGUAGES, N_
from mdm.stewardship import store
from mdm.web import auth, db, i18n
from mdm.web.apply import ApplyRunner
from mdm.web.published import PublishedDatabase, Snapshot
from mdm.web.queue import build_queue

SESSION_COOKIE = "mdm_session"
LOGIN_CSRF_COOKIE = "mdm_login_csrf"
STATIC_DIR = Path(__file__).resolve().parent / "static"

#: Fixed flash messages, chosen by code in the redirect URL (no user data ever travels in URLs).
FLASH: dict[str, str] = {
    "decision_saved": N_("Decision saved. It will be applied by the next run."),
    "decision_applying": N_("Decision saved. Applying it now: match, merge and publish run in the background."),
    "decision_busy": N_("Decision saved. A pipeline run is in progress: it will be applied by the next run."),
    "decision_undone": N_("Your last decision was undone; the pair is back in the queue."),
    "nothing_to_undo": N_("You have no decision to undo."),
    "skipped": N_("Skipped. The pair stays in the queue for the others."),
    "queue_empty": N_("No suggestion left for you with these filters."),
    "split_requested": N_("Split requested. It will be applied by the next run."),
    "merge_requested": N_("Merge requested. It will be applied by the next run."),
    "request_withdrawn": N_("Request withdrawn. No run will apply it."),
    "household_requested": N_("Household correction saved. The next run applies it, and every run after keeps it."),
    "released": N_("Row released with your corrections. The next run validates it again."),
    "discarded": N_("Row discarded. The next run removes it from quarantine."),
    "bulk_release": N_("Rows released. The next run validates them again; those that still fail come back here."),
    "bulk_discard": N_("Rows discarded. The next run removes them from quarantine."),
    "user_added": N_("User added."),
    "user_removed": N_("User removed."),
    "logged_out": N_("You are logged out."),
}


class LoginRequired(Exception):
    """No valid session: HTML gets a redirect to the login page, JSON a 401."""


class Forbidden(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Conflict(Exception):
    """A request that cannot be applied as is (changed pair, leased pair): 409 with an explanation."""

    def __init__(self, message: str, data: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.data = data or {}


class AppState:
    """Everything a request needs, built once from the config by `create_app`."""

    def __init__(self, config: MdmConfig):
        self.config = config
        config.paths.home.mkdir(parents=True, exist_ok=True)
        self.web_db_path = db.web_db_path(config.paths.home)
        self.store_path = config.paths.steward_db
        db.connect(self.web_db_path).close()          # create the tables once
        store.connect(self.store_path).close()
        self.published = PublishedDatabase(config.paths.current_published, on_open=build_queue)
        self.serializer = URLSafeTimedSerializer(_secret(config), salt="mdm-session")
        self.templates: dict[str, Jinja2Templates] = {}   # per language; autoescape on for .html
        for lang in LANGUAGES:
            env = i18n.environment(lang)
            env.globals["version"] = __version__
            self.templates[lang] = Jinja2Templates(env=env)
        self.apply_runner = ApplyRunner(config)

    @contextmanager
    def web_db(self) -> Iterator[sqlite3.Connection]:
        con = _open_sqlite(self.web_db_path)
        try:
            yield con
        finally:
            con.close()

    @contextmanager
    def store(self) -> Iterator[sqlite3.Connection]:
        con = _open_sqlite(self.store_path)
        try:
            yield con
        finally:
            con.close()

    @contextmanager
    def reader(self) -> Iterator[tuple[duckdb.DuckDBPyConnection, Snapshot]]:
        with self.published.cursor() as pair:
            yield pair


def _open_sqlite(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
    con.row_factory = sqlite3.Row
    con.execute("PRAGMA busy_timeout=30000")
    con.execute("PRAGMA foreign_keys=ON")
    return con


def _secret(config: MdmConfig) -> str:
    """The cookie-signing key: the configured env var, else a random per-home file (mode 0600)."""
    value = os.environ.get(config.web.secret_env)
    if value:
        return value
    path = config.paths.home / "web_secret"
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
        except FileExistsError:
            pass
    return path.read_text().strip()


def state_of(request: Request) -> AppState:
    app_state: AppState = request.app.state.mdm
    return app_state


def language(request: Request) -> str:
    """The language of this request's page: the steward's switch, else the browser's, else French."""
    return i18n.choose_language(request.cookies.get(i18n.LANG_COOKIE), request.headers.get("accept-language"))


def wants_json(request: Request) -> bool:
    return bool(request.scope.get("mdm_json")) or request.query_params.get("format") == "json"


def current_session(request: Request) -> auth.Session | None:
    cached = request.scope.get("mdm_session")
    if cached is not None:
        return cached if isinstance(cached, auth.Session) else None
    st = state_of(request)
    raw = request.cookies.get(SESSION_COOKIE)
    session = None
    if raw:
        try:
            session_id = st.serializer.loads(raw, max_age=int(st.config.web.session_hours * 3600))
        except BadSignature:
            session_id = None
        if isinstance(session_id, str):
            with st.web_db() as con:
                session = auth.get_session(con, session_id, now())
    request.scope["mdm_session"] = session or False
    return session


def require(permission: str) -> Callable[[Request], auth.Session]:
    """Dependency: a logged-in user with `permission`, else a login redirect / 403."""

    def dependency(request: Request) -> auth.Session:
        session = current_session(request)
        if session is None:
            raise LoginRequired()
        if not session.user.can(permission):
            raise Forbidden(f"Your role ({session.user.role}) does not allow this page or action.")
        return session

    return dependency


def secure_cookies(request: Request) -> bool:
    """Cookies are `Secure` whenever the page is served over https, or always with `web.cookie_secure`."""
    return request.url.scheme == "https" or state_of(request).config.web.cookie_secure


def expected_origin(request: Request) -> str:
    host = request.headers.get("host", "")
    return f"{request.url.scheme}://{host}"


def check_cross_site(request: Request) -> None:
    """Refuse a browser request that says it comes from another site (Datasette's header check)."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        raise Forbidden(N_("Cross-site request refused (Sec-Fetch-Site)."))
    origin = request.headers.get("origin")
    if origin is not None and origin != expected_origin(request):
        raise Forbidden(N_("Cross-site request refused (Origin does not match this site)."))


def require_post(permission: str) -> Callable[[Request], Awaitable[auth.Session]]:
    """Dependency for every POST: login, role, same-origin headers AND the session's CSRF token."""
    inner = require(permission)

    async def dependency(request: Request) -> auth.Session:
        check_cross_site(request)
        session = inner(request)
        form = await request.form()
        sent = request.headers.get("x-csrf-token") or form.get("csrf_token")
        if not isinstance(sent, str) or not hmac.compare_digest(sent, session.csrf_token):
            raise Forbidden(N_("Missing or invalid form token (CSRF). Reload the page and try again."))
        return session

    return dependency


def respond(
    request: Request,
    template: str,
    data: dict[str, Any],
    session: auth.Session | None,
    status_code: int = 200,
    page: dict[str, Any] | None = None,
) -> Response:
    """The page, or its JSON twin (`.json` suffix or `?format=json`) with the same `data`."""
    if wants_json(request):
        return JSONResponse(data, status_code=status_code)
    st = state_of(request)
    lang = language(request)
    flash = FLASH.get(request.query_params.get("msg", ""))
    context = {
        "data": data,
        "user": session.user if session else None,
        "csrf_token": session.csrf_token if session else None,
        "flash": i18n.translations(lang).gettext(flash) if flash else None,
        "path": request.url.path,
        "page_query": lambda page: page_query(request, page),
        "json_url": _json_url(request),
        **(page or {}),
    }
    response = st.templates[lang].TemplateResponse(request, template, context, status_code=status_code)
    response.headers["Content-Language"] = lang
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response


def page_query(request: Request, page: int) -> str:
    """This page's query string with another page number: paging keeps the filters."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("page", "msg")]
    return "&".join(f"{quote(k)}={quote(v)}" for k, v in [*kept, ("page", str(page))])


def _json_url(request: Request) -> str:
    """This page's JSON twin, keeping its query (minus the flash message)."""
    query = "&".join(f"{quote(k)}={quote(v)}" for k, v in request.query_params.multi_items() if k != "msg")
    return (request.url.path.rstrip("/") or "") + ".json" + (f"?{query}" if query else "")


def redirect(url: str, msg: str | None = None) -> RedirectResponse:
    if msg:
        url += ("&" if "?" in url else "?") + "msg=" + quote(msg)
    return RedirectResponse(url, status_code=303)


#: Dependencies as annotated types (FastAPI's recommended form): `session: StewardPost`.
FiguresSession = Annotated[auth.Session, Depends(require("figures"))]
FiguresPost = Annotated[auth.Session, Depends(require_post("figures"))]
ReportsSession = Annotated[auth.Session, Depends(require("reports"))]
StewardSession = Annotated[auth.Session, Depends(require("steward"))]
StewardPost = Annotated[auth.Session, Depends(require_post("steward"))]
AdminSession = Annotated[auth.Session, Depends(require("users"))]
AdminPost = Annotated[auth.Session, Depends(require_post("users"))]
