"""Reports for managers (and stewards, admins): the HTML report over the published file, and metrics."""

from __future__ import annotations

import importlib
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from mdm.locale_format import LANGUAGES, N_
from mdm.web.deps import ReportsSession, language, respond, state_of
from mdm.web.model_view import model_page

router = APIRouter()

#: The rendered report is self-contained HTML with its own inline styles and scripts: it gets
#: its own policy, still with no network access.
REPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
              "frame-ancestors 'self'; base-uri 'none'; form-action 'none'")


def _renderer() -> Any:
    try:
        module = importlib.import_module("mdm.reports.render")
    except ImportError:
        return None
    return getattr(module, "render_report", None)


@router.get("/reports")
def reports(request: Request, session: ReportsSession) -> Response:
    st = state_of(request)
    with st.reader() as (cur, _):
        rows = cur.execute(
            "SELECT run_id, \"at\", scope, dimension, metric, value FROM dq.metrics "
            "WHERE run_id = (SELECT run_id FROM dq.metrics ORDER BY \"at\" DESC LIMIT 1) "
            "ORDER BY scope, dimension, metric"
        ).fetchall()
    metrics = [{"run_id": r[0], "at": r[1].isoformat() if r[1] else None, "scope": r[2], "dimension": r[3],
                "metric": r[4], "value": r[5]} for r in rows]
    data = {"metrics": metrics, "report_available": _renderer() is not None}
    return respond(request, "reports.html", data, session)


@router.get("/reports/model")
def model(request: Request, session: ReportsSession) -> Response:
    """The matching model: m/u per level, the weight histogram, pairs per threshold."""
    st = state_of(request)
    with st.reader() as (cur, _):
        data = model_page(cur, st.config.paths.models, st.config.matching)
    return respond(request, "model.html", data, session)


@router.get("/reports/view")
def report_view(request: Request, session: ReportsSession, lang: str | None = None) -> Response:
    """The manager report, in `?lang=` if given, else in the steward's own language."""
    render = _renderer()
    if render is None:
        return respond(request, "error.html", {"error": N_("The HTML report is not available in this version."),
                                               "status": 404}, session, status_code=404)
    st = state_of(request)
    with st.reader() as (cur, _):
        html = render(cur, lang=lang if lang in LANGUAGES else language(request))
    return HTMLResponse(html, headers={"Content-Security-Policy": REPORT_CSP})
