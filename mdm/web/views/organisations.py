"""Organisations: the list and search, an organisation's page, and organisation pairs of the review
queue with their decisions (match / not a match), stored like person decisions with the party
`organisation` and applied by the `organisations` stage of the next run.

Thin: the read models are `mdm.party_view`'s; the pair's plain words, diffs, waterfall and
version fingerprint are the person pair page's (`mdm.web.pairs`, `mdm.web.explain`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from mdm import party_view
from mdm.clock import now
from mdm.locale_format import N_
from mdm.stewardship import store
from mdm.web import leases
from mdm.web.customers import jsonable
from mdm.web.deps import Conflict, StewardPost, StewardSession, redirect, respond, state_of, wants_json
from mdm.web.diffs import diff_records
from mdm.web.explain import explain, waterfall
from mdm.web.pairs import PairView, explain_change, latest_decision, pair_version
from mdm.web.queue import ORG_PREFIX

router = APIRouter()


@router.get("/organisations")
def organisations(request: Request, session: StewardSession) -> Response:
    st = state_of(request)
    q = (request.query_params.get("q") or "").strip()[:200]
    with st.reader() as (cur, _):
        data = jsonable(party_view.find_organisations(cur, q, limit=st.config.web.page_size))
    return respond(request, "organisations.html", data, session)


@router.get("/organisations/{organisation_id}")
def organisation(organisation_id: str, request: Request, session: StewardSession) -> Response:
    st = state_of(request)
    with st.reader() as (cur, _):
        data = party_view.organisation(cur, organisation_id)
    if data is None:
        return respond(request, "error.html", {"error": N_("No organisation with this ID."), "status": 404}, session,
                       status_code=404)
    for d in data["decisions"]:
        d["url"] = f"/organisations/pairs/{d['record_key_l']}/{d['record_key_r']}"
    return respond(request, "organisation.html", jsonable(data), session)


def _load(request: Request, left: str, right: str) -> tuple[PairView, dict[str, Any]] | None:
    """The organisation pair as a `PairView` (so its version fingerprint is the person pair's)."""
    st = state_of(request)
    with st.reader() as (cur, _):
        pair = party_view.organisation_pair(cur, left, right)
    if pair is None:
        return None
    records = jsonable(pair["records"])
    with st.store() as con:
        latest = latest_decision(con, pair["record_key_l"], pair["record_key_r"], party="organisation")
    view = PairView(
        record_key_l=pair["record_key_l"], record_key_r=pair["record_key_r"],
        match_probability=pair["match_probability"], match_weight=pair["match_weight"],
        model_decision=pair["decision"], records=records, golden_ids=pair["organisation_ids"],
        diffs=diff_records(records, party_view.ORGANISATION_FIELDS), explanations=explain(pair["contributions"]),
        latest_decision=latest,
    )
    view.version = pair_version(view, pair["contributions"])
    view.extra["waterfall"] = waterfall(view.match_weight, pair["contributions"],
                                        [e.comparison for e in view.explanations]).as_dict()
    return view, pair


@router.get("/organisations/pairs/{left}/{right}")
def organisation_pair(left: str, right: str, request: Request, session: StewardSession) -> Response:
    st = state_of(request)
    loaded = _load(request, left, right)
    if loaded is None:
        return respond(request, "error.html", {"error": N_("This pair is not in the published data (any more)."),
                                               "status": 404}, session, status_code=404)
    view, pair = loaded
    with st.web_db() as wcon:
        holder = leases.claim(wcon, ORG_PREFIX + view.pair_id, session.user.name, now(), st.config.web.lease_minutes)
    data = view.as_dict()
    data["party"] = "organisation"
    data["organisation_ids"] = pair["organisation_ids"]
    data["same_organisation"] = bool(pair["organisation_ids"][0]) and (
        pair["organisation_ids"][0] == pair["organisation_ids"][1])
    data["leased_by"] = holder
    data["can_decide"] = holder in (None, session.user.name) and not data["same_organisation"]
    return respond(request, "organisation_pair.html", jsonable(data), session)


@router.post("/organisations/pairs/{left}/{right}/decide")
async def decide(left: str, right: str, request: Request, session: StewardPost) -> Response:
    """Match / not a match on an organisation pair: the checks of the person pair (lease, version,
    another steward's decision), saved with the party `organisation`."""
    st = state_of(request)
    form = await request.form()
    decision = str(form.get("decision") or "")
    if decision not in ("match", "non_match"):
        raise Conflict(N_("Unknown decision: choose match or not a match."))
    comment = str(form.get("comment") or "").strip()[:500] or None
    user = session.user.name
    loaded = _load(request, left, right)
    if loaded is None:
        raise Conflict(N_("This pair is no longer in the published data: a new run removed it. Nothing was saved."))
    view, _ = loaded
    pair_id = ORG_PREFIX + view.pair_id
    with st.web_db() as wcon:
        holder = leases.holder(wcon, pair_id, now())
    if holder not in (None, user):
        raise Conflict(f"{holder} is reviewing this pair right now. Nothing was saved; take the next one.",
                       {"leased_by": holder})
    if str(form.get("version") or "") != view.version:
        raise Conflict(explain_change(str(form.get("version") or ""), view), {"current_version": view.version})
    with st.store() as con, store.transaction(con):
        latest = latest_decision(con, view.record_key_l, view.record_key_r, party="organisation")
        if (latest["id"] if latest else None) != (view.latest_decision["id"] if view.latest_decision else None):
            raise Conflict(N_("Another steward decided this pair a moment ago. Nothing was saved."))
        decision_id = store.add_pair_decision(con, view.record_key_l, view.record_key_r, decision, user, now(),
                                              comment=comment, pair_version=view.version, party="organisation")
    with st.web_db() as wcon:
        leases.release(wcon, pair_id, user)
    if wants_json(request):
        return JSONResponse({"saved": decision_id, "decision": decision, "pair_id": pair_id, "party": "organisation"})
    return redirect("/review/next", "decision_saved")
