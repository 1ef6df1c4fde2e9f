"""Quarantined rows: list with reasons, correct-and-release, discard."""

from __future__ import annotations

from typing import Any
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
from mdm.web.quarantine import (
    bulk_preview,
    corrected_payload,
    filter_choices,
    get_row,
    list_rows,
    reason_hints,
)

router = APIRouter()


@router.get("/quarantine")
def quarantine_list(request: Request, session: StewardSession) -> Response:
    source = request.query_params.get("source") or None
    reason = request.query_params.get("reason") or None
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page = 1
    return respond(request, "quarantine.html", _list_data(request, source, reason, page), session)


def _list_data(request: Request, source: str | None, reason: str | None, page: int) -> dict[str, Any]:
    st = state_of(request)
    size = st.config.web.page_size
    mappings = {s.name: dict(s.mapping) for s in st.config.sources}
    with st.reader() as (cur, _), st.store() as con:
        rows, total = list_rows(cur, con, source, size, (page - 1) * size, reason, mappings)
        choices = filter_choices(cur, source, reason)
    for r in rows:
        r["url"] = "/quarantine/" + quote(r["record_key"], safe=":")
    return {"source": source, "reason": reason, "sources": [c["value"] for c in choices["sources"]],
            "choices": choices, "page": page, "page_size": size, "total": total, "rows": rows}


@router.post("/quarantine/bulk")
async def bulk(request: Request, session: StewardPost) -> Response:
    """Release or discard every open row of a filter: a preview first, then (confirmed) the requests.

    The confirmation carries the count the steward saw; if the set changed meanwhile (a new run, or
    another steward), nothing is saved and the new preview is shown."""
    st = state_of(request)
    form = await request.form()
    action = str(form.get("action") or "")
    if action not in ("release", "discard"):
        raise Conflict(N_("Choose release or discard."))
    source = str(form.get("source") or "") or None
    reason = str(form.get("reason") or "") or None
    with st.reader() as (cur, _), st.store() as con:
        preview = bulk_preview(cur, con, source, reason)
    preview["action"] = action
    seen = str(form.get("count") or "")
    confirmed = str(form.get("confirm") or "") == "yes" and seen == str(preview["count"]) and preview["count"] > 0
    if not confirmed:
        if wants_json(request):
            return JSONResponse({"preview": {k: v for k, v in preview.items() if k != "record_keys"}, "saved": 0})
        data = _list_data(request, source, reason, 1)
        data["bulk"] = {k: v for k, v in preview.items() if k != "record_keys"}
        return respond(request, "quarantine.html", data, session)
    at = now()
    with st.store() as con, store.transaction(con):
        for key in preview["record_keys"]:
            store.add_quarantine_action(con, key, action, session.user.name, at)
    if wants_json(request):
        return JSONResponse({"action": action, "saved": preview["count"]})
    query = "&".join(f"{k}={quote(v)}" for k, v in (("source", source), ("reason", reason)) if v)
    return redirect("/quarantine" + (f"?{query}" if query else ""), f"bulk_{action}")


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
    """Discard one row: without `confirm=yes`, the row's page asks for the confirmation first."""
    st = state_of(request)
    row = _open_row(request, record_key)  # unknown or already handled: refused
    form = await request.form()
    if str(form.get("confirm") or "") != "yes":
        if wants_json(request):
            return JSONResponse({"preview": {"action": "discard", "record_key": record_key}, "saved": False})
        hints = reason_hints(st.config)
        row["reason_details"] = [{"code": r, **hints.get(r, {"meaning": "", "fix": ""})}
                                 for r in row["reasons"]]  # type: ignore[attr-defined]
        row["confirm_discard"] = True
        return respond(request, "quarantine_row.html", row, session)
    with st.store() as con:
        action_id = store.add_quarantine_action(con, record_key, "discard", session.user.name, now())
    if wants_json(request):
        return JSONResponse({"requested": action_id, "action": "discard", "record_key": record_key})
    return redirect("/quarantine", "discarded")
