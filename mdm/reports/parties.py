"""Organisations and households in the manager's report: B2B completeness and household figures.

Both are read from `dq.metrics` like every other figure (measured by `measures.b2b_completeness`
and `measures.households`), so a base without organisations or households shows neither section.
"""

from __future__ import annotations

from typing import Any

from mdm.reports.labels import Labels

#: The three B2B shares, in the order of the table's columns.
B2B_SHARES = ("b2b_valid_siret_pct", "b2b_vat_pct", "b2b_named_contact_pct")


def b2b_rows(data: Any, lab: Labels) -> list[dict[str, str]]:
    """One row per source holding organisations, the pooled records, then golden organisations.
    `data` is a `ReportData`. Empty when no record is about an organisation."""
    scopes = [s for s in data.sources() if data.get(s, "completeness", "b2b_records") is not None]
    rows = []
    for scope in [*scopes, "all"]:
        n = data.get(scope, "completeness", "b2b_records")
        if n is None:
            continue
        label = lab("all") if scope == "all" else lab.source(scope)
        rows.append(_row(data, lab, scope, label[:1].upper() + label[1:], n))
    organisations = data.get("golden", "completeness", "organisations")
    if organisations is not None:
        rows.append(_row(data, lab, "golden", lab("golden_organisations"), organisations))
    return rows


def _row(data: Any, lab: Labels, scope: str, label: str, n: float) -> dict[str, str]:
    shares = {m: lab.fmt_pct(data.get(scope, "completeness", m)) for m in B2B_SHARES}
    return {"scope": scope, "label": label, "count": lab.fmt_number(n), **shares}


def households(data: Any, lab: Labels) -> dict[str, str] | None:
    """The household figures as formatted text, or None when no household was measured."""
    n = data.get("golden", "uniqueness", "households")
    if not n:
        return None
    return {
        "households": lab.fmt_number(n),
        "customers": lab.fmt_number(data.get("golden", "uniqueness", "customers_in_households")),
        "reachable": lab.fmt.measure(_round(data.get("golden", "uniqueness", "reachable_per_household"))),
        "several_consents": lab.fmt_number(data.get("golden", "uniqueness", "households_several_consents")),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
