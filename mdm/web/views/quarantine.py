"""Quarantined rows: list with reasons, correct-and-release, discard."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from mdm.clock import now
from mdm.locale_format import N_
from mdm.stewardship import store
from mdm.web.deps import (
    Conflict,
    StewardPost,
    StewardSession,
    redirect,
    respond,
    state_of,
    wants_json,
)
from mdm.web.quarantine import corrected_payload, filter_choices, get_row, list_rows, reason_hints

router = APIRouter()


@router.get("/quarantine")
def quarantine_list(request: Request, session: StewardSession) -> Response:
    st = state_of(request)
    source = request.query_params.get("source") or None
    reason = request.query_params.get("reason") or None
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page = 1
    size = st.config.web.page_size
    with st.reader() as (cur, _), st.store() as con:
        rows, total = list_rows(cur, con, source, size, (page - 1) * size, reason)
        choices = filter_choices(cur, source, reason)
    for r in rows:
        r["url"] = "/quarantine/" + quote(r["record_key"], safe=":")
    data = {"source": source, "reason": reason, "sources": [c["value"] for c in choices["sources"]],
            "choices": choices, "page": page, "page_size": size, "total": total, "rows": rows}
    return respond(request, "quarantine.html", data, session)


def _row(request: Request, record_key: str) -> dict[str, object]:
    st = state_of(request)
    with st.reader() as (cur, _), st.store() as con:
        row = get_row(cur, con, record_key)
    if row is None:
        raise Conflict(N_("No quarantined row with this key in the published data."))
    return row


def _open_row(request: Request, record_key: str) -> dict[str, object]:
    """The row a steward releases or discards: refused (409) once someone has handled it."""
    row = _row(request, record_key)
    if row["status"] != "open":
        raise Conflict(f"This row is already {row['status']}.")
    return row


@router.get("/quarantine/{record_key}")
def quarantine_row(record_key: str, request: Request, session: StewardSession) -> Response:
    data = _row(request, record_key)
    hints = reason_hints(state_of(request).config)
    data["reason_details"] = [{"code": r, **hints.get(r, {"meaning": "", "fix": ""})}
                              for r in data["reasons"]]  # type: ignore[attr-defined]
    return respond(request, "quarantine_row.html", data, session)


@router.post("/quarantine/{record_key}/release")
async def release(record_key: str, request: Request,
                  session: StewardPost) -> Response:
    st = state_of(request)
    row = _open_row(request, record_key)
    form = await request.form()
    payload = corrected_payload(row["payload"], {k: str(v) for k, v in form.items()})  # type: ignore[arg-type]
    with st.store() as con:
        action_id = store.add_quarantine_action(con, record_key, "release", session.user.name, now(),
                                                corrected_payload=payload)
    if wants_json(request):
        return JSONResponse({"requested": action_id, "action": "release", "record_key": record_key})
    return redirect("/quarantine", "released")


@router.post("/quarantine/{record_key}/discard")
async def discard(record_key: str, request: Request,
                  session: StewardPost) -> Response:
    st = state_of(request)
    _open_row(request, record_key)  # unknown or already handled: refused
    with st.store() as con:
        action_id = store.add_quarantine_action(con, record_key, "discard", session.user.name, now())
    if wants_json(request):
        return JSONResponse({"requested": action_id, "action": "discard", "record_key": record_key})
    return redirect("/quarantine", "discarded")
