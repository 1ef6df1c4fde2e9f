"""`mdm users add/list/remove` and `mdm serve --help`, in-process with CliRunner."""

from __future__ import annotations

import json

from click.testing import CliRunner

from mdm.cli import mdm
from mdm.config import MdmConfig
from mdm.web import auth, db


def test_users_add_list_remove(demo_config: MdmConfig) -> None:
    runner = CliRunner()
    added = runner.invoke(mdm, ["users", "add", "alice", "--role", "steward", "--password-stdin"],
                          input="a-long-password\n")
    assert added.exit_code == 0, added.output
    prompted = runner.invoke(mdm, ["users", "add", "bob", "--role", "manager"],
                             input="another-password\nanother-password\n")
    assert prompted.exit_code == 0, prompted.output
    con = db.connect(db.web_db_path(demo_config.paths.home))
    assert auth.verify_password(con, "alice", "a-long-password") is not None
    listed = runner.invoke(mdm, ["users", "list", "--json"])
    assert [(u["name"], u["role"]) for u in json.loads(listed.output)] == [("alice", "steward"), ("bob", "manager")]
    assert "a-long-password" not in listed.output
    again = runner.invoke(mdm, ["users", "add", "alice", "--role", "admin", "--password-stdin"], input="xxxxxxxxxx\n")
    assert again.exit_code == 1 and "already exists" in again.output
    short = runner.invoke(mdm, ["users", "add", "carl", "--role", "admin", "--password-stdin"], input="short\n")
    assert short.exit_code == 1 and "at least 8" in short.output
    removed = runner.invoke(mdm, ["users", "remove", "alice"])
    assert removed.exit_code == 0
    assert runner.invoke(mdm, ["users", "remove", "alice"]).exit_code == 1


def test_serve_help() -> None:
    result = CliRunner().invoke(mdm, ["serve", "--help"])
    assert result.exit_code == 0 and "--port" in result.output
