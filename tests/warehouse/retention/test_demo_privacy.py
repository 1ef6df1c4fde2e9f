"""On the demo data: no e-mail or phone in the logs of a run, and an erasure leaves no byte behind."""

from __future__ import annotations

import logging

import duckdb
import pytest

from mdm.config import MdmConfig
from mdm.pipeline import run_pipeline
from warehouse.retention.compact import compact_warehouse
from warehouse.retention.erasure import erase

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("end_to_end")]


def _identifiers(config: MdmConfig) -> tuple[set[str], set[str]]:
    con = duckdb.connect(str(config.paths.warehouse), read_only=True)
    try:
        rows = con.execute("SELECT email, email_raw, phone, phone_raw FROM staging.customers").fetchall()
    finally:
        con.close()
    emails = {v for r in rows for v in r[:2] if v and "@" in v}
    phones = {v for r in rows for v in r[2:] if v and sum(ch.isdigit() for ch in v) >= 8}
    return emails, phones


def test_run_logs_carry_no_email_or_phone(small_demo: MdmConfig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    run_pipeline(small_demo, until="merge")
    emails, phones = _identifiers(small_demo)  # before expiry removes some of them
    assert len(emails) > 100 and len(phones) > 100
    summary = run_pipeline(small_demo, stages=["expire", "measure", "publish"])
    assert sum(summary.results["expire"].counts["expired"].values()) > 0  # the demo has stale prospects
    text = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    leaked = sorted(v for v in emails | phones if v in text)
    assert leaked == [], f"{len(leaked)} identifier(s) in the logs"


def test_erasure_on_demo_data_leaves_no_bytes(small_demo: MdmConfig, find_bytes) -> None:
    run_pipeline(small_demo)
    run_pipeline(small_demo)  # a second publication: a version kept for rollback
    compact_warehouse(small_demo.paths)
    con = duckdb.connect(str(small_demo.paths.warehouse), read_only=True)
    try:
        # A golden customer with several records, both identifiers, and an ASCII surname that no
        # other record carries anywhere (so finding it in a file after the erasure means a leak).
        row = con.execute(
            """
            WITH candidates AS (
                SELECT g.golden_id, g.email, g.phone, g.last_name, g.record_count
                FROM golden.customer g
                WHERE g.record_count >= 2 AND g.email IS NOT NULL AND g.phone IS NOT NULL
                  AND length(g.last_name) >= 6 AND regexp_full_match(g.last_name, '[A-Za-z]+')
            )
            SELECT c.email, c.phone, c.last_name FROM candidates c
            WHERE (SELECT count(*) FROM raw.records r WHERE contains(lower(r.payload::VARCHAR), lower(c.last_name)))
                = (SELECT count(*) FROM golden.xref x JOIN raw.records r USING (record_key)
                   WHERE x.golden_id = c.golden_id AND x.valid_to IS NULL
                     AND contains(lower(r.payload::VARCHAR), lower(c.last_name)))
            ORDER BY c.golden_id LIMIT 1
            """
        ).fetchone()
        assert row is not None
        email, phone, name = row
        raw_phones = {r[0] for r in con.execute(
            "SELECT phone_raw FROM staging.customers WHERE phone = ? AND phone_raw IS NOT NULL", [phone]
        ).fetchall()}
    finally:
        con.close()
    assert name in str(find_bytes(small_demo.paths.home, [name, name.upper()]))
    needles = [email, phone, *raw_phones, name, name.upper()]
    assert find_bytes(small_demo.paths.home, needles)
    result = erase(small_demo, "email", email)
    assert result.records >= 2
    assert find_bytes(small_demo.paths.home, needles) == []
