"""A small warehouse with known rows, so every metric can be checked by hand.

Clock: 2026-11-23 12:00 (the suite's frozen now). Current run: `run-3`.

staging.customers (7 records)
  crm:1  email valid, phone valid, postcode, city          -> golden g1
  crm:2  email invalid, phone missing, issue email_syntax   -> golden g2
  crm:3  email valid, phone invalid, issue phone_invalid    -> golden g3
  crm:4  email missing, phone valid                         -> golden g3 (duplicate of crm:3)
  salon:1 prospect, phone missing, last contact 2023-11-01  -> g4 (overdue under prospect_3y)
  salon:2 prospect, phone valid,  last contact 2023-12-10   -> g1 (due within 30 days)
  salon:3 prospect, phone missing, last contact 2025-01-01  -> g5
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import duckdb
import pytest

from mdm.config import MdmConfig
from warehouse.schema import apply_schema

NOW = datetime(2026, 11, 23, 12, 0, 0)
RUN_ID = "run-3"

STAGING_COLS = (
    "record_key, source, load_id, trust_rank, retention_category, first_name, last_name, "
    "email, email_status, phone, phone_status, postcode, city, country, birth_date_status, company, "
    "last_contact_at, issues, standardised_at"
)
STAGING_ROWS = [
    (
        "crm:1",
        "crm",
        "L1",
        1,
        "customer",
        "Alice",
        "Martin",
        "alice.martin@example.org",
        "valid",
        "+33612345678",
        "valid",
        "75001",
        "Paris",
        "FR",
        "missing",
        None,
        "2026-10-01",
        [],
        NOW,
    ),
    (
        "crm:2",
        "crm",
        "L1",
        1,
        "customer",
        "Bruno",
        "Petit",
        None,
        "invalid",
        None,
        "missing",
        "69002",
        None,
        "FR",
        "missing",
        None,
        "2026-06-01",
        ["email_syntax"],
        NOW,
    ),
    (
        "crm:3",
        "crm",
        "L1",
        1,
        "customer",
        "Chloe",
        "Durand",
        "chloe.durand@example.org",
        "valid",
        None,
        "invalid",
        None,
        None,
        "FR",
        "missing",
        None,
        "2024-01-01",
        ["phone_invalid"],
        NOW,
    ),
    (
        "crm:4",
        "crm",
        "L1",
        1,
        "customer",
        "Chloe",
        "Durand",
        None,
        "missing",
        "+33698765432",
        "valid",
        None,
        "Lyon",
        "FR",
        "missing",
        None,
        "2020-01-01",
        None,
        NOW,
    ),
    (
        "salon:1",
        "salon",
        "L2",
        3,
        "prospect",
        "Denis",
        "Moreau",
        "denis.moreau@example.org",
        "valid",
        None,
        "missing",
        "13001",
        "Marseille",
        "FR",
        "missing",
        "ACME",
        "2023-11-01",
        [],
        NOW,
    ),
    (
        "salon:2",
        "salon",
        "L2",
        3,
        "prospect",
        "Alice",
        "Martin",
        "alice.martin@example.org",
        "valid",
        "+33612345678",
        "valid",
        "75001",
        "Paris",
        "FR",
        "missing",
        "Globex",
        "2023-12-10",
        [],
        NOW,
    ),
    (
        "salon:3",
        "salon",
        "L2",
        3,
        "prospect",
        "Emma",
        "Leroy",
        None,
        "missing",
        None,
        "missing",
        "33000",
        "Bordeaux",
        "FR",
        "missing",
        None,
        "2025-01-01",
        [],
        NOW,
    ),
]

GOLDEN_COLS = (
    "golden_id, first_name, last_name, email, phone, postcode, city, country, company, "
    "record_count, sources, first_seen_at, last_activity_at, updated_at"
)
GOLDEN_ROWS = [
    (
        "g1",
        "Alice",
        "Martin",
        "alice.martin@example.org",
        "+33612345678",
        "75001",
        "Paris",
        "FR",
        "Globex",
        2,
        ["crm", "salon"],
        NOW,
        "2026-10-01",
        NOW,
    ),
    ("g2", "Bruno", "Petit", None, None, "69002", None, "FR", None, 1, ["crm"], NOW, "2026-06-01", NOW),
    (
        "g3",
        "Chloe",
        "Durand",
        "chloe.durand@example.org",
        "+33698765432",
        None,
        "Lyon",
        "FR",
        None,
        2,
        ["crm"],
        NOW,
        "2024-01-01",
        NOW,
    ),
    (
        "g4",
        "Denis",
        "Moreau",
        "denis.moreau@example.org",
        None,
        "13001",
        "Marseille",
        "FR",
        "ACME",
        1,
        ["salon"],
        NOW,
        "2023-11-01",
        NOW,
    ),
    ("g5", "Emma", "Leroy", None, None, "33000", "Bordeaux", "FR", None, 1, ["salon"], NOW, None, NOW),
]

XREF_ROWS = [
    ("crm:1", "crm", "g1", "2026-11-01", None),
    ("salon:2", "salon", "g1", "2026-11-01", None),
    ("crm:2", "crm", "g2", "2026-11-01", None),
    ("crm:3", "crm", "g3", "2026-11-01", None),
    ("crm:4", "crm", "g3", "2026-11-01", None),
    ("salon:1", "salon", "g4", "2026-11-01", None),
    ("salon:3", "salon", "g5", "2026-11-01", None),
    ("salon:3", "salon", "g9", "2026-10-01", "2026-11-01"),  # closed: must not count
]

PERSON_STRINGS = (
    "Alice",
    "Martin",
    "Bruno",
    "Petit",
    "Chloe",
    "Durand",
    "Denis",
    "Moreau",
    "Emma",
    "Leroy",
    "alice.martin@example.org",
    "chloe.durand@example.org",
    "+33612345678",
)


def fill_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    apply_schema(con)
    con.executemany(
        f"INSERT INTO staging.customers ({STAGING_COLS}) VALUES "
        f"({', '.join('?' for _ in STAGING_COLS.split(','))})",
        STAGING_ROWS,
    )
    con.executemany(
        f"INSERT INTO golden.customer ({GOLDEN_COLS}) VALUES "
        f"({', '.join('?' for _ in GOLDEN_COLS.split(','))})",
        GOLDEN_ROWS,
    )
    con.executemany(
        "INSERT INTO golden.xref (record_key, source, golden_id, valid_from, valid_to) VALUES (?, ?, ?, ?, ?)",
        XREF_ROWS,
    )
    con.executemany(
        "INSERT INTO quarantine.rows (record_key, source, load_id, run_id, reasons, status, quarantined_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            ("crm:9", "crm", "L1", RUN_ID, ["email_or_phone_required"], "open", NOW),
            ("salon:8", "salon", "L2", "run-2", ["email_or_phone_required", "name_required"], "open", NOW),
            ("salon:9", "salon", "L2", "run-2", ["name_required"], "released", NOW),
        ],
    )
    con.executemany(
        "INSERT INTO raw.loads (load_id, run_id, source, status, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?)",
        [
            ("L0", "run-1", "crm", "loaded", "2026-11-10 12:00", "2026-11-10 12:00"),
            ("L1", "run-2", "crm", "loaded", "2026-11-20 11:00", "2026-11-20 12:00"),
            ("L2", "run-1", "salon", "loaded", "2026-11-13 12:00", "2026-11-13 12:00"),
            ("L3", RUN_ID, "salon", "failed", "2026-11-23 11:00", None),
        ],
    )
    con.executemany(
        'INSERT INTO audit.events (event_id, run_id, "at", kind, rule, count) VALUES (?, ?, ?, ?, ?, ?)',
        [
            ("e1", RUN_ID, NOW, "merge", None, 2),
            ("e2", RUN_ID, NOW, "merge", None, 3),
            ("e3", RUN_ID, NOW, "split", None, 1),
            ("e4", RUN_ID, NOW, "expire", "prospect_3y", 5),
            ("e5", RUN_ID, NOW, "anonymise", "x", 2),
            ("e6", "run-2", NOW, "merge", None, 1),
        ],
    )
    con.executemany(
        "INSERT INTO ops.runs (run_id, started_at, status) VALUES (?, ?, ?)",
        [
            ("run-1", "2026-11-13 12:00", "succeeded"),
            ("run-2", "2026-11-20 12:00", "succeeded"),
            (RUN_ID, NOW, "running"),
        ],
    )
    con.executemany(
        "INSERT INTO match.pairs (run_id, record_key_l, record_key_r, match_weight, match_probability, decision) "
        "VALUES (?, ?, ?, 0, 0.5, ?)",
        [
            ("run-1", "crm:1", "crm:2", "review"),  # 10 days old
            ("run-2", "crm:2", "salon:3", "review"),  # 3 days old
            (RUN_ID, "crm:3", "salon:1", "review"),  # 0 days old
            (RUN_ID, "crm:1", "salon:2", "auto_match"),
            ("run-2", "crm:3", "crm:4", "steward_match"),
        ],
    )
    con.executemany(
        "INSERT INTO match.decisions (record_key_l, record_key_r, decision, decided_by, decided_at) "
        "VALUES (?, ?, ?, ?, ?)",
        [
            ("crm:3", "crm:4", "match", "steward1", "2026-11-22 09:00"),  # this run
            ("crm:1", "crm:3", "non_match", "steward1", "2026-11-01 09:00"),  # earlier
            ("crm:1", "salon:2", "match", "model", "2026-11-23 12:00"),
        ],
    )
    con.executemany(
        "INSERT INTO dq.validation_results (run_id, source, suite, expectation, column_name, severity, success, "
        "element_count, unexpected_count, validated_at) VALUES (?, ?, 'suite', ?, ?, 'error', ?, ?, ?, ?)",
        [
            (RUN_ID, "crm", "email_or_phone_required", None, False, 5, 1, NOW),
            (RUN_ID, "salon", "name_required", "last_name", True, 4, 0, NOW),
            ("run-2", "salon", "name_required", "last_name", False, 4, 4, NOW),
        ],
    )


@pytest.fixture
def dq_con() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    fill_warehouse(con)
    yield con
    con.close()


def measured_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    """The known warehouse measured three times (run-1, run-2, run-3), so trends have points."""
    from datetime import timedelta

    from mdm.config import BUNDLED_DEMO_CONFIG, load_config
    from mdm.reports import metrics

    fill_warehouse(con)
    config = load_config(BUNDLED_DEMO_CONFIG)
    metrics.compute_and_store(con, metrics.measure_input(config, "run-1", NOW - timedelta(days=10)))
    con.execute(
        "UPDATE staging.customers SET phone = NULL, phone_status = 'missing' WHERE record_key = 'crm:4'"
    )
    metrics.compute_and_store(con, metrics.measure_input(config, "run-2", NOW - timedelta(days=3)))
    con.execute(
        "UPDATE staging.customers SET phone = '+33698765432', phone_status = 'valid' WHERE record_key = 'crm:4'"
    )
    metrics.compute_and_store(con, metrics.measure_input(config, RUN_ID, NOW))


@pytest.fixture(scope="module")
def published_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to a file holding the measured warehouse (as the published copy does).

    Module-scoped (building it takes about a second); the tests only read it.
    """
    path = (
        tmp_path_factory.mktemp("published") / "published.duckdb"
    )  # not golden.duckdb: catalog "golden" would clash with schema "golden"
    writer = duckdb.connect(str(path))
    measured_warehouse(writer)
    writer.close()
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


@pytest.fixture
def published_home(demo_config: MdmConfig) -> MdmConfig:
    """The demo config whose $MDM_HOME holds a published file with the measured warehouse."""
    import os

    built = demo_config.paths.published_dir / "building.duckdb"  # not golden.duckdb while writing:
    writer = duckdb.connect(str(built))  # its catalog "golden" would clash with schema "golden"
    measured_warehouse(writer)
    writer.close()
    os.replace(built, demo_config.paths.published)
    return demo_config
