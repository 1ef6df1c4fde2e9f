"""`/-/health` and `/-/version`: for monitors, no login, no data beyond status and counts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from mdm import __version__
from mdm.web.deps import state_of
from mdm.web.published import NotPublished, file_identity, last_publication

router = APIRouter()


@router.get("/-/health")
def health(request: Request) -> JSONResponse:
    st = state_of(request)
    status: dict[str, object] = {"status": "ok", "published": file_identity(st.published.path) is not None}
    try:
        with st.reader() as (cur, snap):
            status["search_index"] = snap.cache.get("search_index") or "not built"
            status["publication"] = last_publication(cur)
    except NotPublished:
        status["status"] = "degraded"
    with st.store() as con:
        con.execute("SELECT 1").fetchone()
    status["apply"] = st.apply_runner.status.state
    return JSONResponse(status, status_code=200)


@router.get("/-/version")
def version() -> JSONResponse:
    import duckdb
    import fastapi

    return JSONResponse({"mdm": __version__, "duckdb": duckdb.__version__, "fastapi": fastapi.__version__})
