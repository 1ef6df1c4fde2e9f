"""The one read model of a golden customer (`mdm.golden_view`): the CLI and the app answer alike,
the checks refuse what the merge stage would ignore, and previews follow the identity rules."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from mdm import golden_view
from mdm.cli import mdm
from mdm.config import MdmConfig
from mdm.stewardship import store
from warehouse.connection import open_published_reader

OLDER = "11111111-1111-4111-8111-111111111111"  # Marie Dupont (first seen first)
NEWER = "22222222-2222-4222-8222-222222222222"  # Marie Dupond
JEAN = "33333333-3333-4333-8333-333333333333"  # two records

QUERIES = ["dupont", "Marie Dup", "MARTIN", "hélène", "x@example", "JEAN.MARTIN@example.fr", "06 98 76 54 32",
           "+33 6 98 76 54 32", "0033698765432", "98765432", "nobody", "hack", JEAN,
           "99999999-9999-4999-8999-999999999999"]


@pytest.mark.parametrize("q", QUERIES)
def test_cli_and_app_find_the_same_customers(
    q: str, make_client: Callable[..., TestClient], web_config: MdmConfig
) -> None:
    app = [r["golden_id"] for r in make_client().get("/customers.json", params={"q": q}).json()["results"]]
    cli = CliRunner().invoke(mdm, ["golden", "find", q, "--json"])
    assert cli.exit_code == 0, cli.output
    assert [c["golden_id"] for c in json.loads(cli.output)["customers"]] == app


def test_phone_and_name_options_read_like_the_app(web_config: MdmConfig) -> None:
    def ids(*args: str) -> list[str]:
        return [c["golden_id"] for c in json.loads(CliRunner().invoke(mdm, ["golden", "find", *args, "--json"]).output)
                ["customers"]]

    assert ids("--phone", "06 98 76 54 32") == ids("+33698765432") == [JEAN]
    assert ids("--name", "marie dup") == ids("Marie Dup") == [NEWER, OLDER]
    assert ids("--name", "upon") == []  # a word starts a name part; it is not a substring search


def test_checks_and_previews(web_config: MdmConfig) -> None:
    con = open_published_reader(web_config.paths)
    try:
        with pytest.raises(golden_view.RequestRefused, match="each side"):
            golden_view.preview_split(con, JEAN, ["crm:00000000000000a2", "webshop:00000000000000b2"])
        with pytest.raises(golden_view.RequestRefused, match="not records of this customer"):
            golden_view.preview_split(con, JEAN, ["crm:00000000000000a1"])
        with pytest.raises(golden_view.RequestRefused, match="same customer"):
            golden_view.preview_merge(con, OLDER, OLDER)
        split = golden_view.preview_split(con, JEAN, ["webshop:00000000000000b2"])
        assert split["staying"] == ["crm:00000000000000a2"] and split["keeps_id"] == "stay"
        for first, second in ((OLDER, NEWER), (NEWER, OLDER)):
            merge = golden_view.preview_merge(con, first, second)
            assert (merge["golden_id"], merge["other_golden_id"], merge["records"]) == (OLDER, NEWER, 2)
        # the preview leaves nothing behind in the reader
        assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone() == (0,)
    finally:
        con.close()


def test_cli_split_merge_and_withdraw(web_config: MdmConfig) -> None:
    runner = CliRunner()
    merged = runner.invoke(mdm, ["golden", "merge", NEWER, OLDER, "--user", "alice", "--json"])
    assert merged.exit_code == 0, merged.output
    request_id = json.loads(merged.output)["request_id"]
    con = store.connect(web_config.paths.steward_db)
    try:
        assert [(a["golden_id"], a["other_golden_id"]) for a in store.pending_golden_actions(con)] == [(OLDER, NEWER)]
        withdrawn = runner.invoke(mdm, ["golden", "withdraw", str(request_id), "--user", "alice"])
        assert withdrawn.exit_code == 0 and "withdrawn" in withdrawn.output
        assert store.pending_golden_actions(con) == []
        assert runner.invoke(mdm, ["golden", "withdraw", str(request_id)]).exit_code == 1
        about = golden_view.requests_about(con, [OLDER])
        assert about[0]["state"] == "withdrawn" and about[0]["withdrawn_by"] == "alice"
    finally:
        con.close()
