"""The fitted Fellegi-Sunter model: m and u per comparison level plus the prior, as versioned JSON.

Why a file: training is rare and scoring is every night (Splink's production advice). Each fit
writes `model-<version>.json` under `paths.models` and points `current.json` at it, so a run can
always say which model scored it, and an older model can be pinned by copying it back.
The file holds probabilities and counts only, never a value from the data.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

FORMAT = 1
POINTER = "current.json"


#: Smallest m or u a weight is computed from (log2 of the ratio stays within about ±33).
WEIGHT_FLOOR = 1e-10


def _clamp(p: float) -> float:
    return min(max(p, WEIGHT_FLOOR), 1.0) if math.isfinite(p) else WEIGHT_FLOOR


@dataclass
class ComparisonParams:
    labels: list[str]
    m: list[float]
    u: list[float]

    def weights(self) -> list[float]:
        """log2(m/u) per level; the `missing` level (index 0) always weighs 0.

        m and u are clamped to [WEIGHT_FLOOR, 1]: a level never seen in one class gets a very
        large weight, never an infinite one or a division by zero.
        """
        return [0.0] + [
            math.log2(_clamp(m) / _clamp(u)) for m, u in zip(self.m[1:], self.u[1:], strict=True)
        ]


@dataclass
class MatchModel:
    version: str
    settings_fingerprint: str
    prior: float                      # share of candidate pairs that are matches
    comparisons: dict[str, ComparisonParams]
    trained_at: str = ""
    records: int = 0
    labels_fingerprint: str = ""
    training: dict[str, Any] = field(default_factory=dict)

    @property
    def prior_weight(self) -> float:
        prior = min(max(self.prior, WEIGHT_FLOOR), 1.0 - WEIGHT_FLOOR)
        return math.log2(prior / (1.0 - prior))

    def to_json(self) -> str:
        data = asdict(self)
        data["format"] = FORMAT
        return json.dumps(data, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> MatchModel:
        data = json.loads(text)
        if data.pop("format", None) != FORMAT:
            raise ValueError("unsupported match model format")
        data["comparisons"] = {k: ComparisonParams(**v) for k, v in data["comparisons"].items()}
        return cls(**data)


def save(model: MatchModel, folder: Path) -> Path:
    """Write the model file and point `current.json` at it (atomically)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"model-{model.version}.json"
    path.write_text(model.to_json(), encoding="utf-8")
    tmp = folder / (POINTER + ".tmp")
    tmp.write_text(json.dumps({"model": path.name}), encoding="utf-8")
    os.replace(tmp, folder / POINTER)
    return path


def load_current(folder: Path) -> MatchModel | None:
    pointer = folder / POINTER
    if not pointer.exists():
        return None
    name = json.loads(pointer.read_text(encoding="utf-8"))["model"]
    path = folder / Path(name).name
    if not path.exists():
        return None
    return MatchModel.from_json(path.read_text(encoding="utf-8"))
