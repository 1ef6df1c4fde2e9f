"""The steward app in French and English: which language a request gets, and its templates.

- **Which language.** A steward's own choice (the language switch, kept in the `mdm_lang`
  cookie) wins; else the browser's `Accept-Language`, best q-value first; else French, the
  language of the stewards, the data and the rules.
- **Words.** Templates mark their text with `{% trans %}` / `_()` (Jinja2's i18n extension);
  Python marks the few messages it hands to pages with `N_`. `make i18n` extracts them with
  Babel into `mdm/web/locale/messages.pot`, updates `mdm/web/locale/fr/LC_MESSAGES/messages.po` and
  compiles the `.mo` beside it, which is committed (a test fails when it lags behind the `.po`,
  or when a string has no French translation). English is the msgid itself.
- **Formats.** Numbers, dates and phones go through `mdm.locale_format.LocaleFormat`, the helper
  the manager report uses too, as Jinja filters.

One Jinja environment per language, built once: the gettext functions are installed into the
environment, so a per-request switch would not be thread-safe; two environments are.
No FastAPI here: `mdm.web.deps` wires it into requests.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape

from mdm.locale_format import DEFAULT_LANGUAGE, LANGUAGES, N_, LocaleFormat
from mdm.reports.labels import Labels
from mdm.web.explain import EVIDENCE, PLACE_WORDS, WHAT, level_words

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
DOMAIN = "messages"
LANG_COOKIE = "mdm_lang"

#: Codes the app shows to people, by kind, as English msgids (translated on the page).
TERMS: dict[str, dict[str, str]] = {
    "role": {"steward": N_("steward"), "manager": N_("manager"), "admin": N_("admin")},
    "decision": {"match": N_("match"), "non_match": N_("not a match"), "review": N_("to review"),
                 "auto_match": N_("match"), "skip": N_("skipped")},
    "action": {"split": N_("split"), "merge": N_("merge"), "release": N_("release"), "discard": N_("discard")},
    "status": {"open": N_("open"), "released": N_("released"), "discarded": N_("discarded"),
               "running": N_("running"), "succeeded": N_("succeeded"), "failed": N_("failed"),
               "idle": N_("idle"), "busy": N_("waiting for the running pipeline")},
    "event": {"merge": N_("merged"), "split": N_("split"), "expire": N_("expired"), "anonymise": N_("anonymised"),
              "archive": N_("archived"), "erase": N_("erased"), "quarantine_release": N_("released from quarantine"),
              "quarantine_discard": N_("discarded from quarantine")},
    "rule": {"trust": N_("most trusted source"), "most_recent": N_("most recent"),
             "most_complete": N_("most complete record"), "most_frequent": N_("most frequent value"),
             "valid_only": N_("valid values only"), "longest": N_("longest value"),
             "formal_name": N_("full given name over a nickname"), "only_value": N_("only record with a value"),
             "unanimous": N_("every record agrees"), "tie_break": N_("tie: smallest record key")},
    "threshold": {"store": N_("stored (kept for review or statistics)"), "review": N_("sent to review"),
                  "auto_match": N_("matched automatically")},
    "search": {"name": N_("name"), "email": N_("email"), "phone": N_("phone"), "golden_id": N_("golden ID")},
}


def parse_accept_language(header: str | None) -> list[str]:
    """Primary language codes from an Accept-Language header, most wanted first ("fr-CH;q=0.9" → "fr")."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag.split("-")[0].lower()))
    return [code for _, _, code in sorted(ranked)]


def choose_language(chosen: str | None, accept_language: str | None) -> str:
    """The steward's own choice, else the browser's best supported language, else French."""
    if chosen in LANGUAGES:
        return str(chosen)
    for code in parse_accept_language(accept_language):
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of `lang`; English needs none (the msgids are English)."""
    if lang == "en":
        return gettext.NullTranslations()
    return Translations.load(str(LOCALE_DIR), [lang], DOMAIN)


def term_function(lang: str) -> Callable[[str, Any], str]:
    """`term("role", "steward")` → "gestionnaire de données": a code shown in words; unknown codes
    show as they are (with spaces for underscores) rather than breaking the page."""
    gettext_ = translations(lang).gettext

    def term(kind: str, code: Any) -> str:
        if code is None:
            return ""
        msgid = TERMS.get(kind, {}).get(str(code))
        return gettext_(msgid) if msgid else str(code).replace("_", " ")

    return term


def explanation_function(lang: str) -> Callable[[dict[str, Any]], str]:
    """The plain-words sentence of one `mdm.web.explain.Explanation` (as a dict) in `lang`."""
    gettext_ = translations(lang).gettext

    def sentence(e: dict[str, Any]) -> str:
        field = gettext_(e["field_words"])
        words = gettext_(e.get("level_words") or level_words(e["level"], e["relation"]))
        what = gettext_(WHAT[e["relation"]]) % {"field": field, "level": words}
        place = e.get("place") or {}
        if place.get("relation") in PLACE_WORDS:
            what = gettext_(WHAT["other"]) % {"field": field, "level": gettext_(PLACE_WORDS[place["relation"]]) % place}
        return gettext_(EVIDENCE[(e["strength"], e["direction"])]) % {"what": what}

    return sentence


def value_function(lang: str) -> Callable[[str, Any], str]:
    """A customer field's value as people read it: phones dialled the local way, dates in words,
    yes / no for flags, lists as "a, b", numbers in the locale's digits; anything else as stored."""
    fmt = LocaleFormat(lang)
    gettext_ = translations(lang).gettext

    def show(field: str, value: Any) -> str:
        if value is None or value == "":
            return ""
        if field == "phone":
            return fmt.phone(str(value))
        if field == "birth_date":
            return fmt.date(value)
        if field.endswith("_at"):
            return fmt.datetime(value)
        if isinstance(value, bool):
            return gettext_(N_("yes")) if value else gettext_(N_("no"))
        if isinstance(value, list | tuple):  # e.g. a version's sources: "crm, webshop", not "['crm', …]"
            return ", ".join(str(v) for v in value)
        if isinstance(value, int | float):
            return fmt.measure(value)
        return str(value)

    return show


def reason_help_function(lang: str, labels: Labels) -> Callable[[dict[str, Any]], dict[str, str]]:
    """What a quarantine reason means and how to fix it, in `lang`: the validation rule's own
    English, or the report labels' translation (`reason_meaning`, `reason_fix`), else nothing
    rather than English in a French page."""

    def help_for(detail: dict[str, Any]) -> dict[str, str]:
        if lang == "en":
            return {"meaning": detail.get("meaning") or "", "fix": detail.get("fix") or ""}
        code = detail.get("code")
        return {"meaning": labels(f"reason_meaning.{code}", default=""), "fix": labels(f"reason_fix.{code}", default="")}

    return help_for


def request_words_function(lang: str) -> Callable[[dict[str, Any]], str]:
    """A steward's split, merge or household request as a sentence: who asked for what, when, and
    what became of it (a household correction, once applied, stays in force on every run)."""
    t = translations(lang)
    fmt = LocaleFormat(lang)

    def words(a: dict[str, Any]) -> str:
        at = fmt.datetime(a.get("requested_at"))
        keys = a.get("record_keys") or []
        if a.get("action") == "apart":
            text = t.ngettext("%(user)s asked on %(at)s that customer %(one)s no longer share a household with %(num)s other",
                              "%(user)s asked on %(at)s that customer %(one)s no longer share a household with %(num)s others",
                              len(a.get("other_ids") or [])) % {
                "user": a.get("user_name"), "at": at, "one": a.get("golden_id"),
                "num": fmt.number(len(a.get("other_ids") or []))}
        elif a.get("action") == "together":
            text = t.gettext("%(user)s asked on %(at)s that customers %(one)s and %(other)s share a household") % {
                "user": a.get("user_name"), "at": at, "one": a.get("golden_id"),
                "other": ", ".join(a.get("other_ids") or [])}
        elif a.get("action") == "split":
            asked = t.ngettext("%(user)s asked on %(at)s that %(num)s record leave this customer",
                               "%(user)s asked on %(at)s that %(num)s records leave this customer", len(keys))
            text = asked % {"user": a.get("user_name"), "at": at, "num": fmt.number(len(keys))}
        else:
            text = t.gettext("%(user)s asked on %(at)s to merge customers %(one)s and %(other)s") % {
                "user": a.get("user_name"), "at": at, "one": a.get("golden_id"), "other": a.get("other_golden_id")}
        if a.get("state") == "withdrawn":
            return text + t.gettext("; withdrawn by %(user)s on %(at)s.") % {
                "user": a.get("withdrawn_by"), "at": fmt.datetime(a.get("withdrawn_at"))}
        if a.get("state") == "applied":
            return text + t.gettext("; applied by run %(run)s.") % {"run": a.get("applied_run_id")}
        return text + t.gettext("; waiting for the next run.")

    return words


#: What links the members of a household (`golden.household.linked_by`), in words.
HOUSEHOLD_LINKS: dict[str, str] = {
    "landline": N_("a landline"),
    "email": N_("a family e-mail"),
    "address_and_surname": N_("the address and surname"),
    "steward": N_("a steward's decision"),
}


@cache
def environment(lang: str) -> Environment:
    """The templates in `lang`: translations installed, locale formats as filters."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    fmt = LocaleFormat(lang)
    env.filters.update(
        number=fmt.number,
        percent=fmt.percent,
        signed=fmt.signed,
        measure=fmt.measure,
        probability=lambda p, decimals=0: fmt.percent(None if p is None else p * 100, decimals),
        date=fmt.date,
        datetime=fmt.datetime,
        phone=fmt.phone,
    )
    # A message built in Python (an error naming a user, say): translated when the catalogue has
    # it, and still escaped on output, unlike `_()`, whose result counts as template markup.
    env.filters["translate"] = translations(lang).gettext
    env.filters["household_link"] = lambda code: translations(lang).gettext(HOUSEHOLD_LINKS.get(code) or str(code))
    labels = Labels(lang)  # field names and quarantine reasons are worded once, for the report and the app
    env.globals.update(lang=lang, languages=LANGUAGES, term=term_function(lang),
                       explanation=explanation_function(lang),
                       field_label=labels.field, field_value=value_function(lang),
                       reason=lambda code: labels(f"reasons.{code}", default=str(code).replace("_", " ")),
                       reason_help=reason_help_function(lang, labels),
                       request_words=request_words_function(lang))
    return env
