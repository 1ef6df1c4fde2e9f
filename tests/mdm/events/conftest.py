"""A small home with a customer CSV and event files in several shapes, run through the real pipeline."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from mdm.config import MdmConfig, load_config
from mdm.pipeline import RunSummary, run_pipeline

CUSTOMERS = """id;nom;prenom;email;tel;statut;cree
C1;Martin;Anne;anne.martin@example.fr;0612345678;client;2020-01-10
C2;Durand;Paul;paul.durand@example.fr;0698765432;client;2021-05-02
C3;Petit;Lea;couple@example.fr;;prospect;2019-03-03
C4;Petit;Marc;couple@example.fr;;prospect;2019-03-03
C5;Roux;Ines;ines.roux@example.fr;0611223344;prospect;2018-02-02
"""

#: The e-shop's orders: its own key format (customer ids with spaces), French amounts.
ORDERS = """order_no,client,mail,date,montant,devise,type
O1, C1 ,,2026-10-01,"120,50",EUR,Commande
O2,C1,,2026-11-01 14:30,"1.234,00",EUR,commande
O3,C2,,2025-01-15,"35,00",,Commande
O4,C9,,2026-11-20,"10,00",EUR,Commande
O5,,paul.durand@example.fr,2026-06-01,"20,00",EUR,Commande
O6,,couple@example.fr,2026-06-02,"15,00",EUR,Commande
O7,C1,,not a date,"5,00",EUR,Commande
O8,C1,,2026-09-01,douze,EUR,Commande
O9,,,2026-09-01,"5,00",EUR,Commande
O10,C2,,2031-01-01,"5,00",EUR,Commande
"""

BASE_CONFIG: dict[str, Any] = {
    "sources": [
        {
            "name": "crm", "kind": "csv", "path": "crm/*.csv", "key_columns": ["id"],
            "options": {"delimiter": ";"}, "date_format": "%Y-%m-%d",
            "status_categories": {"prospect": "prospect", "client": "customer"},
            "mapping": {"last_name": "nom", "first_name": "prenom", "email": "email", "phone": "tel",
                        "customer_status": "statut", "created_at": "cree"},
        },
        {
            "name": "orders", "kind": "csv", "path": "orders/*.csv", "records": "events",
            "key_columns": ["order_no"], "customer_source": "crm", "date_format": "%Y-%m-%d",
            "mapping": {"customer_key": "client", "email": "mail", "occurred_at": "date", "amount": "montant",
                        "currency": "devise", "event_type": "type", "channel": {"constant": "web"}},
        },
    ],
    "retention": {"rules": []},
}


class EventsHome:
    """Write inbox files, run the pipeline, read the warehouse or the published file."""

    def __init__(self, home: Path, config_dict: dict[str, Any]):
        self.home = home
        self.config_path = home / "mdm.yaml"
        self.write_config(config_dict)

    def write_config(self, config_dict: dict[str, Any]) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(yaml.safe_dump(config_dict, allow_unicode=True), encoding="utf-8")

    @property
    def config(self) -> MdmConfig:
        config = load_config(self.config_path)
        config.paths.ensure()
        return config

    def drop(self, relative: str, text: str) -> None:
        path = self.home / "inbox" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def run(self, **kwargs: Any) -> RunSummary:
        return run_pipeline(self.config, **kwargs)

    def query(self, sql: str, params: list[Any] | None = None, published: bool = False) -> list[tuple[Any, ...]]:
        path = self.home / ("published/mdm.duckdb" if published else "warehouse.duckdb")
        con = duckdb.connect(str(path), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()


@pytest.fixture
def events_home(mdm_home: Path) -> Callable[..., EventsHome]:
    def make(config_dict: dict[str, Any] | None = None) -> EventsHome:
        return EventsHome(mdm_home, config_dict or BASE_CONFIG)

    return make
