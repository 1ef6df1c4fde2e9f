"""docs/connectors.md stays honest: its worked example passes the contract kit, every kind is documented."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from sources.registry import load_registry

DOC = (Path(__file__).resolve().parents[2] / "docs" / "connectors.md").read_text(encoding="utf-8")


def example_namespace() -> dict[str, Any]:
    blocks = re.findall(r"```python\n(.*?)```", DOC, flags=re.S)
    assert len(blocks) >= 2, "the worked example (connector + test) is missing"
    namespace: dict[str, Any] = {"__name__": "connectors_doc_example"}
    exec(compile("\n".join(blocks[:2]), "docs/connectors.md", "exec"), namespace)  # noqa: S102 - our own doc
    return namespace


def test_every_builtin_kind_and_option_is_documented() -> None:
    registry = load_registry(include_plugins=False)
    for kind in registry.kinds():
        assert f"### `{kind}`" in DOC, f"kind {kind} undocumented"
        for option in registry.connectors[kind].options_model.model_fields:
            assert f"`{option}`" in DOC, f"option {kind}.{option} undocumented"


@pytest.mark.parametrize("test_name", ["scenarios", "test_deterministic_output",
                                       "test_missing_mapped_column_is_refused_clearly",
                                       "test_all_or_nothing_and_run_goes_on", "test_idempotent_reload"])
def test_worked_example_passes_the_kit(test_name: str, tmp_path: Path) -> None:
    suite = example_namespace()["TestKeyValue"]()
    if test_name == "scenarios":
        for index, scenario in enumerate(suite.scenarios):
            suite.test_scenario(scenario, tmp_path / str(index))
    else:
        getattr(suite, test_name)(tmp_path)
