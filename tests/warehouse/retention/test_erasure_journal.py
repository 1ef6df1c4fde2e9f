"""Issue 18: erasure is a journal, not a hope. Every scenario is checked two ways:

- by bytes: no file under `$MDM_HOME` or `$DAGSTER_HOME` (inbox and rejected included) holds an
  identifier of the person;
- by SQL: no text, JSON or list column of any table of any DuckDB, SQLite or Parquet file there
  returns one. DuckDB compresses strings, so a value can be absent from the bytes and still be
  returned by SELECT: after the retried erasure of the issue, grep found nothing in the published
  files while `golden.history` still returned the whole record.

Scenarios, on a small generated demo run through the real Dagster job (so `$DAGSTER_HOME` holds
real run and event storage) and the real `mdm` command:
1. a steward's comment names the person on a pair of two other records; a rejected export's file
   name holds the person's e-mail; the published file is held read-write by another process (a
   BI tool) when `mdm erase` runs with the Gmail variant of the address: one plain line, exit 1,
   the erasure journalled as pending;
2. once the tool has closed it, `mdm erase` with the address as stored resumes it and says so,
   never "No record matched";
3. the next run brings nobody back, even from a new export carrying the Gmail variant.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from click.testing import CliRunner

from mdm.cli import mdm as mdm_cli
from mdm.config import MdmConfig
from mdm.pipeline import run_pipeline
from mdm.stewardship import store
from pipelines.assets import stage_assets
from pipelines.checks import asset_checks
from pipelines.resources import MdmConfigResource
from warehouse.connection import open_reader

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("end_to_end")]

TEXT_TYPES = ("VARCHAR", "JSON", "VARCHAR[]")


def _person(config: MdmConfig) -> dict:
    """A published customer with 2+ records, a gmail address with a dot, a phone, and last names
    that no other record carries anywhere (so the needles can only be theirs)."""
    con = open_reader(config.paths.published)
    try:
        rows = con.execute(
            """
            WITH mine AS (
                SELECT x.golden_id, s.* FROM golden.xref x JOIN staging.customers s USING (record_key)
                WHERE x.valid_to IS NULL
            ), cand AS (
                SELECT g.golden_id, g.email, g.phone FROM golden.customer g
                WHERE g.record_count >= 2 AND g.email LIKE '%.%@gmail.com' AND g.phone IS NOT NULL
            )
            SELECT c.golden_id, c.email, c.phone, list(DISTINCT lower(m.last_name)) AS names,
                   list(m.record_key) AS keys
            FROM cand c JOIN mine m USING (golden_id)
            WHERE length(m.last_name) >= 6
            GROUP BY ALL ORDER BY c.golden_id
            """
        ).fetchall()
        for golden_id, email, phone, names, keys in rows:
            others = con.execute(
                "SELECT count(*) FROM staging.customers WHERE record_key NOT IN (SELECT unnest(?::VARCHAR[]))"
                " AND (list_has_any([lower(last_name), lower(first_name)], ?::VARCHAR[])"
                "      OR lower(concat_ws(' ', street, city, email)) SIMILAR TO ?)",
                [keys, names, ".*(" + "|".join(re.escape(n) for n in names) + ").*"],
            ).fetchone()
            if others == (0,) and all(n.isalpha() for n in names):
                return {"golden_id": golden_id, "email": email, "phone": phone, "names": names, "keys": keys}
    finally:
        con.close()
    raise AssertionError("the demo must hold a suitable person")


def _needles(person: dict) -> list[str]:
    local, domain = person["email"].split("@")
    digits = person["phone"].lstrip("+")
    national = "0" + digits[2:]
    return [person["email"], local.replace(".", "") + "@" + domain, person["phone"], national,
            *person["names"]]


def _files(*roots: Path) -> list[Path]:
    return [p for root in roots if root.exists() for p in sorted(root.rglob("*")) if p.is_file()]


def bytes_hits(roots: list[Path], needles: list[str]) -> list[str]:
    """Files whose bytes hold a needle (case-insensitive; UTF-8 and UTF-16 for Windows exports)."""
    hits = []
    for path in _files(*roots):
        data = path.read_bytes().lower()
        for needle in needles:
            forms = {needle.lower().encode(), needle.lower().encode("utf-16-le"), needle.lower().encode("cp1252")}
            if any(f in data for f in forms) or needle.lower() in path.name.lower():
                hits.append(f"{path}: {needle}")
    return hits


def _duckdb_hits(path: Path, needles: list[str]) -> list[str]:
    con = duckdb.connect()
    hits = []
    try:
        if path.suffix == ".parquet":
            con.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet('{path}')")
            tables = [("main", "t", "memory")]
        else:
            con.execute(f"ATTACH '{path}' AS f (READ_ONLY)")
            tables = [(s, t, "f") for s, t in con.execute(
                "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'f'").fetchall()]
        for schema, table, db in tables:
            cols = [c for c, dtype in con.execute(
                f'SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = \'{db}\''
                f" AND schema_name = '{schema}' AND table_name = '{table}'").fetchall() if dtype in TEXT_TYPES]
            if path.suffix == ".parquet":
                cols = [c for c, dtype, *_ in con.execute("DESCRIBE t").fetchall()
                        if dtype in TEXT_TYPES or dtype.startswith("STRUCT")]
            for col in cols:
                for needle in needles:
                    n = con.execute(f'SELECT count(*) FROM {db}."{schema}"."{table}"'
                                    f' WHERE contains(lower("{col}"::VARCHAR), ?)', [needle.lower()]).fetchone()
                    if n and n[0]:
                        hits.append(f"{path} {schema}.{table}.{col}: {needle} x{n[0]}")
    finally:
        con.close()
    return hits


def _sqlite_hits(path: Path, needles: list[str]) -> list[str]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    hits = []
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()]
        for table in tables:
            for col in [r[1] for r in con.execute(f'PRAGMA table_info("{table}")').fetchall()]:
                for needle in needles:
                    n = con.execute(f'SELECT count(*) FROM "{table}" WHERE instr(lower(CAST("{col}" AS TEXT)), ?) > 0',
                                    [needle.lower()]).fetchone()
                    if n and n[0]:
                        hits.append(f"{path} {table}.{col}: {needle} x{n[0]}")
    finally:
        con.close()
    return hits


def sql_hits(roots: list[Path], needles: list[str]) -> list[str]:
    """Every text/JSON/list column of every table of every DuckDB, Parquet and SQLite file."""
    hits: list[str] = []
    checked = 0
    for path in _files(*roots):
        head = path.read_bytes()[:16]
        if path.suffix in (".duckdb", ".parquet") and not path.name.endswith((".wal", ".erasing")):
            hits += _duckdb_hits(path, needles)
            checked += 1
        elif head.startswith(b"SQLite format 3"):
            hits += _sqlite_hits(path, needles)
            checked += 1
    assert checked >= 5, "the SQL check must have reached the databases"
    return hits


def _dagster_run(config: MdmConfig) -> None:
    instance = dg.DagsterInstance.get()
    result = dg.materialize(
        [*stage_assets, *asset_checks], instance=instance,
        resources={"mdm": MdmConfigResource(config_path=str(config.config_path))}, raise_on_error=True,
    )
    assert result.success


def _hold_open(path: Path) -> subprocess.Popen:
    """Another process holding the published file read-write, as a BI tool does by default."""
    proc = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, sys; c = duckdb.connect({str(path)!r}); print('open', flush=True);"
         " sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "open"
    return proc


def _seed_traces(config: MdmConfig, person: dict) -> None:
    """A steward comment naming the person on a pair of two OTHER records, and a rejected export
    whose name and content hold the person's e-mail."""
    con = open_reader(config.paths.published)
    try:
        pair = con.execute(
            "SELECT record_key_l, record_key_r FROM match.pairs WHERE true"
            " AND record_key_l NOT IN (SELECT unnest(?::VARCHAR[])) AND record_key_r NOT IN (SELECT unnest(?::VARCHAR[]))"
            " ORDER BY 1, 2 LIMIT 1", [person["keys"], person["keys"]]).fetchone()
    finally:
        con.close()
    assert pair is not None
    comment = (f"Pas la même personne : {person['names'][0].title()} m'a écrit depuis {person['email']}"
               f" et au {person['phone']}")
    st = store.connect(config.paths.steward_db)
    try:
        st.execute(
            "INSERT INTO pair_decisions (record_key_l, record_key_r, decision, user_name, decided_at, comment)"
            " VALUES (?, ?, 'non_match', 'alice', '2026-11-23T10:00:00', ?)", [pair[0], pair[1], comment])
    finally:
        st.close()
    bad = config.paths.inbox / "newsletter" / f"export_{person['email']}.csv"
    bad.write_bytes(b"\x00\x01PK garbage\xff\xfe" + person["email"].encode() + b"\x00" * 64)


@pytest.fixture
def dagster_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


def test_retried_erasure_after_a_locked_file_leaves_nothing_anywhere(small_demo: MdmConfig, dagster_home: Path) -> None:
    run_pipeline(small_demo)
    person = _person(small_demo)
    _seed_traces(small_demo, person)
    _dagster_run(small_demo)          # loads (rejects) the export, mirrors the comment, publishes
    needles = _needles(person)
    roots = [small_demo.paths.home, dagster_home]
    assert sql_hits(roots, needles), "the seed must put the person in the databases"
    assert bytes_hits(roots, needles), "... and in the files"
    runner = CliRunner()

    # 1. the published file is held read-write by another program
    holder = _hold_open(small_demo.paths.published)
    try:
        local, domain = person["email"].split("@")
        variant = f"{local.replace('.', '').upper()}+bi@googlemail.com"   # the same Gmail mailbox
        first = runner.invoke(mdm_cli, ["erase", "--email", variant, "--yes"])
    finally:
        holder.communicate("")
    assert first.exit_code == 1, first.output
    assert "Traceback" not in first.output and "Not finished (published/mdm.duckdb: the file is open" in first.output
    # the customer's records, and any record outside a customer holding their identifiers (erasure.find_person)
    erased = re.search(r"(\d+) source record\(s\)", first.output.splitlines()[0])
    assert erased is not None and int(erased.group(1)) >= len(person["keys"])
    assert "inbox/rejected files" in first.output
    con = duckdb.connect(str(small_demo.paths.warehouse), read_only=True)
    journal = con.execute("SELECT status, targets, last_problem FROM retention.erasures").fetchall()
    con.close()
    assert [j[0] for j in journal] == ["pending"]
    assert not any(n.lower() in (journal[0][1] + journal[0][2]).lower() for n in needles), "hashes only"

    # 2. retried once the tool has closed: it resumes the pending erasure and says so
    second = runner.invoke(mdm_cli, ["erase", "--email", person["email"], "--yes"])
    assert second.exit_code == 0, second.output
    assert "No record matched" not in second.output
    assert "earlier erasure was pending; it is complete now" in second.output

    assert sql_hits(roots, needles) == []
    assert bytes_hits(roots, needles) == []
    # the comment was scrubbed, not lost; the decision stands
    st = sqlite3.connect(small_demo.paths.steward_db)
    comments = [r[0] for r in st.execute("SELECT comment FROM pair_decisions WHERE comment IS NOT NULL")]
    st.close()
    assert comments and all("[erased]" in c for c in comments)
    con = duckdb.connect(str(small_demo.paths.warehouse), read_only=True)
    # both requests are journalled (the retry as its own request, which found nothing new), both done
    assert con.execute("SELECT status FROM retention.erasures").fetchall() == [("done",), ("done",)]
    con.close()

    # 3. the next run, with a new export carrying the dotted Gmail variant: nobody comes back
    (small_demo.paths.inbox / "newsletter" / "late.csv").write_text(
        "email,prenom,opt_in,date_inscription\n"
        "someone.else.entirely@gmail.com,X,oui,2026-11-20\n"   # another person: loads
        f"{'.'.join(local.replace('.', ''))}@googlemail.com,Y,oui,2026-11-20\n",  # the same mailbox: suppressed
        encoding="utf-8",
    )
    _dagster_run(small_demo)
    (small_demo.paths.inbox / "newsletter" / "late.csv").unlink()  # the source system's file, ours to check
    con = open_reader(small_demo.paths.published)
    try:
        loaded = con.execute("SELECT count(*) FROM staging.customers WHERE first_name IN ('X', 'Y')").fetchall()
    finally:
        con.close()
    assert loaded == [(1,)]
    assert sql_hits(roots, needles) == []
    assert bytes_hits(roots, needles) == []


def test_steward_comment_naming_a_person_is_scrubbed_everywhere(small_demo: MdmConfig, dagster_home: Path) -> None:
    """Without a lock: one `mdm erase` finishes at once; the JSON says done."""
    run_pipeline(small_demo)
    person = _person(small_demo)
    _seed_traces(small_demo, person)
    run_pipeline(small_demo)
    needles = _needles(person)
    roots = [small_demo.paths.home, dagster_home]
    assert sql_hits(roots, needles)
    out = CliRunner().invoke(mdm_cli, ["erase", "--phone", person["phone"], "--yes", "--json"])
    assert out.exit_code == 0, out.output
    answer = json.loads(out.output)
    assert answer["status"] == "done" and answer["records"] >= len(person["keys"])
    assert answer["files_deleted"] >= 1 and answer["problems"] == []
    assert sql_hits(roots, needles) == []
    assert bytes_hits(roots, needles) == []
    _ = time  # (kept for local timing of the scenario)


def test_the_next_run_completes_an_erasure_left_pending_by_a_locked_file(
    small_demo: MdmConfig, dagster_home: Path
) -> None:
    run_pipeline(small_demo)
    person = _person(small_demo)
    needles = _needles(person)
    roots = [small_demo.paths.home, dagster_home]
    run_pipeline(small_demo)  # a second version kept for rollback, holding the person too
    holder = _hold_open(small_demo.paths.published)
    try:
        first = CliRunner().invoke(mdm_cli, ["erase", "--record-key", person["keys"][0], "--yes"])
    finally:
        holder.communicate("")
    assert first.exit_code == 1 and "recorded as pending" in first.output, first.output
    assert sql_hits(roots, needles), "the locked file still holds the person"

    _dagster_run(small_demo)   # the nightly job, through Dagster, resumes it after its last commit

    con = duckdb.connect(str(small_demo.paths.warehouse), read_only=True)
    assert con.execute("SELECT status, attempts FROM retention.erasures").fetchall() == [("done", 2)]
    con.close()
    assert sql_hits(roots, needles) == []
    assert bytes_hits(roots, needles) == []
