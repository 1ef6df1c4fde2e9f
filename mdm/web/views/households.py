"""Household corrections from the customer page: "not the same household" (the customer leaves
their household) and "same household" (two customers share one). Each is previewed, then saved on
confirmation to the stewardship store (`household_actions`), withdrawable until a run applies it;
the households stage applies it on the next run and keeps it on every later one.

Thin: the checks and previews are `mdm.party_view`'s; refusals show on the customer page as for a
split or merge.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from mdm import golden_view, party_view
from mdm.clock import now
from mdm.locale_format import N_
from mdm.stewardship import store
from mdm.web.customers import jsonable
from mdm.web.deps import StewardPost, redirect, respond, state_of, wants_json
from mdm.web.views.customers import _confirmed, _page, _refused

router = APIRouter()


async def _request(golden_id: str, request: Request, session: StewardPost, action: str) -> Response:
    st = state_of(request)
    form = await request.form()
    other = str(form.get("other_golden_id") or "").strip()[:80]
    try:
        with st.reader() as (cur, _):
            preview = jsonable(party_view.preview_apart(cur, golden_id) if action == "apart"
                               else party_view.preview_together(cur, golden_id, other))
    except golden_view.RequestRefused as exc:
        return _refused(request, session, golden_id, exc, {})
    if not _confirmed(form):
        if wants_json(request):
            return JSONResponse({"preview": preview, "saved": False})
        return respond(request, "customer.html", _page(request, golden_id, {"household_preview": preview}) or {},
                       session)
    with st.store() as con:
        action_id = store.add_household_action(con, action, preview["golden_id"], preview["other_ids"],
                                               session.user.name, now(), household_id=preview.get("household_id"))
    if wants_json(request):
        return JSONResponse({"requested": action_id, "action": action, "golden_id": preview["golden_id"],
                             "other_ids": preview["other_ids"], "saved": True})
    return redirect(f"/customers/{quote(preview['golden_id'])}", "household_requested")


@router.post("/customers/{golden_id}/household/apart")
async def apart(golden_id: str, request: Request, session: StewardPost) -> Response:
    """Preview, then (confirmed) take this customer out of their household for good."""
    return await _request(golden_id, request, session, "apart")


@router.post("/customers/{golden_id}/household/together")
async def together(golden_id: str, request: Request, session: StewardPost) -> Response:
    """Preview, then (confirmed) put this customer and another in one household for good."""
    return await _request(golden_id, request, session, "together")


@router.post("/customers/{golden_id}/household/requests/{action_id}/withdraw")
async def withdraw(golden_id: str, action_id: int, request: Request, session: StewardPost) -> Response:
    """Withdraw a household correction no run has applied yet."""
    st = state_of(request)
    with st.store() as con:
        mine = [a for a in store.household_actions_about(con, [golden_id]) if a["id"] == action_id]
        done = bool(mine) and store.withdraw_household_action(con, action_id, session.user.name, now())
    if not done:
        return _refused(request, session, golden_id,
                        golden_view.RequestRefused(N_("This request was already applied or withdrawn.")), {})
    if wants_json(request):
        return JSONResponse({"withdrawn": action_id})
    return redirect(f"/customers/{quote(golden_id)}", "request_withdrawn")
