"""mdm.yaml loading: the bundled demo config is valid; errors name the source, key and expectation."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mdm.config import BUNDLED_DEMO_CONFIG, ConfigError, load_config


def test_bundled_demo_config_is_valid(mdm_home: Path) -> None:
    config = load_config(BUNDLED_DEMO_CONFIG)
    assert [s.name for s in config.sources] == [
        "crm", "salon", "webshop", "newsletter", "erp", "erp_contacts", "eshop_orders", "call_centre", "campaigns"]
    assert [s.name for s in config.sources if s.records == "events"] == ["eshop_orders", "call_centre", "campaigns"]
    assert config.paths.home == mdm_home.resolve()
    assert config.paths.published == mdm_home.resolve() / "published" / "mdm.duckdb"


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "mdm.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_error_names_source_key_and_expectation(tmp_path: Path, mdm_home: Path) -> None:
    raw = yaml.safe_load(BUNDLED_DEMO_CONFIG.read_text(encoding="utf-8"))
    raw["sources"][1]["mapping"]["nom"] = "Nom"
    raw["sources"][2]["trust_rank"] = 0
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, raw))
    message = str(err.value)
    assert "2 problem(s)" in message
    assert "sources[1] (salon) > mapping" in message and "unknown canonical field(s) ['nom']" in message
    assert "sources[2] (webshop) > trust_rank" in message and "greater than or equal to 1" in message


def test_unknown_top_level_key_and_duplicate_sources(tmp_path: Path, mdm_home: Path) -> None:
    raw = yaml.safe_load(BUNDLED_DEMO_CONFIG.read_text(encoding="utf-8"))
    raw["sources"].append(dict(raw["sources"][0]))
    raw["matchin"] = {}
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, raw))
    assert "matchin: Extra inputs are not permitted" in str(err.value)
    raw.pop("matchin")
    with pytest.raises(ConfigError, match="repeated: \\['crm'\\]"):
        load_config(_write(tmp_path, raw))


def test_missing_and_unparsable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)


def test_home_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = yaml.safe_load(BUNDLED_DEMO_CONFIG.read_text(encoding="utf-8"))
    raw["home"] = "state"
    path = _write(tmp_path, raw)
    monkeypatch.delenv("MDM_HOME", raising=False)
    assert load_config(path).paths.home == (tmp_path / "state").resolve()
    monkeypatch.setenv("MDM_HOME", str(tmp_path / "env-home"))
    assert load_config(path).paths.home == (tmp_path / "env-home").resolve()


def test_warehouse_memory_limit_reaches_the_writer(tmp_path: Path, mdm_home: Path) -> None:
    from mdm.runner import open_context

    raw = yaml.safe_load(BUNDLED_DEMO_CONFIG.read_text(encoding="utf-8"))
    raw["warehouse"] = {"memory_limit": "512MB"}
    config = load_config(_write(tmp_path, raw))
    with open_context(config, run_id="t") as ctx:
        row = ctx.con.execute("SELECT current_setting('memory_limit')").fetchone()
    assert row is not None and row[0] in ("488.2 MiB", "512.0 MB", "512MB"), row
    raw["warehouse"] = {"memory_limit": "lots"}
    with pytest.raises(ConfigError, match="warehouse > memory_limit"):
        load_config(_write(tmp_path, raw))
