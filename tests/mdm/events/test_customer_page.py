"""The steward app's customer page shows the customer's segment and timeline (real run, real app)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from mdm.web.app import create_app
from sources.keys import record_key
from tests.mdm.events.conftest import CUSTOMERS, ORDERS, EventsHome
from tests.mdm.web.web_helpers import add_user, login


def test_customer_page_shows_segment_and_timeline(events_home: Callable[..., EventsHome]) -> None:
    home = events_home()
    home.drop("crm/clients.csv", CUSTOMERS)
    home.drop("orders/orders.csv", ORDERS)
    home.run()
    anne = home.query("SELECT golden_id FROM golden.xref WHERE record_key = ? AND valid_to IS NULL",
                      [record_key("crm", ["C1"])])[0][0]
    config = home.config
    app = create_app(config)
    try:
        for lang, heading, started in (("en", "Activity and segment", "yes"),
                                       ("fr", "Activité et segment", "oui")):
            client = TestClient(app, headers={"Accept-Language": lang})
            add_user(config, f"steward_{lang}", "steward")
            assert login(client, f"steward_{lang}").status_code == 303
            # Two buyers with two orders each: Anne bought last and spent the most, but is not yet
            # more frequent than Paul: recency 5, frequency 1, the "promising" rule names her.
            page = client.get(f"/customers/{anne}")
            assert page.status_code == 200
            assert heading in page.text and 'data-segment="promising"' in page.text
            assert page.text.count('<tr><td data-label') >= 2 and f">{started}</td>" in page.text
            data = client.get(f"/customers/{anne}.json").json()
            activity = data["activity"]
            assert activity["summary"]["segment"] == "promising" and activity["summary"]["order_count"] == 2
            assert [e["amount"] for e in activity["events"]] == [1234.0, 120.5]  # latest first
            client.close()
    finally:
        app.state.mdm.published.close()
