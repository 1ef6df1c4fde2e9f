"""Customer search, the customer page, and split / merge requests (preview, confirm, withdraw).

Thin: the read model, the checks and the previews are `mdm.golden_view`'s (the CLI renders the
same). A split or merge posted without `confirm=yes` only previews; a refused request shows its
reason on the customer's own page (409), so the steward keeps the customer and the choices made.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from mdm import golden_view, party_view
from mdm.clock import now
from mdm.locale_format import N_
from mdm.stewardship import store
from mdm.web import i18n
from mdm.web.customers import audit_salt, customer_page, jsonable, resolve_id, search
from mdm.web.deps import (
    Conflict,
    StewardPost,
    StewardSession,
    language,
    redirect,
    respond,
    state_of,
    wants_json,
)

router = APIRouter()


@router.get("/customers")
def customers(request: Request, session: StewardSession) -> Response:
    st = state_of(request)
    q = (request.query_params.get("q") or "").strip()[:200]
    if q:
        with st.reader() as (cur, snap):
            data = search(cur, q, limit=st.config.web.page_size, snap=snap)
    else:
        data = {"query": "", "kind": None, "results": []}
    return respond(request, "customers.html", data, session)


def _page(request: Request, golden_id: str, extra: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The customer page's data: the read model, the requests about it, a merge search if asked."""
    st = state_of(request)
    merge_q = (request.query_params.get("merge_q") or "").strip()[:200]
    with st.reader() as (cur, snap):
        salt = audit_salt(st.config.paths.home, st.config.privacy.salt_env)
        data = customer_page(cur, golden_id, salt, snap)
        if data is not None:
            data["household"] = jsonable(party_view.household_of(cur, data["golden_id"]))
            data["organisations"] = party_view.organisations_of(cur, data["golden_id"])
        if data is not None and merge_q:
            found = search(cur, merge_q, limit=st.config.web.page_size, snap=snap)
            found["results"] = [r for r in found["results"] if r["golden_id"] != golden_id]
            data["merge_search"] = found
    if data is None:
        return None
    with st.store() as con:
        requests = golden_view.requests_about(con, [golden_id])
        household_requests = store.household_actions_about(con, [golden_id])
    data["requests"] = sorted(requests + household_requests, key=lambda r: str(r["requested_at"]), reverse=True)
    data["pending_actions"] = [r for r in requests if r["state"] == "pending"]
    data["pending_household"] = [r for r in household_requests if r["state"] == "pending"]
    data.update(extra or {})
    return data


@router.get("/customers/{golden_id}")
def customer(golden_id: str, request: Request, session: StewardSession) -> Response:
    st = state_of(request)
    with st.reader() as (cur, _):
        current = resolve_id(cur, golden_id)
    if current is not None and current != golden_id:
        return redirect(f"/customers/{quote(current)}" + (".json" if wants_json(request) else ""))
    data = _page(request, golden_id) if current else None
    if data is None:
        return respond(request, "error.html", {"error": N_("No customer with this ID."), "status": 404}, session,
                       status_code=404)
    return respond(request, "customer.html", data, session)


def _refused(request: Request, session: Any, golden_id: str, exc: golden_view.RequestRefused,
             chosen: dict[str, Any]) -> Response:
    """The customer page again with the reason on it (the steward's choices kept), status 409."""
    text = i18n.translations(language(request)).gettext(exc.message) % exc.values if exc.values else (
        i18n.translations(language(request)).gettext(exc.message))
    if wants_json(request):
        return JSONResponse({"error": text}, status_code=409)
    data = _page(request, golden_id, {"problem": text, **chosen})
    if data is None:
        raise Conflict(exc.message)
    return respond(request, "customer.html", data, session, status_code=409)


def _confirmed(form: Any) -> bool:
    return str(form.get("confirm") or "") == "yes"


@router.post("/customers/{golden_id}/split")
async def split(golden_id: str, request: Request, session: StewardPost) -> Response:
    """Preview, then (confirmed) ask the next run to move the chosen records out into a new customer."""
    st = state_of(request)
    form = await request.form()
    leaving = sorted({str(v) for v in form.getlist("record_key")})
    try:
        with st.reader() as (cur, _):
            preview = golden_view.preview_split(cur, golden_id, leaving)
    except golden_view.RequestRefused as exc:
        return _refused(request, session, golden_id, exc, {"chosen": leaving})
    if not _confirmed(form):
        if wants_json(request):
            return JSONResponse({"preview": preview, "saved": False})
        return respond(request, "customer.html", _page(request, golden_id, {"preview": preview, "chosen": leaving})
                       or {}, session)
    with st.store() as con:
        action_id = store.add_golden_action(con, "split", preview["golden_id"], session.user.name, now(),
                                            record_keys=preview["leaving"])
    if wants_json(request):
        return JSONResponse({"requested": action_id, "action": "split", "golden_id": preview["golden_id"],
                             "record_keys": preview["leaving"], "saved": True})
    return redirect(f"/customers/{quote(preview['golden_id'])}", "split_requested")


@router.post("/customers/{golden_id}/merge")
async def merge(golden_id: str, request: Request, session: StewardPost) -> Response:
    """Preview, then (confirmed) ask the next run to merge another customer with this one. Which
    ID survives is the merge stage's identity rule (`golden_view.preview_merge` asks it)."""
    st = state_of(request)
    form = await request.form()
    other = str(form.get("other_golden_id") or "").strip()[:80]
    try:
        with st.reader() as (cur, _):
            preview = jsonable(golden_view.preview_merge(cur, golden_id, other))
    except golden_view.RequestRefused as exc:
        return _refused(request, session, golden_id, exc, {})
    if not _confirmed(form):
        if wants_json(request):
            return JSONResponse({"preview": preview, "saved": False})
        return respond(request, "customer.html", _page(request, golden_id, {"preview": preview}) or {}, session)
    with st.store() as con:
        action_id = store.add_golden_action(con, "merge", preview["golden_id"], session.user.name, now(),
                                            other_golden_id=preview["other_golden_id"])
    if wants_json(request):
        return JSONResponse({"requested": action_id, "action": "merge", "golden_id": preview["golden_id"],
                             "other_golden_id": preview["other_golden_id"], "saved": True})
    return redirect(f"/customers/{quote(preview['golden_id'])}", "merge_requested")


@router.post("/customers/{golden_id}/requests/{action_id}/withdraw")
async def withdraw(golden_id: str, action_id: int, request: Request, session: StewardPost) -> Response:
    """Withdraw a split or merge request that no run has applied yet."""
    st = state_of(request)
    with st.store() as con:
        mine = [r for r in golden_view.requests_about(con, [golden_id]) if r["id"] == action_id]
        done = bool(mine) and store.withdraw_golden_action(con, action_id, session.user.name, now())
    if not done:
        exc = golden_view.RequestRefused(N_("This request was already applied or withdrawn."))
        return _refused(request, session, golden_id, exc, {})
    if wants_json(request):
        return JSONResponse({"withdrawn": action_id})
    return redirect(f"/customers/{quote(golden_id)}", "request_withdrawn")
