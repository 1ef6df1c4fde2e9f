"""The manager's report: segment sizes and their trend, completeness per segment, contactability."""

from __future__ import annotations

import re
from collections.abc import Callable

import duckdb
import pytest

from mdm.reports.render import render_report
from tests.mdm.events.conftest import CUSTOMERS, ORDERS, EventsHome


def _text(html: str, section: str) -> str:
    start = html.index(f'id="{section}"')
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html[start:html.index("</section>", start)]))


def test_report_shows_segments_their_trend_and_contactability(
    events_home: Callable[..., EventsHome], monkeypatch: pytest.MonkeyPatch
) -> None:
    home = events_home()
    home.drop("crm/clients.csv", CUSTOMERS)
    home.drop("orders/orders.csv", ORDERS)
    home.run()
    # Léa (C3, a prospect) buys: one prospect fewer, one new customer more on the next run.
    monkeypatch.setenv("MDM_NOW", "2026-11-24T12:00:00")  # the next night
    home.drop("orders/more.csv", "order_no,client,mail,date,montant,devise,type\nO20,C3,,2026-11-20,\"9,00\",EUR,Commande\n")
    home.run()
    con = duckdb.connect(str(home.home / "published" / "mdm.duckdb"), read_only=True)
    try:
        sizes = dict(con.execute(
            "SELECT segment, customers FROM dq.segment_sizes WHERE run_id = (SELECT run_id FROM ops.publication)"
        ).fetchall())
        html = render_report(con, "en")
        french = render_report(con, "fr")
    finally:
        con.close()
    assert sizes["prospects"] == 2 and sizes["new"] == 1
    section = _text(html, "segments")
    # Prospects: 3 then 2 (a true minus); half of them lack a phone, none has an address.
    assert "Prospects (never bought) 2 \u22121 3 → 2 50% 0% 100%" in section, section
    # Buyers now: Léa (one order this week: new), Paul (bought twice, not since June: at risk), Anne
    # (recency and frequency in the middle of three buyers: no rule names her: others).
    assert "New customers 1 1 100% 0% 100%" in section and "At risk 1 1 0% 0% 100%" in section, section
    assert "Others 1 1 0% 0% 100%" in section, section
    # Customers that matter: Paul and Léa; both have an e-mail, only Paul a phone, no postal address.
    assert "The 2 customers that matter (at risk, champions, loyal, new customers, promising): 100% reachable " \
           "by e-mail (valid address, consent not refused), 50% by phone, 0% by post." in section, section
    assert "Segments de clientèle" in french and "clients qui comptent" in french
