"""Report labels (English, French) from `labels.yaml`; numbers through the shared locale helper.

Lookups fall back to English and then to a readable form of the key, so a new field, source or
reason code shows up as words rather than breaking the report.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from mdm.locale_format import LANGUAGES, LocaleFormat


@cache
def _all_labels() -> dict[str, dict[str, Any]]:
    text = (Path(__file__).resolve().parent / "labels.yaml").read_text(encoding="utf-8")
    data: dict[str, dict[str, Any]] = yaml.safe_load(text)
    return data


def _lookup(tree: dict[str, Any], path: str) -> Any:
    node: Any = tree
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


class Labels:
    """The labels of one language: `labels("dimensions.validity")`, `labels.fmt_pct(34.2)`."""

    def __init__(self, lang: str = "en", overrides: dict[str, str] | None = None):
        if lang not in LANGUAGES:
            raise ValueError(f"unknown report language {lang!r}; choose one of {list(LANGUAGES)}")
        self.lang = lang
        self.fmt = LocaleFormat(lang)  # the formats the steward app uses too
        self._tree = _all_labels().get(lang, {})
        self._en = _all_labels().get("en", {})
        self._overrides = overrides or {}

    def __call__(self, path: str, default: str | None = None) -> str:
        if path in self._overrides:
            return self._overrides[path]
        for tree in (self._tree, self._en):
            value = _lookup(tree, path)
            if isinstance(value, str):
                return value
        return default if default is not None else path.rsplit(".", 1)[-1].replace("_", " ")

    def count_text(self, path: str, n: float, **values: str) -> str:
        """Sentence `path` about `n` things: `<path>_one` when n is 1 and that label exists."""
        key = f"{path}_one" if n == 1 and self.has(f"{path}_one") else path
        return self(key).format(n=self.fmt_number(n), **values)

    def source(self, name: str) -> str:
        return self(f"sources.{name}", default=name)

    def field(self, name: str) -> str:
        return self(f"fields.{name}")

    def has(self, path: str) -> bool:
        return isinstance(_lookup(self._tree, path) or _lookup(self._en, path), str)

    # -- numbers -------------------------------------------------------------------------------

    def fmt_number(self, value: float | None, decimals: int = 0) -> str:
        return self.fmt.number(value, decimals)

    def fmt_pct(self, value: float | None, decimals: int = 0) -> str:
        return self.fmt.percent(value, decimals)

    def fmt_delta(self, value: float | None) -> str:
        return self.fmt.signed(value, 1)
