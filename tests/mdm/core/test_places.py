"""The place keys the matcher and the pair page share (`mdm.places.place_keys`)."""

from __future__ import annotations

import pytest

from mdm import places


@pytest.mark.parametrize(("postcode", "town", "expected"), [
    ("75008", "Paris 8e", ("75", "paris")),          # a district: the district town, whatever the record says
    ("75116", None, ("75", "paris")),
    ("69003", "LYON", ("69", "lyon")),
    ("13016", None, ("13", "marseille")),
    ("42000", "ST-ÉTIENNE CEDEX 1", ("42", "saint etienne")),
    ("31500", None, ("31", None)),                   # no town: the département only
    ("20090", "Ajaccio", ("2A", "ajaccio")),
    ("20200", "Bastia", ("2B", "bastia")),
    ("97411", "Saint-Paul", ("974", "saint paul")),
    ("2000", "Sydney", (None, None)),                # not a French postcode
    (None, "Paris", (None, None)),
])
def test_place_keys(postcode: str | None, town: str | None, expected: tuple[str | None, str | None]) -> None:
    assert places.place_keys(postcode, town) == expected
