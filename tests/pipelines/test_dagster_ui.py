"""Which job Dagster's "Materialize all" buttons launch, asked of the real UI (dagster-webserver
driven in Chromium).

The job page's button (Jobs > nightly) launches `nightly`. The global Lineage graph's button
launches Dagster's implicit `__ASSET_JOB`: the UI picks the first job all selected assets share
unless the page names one (`getCommonJob` in Dagster's LaunchAssetExecutionButton.tsx), and job
names come sorted, `__ASSET_JOB` before `nightly`; every code location with assets has that job
(dagster-io/dagster#14820: "expected behavior"). The README says where the button that runs
`nightly` is; the second assertion tells us when a Dagster upgrade changes the global one.

The instance queues runs (QueuedRunCoordinator) and no daemon runs beside the webserver, so a
launched run is recorded with its job name and never executes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mdm.web.web_helpers import ARGS, CHROMIUM, free_port, need_browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
INSTANCE = """telemetry:
  enabled: false
run_coordinator:
  module: dagster._core.run_coordinator
  class: QueuedRunCoordinator
"""
RUNS_QUERY = "{ runsOrError { ... on Runs { results { runId jobName status } } } }"


def _graphql(base: str, query: str) -> dict:
    request = urllib.request.Request(base + "/graphql", json.dumps({"query": query}).encode(),
                                     {"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)["data"]


@pytest.fixture
def dagster_ui(tmp_path: Path) -> Iterator[str]:
    need_browser()
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(INSTANCE)
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "MDM_HOME": str(tmp_path / "mdm")}
    webserver = Path(sys.executable).parent / "dagster-webserver"
    proc = subprocess.Popen(
        [str(webserver), "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if _graphql(base, "{ version }").get("version"):
                    break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "dagster-webserver did not start"
            time.sleep(1)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # it ignores SIGTERM; SIGINT stops it and its code server
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _launched_job(page, base: str, path: str, before: int) -> str:  # type: ignore[no-untyped-def]
    """Open `path`, press its "Materialize all", and return the job name of the run it queued."""
    # Dagster's first-visit newsletter dialog can open at any moment after the page shows (later on
    # a loaded machine): Playwright dismisses it whenever it appears before an action, where a
    # one-time check after 500 ms missed it and the dialog's backdrop swallowed the click.
    skip = page.get_by_role("button", name="Skip")
    page.add_locator_handler(skip, lambda: skip.click())
    page.goto(base + path)
    button = page.get_by_role("button", name="Materialize all")
    button.wait_for(timeout=60_000)
    button.click()
    deadline = time.monotonic() + 30
    while True:
        runs = _graphql(base, RUNS_QUERY)["runsOrError"]["results"]
        if len(runs) > before:
            return str(runs[0]["jobName"])  # newest first
        assert time.monotonic() < deadline, f"no run queued from {path}"
        time.sleep(0.5)


def test_the_job_pages_materialize_all_runs_nightly(dagster_ui: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        assert _launched_job(page, dagster_ui, "/locations/pipelines.definitions/jobs/nightly", 0) == "nightly"
        # The global Lineage graph: Dagster's implicit job (see the module docstring and the README).
        assert _launched_job(page, dagster_ui, "/asset-groups", 1) == "__ASSET_JOB", (
            "Dagster's global 'Materialize all' no longer uses __ASSET_JOB: update the README's Dagster section")
        browser.close()
