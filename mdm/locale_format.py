"""Numbers, percentages, dates and phone numbers written for a person reading French or English.

One helper for every screen people read: the steward web app (as Jinja filters) and the manager
report both format through `LocaleFormat`, so "2 854", "34,2 %" and "6 déc. 2026 21:20" look the
same everywhere. The formats are Babel's (CLDR), not hand-made: a French reader gets narrow
no-break spaces between thousands and a comma before decimals, as French typography wants.

English uses British formats ("6 Dec 2026 21:20", 24-hour clock): the team works in Europe, and a
US "Dec 6, 2026 9:20 PM" beside French data reads oddly. Times are shown as stored (UTC).
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import phonenumbers
from babel import Locale
from babel.dates import format_date, format_skeleton, format_time
from babel.numbers import format_decimal, format_percent

#: The languages of the app and the report, French first: the stewards, the data and the rules
#: (CNIL) are French, so French is also what a browser asking for neither language gets.
LANGUAGES: tuple[str, ...] = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
#: The Babel locale behind each language (its region also decides which phones are "national").
BABEL_LOCALES: dict[str, str] = {"fr": "fr_FR", "en": "en_GB"}
MISSING = "–"


@cache
def _locale(lang: str) -> Locale:
    if lang not in BABEL_LOCALES:
        raise ValueError(f"unknown language {lang!r}; choose one of {list(LANGUAGES)}")
    return Locale.parse(BABEL_LOCALES[lang])


def _as_datetime(value: dt.datetime | dt.date | str) -> dt.datetime | dt.date:
    """JSON twins carry ISO strings; pages format the same values as the database's datetimes."""
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value


class LocaleFormat:
    """Formats values for one language: `LocaleFormat("fr").number(2854) == "2\u202f854"`."""

    def __init__(self, lang: str):
        self.lang = lang
        self.locale = _locale(lang)

    def number(self, value: float | None, decimals: int = 0) -> str:
        """A count or measure with the locale's grouping and decimal signs; `–` when unknown."""
        if value is None:
            return MISSING
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return format_decimal(value, format=pattern, locale=self.locale)

    def measure(self, value: float | None) -> str:
        """A figure of any kind (a count, a ratio): up to two decimals, none when it is whole."""
        if value is None:
            return MISSING
        return format_decimal(value, format="#,##0.##", locale=self.locale)

    def signed(self, value: float | None, decimals: int = 1) -> str:
        """A change or a weight with its sign always shown: "+9,8", "−2,1", "±0,0" (a true minus)."""
        if value is None:
            return ""
        sign = "+" if value > 0 else ("−" if value < 0 else "±")
        return sign + self.number(abs(value), decimals)

    def percent(self, value: float | None, decimals: int = 0) -> str:
        """`value` is already in percent (34.2 → "34,2 %" / "34.2%"), as the metrics store it."""
        if value is None:
            return MISSING
        pattern = self.locale.percent_formats[None].pattern
        if decimals:
            pattern = pattern.replace("0", "0." + "0" * decimals, 1)
        return format_percent(value / 100.0, format=pattern, locale=self.locale)

    def date(self, value: dt.datetime | dt.date | str | None) -> str:
        """A day ("6 déc. 2026" / "6 Dec 2026")."""
        if value is None or value == "":
            return MISSING
        return format_date(_as_datetime(value), "medium", locale=self.locale)

    def day(self, value: dt.datetime | dt.date | str | None) -> str:
        """A day without its year, for a chart's axis ("23 nov." / "23 Nov")."""
        if value is None or value == "":
            return MISSING
        return format_skeleton("MMMd", _as_datetime(value), locale=self.locale)

    def datetime(self, value: dt.datetime | dt.date | str | None) -> str:
        """A moment to the minute ("6 déc. 2026 21:20"): seconds and microseconds mean nothing to
        a reader; a plain date is shown as a date."""
        if value is None or value == "":
            return MISSING
        moment = _as_datetime(value)
        if not isinstance(moment, dt.datetime):
            return self.date(moment)
        return f"{self.date(moment)} {format_time(moment, 'short', locale=self.locale)}"

    def phone(self, value: str | None) -> str:
        """An E.164 phone as people dial it: national format when it belongs to the reader's
        country ("06 41 71 41 72" for a French steward), international otherwise
        ("+33 6 41 71 41 72"). A value that is not a phone number is shown as stored."""
        if not value:
            return ""
        try:
            parsed = phonenumbers.parse(value, self.locale.territory)
        except phonenumbers.NumberParseException:
            return value
        if not phonenumbers.is_possible_number(parsed):
            return value
        region = phonenumbers.region_code_for_number(parsed)
        style = (
            phonenumbers.PhoneNumberFormat.NATIONAL
            if region == self.locale.territory
            else phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
        return phonenumbers.format_number(parsed, style)


def N_(message: str) -> str:
    """Marks `message` for extraction into the translation catalogues (`make i18n`) without
    translating it here: it is translated where it is shown, in the reader's language."""
    return message
