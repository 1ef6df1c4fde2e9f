"""The merge stage's incremental path (only the clusters and customers that changed) gives exactly
the golden tables a full recompute gives on the same data.

A full recompute is what the stage does when no survivorship state is saved: after each
incremental merge of a randomised history (values edited, records added and removed, clusters
merged, split and reshuffled), the state is dropped and the stage run again on the same inputs.
It must change nothing: no xref row opened or closed, no value, lineage, history or alias row
different.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

SOURCES = ("crm", "web", "shop")
FIRST = ("Marie", "Jean", "Seb", "Sébastien", "Anne", "Luc", "Hélène", "Helene")
LAST = ("Martin", "Durand", "Petit", "Roux", "Moreau")
CITIES = (("75001", "Paris"), ("69002", "Lyon"), ("13001", "Marseille"))


def _values(rng: random.Random) -> dict[str, Any]:
    postcode, city = rng.choice(CITIES)
    values: dict[str, Any] = {
        "trust_rank": rng.randint(1, 3),
        "first_name": rng.choice(FIRST),
        "last_name": rng.choice(LAST),
        "email": rng.choice([None, f"p{rng.randint(1, 30)}@example.fr"]),
        "phone": rng.choice([None, f"+336{rng.randint(10_000_000, 99_999_999)}"]),
        "street": rng.choice([None, f"{rng.randint(1, 90)} rue Haute"]),
        "postcode": postcode,
        "city": city,
        "birth_date": rng.choice([None, date(1960 + rng.randint(0, 40), 1 + rng.randint(0, 11), 1)]),
        "updated_at": datetime(2020, 1, 1) + timedelta(days=rng.randint(0, 2000)),
    }
    if values["email"] and rng.random() < 0.2:
        values["email_status"] = "invalid"
    return values


def _snapshot(wh) -> dict[str, list[tuple[Any, ...]]]:
    tables = {
        "customer": "SELECT * FROM golden.customer",
        "xref": "SELECT * FROM golden.xref",
        "lineage": "SELECT * FROM golden.lineage",
        "history": 'SELECT golden_id, version, "values"::VARCHAR, valid_from, valid_to FROM golden.history',
        "alias": "SELECT * FROM golden.alias",
    }
    return {name: sorted(wh.con.execute(sql).fetchall(), key=repr) for name, sql in tables.items()}


def _clusters(rng: random.Random, keys: list[str], previous: list[list[str]]) -> list[list[str]]:
    """The previous clusters (minus removed keys, plus new keys alone or joining one), then a few
    random merges, splits and moves."""
    alive = set(keys)
    groups = [[k for k in g if k in alive] for g in previous]
    groups = [g for g in groups if g]
    placed = {k for g in groups for k in g}
    for key in sorted(alive - placed):
        if groups and rng.random() < 0.5:
            rng.choice(groups).append(key)
        else:
            groups.append([key])
    for _ in range(rng.randint(1, 4)):
        move = rng.random()
        if move < 0.35 and len(groups) > 1:  # merge two clusters
            a, b = rng.sample(range(len(groups)), 2)
            groups[a] += groups[b]
            del groups[b]
        elif move < 0.7:  # split one
            big = [g for g in groups if len(g) > 1]
            if big:
                g = rng.choice(big)
                groups.remove(g)
                cut = rng.randint(1, len(g) - 1)
                groups += [g[:cut], g[cut:]]
        elif len(groups) > 1:  # move one record
            a, b = rng.sample(range(len(groups)), 2)
            groups[b].append(groups[a].pop(rng.randrange(len(groups[a]))))
            groups = [g for g in groups if g]
    return groups


def test_incremental_merge_equals_a_full_recompute(wh) -> None:
    rng = random.Random(20261123)
    keys: list[str] = []
    for i in range(60):
        key = f"{SOURCES[i % 3]}:{i:03d}"
        wh.add(key, **_values(rng))
        keys.append(key)
    groups = _clusters(rng, keys, [])
    day = datetime(2026, 1, 1)
    for night in range(6):
        if night:
            for key in rng.sample(keys, 6):  # edited records
                wh.add(key, **_values(rng))
            for key in rng.sample(keys, 3):  # records that leave
                wh.remove(key)
                keys.remove(key)
            for i in range(5):  # new records
                key = f"{rng.choice(SOURCES)}:n{night}{i}"
                wh.add(key, **_values(rng))
                keys.append(key)
            groups = _clusters(rng, keys, groups)
        wh.clusters(*groups)
        incremental = wh.merge(day.isoformat())
        after_incremental = _snapshot(wh)
        if night:
            assert incremental.counts["recomputed"] < incremental.counts["golden_customers"], "should be partial"

        wh.con.execute("DELETE FROM golden.state")  # no saved state: everything is recomputed
        full = wh.merge((day + timedelta(hours=1)).isoformat())
        assert full.counts["recomputed"] == full.counts["golden_customers"]
        assert full.counts["records_moved"] == 0 and full.counts["changed"] == 0, f"night {night}"
        assert full.counts["new_golden"] == 0 and full.counts["merged"] == 0 and full.counts["split"] == 0
        assert _snapshot(wh) == after_incremental, f"night {night}: a full recompute differs"
        day += timedelta(days=1)
    assert after_incremental["alias"], "the history should include merges"
