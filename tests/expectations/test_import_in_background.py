"""Great Expectations is imported in the background while the stages before validate run."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys, threading
from mdm.pipeline import warm_imports
warm_imports(sys.argv[1].split(","))
for thread in threading.enumerate():
    if thread.name == "import-great-expectations":
        thread.join()
print("great_expectations.expectations" in sys.modules)
"""


def _imported_after(stages: str) -> bool:
    out = subprocess.run([sys.executable, "-c", PROBE, stages], capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1] == "True"


def test_a_run_that_validates_after_other_stages_imports_gx_meanwhile() -> None:
    assert _imported_after("ingest,standardise,validate")
    assert not _imported_after("validate,match")  # validate first: nothing to overlap with
    assert not _imported_after("ingest,standardise")
