"""Erasure targets (salted hashes), the free-text scrubber, mailboxes and masked file names (issue 18)."""

from __future__ import annotations

import duckdb
import pytest

from mdm.config import MdmConfig
from mdm.pipeline import run_pipeline
from mdm.privacy import mask_label
from warehouse.connection import open_writer
from warehouse.retention.erasure import erase
from warehouse.retention.identifiers import mailbox, mailbox_sql
from warehouse.retention.targets import ERASED, Targets

from .test_suppression import HEADER, YVONNE, _drop


@pytest.mark.parametrize("variant", [
    "jean.dupont@gmail.com", "JeanDupont@gmail.com", "j.e.a.n.dupont@googlemail.com",
    "jean.dupont+promo@gmail.com", " Jean.Dupont@GMAIL.com ",
])
def test_gmail_variants_are_one_mailbox_in_python_and_sql(variant: str) -> None:
    assert mailbox(variant) == "jeandupont@gmail.com"
    assert duckdb.execute(f"SELECT {mailbox_sql('v')} FROM (SELECT ? AS v)", [variant]).fetchall() == [("jeandupont@gmail.com",)]


def test_other_providers_keep_their_dots_but_lose_tags_and_case() -> None:
    assert mailbox("Jean.Dupont+x@Example.FR") == "jean.dupont@example.fr"
    assert mailbox("jean.dupont@example.fr") != mailbox("jeandupont@example.fr")


def _targets() -> Targets:
    return (Targets("s").add_emails(["jean.dupont@gmail.com"]).add("phone", ["+33612345678"])
            .add("token", ["dupont", "helene"]))


@pytest.mark.parametrize(("text", "expected"), [
    ("Dupont a appelé", f"{ERASED} a appelé"),
    ("Hélène DUPONT, même personne", f"{ERASED} {ERASED}, même personne"),
    ("écrit depuis J.E.A.N.Dupont@googlemail.com hier", f"écrit depuis {ERASED} hier"),
    ("export_jean.dupont@gmail.com.csv", f"export_{ERASED}.csv"),
    ("tél 06 12 34 56 78 ou +33 6 12 34 56 78", f"tél {ERASED} ou {ERASED}"),
    ("Martin, 06 99 99 99 99, martin@gmail.com", "Martin, 06 99 99 99 99, martin@gmail.com"),
])
def test_scrub_removes_only_the_erased_identifiers(text: str, expected: str) -> None:
    assert _targets().scrub(text) == expected


def test_targets_hold_hashes_only() -> None:
    dumped = str(_targets().as_json())
    for value in ("jean", "dupont", "gmail", "612345678", "helene"):
        assert value not in dumped


def test_file_labels_lose_emails_and_phones_not_dates() -> None:
    assert mask_label("crm/export_jean.dupont@gmail.com.csv") == "crm/[e-mail]"
    assert mask_label("salon/fiche 06 12 34 56 78.xlsx") == "salon/fiche [number].xlsx"
    assert mask_label("crm/clients_20261123.csv") == "crm/clients_20261123.csv"


def test_the_gmail_variant_of_an_erased_address_does_not_come_back(demo_config: MdmConfig) -> None:
    demo_config.sources = [demo_config.source("crm")]
    jean = "C9;M.;Dupontel;Jean;jean.dupontel@gmail.com;;;;;FR;;01/02/2024;01/10/2026;client"
    _drop(demo_config, "export-1.csv", jean, YVONNE)
    run_pipeline(demo_config, stages=["ingest", "standardise"])
    assert erase(demo_config, "email", "JEAN.DUPONTEL+shop@googlemail.com").records == 1

    again = jean.replace("jean.dupontel@gmail.com", "j.e.a.n.dupontel@googlemail.com").replace("C9", "C10")
    _drop(demo_config, "export-2.csv", again, YVONNE, header=HEADER)
    run_pipeline(demo_config, stages=["ingest", "standardise"])
    con = open_writer(demo_config.paths)
    try:
        emails = {r[0] for r in con.execute("SELECT email FROM staging.customers").fetchall()}
        suppressed = con.execute("SELECT count(*) FROM audit.events WHERE kind = 'suppress'").fetchone()
    finally:
        con.close()
    assert emails == {"yvonne@example.org"}
    assert suppressed == (1,)


def test_name_particles_are_not_scrubbed_everywhere() -> None:
    from warehouse.retention.targets import name_tokens

    assert name_tokens("Hélène", "de la Fontaine", "dos Santos", "Li") == {"helene", "fontaine", "santos"}


def test_a_rewrite_interrupted_earlier_leaves_no_copy_behind(tmp_path) -> None:
    from warehouse.retention.published import Erased, erase_from_published

    (tmp_path / "published").mkdir()
    left = tmp_path / "published" / "golden.duckdb.erasing"
    left.write_bytes(b"jean.dupont@gmail.com")
    (tmp_path / "published" / "golden.duckdb.erasing.wal").write_bytes(b"x")
    assert erase_from_published(tmp_path, [], Erased(_targets())) == {}
    assert list((tmp_path / "published").iterdir()) == []


def test_a_rejected_spreadsheet_holding_the_e_mail_in_a_cell_is_found(tmp_path) -> None:
    """An .xlsx deflates its cells: the e-mail is in no byte of the file, only in a member."""
    from openpyxl import Workbook

    from warehouse.retention.scrub import rejected_holding

    folder = tmp_path / "rejected" / "salon"
    folder.mkdir(parents=True)
    book = Workbook()
    book.active.append(["Nom", "E-mail"])
    book.active.append(["Dupont", "Jean.Dupont@Gmail.com"])
    book.save(folder / "salon_2026.xlsx")
    book = Workbook()
    book.active.append(["Nom", "E-mail"])
    book.active.append(["Martin", "paul.martin@orange.fr"])
    book.save(folder / "salon_2025.xlsx")
    (folder / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    assert b"jean.dupont" not in (folder / "salon_2026.xlsx").read_bytes().lower()
    found = rejected_holding(tmp_path, ["jean.dupont@gmail.com"], [], [])
    assert len(found) == 1
