"""The circuit breaker: a load whose rows collapse, whose column empties, or with new columns is held."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from expectations.breaker import (
    COLUMN_EMPTIED,
    ROW_COUNT_DROPPED,
    UNEXPECTED_COLUMNS,
    check_new_loads,
    evaluate,
)
from expectations.config import CircuitBreakerConfig
from tests.mdm.standardise.test_stage import CRM_ROW, Warehouse, make_config


@pytest.fixture
def wh(mdm_home: Path) -> Iterator[Warehouse]:
    warehouse = Warehouse(make_config(mdm_home))
    yield warehouse
    warehouse.con.close()


def rows(n: int, **overrides: object) -> dict[str, dict[str, object]]:
    return {f"crm:{i}": {**CRM_ROW, "Code": f"C{i}", **overrides} for i in range(n)}


SETTINGS = CircuitBreakerConfig()


def test_evaluate_table() -> None:
    before = {"": (100, 100), "Nom": (100, 100), "Courriel": (100, 90)}
    assert evaluate({"": (100, 100), "Nom": (100, 98), "Courriel": (100, 85)}, before, SETTINGS) == []
    shrunk = evaluate({"": (40, 40), "Nom": (40, 40), "Courriel": (40, 36)}, before, SETTINGS)
    assert [f[0] for f in shrunk] == [ROW_COUNT_DROPPED]
    emptied = evaluate({"": (100, 100), "Nom": (100, 100), "Courriel": (100, 10)}, before, SETTINGS)
    assert [(f[0], f[1]) for f in emptied] == [(COLUMN_EMPTIED, "Courriel")]
    gone = evaluate({"": (100, 100), "Nom": (100, 100)}, before, SETTINGS)
    assert [(f[0], f[1]) for f in gone] == [(COLUMN_EMPTIED, "Courriel")]
    added = evaluate({"": (100, 100), "Nom": (100, 100), "Courriel": (100, 90), "IBAN": (100, 50)}, before,
                     SETTINGS)
    assert [f[0] for f in added] == [UNEXPECTED_COLUMNS] and added[0][2]["columns"] == ["IBAN"]
    relaxed = CircuitBreakerConfig(allow_new_columns=True)
    assert evaluate({"": (100, 100), "Nom": (100, 100), "Courriel": (100, 90), "IBAN": (100, 50)}, before,
                    relaxed) == []


def test_first_load_passes_and_a_collapsed_load_is_held(wh: Warehouse) -> None:
    wh.add_load("crm", rows(100))
    first = check_new_loads(wh.ctx(), SETTINGS)
    assert [c.held for c in first] == [False]
    held_load = wh.add_load("crm", rows(30))
    ok_load = wh.add_load("salon", {"salon:1": {"N°": "1", "Nom complet": "A B"}})
    checks = {c.load_id: c for c in check_new_loads(wh.ctx(), SETTINGS)}
    assert checks[held_load].held and [f[0] for f in checks[held_load].failures] == [ROW_COUNT_DROPPED]
    assert not checks[ok_load].held  # the other source goes on
    status = dict(wh.con.execute("SELECT load_id, status FROM raw.loads").fetchall())
    assert status[held_load] == "held" and status[ok_load] == "loaded"
    stored = wh.con.execute(
        "SELECT expectation, success, blocking FROM dq.validation_results WHERE load_id = ? ORDER BY expectation",
        [held_load],
    ).fetchall()
    assert (ROW_COUNT_DROPPED, False, True) in stored
    # The next load is compared with the last ACCEPTED load (100 rows), not with the held one.
    next_load = wh.add_load("crm", rows(95))
    assert [c.held for c in check_new_loads(wh.ctx(), SETTINGS) if c.load_id == next_load] == [False]


def test_emptied_column_and_new_column_hold_the_load(wh: Warehouse) -> None:
    wh.add_load("crm", rows(50))
    check_new_loads(wh.ctx(), SETTINGS)
    emptied = wh.add_load("crm", rows(50, Courriel=""))
    widened = wh.add_load("crm", {**rows(50), "crm:x": {**CRM_ROW, "IBAN": "FR76..."}})
    checks = {c.load_id: c for c in check_new_loads(wh.ctx(), SETTINGS)}
    assert [(f[0], f[1]) for f in checks[emptied].failures] == [(COLUMN_EMPTIED, "Courriel")]
    assert [f[0] for f in checks[widened].failures] == [UNEXPECTED_COLUMNS]


def test_disabled_breaker_holds_nothing(wh: Warehouse) -> None:
    wh.add_load("crm", rows(100))
    check_new_loads(wh.ctx(), SETTINGS)
    wh.add_load("crm", rows(10))
    assert not any(c.held for c in check_new_loads(wh.ctx(), CircuitBreakerConfig(enabled=False)))


def test_a_new_file_is_an_addition_unless_the_source_is_a_snapshot(wh: Warehouse) -> None:
    wh.add_load("crm", rows(100), file="crm/export.csv")
    check_new_loads(wh.ctx(), SETTINGS)
    # For a snapshot source, every file is the whole export: a small one is a collapse...
    small = wh.add_load("crm", rows(10), file="crm/export-2.csv")
    snapshot = CircuitBreakerConfig(snapshot_sources=["crm"])
    assert [f[0] for c in check_new_loads(wh.ctx(), snapshot) if c.load_id == small for f in c.failures] == [
        ROW_COUNT_DROPPED]
    # ...whereas a small new file of an ordinary source (new subscribers this month) is an addition,
    addition = wh.add_load("crm", {"crm:new": {**CRM_ROW, "Code": "N1"}}, file="crm/december.csv")
    assert not any(c.held for c in check_new_loads(wh.ctx(), SETTINGS) if c.load_id == addition)
    # ...though a new column in it is still schema drift.
    drift = wh.add_load("crm", {"crm:new2": {**CRM_ROW, "Code": "N2", "IBAN": "FR76"}}, file="crm/jan.csv")
    assert [f[0] for c in check_new_loads(wh.ctx(), SETTINGS) if c.load_id == drift for f in c.failures] == [
        UNEXPECTED_COLUMNS]
