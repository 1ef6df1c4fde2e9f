"""The GX suites on a clean and a dirty frame: both outcomes asserted, failing keys named."""

from __future__ import annotations

import pandas as pd
import pytest

from expectations.run import Validator, validation_frame
from expectations.suites import CANONICAL_RULES, ERROR, all_reason_codes, source_rules, suites_for
from mdm.config import BUNDLED_DEMO_CONFIG, load_config

pytestmark = pytest.mark.slow  # importing Great Expectations takes seconds

CLEAN = {
    "record_key": "crm:clean", "first_name": "Jean", "last_name": "Dupont", "email": "jean@example.fr",
    "email_status": "valid", "email_suggestion": None, "phone": "+33612345678", "phone_status": "valid",
    "postcode": "75001", "city": "Paris", "country": "FR", "birth_date_status": "valid",
    "last_contact_at": pd.Timestamp("2025-01-01"), "issues": [],
}


def frame(*rows: dict[str, object]) -> pd.DataFrame:
    return pd.DataFrame([{**CLEAN, **row} for row in rows])


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()


@pytest.fixture(scope="module")
def crm_suites() -> list:
    config = load_config(BUNDLED_DEMO_CONFIG)
    return suites_for(config.source("crm"), config)


def test_clean_frame_passes(validator: Validator, crm_suites: list) -> None:
    report = validator.validate("crm", validation_frame(frame({}, {"record_key": "crm:clean2"})), crm_suites)
    assert report.success
    assert report.failures().empty
    assert {o.reason for o in report.outcomes} >= {r.reason for r in CANONICAL_RULES}
    assert all(o.element_count == 2 for o in report.outcomes)


def test_dirty_frame_fails_with_reasons_and_keys(validator: Validator) -> None:
    config = load_config(BUNDLED_DEMO_CONFIG)
    dirty = frame(
        {"record_key": "k:ok"},
        # No channel at all: email invalid, no phone, no postcode/city.
        {"record_key": "k:nochannel", "email": None, "email_status": "invalid", "phone": None,
         "phone_status": "missing", "postcode": None, "city": None},
        # Nobody: no name, no email, but a phone.
        {"record_key": "k:nobody", "first_name": None, "last_name": None, "email": None, "email_status": "missing"},
        {"record_key": "k:birth", "birth_date_status": "invalid"},
        # Postal address only is a channel; phone invalid is only a warning.
        {"record_key": "k:postal", "email": None, "email_status": "missing", "phone": None,
         "phone_status": "invalid"},
        {"record_key": "k:typo", "email_suggestion": "jean@gmail.com"},
    )
    report = validator.validate("demo_dirty", validation_frame(dirty), suites_for(config.source("crm"), config))
    assert not report.success
    failures = dict(zip(report.failures()["record_key"], report.failures()["reasons"], strict=True))
    assert failures == {
        "k:nochannel": ["no_contact_channel", "email_invalid"],
        "k:nobody": ["not_identifiable"],
        "k:birth": ["birth_date_implausible"],
    }
    warnings = {o.reason: o.unexpected_count for o in report.outcomes if o.severity != ERROR}
    assert warnings["phone_invalid"] == 1 and warnings["email_domain_typo"] == 1


def test_source_rules_from_config(validator: Validator) -> None:
    config = load_config(BUNDLED_DEMO_CONFIG)
    newsletter = config.source("newsletter")
    reasons = {r.reason: r for r in source_rules(newsletter, config)}
    assert reasons["email_required"].blocking  # the newsletter is keyed on the email
    assert "opt_in_unreadable" in reasons
    rows = frame({"record_key": "n:1", "email": None, "email_status": "missing", "opt_in_check": "ok"},
                 {"record_key": "n:2", "opt_in_check": "ok"})
    report = validator.validate("newsletter", validation_frame(rows), suites_for(newsletter, config))
    assert dict(zip(report.failures()["record_key"], report.failures()["reasons"], strict=True)) == {
        "n:1": ["email_required"]}


def test_a_mapped_national_id_that_is_no_identifier_is_a_warning(validator: Validator) -> None:
    config = load_config(BUNDLED_DEMO_CONFIG)
    crm = config.source("crm")
    assert "national_id_invalid" not in {r.reason for r in source_rules(crm, config)}     # not mapped
    mapped = crm.model_copy(update={"mapping": {**crm.mapping, "national_id": "numero_secu"}})
    rows = frame({"record_key": "crm:ok", "national_id": "1800375115042"},
                 {"record_key": "crm:placeholder", "national_id": None, "issues": ["national_id_invalid"]},
                 {"record_key": "crm:none", "national_id": None})
    report = validator.validate("crm", validation_frame(rows), suites_for(mapped, config))
    assert report.success                                     # a warning: the records are kept
    outcome = next(o for o in report.outcomes if o.reason == "national_id_invalid")
    assert outcome.severity != ERROR and outcome.unexpected_count == 1


def test_every_reason_code_is_documented() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "validation.md").read_text(encoding="utf-8")
    for code in all_reason_codes(load_config(BUNDLED_DEMO_CONFIG)):
        assert f"`{code}`" in doc, f"reason code {code} missing from docs/validation.md"
