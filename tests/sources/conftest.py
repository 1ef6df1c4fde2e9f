"""A real, throw-away PostgreSQL server for the SQL connector's tests.

Debian's PostgreSQL 15 binaries; `initdb` refuses to run as root, so the server runs as the
`postgres` user in its own temporary folder (stack notes). Tests marked `postgres` are skipped
when the binaries are absent, unless MDM_REQUIRE_POSTGRES=1, in which case they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("MDM_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(args: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    if not (PG_BIN / "initdb").exists():
        if os.environ.get("MDM_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL binaries not found in {PG_BIN} and MDM_REQUIRE_POSTGRES=1")
        pytest.skip(f"PostgreSQL binaries not found in {PG_BIN}")
    folder = Path(tempfile.mkdtemp(prefix="mdm-pg-"))
    data = folder / "data"
    port = _free_port()
    if os.geteuid() == 0:
        shutil.chown(folder, user="postgres", group="postgres")
    subprocess.run(
        _as_postgres([str(PG_BIN / "initdb"), "-A", "trust", "--no-sync", "-U", "postgres", "-D", str(data)]),
        check=True, capture_output=True,
    )
    subprocess.run(
        _as_postgres([
            str(PG_BIN / "pg_ctl"), "-w", "-D", str(data), "-l", str(folder / "log"),
            "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off",
            "start",
        ]),
        check=True, capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)
