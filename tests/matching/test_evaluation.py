"""`mdm evaluate` and the F1 floors on FEBRL and the demo data."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner

from matching.evaluation import (
    FEBRL_REFERENCE_DATE,
    REFERENCE_DATE,
    TRUTH_TABLE,
    evaluate,
    load_dataset,
    pairwise_scores,
    standardise_records,
)
from mdm.cli import mdm
from mdm.demo.generate import generate_canonical, write_canonical_csv

LAST_LINE = re.compile(
    r"^precision=(\d\.\d{4}) recall=(\d\.\d{4}) f1=(\d\.\d{4}) records=(\d+) clusters=(\d+) seconds=\d+(\.\d+)?$"
)


def test_pairwise_scores_by_hand() -> None:
    truth = pd.Series(["A", "A", "A", "B", "B", "C"])
    predicted = pd.Series([1, 1, 2, 2, 2, 3])
    # predicted pairs: (0,1) (2,3) (2,4) (3,4) = 4; true pairs: (0,1) (0,2) (1,2) (3,4) = 4; both: (0,1) (3,4)
    assert pairwise_scores(predicted, truth) == (0.5, 0.5, 0.5)
    assert pairwise_scores(pd.Series([1, 2, 3]), pd.Series(["a", "b", "c"])) == (1.0, 1.0, 1.0)


def _csv(tmp_path: Path) -> Path:
    rows = [
        ("1", "Jean-Baptiste", "Dupont", "jb.dupont@gmail.com", "06 12 34 56 78", "1980-03-04", "P1"),
        ("2", "JB", "DUPONT", "jb.dupont@gmail.com", "+33 6 12 34 56 78", "1980-03-04", "P1"),
        ("3", "Hélène", "Martin", "helene.martin@orange.fr", "", "1975-12-01", "P2"),
        ("4", "Helene", "Martin", "helene.martin@orange.fr", "01 44 55 66 77", "1975-01-12", "P2"),
        ("5", "Paul", "Bernard", "pbernard@free.fr", "07 11 22 33 44", "1990-06-30", "P3"),
    ]
    frame = pd.DataFrame(rows, columns=["record_id", "first_name", "last_name", "email", "phone", "birth_date",
                                        "who"])
    frame["ignored"] = "x"
    path = tmp_path / "people.csv"
    frame.to_csv(path, index=False)
    return path


def test_cli_last_line_and_json(tmp_path: Path, mdm_home: Path) -> None:
    path = _csv(tmp_path)
    result = CliRunner().invoke(mdm, ["evaluate", str(path), "--truth-column", "who"])
    assert result.exit_code == 0, result.output
    match = LAST_LINE.match(result.output.strip().splitlines()[-1])
    assert match, result.output
    assert match.group(4) == "5" and match.group(5) == "3"
    assert float(match.group(3)) == 1.0

    as_json = CliRunner().invoke(mdm, ["evaluate", str(path), "--truth-column", "who", "--json"])
    assert as_json.exit_code == 0
    assert '"f1": 1.0' in as_json.output
    assert not (mdm_home / "warehouse.duckdb").exists()          # nothing written to the home


def test_cli_keeps_the_database_to_look_at_errors(tmp_path: Path, mdm_home: Path) -> None:
    path, kept = _csv(tmp_path), tmp_path / "kept.duckdb"
    result = CliRunner().invoke(mdm, ["evaluate", str(path), "--truth-column", "who", "--keep-database", str(kept)])
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(kept), read_only=True) as con:
        truth = dict(con.execute(f"SELECT record_key, truth FROM {TRUTH_TABLE}").fetchall())
        merged = con.execute(f"""
            SELECT count(*) FROM match.clusters a JOIN match.clusters b
              ON a.cluster_id = b.cluster_id AND a.record_key < b.record_key
            JOIN {TRUTH_TABLE} ta ON ta.record_key = a.record_key
            JOIN {TRUTH_TABLE} tb ON tb.record_key = b.record_key AND ta.truth = tb.truth
        """).fetchone()
    assert truth == {"1": "P1", "2": "P1", "3": "P2", "4": "P2", "5": "P3"}
    assert merged == (2,)                                         # both true pairs, as the F1 of 1.0 says
    before = kept.stat().st_mtime_ns
    again = CliRunner().invoke(mdm, ["evaluate", str(path), "--truth-column", "who", "--keep-database", str(kept)])
    assert again.exit_code == 2 and "already exists" in again.output
    assert kept.stat().st_mtime_ns == before                      # never written into an existing file
    assert not (mdm_home / "warehouse.duckdb").exists()


def test_cli_reads_a_french_excel_export(tmp_path: Path, mdm_home: Path) -> None:
    # Excel in France writes `;`-separated Windows-1252: read with pandas' defaults, the header was
    # one column and the truth column "not in the header".
    path = tmp_path / "excel.csv"
    pd.read_csv(_csv(tmp_path), dtype=str).to_csv(path, sep=";", index=False, encoding="cp1252")
    result = CliRunner().invoke(mdm, ["evaluate", str(path), "--truth-column", "who"])
    assert result.exit_code == 0, result.output
    match = LAST_LINE.match(result.output.strip().splitlines()[-1])
    assert match and match.group(4) == "5" and float(match.group(3)) == 1.0


def test_records_without_a_truth_id_are_matched_but_not_scored(tmp_path: Path, mdm_home: Path) -> None:
    frame = pd.read_csv(_csv(tmp_path), dtype=str)
    unknown = frame.iloc[[4, 4, 2]].assign(record_id=["6", "7", "8"], who=["", " ", ""])
    path = tmp_path / "partly_labelled.csv"
    pd.concat([frame, unknown]).to_csv(path, index=False)
    result = CliRunner().invoke(mdm, ["evaluate", str(path), "--truth-column", "who"])
    assert result.exit_code == 0, result.output
    # read as the text "nan", the three were one person, and records 5 and 8 made false pairs
    match = LAST_LINE.match(result.output.strip().splitlines()[-1])
    assert match and match.group(4) == "8" and float(match.group(3)) == 1.0
    assert "3 records have no who value" in result.output


def test_cli_names_the_values_it_could_not_read(tmp_path: Path, mdm_home: Path) -> None:
    # Day and month are never guessed: "04/03/1980" without --date-format is dropped, and says so.
    frame = pd.read_csv(_csv(tmp_path), dtype=str)
    frame["birth_date"] = pd.to_datetime(frame["birth_date"]).dt.strftime("%d/%m/%Y")
    path = tmp_path / "french_dates.csv"
    frame.to_csv(path, index=False)
    result = CliRunner().invoke(mdm, ["evaluate", str(path), "--truth-column", "who"])
    assert result.exit_code == 0, result.output
    assert "birth_date_unparseable: 5 of 5 records" in result.output and "--date-format" in result.output
    read = CliRunner().invoke(mdm, ["evaluate", str(path), "--truth-column", "who", "--date-format", "%d/%m/%Y"])
    assert read.exit_code == 0 and "birth_date_unparseable" not in read.output


def test_cli_refuses_bad_usage(tmp_path: Path, mdm_home: Path) -> None:
    path = _csv(tmp_path)
    assert CliRunner().invoke(mdm, ["evaluate", str(path)]).exit_code == 2
    assert CliRunner().invoke(mdm, ["evaluate", str(path), "--truth-column", "nope"]).exit_code == 2
    assert CliRunner().invoke(mdm, ["evaluate"]).exit_code == 2


def test_cli_on_a_febrl_dataset(mdm_home: Path) -> None:
    result = CliRunner().invoke(mdm, ["evaluate", "--dataset", "febrl1"])
    assert result.exit_code == 0, result.output
    match = LAST_LINE.match(result.output.strip().splitlines()[-1])
    assert match and match.group(4) == "1000"
    assert float(match.group(3)) >= 0.99


def test_febrl_columns_map_onto_canonical_ones() -> None:
    frame, truth, date_format = load_dataset("febrl4")
    assert len(frame) == 10_000 and truth.nunique() == 5_000
    assert {"first_name", "last_name", "street", "postcode", "city", "birth_date", "national_id"} <= set(frame.columns)
    assert date_format == "%Y%m%d"
    assert frame["national_id"].notna().mean() > 0.99           # FEBRL's soc_sec_id


def test_febrl_birth_dates_are_judged_as_of_the_data_sets_date() -> None:
    """FEBRL birth dates span 1900-1999: judged against today, those before 1906 would be dropped."""
    frame, _, fmt = load_dataset("febrl1")
    assert frame.attrs[REFERENCE_DATE] == FEBRL_REFERENCE_DATE
    old = frame[frame["birth_date"].str.startswith("190", na=False)].head(20)
    assert len(old) > 0
    kept = standardise_records(old, FEBRL_REFERENCE_DATE, "AU", fmt)
    assert kept["birth_date"].notna().all()
    dropped = standardise_records(old, datetime(2030, 1, 1), "AU", fmt)
    assert dropped["birth_date"].isna().all()


@pytest.mark.slow
def test_febrl3_f1_floor() -> None:
    frame, truth, fmt = load_dataset("febrl3")
    result = evaluate(frame, truth, default_country="AU", date_format=fmt)
    assert result.f1 >= 0.997, result.line()


@pytest.mark.slow
def test_febrl4_f1_floor() -> None:
    """The union of both files, deduplicated: 0.9998 measured (docs/matching.md section 9)."""
    frame, truth, fmt = load_dataset("febrl4")
    result = evaluate(frame, truth, default_country="AU", date_format=fmt)
    assert result.f1 >= 0.999 and result.precision >= 0.9995, result.line()


@pytest.mark.slow
def test_demo_data_f1_floor(tmp_path: Path, mdm_home: Path) -> None:
    """Issue 2: matching on the demo data scores F1 >= 0.95 against the generator's truth."""
    path = write_canonical_csv(tmp_path / "demo.csv", people=5000, seed=42)
    result = CliRunner().invoke(mdm, ["evaluate", str(path), "--truth-column", "person_id"])
    assert result.exit_code == 0, result.output
    match = LAST_LINE.match(result.output.strip().splitlines()[-1])
    assert match and float(match.group(3)) >= 0.95, result.output


def test_demo_data_small_f1() -> None:
    data = generate_canonical(300, 5)
    result = evaluate(data.drop(columns=["person_id"]), data["person_id"])
    assert result.f1 >= 0.95, result.line()
