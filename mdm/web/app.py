"""`create_app(config) -> FastAPI`: the steward web app. Thin wiring over the plain modules in `mdm/web/`.

Reads come only from the published DuckDB file (read-only, reopened after each publication);
writes go only to the stewardship store (decisions, actions) and `web.sqlite` (users, sessions,
leases). So the app keeps working while a pipeline run holds the working warehouse.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from mdm.config import MdmConfig
from mdm.locale_format import N_
from mdm.web.deps import STATIC_DIR, AppState, Conflict, Forbidden, LoginRequired, current_session, wants_json
from mdm.web.published import NotPublished, PublicationOutdated
from mdm.web.views import (
    admin,
    customers,
    households,
    internal,
    login,
    organisations,
    quarantine,
    reports,
    review,
)

#: Every view module, in the order their routes are tried (the docs test reads the same tuple).
VIEWS = (internal, login, review, customers, households, organisations, quarantine, reports, admin)

#: Content Security Policy: nothing from other origins, no inline script.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'self'; base-uri 'none'; object-src 'none'"
)


#: Served over https: browsers keep to https for a year (not for subdomains: other sites may live there).
HSTS = "max-age=31536000"


def create_app(config: MdmConfig) -> FastAPI:
    """The app. Behind a reverse proxy listed in `web.trusted_proxies`, uvicorn's own proxy-headers
    middleware runs inside the app (not as `uvicorn.run(proxy_headers=...)`), so the TestClient
    and `mdm serve` take the same path.

    Over 60 lines on purpose: the lifespan, the middleware and the error handlers close over
    `state`, and a reader checks the app's security in one place, top to bottom."""
    state = AppState(config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        state.published.close()

    app = FastAPI(title="customer-mdm stewards", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)
    app.state.mdm = state
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    for module in VIEWS:
        app.include_router(module.router)

    @app.middleware("http")
    async def json_suffix_and_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        path = request.scope["path"]
        if path.endswith(".json") and not path.startswith("/static/"):
            request.scope["path"] = path[: -len(".json")] or "/"
            request.scope["mdm_json"] = True
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        if request.scope.get("mdm_session"):
            response.headers["Cache-Control"] = "no-store"
        if request.url.scheme == "https":
            response.headers["Strict-Transport-Security"] = HSTS
        return response

    if config.web.trusted_proxies:
        # Added last, so it runs first: every check above sees the client's scheme and address.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(config.web.trusted_proxies))

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        if wants_json(request) or request.method != "GET":
            return JSONResponse({"error": "login required"}, status_code=401)
        target = request.url.path
        return RedirectResponse(f"/login?next={target}", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        return _error(request, 403, exc.message)

    @app.exception_handler(Conflict)
    async def _conflict(request: Request, exc: Conflict) -> Response:
        return _error(request, 409, exc.message, exc.data)

    @app.exception_handler(NotPublished)
    async def _not_published(request: Request, exc: NotPublished) -> Response:
        if isinstance(exc, PublicationOutdated):
            return _error(request, 503, str(exc))
        return _error(request, 503, N_("Nothing is published yet: run the pipeline first (mdm run)."))

    return app


def _error(request: Request, status: int, message: str, extra: dict[str, object] | None = None) -> Response:
    if wants_json(request):
        return JSONResponse({"error": message, **(extra or {})}, status_code=status)
    from mdm.web.deps import respond

    return respond(request, "error.html", {"error": message, "status": status, **(extra or {})},
                   current_session(request), status_code=status)
