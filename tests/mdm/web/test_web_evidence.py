"""Evidence a steward can follow: plain words for every level the matcher has, postcodes as
places, and a waterfall from the prior to the pair's weight whose shown numbers add up exactly."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from matching import comparisons as matcher
from matching.model import load_current
from matching.organisations import organisation_spec
from mdm import places
from mdm.config import MdmConfig
from mdm.pipeline import run_pipeline
from mdm.web.diffs import fields_of
from mdm.web.explain import LEVEL_PREFIX_WORDS, LEVEL_WORDS, waterfall
from warehouse.connection import open_published_reader


def test_every_matcher_level_has_plain_words() -> None:
    labels = {level.label for build in matcher._FACTORIES.values() for level in build().levels}
    labels.add(matcher.HOUSEHOLD_LABEL)
    labels |= {level.label for c in organisation_spec().comparisons for level in c.levels}  # organisation pairs too
    unsaid = [label for label in labels
              if label not in LEVEL_WORDS and not any(label.startswith(p) for p in LEVEL_PREFIX_WORDS)]
    assert unsaid == []
    jargon = [w for w in LEVEL_WORDS.values() if re.search(r"jaro|winkler|>=|token|local part|E\.164", w)]
    assert jargon == []


@pytest.mark.parametrize(("a", "b", "town_a", "town_b", "expected"), [
    ("75001", "75008", "Paris", "PARIS", places.SAME_TOWN),            # two districts of Paris
    ("69001", "69009", None, None, places.SAME_TOWN),                   # Lyon, even without towns
    ("13001", "13016", "Marseille", "Marseille", places.SAME_TOWN),
    ("31000", "31500", "Toulouse", "TOULOUSE", places.SAME_TOWN),       # a town with several postcodes
    ("42000", "42100", "Saint-Étienne", "ST ETIENNE", places.SAME_TOWN),
    ("75001", "75001", None, None, places.SAME_POSTCODE),
    ("33000", "33700", "Bordeaux", "Mérignac", places.SAME_DEPARTEMENT),
    ("75001", "57001", "Paris", "Metz", places.OTHER_DEPARTEMENT),      # "one typo" as strings
    ("20000", "20200", "Ajaccio", "Bastia", places.OTHER_DEPARTEMENT),  # 2A and 2B
    ("97400", "97411", "Saint-Denis", "Saint-Paul", places.SAME_DEPARTEMENT),
    ("SW1A 1AA", "75001", None, None, places.UNKNOWN),
    (None, "75001", None, None, places.UNKNOWN),
])
def test_postcodes_compared_as_places(a: str | None, b: str | None, town_a: str | None, town_b: str | None,
                                      expected: str) -> None:
    assert places.compare(a, b, town_a, town_b) == expected
    assert places.compare(b, a, town_b, town_a) == expected


def _adds_up(w: dict[str, object]) -> bool:
    steps = [t for _, t in w["steps"]]  # type: ignore[attr-defined]
    return w["prior_tenths"] + sum(steps) == w["total_tenths"]  # type: ignore[operator]


def test_waterfall_adds_up_and_carries_the_rounding() -> None:
    # three steps of +0.04 each: shown one by one they would round to 0.0 and lose 0.1
    w = waterfall(-13.0 + 0.12, {"a": {"weight": 0.04}, "b": {"weight": 0.04}, "c": {"weight": 0.04}}).as_dict()
    assert w["prior_tenths"] == -130 and w["total_tenths"] == -129 and _adds_up(w)
    assert all(abs(t) <= 1 for _, t in w["steps"])


def test_pair_page_shows_the_waterfall(make_client: Callable[..., TestClient]) -> None:
    client = make_client(lang="fr")
    page = client.get("/pairs/crm:00000000000000a1/webshop:00000000000000b1")
    data = client.get("/pairs/crm:00000000000000a1/webshop:00000000000000b1.json").json()
    assert _adds_up(data["waterfall"])
    cells = [int(t) for t in re.findall(r'data-tenths="(-?\d+)"', page.text)]
    assert sum(cells[:-1]) == cells[-1] == data["waterfall"]["total_tenths"]  # prior + steps = total
    assert "Point de départ" in page.text and "jaro" not in page.text.lower()


def test_every_comparison_of_the_waterfall_has_its_row(make_client: Callable[..., TestClient]) -> None:
    """The evidence cites "date of birth: different, -5.0": the side-by-side table shows that row,
    its dates formatted for the locale (a field neither record has gets its row too: test_diffs)."""
    client = make_client(lang="fr")
    page = client.get("/pairs/crm:00000000000000a1/webshop:00000000000000b1").text
    steps = [name for name, _ in client.get("/pairs/crm:00000000000000a1/webshop:00000000000000b1.json").json()[
        "waterfall"]["steps"]]
    assert "birth_date" in steps and set(re.findall(r'data-comparison="([a-z_]+)"', page)) == set(steps)
    rows = set(re.findall(r'data-field="([a-z_]+)"', page))
    assert all(set(fields_of(name)) <= rows for name in steps)
    assert re.search(r'data-field="birth_date">\s*<th scope="row">Date de naissance</th>\s*'
                     r'<td>12 mars 1985</td><td>21 mars 1958</td>', page)


@pytest.mark.slow
def test_waterfall_adds_up_on_every_real_scored_pair(small_demo: MdmConfig) -> None:
    """Every pair the demo run scored: the shown prior and steps make the shown total, the total is
    the stored weight to the tenth, and the prior is the model's (the same for every pair)."""
    run_pipeline(small_demo)
    con = open_published_reader(small_demo.paths)
    try:
        pairs = con.execute("SELECT match_weight, contributions FROM match.pairs").fetchall()
    finally:
        con.close()
    assert len(pairs) > 50
    model = load_current(small_demo.paths.models)
    assert model is not None
    for weight, contributions in pairs:
        w = waterfall(weight, contributions)
        assert w.prior_tenths + sum(t for _, t in w.steps) == w.total_tenths == math.floor(weight * 10 + 0.5)
        assert all(abs(t - 10 * c) <= 1 for (_, t), c in zip(w.steps, _weights(contributions), strict=True))
        assert abs(w.prior_tenths - round(model.prior_weight * 10)) <= 1


def _weights(contributions: str) -> list[float]:
    import json

    return [float(v["weight"]) for v in json.loads(contributions).values()]
