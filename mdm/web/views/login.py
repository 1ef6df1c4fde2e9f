"""Login, logout, the language switch and the home page (figures every role may see)."""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from mdm import published_figures
from mdm.clock import now
from mdm.locale_format import LANGUAGES, N_
from mdm.web import auth, i18n
from mdm.web.deps import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    FiguresPost,
    FiguresSession,
    check_cross_site,
    current_session,
    redirect,
    respond,
    secure_cookies,
    state_of,
)
from mdm.web.published import NotPublished, last_publication

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only local paths: never an open redirect to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _login_page(request: Request, error: str | None, status: int, next_url: str) -> Response:
    token = auth.new_token()
    response = respond(request, "login.html", {"error": error, "next": next_url}, None, status_code=status,
                       page={"login_csrf": token})
    st = state_of(request)
    response.set_cookie(LOGIN_CSRF_COOKIE, st.serializer.dumps(token), httponly=True, samesite="strict",
                        secure=secure_cookies(request), path="/login")
    return response


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    if current_session(request) is not None:
        return redirect(_safe_next(next))
    return _login_page(request, None, 200, _safe_next(next))


@router.post("/login")
async def login(request: Request) -> Response:
    check_cross_site(request)
    st = state_of(request)
    form = await request.form()
    name = str(form.get("username") or "")
    password = str(form.get("password") or "")
    next_url = _safe_next(str(form.get("next") or "/"))
    sent = str(form.get("csrf_token") or "")
    try:
        expected = st.serializer.loads(request.cookies.get(LOGIN_CSRF_COOKIE, ""), max_age=3600)
    except Exception:
        expected = None
    if not isinstance(expected, str) or not hmac.compare_digest(sent, expected):
        return _login_page(request, N_("The login form expired. Please try again."), 403, next_url)
    address = request.client.host if request.client else "unknown"
    at = now()
    cfg = st.config.web
    with st.web_db() as con:
        if auth.login_blocked(con, name, address, at, cfg.login_max_failures, cfg.login_window_minutes):
            response = _login_page(request, N_("Too many failed attempts. Wait a few minutes and try again."), 429,
                                   next_url)
            response.headers["Retry-After"] = str(int(cfg.login_window_minutes * 60))
            return response
        user = auth.verify_password(con, name, password)
        if user is None:
            auth.record_login_failure(con, name, address, at)
            return _login_page(request, N_("Wrong user name or password."), 401, next_url)
        auth.clear_login_failures(con, name, address)
        session = auth.create_session(con, user, at, cfg.session_hours)
    response = redirect(next_url)
    response.set_cookie(SESSION_COOKIE, st.serializer.dumps(session.session_id), httponly=True, samesite="lax",
                        secure=secure_cookies(request), max_age=int(cfg.session_hours * 3600), path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.get("/language/{lang}")
def switch_language(lang: str, request: Request, next: str | None = None) -> Response:
    """The language switch: the steward's choice is kept in a cookie for a year and wins over the
    browser's Accept-Language. A GET link, so it works on the login page too; it changes nothing
    but the language a page is shown in."""
    response = redirect(_safe_next(next))
    if lang in LANGUAGES:
        response.set_cookie(i18n.LANG_COOKIE, lang, max_age=365 * 24 * 3600, httponly=True, samesite="lax",
                            secure=secure_cookies(request), path="/")
    return response


@router.post("/logout")
async def logout(request: Request, session: FiguresPost) -> Response:
    st = state_of(request)
    with st.web_db() as con:
        auth.end_session(con, session.session_id)
    response = redirect("/login", "logged_out")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/")
def home(request: Request, session: FiguresSession) -> Response:
    """Figures: counts only, so every role may see them."""
    st = state_of(request)
    figures: dict[str, Any] = {}
    try:
        with st.reader() as (cur, _):
            shared = published_figures.figures(cur, review=False)  # the figures every screen shows
            figures["golden_customers"] = shared["golden_customers"]
            figures["source_records"] = cur.execute("SELECT count(*) FROM staging.customers").fetchone()[0]  # type: ignore[index]
            # the queue holds exactly `pairs_for_review` (a test compares them), counted once per publication
            figures["pending_review"] = cur.execute(  # type: ignore[index]
                "SELECT count(*) FROM memory.main.review_queue WHERE party = 'person'").fetchone()[0]
            figures["pending_organisation_review"] = cur.execute(  # type: ignore[index]
                "SELECT count(*) FROM memory.main.review_queue WHERE party = 'organisation'").fetchone()[0]
            figures["open_quarantine"] = shared["quarantined_open"]
            figures["quarantine_reasons"] = shared["quarantine_reasons"]
            figures["last_run"] = last_publication(cur)
        figures["published"] = True
    except NotPublished:
        figures["published"] = False
    with st.store() as con:
        figures["decisions_waiting"] = con.execute(
            "SELECT count(*) FROM pair_decisions WHERE undone_at IS NULL").fetchone()[0]
        figures["actions_waiting"] = con.execute(
            "SELECT (SELECT count(*) FROM golden_actions WHERE applied_run_id IS NULL AND withdrawn_at IS NULL)"
            " + (SELECT count(*) FROM quarantine_actions WHERE applied_run_id IS NULL)").fetchone()[0]
    figures["apply"] = st.apply_runner.status.as_dict()
    return respond(request, "home.html", figures, session)
