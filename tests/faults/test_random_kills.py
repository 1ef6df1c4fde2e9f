"""`kill -9` of `mdm run` at random moments (seeded), several seeds: issue 18's promises after each.

After every kill: the published file is a complete version, the next run completes and marks the
killed run `interrupted`, every raw record is accounted for, and no rewrite's temporary file is
left. The longer soak (`benchmarks/soak_faults.py --kills 20`) runs the same code with more kills.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.soak_faults import failed, soak
from tests.faults.faults_helpers import demo_home

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("end_to_end")]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_9_at_random_moments_breaks_no_promise(demo_template: Path, tmp_path: Path, seed: int) -> None:
    results, _ = soak(demo_home(demo_template, tmp_path), kills=2, seed=seed)
    assert [r for r in results if failed(r)] == []
    assert len(results) == 2
