"""The expire stage with the CNIL defaults, on a hand-built warehouse at the frozen clock."""

from __future__ import annotations

from datetime import datetime

from mdm.privacy import fingerprint

D = datetime.fromisoformat

#: key -> (category, dates, due under the defaults?)
CASES = {
    "crm:p_old": ("prospect", {"last_contact_at": D("2023-06-01")}, True),
    "crm:p_new": ("prospect", {"last_contact_at": D("2024-01-01")}, False),
    "crm:p_created": ("prospect", {"created_at": D("2022-01-01")}, True),
    "crm:p_boundary": ("prospect", {"last_contact_at": D("2023-11-23T12:00:00")}, False),
    "crm:p_soon": ("prospect", {"last_contact_at": D("2023-12-10")}, False),
    "crm:p_nodate": ("prospect", {}, False),
    "webshop:c_end_old": ("customer", {"relationship_end_at": D("2023-01-01"), "last_order_at": D("2026-01-01")}, True),
    "webshop:c_recent": ("customer", {"last_order_at": D("2025-05-01")}, False),
    "webshop:c_order_old": ("customer", {"last_order_at": D("2023-03-01"), "last_contact_at": D("2023-04-01")}, True),
    "crm:f_old": ("former_customer", {"relationship_end_at": D("2023-10-01")}, True),
    "crm:f_new": ("former_customer", {"relationship_end_at": D("2024-10-01")}, False),
    "webshop:a_old": ("online_account", {"last_contact_at": D("2024-10-01")}, True),
    "webshop:a_new": ("online_account", {"last_contact_at": D("2025-01-01")}, False),
    "newsletter:n_old": ("newsletter_subscriber", {"created_at": D("2023-01-01")}, True),
    "newsletter:n_renewed": (
        "newsletter_subscriber", {"created_at": D("2020-01-01"), "last_contact_at": D("2025-01-01")}, False),
    "newsletter:n_new": ("newsletter_subscriber", {"created_at": D("2024-06-01")}, False),
    "crm:other_category": ("supplier", {"created_at": D("2000-01-01")}, False),
}

RULE_OF = {
    "prospect": "prospect_3y",
    "customer": "customer_3y",
    "former_customer": "former_customer_3y",
    "online_account": "online_account_2y",
    "newsletter_subscriber": "newsletter_3y",
}


def _seed(warehouse):
    for i, (key, (category, dates, _)) in enumerate(CASES.items()):
        warehouse.add(key, retention_category=category, email=f"person{i}@example.org", last_name=f"Name{i}", **dates)
    warehouse.clusters(*[[k] for k in CASES])
    warehouse.stage("merge")


def test_each_default_rule_expires_exactly_its_records(warehouse):
    _seed(warehouse)
    result = warehouse.stage("expire")

    due = {k for k, (_, _, is_due) in CASES.items() if is_due}
    kept = set(CASES) - due
    for table in ("raw.records", "staging.customers", "golden.xref", "match.clusters", "golden.lineage"):
        assert warehouse.keys(table) & due == set(), table
    assert warehouse.keys("staging.customers") == kept
    assert warehouse.keys("raw.records") == kept

    expected_per_rule = {rule: 0 for rule in RULE_OF.values()}
    for key in due:
        expected_per_rule[RULE_OF[CASES[key][0]]] += 1
    assert result.counts["expired"] == expected_per_rule
    assert result.counts["due_30_days"] == 2  # crm:p_soon, crm:p_boundary
    assert result.counts["held"] == 0
    assert result.counts["anonymised"] == 0 and result.counts["archived"] == 0
    # golden customers of expired single-record clusters are gone
    assert warehouse.scalar("SELECT count(*) FROM golden.customer") == len(kept)


def test_one_audit_row_per_expired_record_with_salted_fingerprint(warehouse):
    _seed(warehouse)
    warehouse.stage("expire")
    rows = warehouse.con.execute(
        "SELECT subject_hash, rule, count FROM audit.events WHERE kind = 'expire'"
    ).fetchall()
    due = [k for k, (_, _, is_due) in CASES.items() if is_due]
    assert sorted(r[0] for r in rows) == sorted(fingerprint(k, "test-salt") for k in due)
    assert {r[0]: r[1] for r in rows}[fingerprint("crm:p_old", "test-salt")] == "prospect_3y"
    summaries = dict(
        warehouse.con.execute("SELECT rule, count FROM audit.events WHERE kind = 'retention_run'").fetchall()
    )
    assert summaries["prospect_3y"] == 2 and summaries["online_account_2y"] == 1
    # no personal data and no clear record key in the audit
    text = str(warehouse.con.execute("SELECT * FROM audit.events").fetchall())
    assert "example.org" not in text and "p_old" not in text and "Name" not in text


def test_running_again_expires_nothing_more(warehouse):
    _seed(warehouse)
    warehouse.stage("expire")
    again = warehouse.stage("expire")
    assert sum(again.counts["expired"].values()) == 0
