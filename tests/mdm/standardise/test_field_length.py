"""An over-long value sends its row to quarantine (`field_too_long`); it is never standardised or published."""

from __future__ import annotations

from pathlib import Path

import pytest

from mdm.pipeline import run_pipeline
from sources.testing import make_config, query
from warehouse.connection import open_published_reader

pytestmark = pytest.mark.slow  # a whole run (Great Expectations takes seconds to import)

SHOP = {
    "name": "shop", "kind": "csv", "path": "shop/*.csv", "key_columns": ["id"],
    "mapping": {"first_name": "prenom", "last_name": "nom", "email": "email", "street": "rue",
                "postcode": "cp", "city": "ville"},
}


def test_a_5_mb_street_is_quarantined_and_not_published(mdm_home: Path) -> None:
    config = make_config(mdm_home, [SHOP])
    rows = [
        "id,prenom,nom,email,rue,cp,ville",
        "1,Jeanne,Martin,jeanne.martin@example.fr,3 rue des Lilas,75011,Paris",
        "2,Paul,Durand,paul.durand@example.fr," + "R" * 5_000_000 + ",69001,Lyon",
        "3,Marie,Petit,marie.petit@example.fr,8 avenue Foch,13001,Marseille",
    ]
    inbox = mdm_home / "inbox" / "shop"
    inbox.mkdir(parents=True)
    (inbox / "export.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    summary = run_pipeline(config)
    assert summary.status == "succeeded"
    assert summary.counts()["ingest"]["received"] == {"shop": 3}
    assert summary.counts()["validate"]["quarantined"] == {"field_too_long": 1}
    ((key, reasons),) = query(config, "SELECT record_key, reasons FROM quarantine.rows WHERE status = 'open'")
    assert reasons[0] == "field_too_long"
    assert query(config, "SELECT street FROM staging.customers WHERE record_key = ?", [key]) == [(None,)]
    con = open_published_reader(config.paths)
    try:
        cities = con.execute("SELECT city FROM golden.customer ORDER BY city").fetchall()
        longest = con.execute("SELECT max(length(CAST(COLUMNS(*) AS VARCHAR))) FROM golden.customer").fetchone()
    finally:
        con.close()
    assert [c for (c,) in cities] == ["Marseille", "Paris"]
    assert longest is not None and all((n or 0) < 1_000 for n in longest)
