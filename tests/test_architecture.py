"""The shape of the code, locked in: imports run one way, down the layers, and never in a circle.

`LAYERS` is the one table of the layers, bottom first (`docs/architecture.md` explains it). A
module belongs to the entry with the longest matching prefix (`=name`: that module alone). It
may import modules of its own entry or of any entry above it in the table (a lower layer),
never one below it. Every import counts: at module level, inside functions, and under
`TYPE_CHECKING` (mypy and a reader follow those too). Third-party imports are not checked.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ROOTS = ("mdm", "sources", "expectations", "matching", "warehouse", "pipelines")

#: (layer, module prefixes), bottom first. The stage entries are in the order of a run: a stage
#: may use what an earlier stage built (its tables, its helpers), never a later one.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("core", ("=mdm", "mdm.canonical", "mdm.clock", "mdm.privacy", "mdm.failures", "mdm.locale_format",
              "mdm.places", "sources.inbox")),
    ("config", ("sources.config", "expectations.config", "matching.settings", "matching.merge.config",
                "warehouse.publication.config", "warehouse.retention.config", "warehouse.retention.defaults",
                "mdm.web.config", "mdm.events.config", "mdm.segments.config", "mdm.config", "mdm.config_reference")),
    ("storage", ("=warehouse", "warehouse.connection", "warehouse.lock", "warehouse.schema", "warehouse.scratch",
                 "warehouse.publication", "mdm.stewardship", "mdm.context", "mdm.accounting")),
    ("runner", ("mdm.runner",)),
    ("stage: ingest", ("sources",)),
    ("stage: standardise", ("mdm.standardise",)),
    ("stage: validate", ("expectations",)),
    ("stage: match, merge", ("matching",)),
    ("stage: events", ("mdm.events",)),
    ("stage: expire", ("warehouse.retention",)),
    ("stage: segment", ("mdm.segments",)),
    ("stage: measure", ("mdm.reports",)),
    ("stage: publish", ("warehouse.publish",)),
    ("read models", ("mdm.golden_view", "mdm.party_view", "mdm.published_figures")),
    ("composition", ("mdm.pipeline",)),
    ("app: web", ("mdm.web",)),
    ("app: cli", ("mdm.cli", "mdm.demo")),
    ("app: dagster", ("pipelines",)),
]


#: Cycles known and being removed elsewhere; each must still exist (so the entry goes when it is fixed).
KNOWN_CYCLES: list[list[str]] = [
]


def modules(base: Path = REPO) -> dict[str, Path]:
    """Every module of our import roots, by dotted name (a package by its own name)."""
    found: dict[str, Path] = {}
    for root in ROOTS:
        for path in sorted((base / root).rglob("*.py")):
            parts = list(path.relative_to(base).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The modules of ours that `name` imports anywhere in its file (the longest known prefix
    of each imported name, so `from matching import recluster` is `matching.recluster`)."""

    def resolve(dotted: str) -> str | None:
        while dotted and dotted not in known:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package
                for _ in range(node.level - 1):
                    anchor = anchor.rpartition(".")[0]
                base = f"{anchor}.{base}" if base else anchor
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for target in targets:
            resolved = resolve(target)
            if resolved and resolved != name:
                out.add(resolved)
    return out


def layer_of(module: str) -> int:
    """Index in `LAYERS` of the entry with the longest prefix matching `module`."""
    best, best_len = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            exact = prefix.startswith("=")
            bare = prefix.lstrip("=")
            hit = module == bare or (not exact and module.startswith(bare + "."))
            if hit and len(bare) > best_len:
                best, best_len = index, len(bare)
    return best


def graph(base: Path = REPO) -> dict[str, set[str]]:
    known = modules(base)
    return {name: imports(name, path, known) for name, path in known.items()}


def upward_imports(edges: dict[str, set[str]]) -> list[str]:
    found = []
    for source, targets in sorted(edges.items()):
        for target in sorted(targets):
            if layer_of(target) > layer_of(source):
                found.append(f"{source} ({LAYERS[layer_of(source)][0]}) imports {target} "
                             f"({LAYERS[layer_of(target)][0]}), a layer above it")
    return found


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


@pytest.fixture(scope="module")
def edges() -> dict[str, set[str]]:
    return graph()


def test_every_module_has_a_layer(edges: dict[str, set[str]]) -> None:
    assert [m for m in edges if layer_of(m) < 0] == []


def test_no_import_runs_up_a_layer(edges: dict[str, set[str]]) -> None:
    assert upward_imports(edges) == []


def test_no_import_cycle(edges: dict[str, set[str]]) -> None:
    found = cycles(edges)
    assert [c for c in found if c not in KNOWN_CYCLES] == []
    assert [c for c in KNOWN_CYCLES if c not in found] == [], "fixed: remove it from KNOWN_CYCLES"


def test_the_checker_catches_an_upward_import_and_a_cycle(tmp_path: Path) -> None:
    """The checker itself: a core module importing the composition root, and a two-module
    circle hidden in a function, are both found."""
    for root in ROOTS:
        (tmp_path / root).mkdir()
        (tmp_path / root / "__init__.py").write_text("")
    (tmp_path / "mdm" / "clock.py").write_text("def f():\n    from mdm.pipeline import STAGES\n")
    (tmp_path / "mdm" / "pipeline.py").write_text("STAGES = {}\n")
    (tmp_path / "matching" / "a.py").write_text("from matching import b\n")
    (tmp_path / "matching" / "b.py").write_text("def g():\n    from . import a\n")
    found = graph(tmp_path)
    assert upward_imports(found) == [
        "mdm.clock (core) imports mdm.pipeline (composition), a layer above it"
    ]
    assert cycles(found) == [["matching.a", "matching.b"]]


def test_the_layers_are_documented() -> None:
    """`docs/architecture.md` names every layer and every folder or module of the table (as a path)."""
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [bare for _, prefixes in LAYERS for bare in (p for p in prefixes if not p.startswith("="))
               if not any(f"`{bare.replace('.', '/')}{end}`" in text for end in ("/", ".py"))]
    missing += [name for name, _ in LAYERS if name.split(": ")[-1] not in text]
    assert missing == []
