"""The review queue, the pair page and the decisions (match / not a match / skip / undo)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from mdm.clock import now
from mdm.locale_format import N_
from mdm.stewardship import store
from mdm.web import clusters, leases
from mdm.web.apply import MESSAGES as APPLY_MESSAGES
from mdm.web.customers import jsonable
from mdm.web.deps import (
    FLASH,
    Conflict,
    StewardPost,
    StewardSession,
    redirect,
    respond,
    state_of,
    wants_json,
)
from mdm.web.pairs import PairView, current_golden, explain_change, latest_decision, load_pair, record_names
from mdm.web.queue import ORG_PREFIX, QueueFilter, candidates, pair_id_of, queue_page, split_pair_id

router = APIRouter()


def _float(value: str | None) -> float | None:
    try:
        return None if value is None or value == "" else max(0.0, min(1.0, float(value)))
    except ValueError:
        return None


def _filter(request: Request) -> QueueFilter:
    q = request.query_params
    party = q.get("party") if q.get("party") in ("person", "organisation") else None
    return QueueFilter(source=q.get("source") or None, min_score=_float(q.get("min_score")),
                       max_score=_float(q.get("max_score")), party=party)


def _excluded(request: Request, user_name: str) -> list[str]:
    """Decided but not yet applied, settled by those decisions, leased by someone else, or skipped."""
    st = state_of(request)
    at = now()
    with st.store() as con:
        rows = con.execute(
            f"SELECT record_key_l, record_key_r, decision, party FROM pair_decisions d WHERE {store.LATEST_DECISION}"
        ).fetchall()
    decided = [(ORG_PREFIX if r[3] == "organisation" else "") + f"{r[0]}|{r[1]}" for r in rows]
    matched = [(str(r[0]), str(r[1])) for r in rows if r[2] == "match" and r[3] == "person"]
    if matched:
        with st.reader() as (cur, snap):
            golden_of = current_golden(cur, sorted({k for pair in matched for k in pair}), snap)
            decided += clusters.settled_pairs(matched, golden_of, snap.cache.get("queue_goldens", {}),
                                              snap.cache.get("queue_by_golden", {}))
    with st.web_db() as con:
        return decided + leases.leased_by_others(con, user_name, at) + leases.skipped_by(con, user_name, at)


def pair_url(left: str, right: str, party: str = "person") -> str:
    prefix = "/organisations/pairs" if party == "organisation" else "/pairs"
    return f"{prefix}/{quote(left, safe=':')}/{quote(right, safe=':')}"


def url_of(pair_id: str) -> str:
    """The page of a queued pair id (an organisation pair's id starts with `org|`)."""
    left, right = split_pair_id(pair_id)
    return pair_url(left, right, "organisation" if pair_id.startswith(ORG_PREFIX) else "person")


@router.get("/review")
def review_queue(request: Request, session: StewardSession) -> Response:
    st = state_of(request)
    flt = _filter(request)
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page = 1
    size = st.config.web.page_size
    excluded = _excluded(request, session.user.name)
    with st.reader() as (cur, snap):
        rows, total = queue_page(cur, flt, excluded, size, (page - 1) * size, index=snap.cache.get("queue_index"))
        sources = snap.cache.get("queue_sources", [])
    for r in rows:
        r["url"] = pair_url(r["record_key_l"], r["record_key_r"], r["party"])
    data = {"filter": flt.as_dict(), "page": page, "page_size": size, "total": total, "sources": sources,
            "suggestions": rows}
    return respond(request, "review_queue.html", data, session)


@router.get("/review/next")
def review_next(request: Request, session: StewardSession) -> Response:
    """Lease the most useful suggestion nobody else holds, and open it."""
    st = state_of(request)
    flt = _filter(request)
    user = session.user.name
    for _attempt in range(5):
        excluded = _excluded(request, user)
        with st.reader() as (cur, snap):
            ids = candidates(cur, flt, excluded, limit=20, index=snap.cache.get("queue_index"))
        if not ids:
            break
        at = now()
        with st.web_db() as con:
            for pair_id in ids:
                if leases.claim(con, pair_id, user, at, st.config.web.lease_minutes) == user:
                    if wants_json(request):
                        return JSONResponse({"pair_id": pair_id, "url": url_of(pair_id)})
                    return redirect(url_of(pair_id) + _filter_query(flt), _passed_on(request))
    if wants_json(request):
        return JSONResponse({"pair_id": None, "url": None})
    return redirect("/review" + _filter_query(flt), "queue_empty")


def _passed_on(request: Request) -> str | None:
    """The flash message of the action that redirected here ("decision saved"), kept for the next page."""
    msg = request.query_params.get("msg")
    return msg if msg in FLASH else None


def _filter_query(flt: QueueFilter) -> str:
    parts = [f"{k}={quote(str(v))}" for k, v in flt.as_dict().items() if v not in (None, "")]
    return ("?" + "&".join(parts)) if parts else ""


def _pair_data(view: PairView, holder: str | None, user: str) -> dict[str, Any]:
    data = view.as_dict()
    data["leased_by"] = holder
    data["can_decide"] = holder in (None, user)
    return data


@router.get("/pairs/{left}/{right}")
def pair_page(left: str, right: str, request: Request, session: StewardSession) -> Response:
    st = state_of(request)
    with st.reader() as (cur, snap), st.store() as con:
        view = load_pair(cur, con, left, right, snap)
    if view is None:
        return respond(request, "error.html", {"error": N_("This pair is not in the published data (any more)."),
                                               "status": 404}, session, status_code=404)
    with st.web_db() as wcon:
        holder = leases.claim(wcon, view.pair_id, session.user.name, now(), st.config.web.lease_minutes)
    data = _pair_data(view, holder, session.user.name)
    with st.reader() as (cur, snap):
        data["cluster"] = jsonable(clusters.decision_cluster(cur, view.record_key_l, view.record_key_r,
                                                             view.golden_ids))
        data["cluster_names"] = record_names(cur, sorted({k for side in data["cluster"]["sides"]
                                                          for k in side["record_keys"]}), snap)
    if data["cluster"]["same_customer"]:
        data["can_decide"] = False
    data["apply_right_away"] = st.config.web.apply_right_away
    return respond(request, "pair.html", data, session, page={"filter_query": _filter_query(_filter(request))})


@router.post("/pairs/{left}/{right}/decide")
async def decide(left: str, right: str, request: Request,
                 session: StewardPost) -> Response:
    st = state_of(request)
    form = await request.form()
    decision = str(form.get("decision") or "")
    if decision not in ("match", "non_match"):
        raise Conflict(N_("Unknown decision: choose match or not a match."))
    seen_version = str(form.get("version") or "")
    comment = str(form.get("comment") or "").strip()[:500] or None
    apply_now = str(form.get("apply_now") or "") in ("1", "on", "true")
    user = session.user.name
    with st.reader() as (cur, snap), st.store() as con:
        view = load_pair(cur, con, left, right, snap)
        if view is None:
            raise Conflict(N_("This pair is no longer in the published data: a new run removed it. Nothing was saved."))
        with st.web_db() as wcon:
            holder = leases.holder(wcon, view.pair_id, now())
        if holder not in (None, user):
            raise Conflict(f"{holder} is reviewing this pair right now. Nothing was saved; take the next one.",
                           {"leased_by": holder})
        if seen_version != view.version:
            raise Conflict(explain_change(seen_version, view), {"current_version": view.version})
        with store.transaction(con):
            latest = latest_decision(con, view.record_key_l, view.record_key_r)
            seen_latest = view.latest_decision["id"] if view.latest_decision else None
            if (latest["id"] if latest else None) != seen_latest:
                raise Conflict(N_("Another steward decided this pair a moment ago. Nothing was saved."))
            decision_id = store.add_pair_decision(con, view.record_key_l, view.record_key_r, decision, user, now(),
                                                  comment=comment, pair_version=view.version)
    with st.web_db() as wcon:
        leases.release(wcon, view.pair_id, user)
    apply = "disabled"
    if apply_now and st.config.web.apply_right_away:
        apply = st.apply_runner.request()
    if wants_json(request):
        return JSONResponse({"saved": decision_id, "decision": decision, "pair_id": view.pair_id,
                             "apply": apply, "message": APPLY_MESSAGES[apply]})
    msg = {"started": "decision_applying", "running": "decision_applying", "busy": "decision_busy"}.get(
        apply, "decision_saved")
    return redirect("/review/next" + _filter_query(_filter(request)), msg)


@router.post("/pairs/{left}/{right}/skip")
async def skip(left: str, right: str, request: Request,
               session: StewardPost) -> Response:
    st = state_of(request)
    pair_id = pair_id_of(left, right)
    with st.web_db() as con:
        leases.skip(con, pair_id, session.user.name, now())
    if wants_json(request):
        return JSONResponse({"skipped": pair_id})
    return redirect("/review/next", "skipped")


@router.post("/review/undo")
async def undo(request: Request, session: StewardPost) -> Response:
    """Take back this steward's latest decision and reopen that pair for them."""
    st = state_of(request)
    user = session.user.name
    with st.store() as con, store.transaction(con):
        last = store.last_pair_decision(con, user)
        undone = last is not None and store.undo_pair_decision(con, int(last["id"]), user, now())
    if not undone or last is None:
        if wants_json(request):
            return JSONResponse({"undone": None})
        return redirect("/review", "nothing_to_undo")
    party = last.get("party") or "person"
    pair_id = (ORG_PREFIX if party == "organisation" else "") + f"{last['record_key_l']}|{last['record_key_r']}"
    with st.web_db() as wcon:
        leases.claim(wcon, pair_id, user, now(), st.config.web.lease_minutes)
    url = pair_url(last["record_key_l"], last["record_key_r"], party)
    if wants_json(request):
        return JSONResponse({"undone": int(last["id"]), "pair_id": pair_id, "url": url})
    return redirect(url, "decision_undone")
