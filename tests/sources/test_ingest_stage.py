"""The ingest stage itself: keys, lineage, skip-if-loaded, rejection, confinement, run summary."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from mdm.config import ConfigError, MdmConfig, parse_config
from sources.keys import record_key
from sources.testing import make_config, query, run_ingest

CRM: dict[str, Any] = {
    "name": "crm",
    "kind": "csv",
    "path": "crm/*.csv",
    "key_columns": ["Code client"],
    "mapping": {"last_name": "Nom", "email": "Courriel"},
}
NEWS = {"name": "newsletter", "kind": "csv", "path": "news/*.csv", "mapping": {"email": "email"}}


def write(home: Path, rel: str, text: str, encoding: str = "utf-8") -> Path:
    path = home / "inbox" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def test_counts_keys_and_lineage(tmp_path: Path, mdm_home: Path) -> None:
    config = make_config(mdm_home, [CRM, NEWS])
    write(mdm_home, "crm/a.csv", "Code client;Nom;Courriel\n C1 ;Dupré;d@x.fr\n;Vide;v@x.fr\n", "cp1252")
    write(mdm_home, "news/n.csv", "email,opt\na@x.fr,1\n")
    result = run_ingest(config, run_id="run-1")
    assert result.stage == "ingest"
    assert result.counts == {
        "received": {"crm": 2, "newsletter": 1},
        "failed_loads": {"crm": 0, "newsletter": 0},
        "skipped_already_loaded": 0,
        "loads": 2,
    }
    rows = query(config, "SELECT record_key, source, file, sheet, row_number, ingested_at, payload "
                         "FROM raw.records ORDER BY source, row_number")
    (k1, _, f1, s1, r1, at1, p1), (k2, *_, p2), (k3, _, f3, *_, p3) = rows
    assert (f1, s1, r1, str(at1)) == ("crm/a.csv", None, 1, "2026-11-23 12:00:00")
    assert json.loads(p1) == {"Code client": " C1 ", "Nom": "Dupré", "Courriel": "d@x.fr"}
    assert k1 == record_key("crm", [" C1 "]) == record_key("crm", ["C1"])
    # An empty key falls back to the whole row, so keyless rows do not collide.
    assert k2 == record_key("crm", [None, "Vide", "v@x.fr"])
    # No key columns: the whole row is the key.
    assert k3 == record_key("newsletter", ["a@x.fr", "1"]) and f3 == "news/n.csv"
    loads = query(config, "SELECT source, status, rows_read, run_id, content_hash FROM raw.loads ORDER BY source")
    assert [(s, st, n, r) for s, st, n, r, _ in loads] == [("crm", "loaded", 2, "run-1"), ("newsletter", "loaded", 1, "run-1")]
    assert all(len(h) == 64 for *_, h in loads)


def test_same_file_is_a_no_op_and_changed_file_is_a_new_load(mdm_home: Path) -> None:
    config = make_config(mdm_home, [CRM])
    write(mdm_home, "crm/a.csv", "Code client;Nom;Courriel\nC1;A;a@x.fr\n")
    run_ingest(config)
    again = run_ingest(config)
    assert again.counts["loads"] == 0 and again.counts["skipped_already_loaded"] == 1
    assert again.counts["received"] == {"crm": 0}
    write(mdm_home, "crm/a.csv", "Code client;Nom;Courriel\nC1;B;a@x.fr\nC2;C;c@x.fr\n")
    changed = run_ingest(config)
    assert changed.counts["received"] == {"crm": 2} and changed.counts["loads"] == 1
    keys = query(config, "SELECT record_key, count(*) FROM raw.records GROUP BY 1 ORDER BY 2 DESC")
    assert keys[0] == (record_key("crm", ["C1"]), 2)  # same record, two loads: staging keeps the latest


def test_failed_file_is_recorded_moved_and_the_run_goes_on(mdm_home: Path) -> None:
    config = make_config(mdm_home, [CRM, NEWS])
    bad = write(mdm_home, "crm/bad.csv", "Code client;Name;Mail\nC1;Secret Person;s@x.fr\n")
    write(mdm_home, "crm/good.csv", "Code client;Nom;Courriel\nC1;A;a@x.fr\n")
    write(mdm_home, "news/n.csv", "email\na@x.fr\n")
    result = run_ingest(config)
    assert result.counts["received"] == {"crm": 1, "newsletter": 1}
    assert result.counts["failed_loads"] == {"crm": 1, "newsletter": 0}
    assert result.counts["loads"] == 2
    (status, error, rows), = query(config, "SELECT status, error, rows_read FROM raw.loads WHERE file = 'crm/bad.csv'")
    assert status == "failed" and rows == 0
    assert error == "crm/bad.csv: missing column(s) ['Nom', 'Courriel']; the file has 3 column(s)"
    assert "Secret" not in error and any("crm/bad.csv" in w for w in result.warnings)
    assert not bad.exists()
    moved = mdm_home / "rejected" / "crm" / "bad.csv"
    assert moved.exists()
    assert "missing column(s)" in (moved.parent / "bad.csv.reason.txt").read_text()
    assert query(config, "SELECT count(*) FROM raw.records WHERE file = 'crm/bad.csv'") == [(0,)]


def test_optional_columns_may_be_absent(mdm_home: Path) -> None:
    source = {**CRM, "mapping": {**CRM["mapping"], "phone": "Tel"}, "optional_columns": ["Tel"]}
    config = make_config(mdm_home, [source])
    write(mdm_home, "crm/a.csv", "Code client;Nom;Courriel\nC1;A;a@x.fr\n")
    assert run_ingest(config).counts["received"] == {"crm": 1}


def test_symlink_escaping_the_inbox_is_not_read(mdm_home: Path, tmp_path: Path) -> None:
    config = make_config(mdm_home, [CRM])
    outside = tmp_path / "secret.csv"
    outside.write_text("Code client;Nom;Courriel\nC1;A;a@x.fr\n")
    link = mdm_home / "inbox" / "crm" / "link.csv"
    link.parent.mkdir(parents=True)
    os.symlink(outside, link)
    result = run_ingest(config)
    assert result.counts["failed_loads"] == {"crm": 1} and result.counts["received"] == {"crm": 0}
    (error,) = query(config, "SELECT error FROM raw.loads")[0]
    assert "escapes the inbox" in error
    assert outside.exists(), "the target outside the inbox is never touched"


@pytest.mark.parametrize("path", ["../etc/*.csv", "/etc/*.csv", "crm/../../x.csv"])
def test_config_refuses_paths_outside_the_inbox(path: str, tmp_path: Path) -> None:
    raw = {"sources": [{**CRM, "path": path}]}
    with pytest.raises(ConfigError, match=r"sources\[0\] \(crm\) > path"):
        parse_config(raw, "mdm.yaml", tmp_path)


def test_config_refuses_a_malformed_mapping(tmp_path: Path) -> None:
    raw = {"sources": [{**CRM, "mapping": {"street": {"join": "Adresse"}}}]}
    with pytest.raises(ConfigError, match=r"mapping.*street: expected a source column name"):
        parse_config(raw, "mdm.yaml", tmp_path)


def test_unknown_kind_is_a_failed_load_not_a_crash(mdm_home: Path) -> None:
    config = make_config(mdm_home, [{**CRM, "kind": "xml"}, NEWS])
    write(mdm_home, "news/n.csv", "email\na@x.fr\n")
    result = run_ingest(config)
    assert result.counts["failed_loads"] == {"crm": 1, "newsletter": 0}
    assert result.counts["received"] == {"crm": 0, "newsletter": 1}
    assert "unknown connector kind 'xml'" in query(config, "SELECT error FROM raw.loads WHERE source='crm'")[0][0]


def test_ignores_hidden_lock_and_partial_files(mdm_home: Path) -> None:
    config = make_config(mdm_home, [{**CRM, "path": "crm/*"}])
    for name in (".hidden.csv", "~$lock.csv", "x.csv.part", "x.csv.reason.txt"):
        write(mdm_home, f"crm/{name}", "junk")
    write(mdm_home, "crm/a.csv", "Code client;Nom;Courriel\nC1;A;a@x.fr\n")
    result = run_ingest(config)
    assert result.counts["loads"] == 1 and result.counts["failed_loads"] == {"crm": 0}


def test_runner_runs_the_stage(mdm_home: Path) -> None:
    """The real runner path (`mdm run --until ingest`) reaches this stage and records its counts."""
    from mdm.pipeline import run_pipeline

    config = make_config(mdm_home, [CRM])
    write(mdm_home, "crm/a.csv", "Code client;Nom;Courriel\nC1;A;a@x.fr\n")
    summary = run_pipeline(config, until="ingest")
    assert summary.results["ingest"].counts["received"] == {"crm": 1}


def test_demo_inbox_loads_whole_and_once(small_demo: MdmConfig) -> None:
    """The bundled demo: four formats, every file loaded, every row keyed, a second run a no-op."""
    first = run_ingest(small_demo)
    assert first.counts["failed_loads"] == {s.name: 0 for s in small_demo.sources}, first.warnings
    assert all(n > 0 for n in first.counts["received"].values()), first.counts
    files = sorted(p for p in small_demo.paths.inbox.rglob("*") if p.is_file())
    assert first.counts["loads"] == len(files)
    per_source = query(small_demo, "SELECT source, count(*), count(DISTINCT record_key) FROM raw.records GROUP BY 1 "
                       "UNION ALL SELECT source, count(*), count(DISTINCT record_key) FROM raw.event_rows GROUP BY 1")
    assert {s: n for s, n, _ in per_source} == first.counts["received"]
    assert all(n == distinct for _, n, distinct in per_source), "record keys must be unique within a load"
    sheets = query(small_demo, "SELECT DISTINCT sheet FROM raw.records WHERE source = 'salon'")
    assert sheets == [("Contacts",)]
    second = run_ingest(small_demo)
    assert second.counts["loads"] == 0 and second.counts["skipped_already_loaded"] == len(files)


def test_vectorised_keys_equal_the_python_function(mdm_home: Path) -> None:
    """Arrow's trim + DuckDB's sha256 give exactly `sources.keys.record_key`, odd whitespace included."""
    values = [" a ", "\ta\t", "\xa0a\xa0", "\u2003a\u3000", "\x1ca\x1f", "\u200ba", "é", "1"]
    config = make_config(mdm_home, [{"name": "web", "kind": "json", "path": "mdm/web/*.ndjson",
                                     "key_columns": ["id", "n"], "mapping": {}}])
    lines = [json.dumps({"id": v, "n": i}) for i, v in enumerate(values)]
    write(mdm_home, "mdm/web/a.ndjson", "\n".join(lines) + "\n")
    run_ingest(config)
    stored = [k for (k,) in query(config, "SELECT record_key FROM raw.records ORDER BY row_number")]
    assert stored == [record_key("web", [v, i]) for i, v in enumerate(values)]
