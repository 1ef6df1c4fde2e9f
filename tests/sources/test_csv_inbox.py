"""CSV connector: the contract kit, plus encodings, delimiters, quoting and explicit options."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from sources.base import SourceError, SourceItem
from sources.config import SourceConfig
from sources.csv_inbox import CsvInbox, detect_encoding, sniff_delimiter
from sources.testing import REFUSED, ROWS, Scenario, SourceContractSuite

GOOD = "id;Nom;Prénom;Courriel\n1;Dupont;Élodie;e@x.fr\n2;Martin;José;\n3;Bernard;Zoé;z@y.fr\n"


class TestCsvContract(SourceContractSuite):
    connector = CsvInbox
    source = {
        "path": "crm/*.csv",
        "key_columns": ["id"],
        "mapping": {"last_name": "Nom", "first_name": "Prénom", "email": "Courriel"},
    }
    files = {
        "good.csv": GOOD.encode("cp1252"),
        "utf8_bom.csv": codecs.BOM_UTF8 + GOOD.replace(";", ",").encode("utf-8"),
        "utf16.txt.csv": GOOD.replace(";", "\t").encode("utf-16"),
        "quoted.csv": 'id|Nom|Prénom|Courriel\n1|"Du|pont"|"Line\nbreak"|a@b.fr\n',
        "bad_header.csv": "id;Name;Firstname;Email\n1;Dupont;Jean;j@x.fr\n",
        "empty.csv": b"",
        "header_only.csv": "id;Nom;Prénom;Courriel\n",
        "ragged.csv": "id;Nom;Prénom;Courriel\n1;Dupont;Secretvalue;e@x.fr;extra;more\n",
    }
    scenarios = [
        Scenario("good.csv", expect=ROWS(3)),
        Scenario("utf8_bom.csv", expect=ROWS(3)),
        Scenario("utf16.txt.csv", expect=ROWS(3)),
        Scenario("quoted.csv", expect=ROWS(1)),
        Scenario("bad_header.csv", expect=REFUSED, error_contains="missing column", private=("Dupont",)),
        Scenario("empty.csv", expect=REFUSED, error_contains="empty"),
        Scenario("header_only.csv", expect=REFUSED, error_contains="no data rows"),
        Scenario("ragged.csv", expect=REFUSED, error_contains="malformed", private=("Secretvalue",)),
    ]


def read(tmp_path: Path, data: bytes, **options: object) -> dict[str, list[str | None]]:
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    source = SourceConfig(name="s", kind="csv", path="*.csv", mapping={}, options=dict(options))
    result = CsvInbox(source).read(SourceItem(label="f.csv", path=path))
    return result.sheets[0].table.to_pydict()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("é".encode(), "utf-8"),
        (codecs.BOM_UTF8 + "é".encode(), "utf-8-sig"),
        ("é;€".encode("cp1252"), "cp1252"),
        (b"\xe9\x81", "latin-1"),  # 0x81 is undefined in Windows-1252
        ("a\tb".encode("utf-16"), "utf-16"),
        ("a\tb\n".encode("utf-16-le"), "utf-16-le"),
    ],
)
def test_encoding_detection(data: bytes, expected: str) -> None:
    assert detect_encoding(data) == expected


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_sniffing(delimiter: str) -> None:
    sample = delimiter.join(["a", "b", "c"]) + "\n" + delimiter.join(["1", "x,y; z", "3"]) + "\n"
    sample = sample.replace("x,y; z", '"x,y; z"')
    assert sniff_delimiter(sample) == delimiter


def test_values_are_text_and_empty_is_null(tmp_path: Path) -> None:
    data = read(tmp_path, b"cp;tel;n\n01000;0612345678;\n75001;+33 6;x\n")
    assert data == {"cp": ["01000", "75001"], "tel": ["0612345678", "+33 6"], "n": [None, "x"]}


def test_windows_1252_accents_survive(tmp_path: Path) -> None:
    data = read(tmp_path, "Nom;Ville\nDupré;Besançon €\n".encode("cp1252"))
    assert data == {"Nom": ["Dupré"], "Ville": ["Besançon €"]}


def test_explicit_options_win(tmp_path: Path) -> None:
    raw = b"a,b;c\n1,2;3\n"
    assert read(tmp_path, raw, delimiter=";") == {"a,b": ["1,2"], "c": ["3"]}
    # Explicit UTF-8 on a Windows-1252 file is refused, not guessed around.
    with pytest.raises(SourceError, match="cannot be decoded as utf-8"):
        read(tmp_path, "Nom\nDupré\n".encode("cp1252"), encoding="utf-8")


def test_skip_rows_and_duplicate_headers(tmp_path: Path) -> None:
    data = read(tmp_path, b"Export du 01/02/2026\nx,x,\n1,2,3\n", skip_rows=1)
    assert data == {"x": ["1"], "x_2": ["2"], "column_3": ["3"]}


def test_unknown_option_is_a_config_error() -> None:
    from sources.base import ConnectorConfigError

    source = SourceConfig(name="s", kind="csv", path="*.csv", mapping={}, options={"delimter": ";"})
    with pytest.raises(ConnectorConfigError, match="'s'.*delimter"):
        CsvInbox(source)
