"""Retention config validation, calendar periods, and the documented defaults."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from warehouse.retention.config import RetentionConfig, RetentionRule, default_rules, subtract_period

DOC = Path(__file__).resolve().parents[3] / "docs" / "retention.md"


def test_calendar_periods():
    assert subtract_period(datetime(2026, 11, 23, 12), 3, "y") == datetime(2023, 11, 23, 12)
    assert subtract_period(datetime(2028, 2, 29), 1, "y") == datetime(2027, 2, 28)
    assert subtract_period(datetime(2026, 3, 31), 1, "m") == datetime(2026, 2, 28)
    assert subtract_period(datetime(2026, 1, 15), 14, "m") == datetime(2024, 11, 15)
    assert subtract_period(datetime(2026, 1, 15), 10, "d") == datetime(2026, 1, 5)


@pytest.mark.parametrize(
    "rule, message",
    [
        ({"name": "r", "category": "prospect", "trigger": "birthday", "period": "3y"}, "unknown trigger"),
        ({"name": "r", "category": "prospect", "trigger": "created_at", "period": "3 weeks"}, "must look like"),
        ({"name": "r", "category": "prospect", "trigger": "created_at"}, "exactly one of"),
        ({"name": "r", "category": "prospect", "trigger": "created_at", "period": "3y", "period_days": 9},
         "exactly one of"),
        ({"name": "r", "category": "prospect", "trigger": "created_at", "period": "3y", "action": "shred"},
         "pattern"),
    ],
)
def test_bad_rules_are_refused_with_a_clear_message(rule, message):
    with pytest.raises(ValidationError, match=message):
        RetentionRule.model_validate(rule)


def test_rules_absent_means_defaults_and_empty_means_none():
    assert [r.name for r in RetentionConfig().effective_rules()] == [r.name for r in default_rules()]
    assert RetentionConfig(rules=[]).effective_rules() == []
    with pytest.raises(ValidationError, match="repeated"):
        RetentionConfig.model_validate({"rules": [
            {"name": "a", "category": "x", "trigger": "created_at", "period": "1y"},
            {"name": "a", "category": "y", "trigger": "created_at", "period": "1y"},
        ]})


def test_every_default_rule_is_documented_with_its_period_and_category():
    text = DOC.read_text(encoding="utf-8")
    for rule in default_rules():
        amount, unit = rule.period_parts()
        years = {"y": "years"}[unit]
        row = next((line for line in text.splitlines() if line.startswith(f"| `{rule.name}` |")), None)
        assert row is not None, f"{rule.name} missing from docs/retention.md"
        assert f"`{rule.category}`" in row and f"{amount} {years}" in row and rule.action in row
