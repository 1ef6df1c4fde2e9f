"""Customer search, the customer page, and split / merge requests."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from mdm.clock import now
from mdm.locale_format import N_
from mdm.stewardship import store
from mdm.web.customers import audit_salt, customer_page, pending_golden_actions, resolve_id, search
from mdm.web.deps import (
    Conflict,
    StewardPost,
    StewardSession,
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


@router.get("/customers/{golden_id}")
def customer(golden_id: str, request: Request, session: StewardSession) -> Response:
    st = state_of(request)
    with st.reader() as (cur, snap):
        current = resolve_id(cur, golden_id)
        if current is not None and current != golden_id:
            return redirect(f"/customers/{quote(current)}" + (".json" if wants_json(request) else ""))
        salt = audit_salt(st.config.paths.home, st.config.privacy.salt_env)
        data = customer_page(cur, golden_id, salt, snap) if current else None
    if data is None:
        return respond(request, "error.html", {"error": N_("No customer with this ID."), "status": 404}, session,
                       status_code=404)
    with st.store() as con:
        data["pending_actions"] = pending_golden_actions(con, [golden_id])
    return respond(request, "customer.html", data, session)


def _current_keys(request: Request, golden_id: str) -> tuple[list[str], dict[str, object]]:
    st = state_of(request)
    with st.reader() as (cur, _):
        row = cur.execute("SELECT golden_id, first_seen_at FROM golden.customer WHERE golden_id = ?",
                          [golden_id]).fetchone()
        if row is None:
            raise Conflict(N_("No customer with this ID in the published data (merged or removed meanwhile?)."))
        keys = [r[0] for r in cur.execute(
            "SELECT record_key FROM golden.xref WHERE golden_id = ? AND valid_to IS NULL ORDER BY record_key",
            [golden_id]).fetchall()]
    return keys, {"golden_id": row[0], "first_seen_at": row[1]}


@router.post("/customers/{golden_id}/split")
async def split(golden_id: str, request: Request, session: StewardPost) -> Response:
    """Ask the next run to move the chosen records out into a new customer."""
    st = state_of(request)
    form = await request.form()
    leaving = sorted({str(v) for v in form.getlist("record_key")})
    keys, _ = _current_keys(request, golden_id)
    unknown = [k for k in leaving if k not in keys]
    if not leaving:
        raise Conflict(N_("Choose at least one record that leaves this customer."))
    if unknown:
        raise Conflict(N_("Some chosen records are not (or no longer) in this customer. Nothing was saved."))
    if len(leaving) == len(keys):
        raise Conflict(N_("At least one record must stay: choose the records that leave, not all of them."))
    with st.store() as con:
        action_id = store.add_golden_action(con, "split", golden_id, session.user.name, now(), record_keys=leaving)
    if wants_json(request):
        return JSONResponse({"requested": action_id, "action": "split", "golden_id": golden_id,
                             "record_keys": leaving})
    return redirect(f"/customers/{quote(golden_id)}", "split_requested")


@router.post("/customers/{golden_id}/merge")
async def merge(golden_id: str, request: Request, session: StewardPost) -> Response:
    """Ask the next run to merge another customer with this one; the older golden ID survives."""
    st = state_of(request)
    form = await request.form()
    other = str(form.get("other_golden_id") or "").strip()
    with st.reader() as (cur, _):
        other = resolve_id(cur, other) or other
    if not other or other == golden_id:
        raise Conflict(N_("Give the ID of another customer to merge with this one."))
    _, this = _current_keys(request, golden_id)
    _, that = _current_keys(request, other)
    survivor, absorbed = (this, that) if (this["first_seen_at"], this["golden_id"]) <= (
        that["first_seen_at"], that["golden_id"]) else (that, this)
    with st.store() as con:
        action_id = store.add_golden_action(con, "merge", str(survivor["golden_id"]), session.user.name, now(),
                                            other_golden_id=str(absorbed["golden_id"]))
    if wants_json(request):
        return JSONResponse({"requested": action_id, "action": "merge", "golden_id": survivor["golden_id"],
                             "other_golden_id": absorbed["golden_id"]})
    return redirect(f"/customers/{quote(str(survivor['golden_id']))}", "merge_requested")
