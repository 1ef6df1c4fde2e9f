"""docs/web-app.md keeps up with the app: every page, setting and keyboard shortcut is documented."""

from __future__ import annotations

import re
from pathlib import Path

from mdm.web.app import VIEWS
from mdm.web.config import WebConfig

REPO = Path(__file__).resolve().parents[3]
DOC = (REPO / "docs" / "web-app.md").read_text(encoding="utf-8")


def _doc_form(path: str) -> str:
    """`/pairs/{left}/{right}` is documented as `/pairs/LEFT/RIGHT`."""
    return re.sub(r"\{(\w+)\}", lambda m: {"golden_id": "ID", "organisation_id": "ID"}.get(m.group(1), m.group(1).upper()), path)


def test_every_page_is_documented() -> None:
    paths = {str(getattr(r, "path", "")) for m in VIEWS for r in m.router.routes if "GET" in getattr(r, "methods", set())}
    missing = sorted(p for p in paths if p not in ("/login",) and f"`{_doc_form(p)}" not in DOC)
    assert not missing, f"pages missing from docs/web-app.md: {missing}"


def test_every_setting_is_documented() -> None:
    missing = [k for k in WebConfig.model_fields if f"  {k}:" not in DOC]
    assert not missing, f"web: settings missing from docs/web-app.md: {missing}"


def test_every_shortcut_is_documented() -> None:
    base = (REPO / "mdm" / "web" / "templates" / "base.html").read_text(encoding="utf-8")
    keys = re.findall(r"<dt><kbd>(.)</kbd></dt>", base)
    assert len(keys) >= 8
    missing = [k for k in keys if f"| `{k}` |" not in DOC]
    assert not missing, f"shortcuts missing from docs/web-app.md: {missing}"
