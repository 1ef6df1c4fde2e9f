"""Where a pipeline run's time goes, per stage, from py-spy's raw (collapsed) stacks.

    .venv/bin/python benchmarks/bench_pipeline.py --records 100000 --profile     # writes the stacks
    .venv/bin/python benchmarks/profile_stacks.py benchmarks/data/profiles/full-100000.txt [--top 12]

Each sample is attributed to the stage whose function sits right under `execute_stage` in its stack.
Per stage it prints the project functions with the most inclusive samples (time spent in them or
below them) and the leaf frames with the most samples (where the CPU actually was). py-spy sees
Python frames only: time inside DuckDB or a C extension counts against the Python line calling it.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter, defaultdict
from pathlib import Path

FRAME = re.compile(r"^(?P<func>.+?) \((?P<file>[^():]+)(?::(?P<line>\d+))?\)$")
PROJECT = ("sources/", "mdm/standardise/", "expectations/", "matching/", "warehouse/", "mdm/reports/", "mdm/", "mdm/stewardship/")


def _short(frame: str) -> str:
    """`func (path/to/module.py:12)` with the path cut to the project-relative part."""
    match = FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    file = match.group("file")
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in file:
            file = file.split(marker, 1)[1]
    return f"{match.group('func')} ({file}:{match.group('line') or '?'})"


def _is_project(frame: str) -> bool:
    match = FRAME.match(frame.strip())
    if match is None:
        return False
    file = match.group("file")
    return "site-packages" not in file and any(p in file for p in PROJECT)


def analyse(path: Path, top: int) -> None:
    stage_samples: Counter[str] = Counter()
    inclusive: dict[str, Counter[str]] = defaultdict(Counter)
    leaves: dict[str, Counter[str]] = defaultdict(Counter)
    rate_hint = 0
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack_text, _, count_text = raw.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        if "PeakMeter._sample" in stack_text:  # the benchmark's own memory sampler, idle
            continue
        rate_hint += count
        frames = stack_text.split(";")
        idx = next((i for i, f in enumerate(frames) if f.startswith("execute_stage (")), None)
        if idx is None or idx + 1 >= len(frames):
            stage = "(outside stages)"
            below = frames
        else:
            stage_frame = FRAME.match(frames[idx + 1].strip())
            stage = stage_frame.group("file").split("/work/main/")[-1] if stage_frame else frames[idx + 1]
            below = frames[idx + 1:]
        stage_samples[stage] += count
        for frame in {_short(f) for f in below if _is_project(f)}:
            inclusive[stage][frame] += count
        leaves[stage][_short(frames[-1])] += count
    total = sum(stage_samples.values()) or 1
    print(f"{path.name}: {total} samples")
    for stage, samples in stage_samples.most_common():
        print(f"\n== {stage}: {samples} samples ({100 * samples / total:.1f} %)")
        print("  inclusive (project code):")
        for frame, n in inclusive[stage].most_common(top):
            print(f"    {100 * n / samples:5.1f} %  {frame}")
        print("  leaf frames:")
        for frame, n in leaves[stage].most_common(max(4, top // 2)):
            print(f"    {100 * n / samples:5.1f} %  {frame}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stacks", type=Path, nargs="+")
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    for path in args.stacks:
        analyse(path, args.top)


if __name__ == "__main__":
    main()
