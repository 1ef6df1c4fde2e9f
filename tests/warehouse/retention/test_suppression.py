"""An erased person does not come back with the next export (suppression list), unless the source opts out."""

from __future__ import annotations

import pytest

from mdm.config import MdmConfig
from mdm.pipeline import run_pipeline
from warehouse.connection import open_writer
from warehouse.retention.erasure import erase

HEADER = "Code client;Civilité;Nom;Prénom;Courriel;Téléphone;Adresse;Code postal;Ville;Pays;Date de naissance;" \
         "Date de création;Dernier contact;Statut"
XAVIER = "C1;M.;Zorglubovic;Xavier;xavier.zorglub@example.org;06 55 44 33 22;3 rue des Lilas;75011;Paris;FR;" \
         "04/05/1980;01/02/2024;01/10/2026;client"
YVONNE = "C2;Mme;Yvon;Yvonne;yvonne@example.org;06 11 11 22 22;5 rue Haute;69001;Lyon;FR;03/03/1970;" \
         "01/02/2024;01/10/2026;client"
ZOE = "C3;Mme;Zed;Zoé;zoe@example.org;06 99 88 77 66;7 rue Basse;33000;Bordeaux;FR;02/02/1990;" \
      "01/02/2024;01/10/2026;client"


def _drop(config: MdmConfig, name: str, *rows: str, header: str = HEADER) -> None:
    folder = config.paths.inbox / "crm"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(("\r\n".join([header, *rows]) + "\r\n").encode("cp1252"))


def _ingest(config: MdmConfig) -> None:
    """Ingest and standardise: the standardise stage purges suppressed people itself."""
    run_pipeline(config, stages=["ingest", "standardise"])


def _keys_and_emails(config: MdmConfig) -> tuple[int, set[str]]:
    con = open_writer(config.paths)
    try:
        raw = con.execute("SELECT count(*) FROM raw.records").fetchone()
        emails = {r[0] for r in con.execute("SELECT email FROM staging.customers").fetchall()}
        return int(raw[0] if raw else 0), emails
    finally:
        con.close()


@pytest.fixture
def crm_only(demo_config: MdmConfig) -> MdmConfig:
    demo_config.sources = [demo_config.source("crm")]
    return demo_config


def test_erased_person_does_not_come_back_with_the_next_export(crm_only: MdmConfig) -> None:
    _drop(crm_only, "export-1.csv", XAVIER, YVONNE)
    _ingest(crm_only)
    assert _keys_and_emails(crm_only)[1] == {"xavier.zorglub@example.org", "yvonne@example.org"}

    assert erase(crm_only, "email", "xavier.zorglub@example.org").records == 1

    _drop(crm_only, "export-1.csv", XAVIER, YVONNE)  # the same export dropped again: already loaded
    _drop(crm_only, "export-2.csv", XAVIER, YVONNE, ZOE)  # tomorrow's export still has him
    _ingest(crm_only)
    raw_rows, emails = _keys_and_emails(crm_only)
    assert emails == {"yvonne@example.org", "zoe@example.org"}
    assert raw_rows == 3  # Yvonne twice (two loads), Zoé once; Xavier's row was purged
    con = open_writer(crm_only.paths)
    try:
        suppressed = con.execute("SELECT count(*) FROM audit.events WHERE kind = 'suppress'").fetchone()
    finally:
        con.close()
    assert suppressed == (1,)


def test_a_source_can_opt_out_of_suppression(crm_only: MdmConfig) -> None:
    _drop(crm_only, "export-1.csv", XAVIER)
    _ingest(crm_only)
    erase(crm_only, "email", "xavier.zorglub@example.org")
    crm_only.sources[0].suppression = False  # e.g. a sign-up form where new consent brings people back
    _drop(crm_only, "export-2.csv", XAVIER, ZOE)
    _ingest(crm_only)
    assert _keys_and_emails(crm_only)[1] == {"xavier.zorglub@example.org", "zoe@example.org"}


def test_an_erased_national_id_keeps_out_a_record_with_a_new_email_and_phone(crm_only: MdmConfig) -> None:
    crm = crm_only.sources[0]
    crm.mapping = {**crm.mapping, "national_id": "NIR"}
    header = HEADER + ";NIR"
    _drop(crm_only, "export-1.csv", XAVIER + ";1 80 03 75 115 042", YVONNE + ";", header=header)
    _ingest(crm_only)
    assert erase(crm_only, "national_id", "180037511504 2").records == 1

    # a new customer number, e-mail and phone: only the national identifier is the same
    moved = (XAVIER.replace("C1;", "C9;", 1).replace("xavier.zorglub@example.org", "xz@example.net")
             .replace("06 55 44 33 22", "06 12 12 12 12"))
    _drop(crm_only, "export-2.csv", moved + ";1800375115042", ZOE + ";", header=header)
    _ingest(crm_only)
    assert _keys_and_emails(crm_only)[1] == {"yvonne@example.org", "zoe@example.org"}
