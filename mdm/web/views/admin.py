"""User administration (admin role): list, add, remove. The CLI `mdm users` does the same."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from mdm.clock import now
from mdm.locale_format import N_
from mdm.web import auth
from mdm.web.deps import (
    AdminPost,
    AdminSession,
    Conflict,
    redirect,
    respond,
    state_of,
    wants_json,
)

router = APIRouter()


@router.get("/admin/users")
def users(request: Request, session: AdminSession) -> Response:
    with state_of(request).web_db() as con:
        data = {"users": auth.list_users(con), "roles": list(auth.ROLES)}
    return respond(request, "users.html", data, session)


@router.post("/admin/users")
async def add_user(request: Request, session: AdminPost) -> Response:
    form = await request.form()
    try:
        with state_of(request).web_db() as con:
            user = auth.add_user(con, str(form.get("name") or ""), str(form.get("role") or ""),
                                 str(form.get("password") or ""), now())
    except auth.UserError as exc:
        raise Conflict(str(exc)) from None
    if wants_json(request):
        return JSONResponse({"added": user.name, "role": user.role})
    return redirect("/admin/users", "user_added")


@router.post("/admin/users/{name}/remove")
async def remove_user(name: str, request: Request,
                      session: AdminPost) -> Response:
    if name == session.user.name:
        raise Conflict(N_("You cannot remove yourself."))
    with state_of(request).web_db() as con:
        removed = auth.remove_user(con, name)
    if not removed:
        raise Conflict(f"No user named {name!r}.")
    if wants_json(request):
        return JSONResponse({"removed": name})
    return redirect("/admin/users", "user_removed")
