"""The one formatting helper of the app and the report: what a French and an English reader see."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from mdm.locale_format import LocaleFormat

NNBSP = "\u202f"  # CLDR's French thousands separator (narrow no-break space)
NBSP = "\u00a0"


def test_french_reader() -> None:
    fr = LocaleFormat("fr")
    assert fr.number(2854) == f"2{NNBSP}854"
    assert fr.number(1234567.891, 1) == f"1{NNBSP}234{NNBSP}567,9"
    assert fr.percent(34.2, 1) == f"34,2{NBSP}%"
    assert fr.percent(67) == f"67{NBSP}%"
    assert (fr.measure(2854.0), fr.measure(0.8333)) == (f"2{NNBSP}854", "0,83")
    assert (fr.signed(9.83), fr.signed(-2.1), fr.signed(0.0)) == ("+9,8", "−2,1", "±0,0")
    assert fr.datetime(datetime(2026, 12, 6, 21, 20, 5, 123456)) == "6 déc. 2026 21:20"
    assert fr.datetime("2026-12-06T21:20:05.123456") == "6 déc. 2026 21:20"  # as a JSON twin carries it
    assert fr.date(date(2026, 1, 15)) == "15 janv. 2026"
    assert (fr.day(date(2026, 11, 23)), LocaleFormat("en").day(date(2026, 11, 23))) == ("23 nov.", "23 Nov")
    assert fr.phone("+33641714172") == "06 41 71 41 72"
    assert fr.phone("+447911123456") == "+44 7911 123456"  # not French: dialled from France as is


def test_english_reader() -> None:
    en = LocaleFormat("en")
    assert en.number(2854) == "2,854"
    assert en.percent(34.2, 1) == "34.2%"
    assert en.datetime(datetime(2026, 12, 6, 21, 20, 5)) == "6 Dec 2026 21:20"
    assert en.phone("+33641714172") == "+33 6 41 71 41 72"


def test_missing_and_odd_values() -> None:
    fr = LocaleFormat("fr")
    assert fr.number(None) == fr.percent(None) == fr.datetime(None) == "–"
    assert fr.phone(None) == ""
    assert fr.phone("not a phone") == "not a phone"
    assert fr.datetime(date(2026, 12, 6)) == "6 déc. 2026"
    with pytest.raises(ValueError, match="unknown language"):
        LocaleFormat("de")
