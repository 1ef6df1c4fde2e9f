"""The steward app in French and English: every string translated, the language negotiated and
switched, and values formatted for the reader's locale (tested on the real app and catalogue)."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from mdm.web.i18n import LOCALE_DIR, choose_language, parse_accept_language

ROOT = Path(__file__).resolve().parents[3]
PO = LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
NBSP = "\u00a0"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _extracted() -> dict[str, str]:
    """Every message the templates and Python mark, extracted as `make i18n` does: msgid -> place."""
    with open(ROOT / "mdm" / "web" / "babel.cfg") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(str(ROOT), method_map, options_map):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found[msgid] = f"{filename}:{lineno}"
    return found


def _french() -> dict[str, tuple[str, ...]]:
    with open(PO, "rb") as fh:
        catalog = read_po(fh, locale="fr")
    out: dict[str, tuple[str, ...]] = {}
    for m in catalog:
        if not m.id or m.fuzzy:
            continue
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        for msgid in m.id if isinstance(m.id, tuple) else (m.id,):
            out[msgid] = tuple(strings)
    return out


def test_every_string_has_a_french_translation() -> None:
    extracted, french = _extracted(), _french()
    assert len(extracted) > 200  # the extraction really read the templates
    untranslated = sorted(f"{place}: {msgid!r}" for msgid, place in extracted.items()
                          if not all(french.get(msgid, ("",))))
    assert not untranslated, "no French for:\n" + "\n".join(untranslated) + "\n(run `make i18n` and translate)"


def test_translations_keep_their_placeholders() -> None:
    for msgid, strings in _french().items():
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) <= set(PLACEHOLDER.findall(msgid)) | {"num"}, (msgid, text)
            if "%(" not in msgid and "%(" not in text:
                continue
            assert set(PLACEHOLDER.findall(msgid)) - {"num"} <= set(PLACEHOLDER.findall(text)), (msgid, text)


def test_the_committed_mo_is_the_compiled_po() -> None:
    with open(PO, "rb") as fh:
        catalog = read_po(fh, locale="fr")
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    assert MO.read_bytes() == compiled.getvalue(), "mdm/web/locale/fr/.../messages.mo is stale: run `make i18n`"


def test_language_negotiation() -> None:
    assert parse_accept_language("en-GB,en;q=0.9,fr;q=0.8") == ["en", "en", "fr"]
    assert parse_accept_language("de;q=0.5, fr-CH") == ["fr", "de"]
    assert choose_language(None, "en-GB,en;q=0.9") == "en"
    assert choose_language(None, "de-DE,de;q=0.9,en;q=0.5") == "en"
    assert choose_language(None, "de-DE") == "fr"           # neither: French, the stewards' language
    assert choose_language(None, None) == "fr"
    assert choose_language("en", "fr-FR") == "en"           # the steward's own choice wins
    assert choose_language("xx", "en") == "en"              # a forged cookie is ignored


def test_a_french_browser_gets_french(make_client: Callable[..., TestClient]) -> None:
    client = make_client("steward", lang="fr-FR,fr;q=0.9,en;q=0.5")
    page = client.get("/")
    assert page.headers["content-language"] == "fr"
    assert '<html lang="fr">' in page.text
    for words in ("Vue d'ensemble", "Doublons", "Quarantaine", "Se déconnecter", "clients uniques"):
        assert words in page.text
    assert "Overview" not in page.text and "Log out" not in page.text
    english = make_client("admin", lang="en-GB,en;q=0.9").get("/")
    assert '<html lang="en">' in english.text and "Overview" in english.text


def test_the_language_switch_wins_over_the_browser(make_client: Callable[..., TestClient]) -> None:
    client = make_client("steward", lang="fr")
    switched = client.get("/language/en?next=/quarantine", follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/quarantine"
    assert "mdm_lang=en" in switched.headers["set-cookie"] and "HttpOnly" in switched.headers["set-cookie"]
    page = client.get("/quarantine")
    assert '<html lang="en">' in page.text and "Quarantined" in page.text
    assert client.get("/language/fr?next=//evil.example", follow_redirects=False).headers["location"] == "/"
    assert '<html lang="fr">' in client.get("/quarantine").text


def test_values_are_formatted_for_the_reader(make_client: Callable[..., TestClient]) -> None:
    golden_id = "11111111-1111-4111-8111-111111111111"  # Marie Dupont, +33612345678
    fr = make_client("steward", lang="fr").get(f"/customers/{golden_id}").text
    assert "06 12 34 56 78" in fr and "+33612345678" not in fr
    assert "Fiche client" in fr and "Valeurs retenues" in fr and "1 fiche source" in fr
    assert re.search(r"\d{4}-\d{2}-\d{2}T", fr) is None  # no ISO timestamp shown to people
    en = make_client("admin", lang="en").get(f"/customers/{golden_id}").text
    assert "+33 6 12 34 56 78" in en and "1 source record" in en
    as_json = make_client("steward", name="steward2", lang="fr").get(f"/customers/{golden_id}.json").json()
    assert as_json["customer"]["phone"] == "+33612345678"  # the JSON twin keeps the stored value


def test_evidence_and_messages_in_french(make_client: Callable[..., TestClient]) -> None:
    client = make_client("steward", lang="fr")
    pair = client.get("/pairs/crm:00000000000000a1/webshop:00000000000000b1").text
    assert f"e-mail{NBSP}: valeurs identiques{NBSP}: indice fort en faveur" in pair
    assert f"Même client{NBSP}?" in pair and "Pas un doublon" in pair
    skipped = client.post("/pairs/crm:00000000000000a1/webshop:00000000000000b1/skip",
                          data={"csrf_token": _csrf(pair)})
    assert "Paire passée. Elle reste dans la file pour les autres." in html.unescape(skipped.text)
    refused = client.post("/customers/11111111-1111-4111-8111-111111111111/split",
                          data={"csrf_token": _csrf(pair)})
    assert refused.status_code == 409
    assert "Cochez au moins une fiche qui quitte ce client." in html.unescape(refused.text)


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match is not None
    return match.group(1)


def test_field_values_are_shown_in_words() -> None:
    from mdm.web.i18n import value_function

    fr, en = value_function("fr"), value_function("en")
    assert fr("sources", ["crm", "webshop"]) == "crm, webshop"
    assert fr("record_count", 2854) == "2\u202f854" and en("record_count", 2854) == "2,854"
    assert fr("birth_date", "1980-01-15") == "15 janv. 1980"
    assert fr("updated_at", "2026-12-06T21:20:05.123456") == "6 déc. 2026 21:20"
    assert (fr("opt_in", True), en("opt_in", False)) == ("oui", "no")
    assert fr("phone", "+33641714172") == "06 41 71 41 72"
    assert fr("email", None) == ""


def test_a_quarantined_row_explains_its_reason_in_french(make_client: Callable[..., TestClient]) -> None:
    fr = html.unescape(make_client("steward", lang="fr").get("/quarantine/crm:00000000000000q1").text)
    assert "adresse e-mail invalide" in fr
    assert "Corrigez l'e-mail (ou videz-le s'il est inconnu) et libérez la ligne." in fr
    assert "syntactically" not in fr  # no English rule text on a French page
    en = make_client("admin", lang="en").get("/quarantine/crm:00000000000000q1").text
    assert "syntactically valid address" in en
