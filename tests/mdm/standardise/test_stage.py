"""The standardise stage on small fixture rows inserted into raw.records: mapping, incrementality."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from mdm.config import MdmConfig, parse_config
from mdm.context import RunContext
from mdm.standardise.stage import run, standardise_source
from warehouse.connection import open_writer

CONFIG = {
    "sources": [
        {
            "name": "crm", "kind": "csv", "path": "crm/*.csv", "key_columns": ["Code"],
            "date_format": "%d/%m/%Y", "trust_rank": 1, "retention_category": "customer",
            "status_categories": {"prospect": "prospect", "ancien client": "former_customer"},
            "mapping": {
                "last_name": "Nom", "first_name": {"column": "Prénom"}, "email": "Courriel",
                "phone": "Téléphone", "street": {"join": ["address.line1", "address.line2"], "sep": " "},
                "postcode": "address.postcode", "city": "Ville", "birth_date": "Naissance",
                "customer_status": "Statut", "created_at": "Créé le",
            },
        },
        {
            "name": "salon", "kind": "excel", "path": "salon/*.xlsx", "key_columns": ["N°"], "trust_rank": 3,
            "retention_category": "prospect",
            "mapping": {"full_name": {"split_full_name": "Nom complet"}, "phone": "Portable",
                        "customer_status": {"constant": "prospect"}},
        },
    ]
}


def make_config(home: Path) -> MdmConfig:
    config = parse_config(CONFIG, "test", home)
    config.paths.ensure()
    return config


class Warehouse:
    """A working warehouse with helpers to add loads of raw rows and run the stage."""

    def __init__(self, config: MdmConfig):
        self.config = config
        self.con = open_writer(config.paths)
        self.loads = 0
        self.runs = 0

    def add_load(self, source: str, rows: dict[str, dict[str, Any]], status: str = "loaded", file: str = "f",
                 load_id: str | None = None, started: datetime | None = None) -> str:
        self.loads += 1
        load_id = load_id or f"{source}-load-{self.loads}"
        started = started or datetime(2026, 11, 1 + self.loads)
        self.con.execute(
            "INSERT INTO raw.loads (load_id, run_id, source, file, content_hash, status, rows_read, started_at) "
            "VALUES (?, 'r', ?, ?, ?, ?, ?, ?)",
            [load_id, source, file, load_id, status, len(rows), started],
        )
        for number, (key, payload) in enumerate(rows.items(), start=1):
            self.con.execute(
                "INSERT INTO raw.records (record_key, source, load_id, file, sheet, row_number, ingested_at, payload) "
                "VALUES (?, ?, ?, ?, NULL, ?, ?, ?)",
                [key, source, load_id, file, number, started, json.dumps(payload, ensure_ascii=False)],
            )
        return load_id

    def ctx(self) -> RunContext:
        self.runs += 1
        return RunContext(config=self.config, con=self.con, run_id=f"run-{self.runs}",
                          now=datetime(2026, 11, 23, 12))

    def row(self, key: str) -> dict[str, Any]:
        cursor = self.con.execute("SELECT * FROM staging.customers WHERE record_key = ?", [key])
        names = [d[0] for d in cursor.description]
        found = cursor.fetchall()
        assert found, f"{key} not in staging"
        return dict(zip(names, found[0], strict=True))


@pytest.fixture
def wh(mdm_home: Path) -> Iterator[Warehouse]:
    warehouse = Warehouse(make_config(mdm_home))
    yield warehouse
    warehouse.con.close()


CRM_ROW = {
    "Code": "C1", "Nom": "DE LA FONTAINE", "Prénom": "jean", "Courriel": "Jean@GMIAL.com",
    "Téléphone": "612345678.0", "address.line1": "12 av. Foch", "address.line2": "Bât. B",
    "address.postcode": "1000", "Ville": "BOURG EN BRESSE", "Naissance": "03/04/1980",
    "Statut": "Ancien client", "Créé le": "01/02/2020",
}


def test_mapping_transforms_and_standardised_values(wh: Warehouse) -> None:
    wh.add_load("crm", {"crm:1": CRM_ROW})
    wh.add_load("salon", {"salon:1": {"N°": "1", "Nom complet": "MARTIN Marie", "Portable": "0612345678"}})
    result = run(wh.ctx())
    assert result.counts["standardised"] == {"crm": 1, "salon": 1}
    crm = wh.row("crm:1")
    assert (crm["first_name"], crm["last_name"], crm["last_name_key"]) == ("Jean", "de la Fontaine", "de la fontaine")
    assert crm["email"] == "jean@gmial.com" and crm["email_suggestion"] == "jean@gmail.com"
    assert crm["phone"] == "+33612345678" and crm["phone_type"] == "mobile"
    assert crm["street"] == "12 av. Foch Bât. B" and crm["street_key"] == "12 avenue foch batiment b"
    assert crm["postcode"] == "01000" and crm["country"] == "FR"
    assert str(crm["birth_date"]) == "1980-04-03"
    assert crm["retention_category"] == "former_customer" and crm["trust_rank"] == 1
    assert set(crm["issues"]) == {"email_domain_typo", "phone_repaired", "postcode_repaired"}
    salon = wh.row("salon:1")
    assert (salon["first_name"], salon["last_name"]) == ("Marie", "Martin")
    assert salon["customer_status"] == "prospect" and salon["retention_category"] == "prospect"


def test_the_load_stored_last_wins_when_start_times_tie(wh: Warehouse) -> None:
    """Two loads starting at the same instant (a frozen clock, two files of one night): the one
    stored second holds the newer version, whatever the load IDs sort to (sources/loads.py)."""
    same = datetime(2026, 11, 5)
    wh.add_load("crm", {"crm:1": CRM_ROW}, load_id="crm-z-stored-first", started=same)
    wh.add_load("crm", {"crm:1": {**CRM_ROW, "Nom": "DURAND"}}, load_id="crm-a-stored-second", started=same)
    run(wh.ctx())
    assert wh.row("crm:1")["last_name"] == "Durand"


def test_incremental_unchanged_left_alone_changed_redone(wh: Warehouse) -> None:
    wh.add_load("crm", {"crm:1": CRM_ROW, "crm:2": {**CRM_ROW, "Code": "C2", "Nom": "Martin"}})
    first = run(wh.ctx())
    assert first.counts["standardised"]["crm"] == 2
    # Nothing new: nothing done.
    again = run(wh.ctx())
    assert again.counts["standardised"]["crm"] == 0
    # A new load re-sending crm:1 unchanged and crm:2 changed: only crm:2 is redone.
    wh.add_load("crm", {"crm:1": CRM_ROW, "crm:2": {**CRM_ROW, "Code": "C2", "Nom": "Martin-Durand"}})
    third = run(wh.ctx())
    assert third.counts["standardised"]["crm"] == 1
    assert third.counts["unchanged"]["crm"] == 1
    assert wh.row("crm:2")["last_name"] == "Martin-Durand"
    assert wh.row("crm:1")["standardised_run_id"] == "run-1"


def test_held_load_falls_back_to_previous_version(wh: Warehouse) -> None:
    wh.add_load("crm", {"crm:1": CRM_ROW})
    run(wh.ctx())
    load = wh.add_load("crm", {"crm:1": {**CRM_ROW, "Nom": "Autre"}, "crm:9": {**CRM_ROW, "Code": "C9"}})
    run(wh.ctx())
    assert wh.row("crm:1")["last_name"] == "Autre"
    wh.con.execute("UPDATE raw.loads SET status = 'held' WHERE load_id = ?", [load])
    standardise_source(wh.ctx(), wh.config.source("crm"))
    assert wh.row("crm:1")["last_name"] == "de la Fontaine"  # previous version back in play
    keys = {r[0] for r in wh.con.execute("SELECT record_key FROM staging.customers").fetchall()}
    assert "crm:9" not in keys  # only in the held load: out of play


def test_config_change_restandardises(wh: Warehouse) -> None:
    wh.add_load("crm", {"crm:1": CRM_ROW})
    run(wh.ctx())
    wh.config.source("crm").trust_rank = 5
    result = run(wh.ctx())
    assert result.counts["standardised"]["crm"] == 1
    assert wh.row("crm:1")["trust_rank"] == 5
