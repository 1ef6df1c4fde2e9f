"""The metrics a report shows, read from `dq.metrics` (working warehouse or published file).

Only `dq.metrics` is read: every figure in the report is one of its rows, so "the number in the
report" and "the number in the table" cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import duckdb

Key = tuple[str, str, str]  # (scope, dimension, metric)

#: How many runs the trends show.
TREND_RUNS = 12

NON_SOURCE_SCOPES = frozenset({"all", "golden"})


@dataclass
class ReportData:
    """Metrics of the last runs, oldest first; the last run is the one the report is about."""

    runs: list[tuple[str, datetime]] = field(default_factory=list)
    values: dict[str, dict[Key, float | None]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.runs

    @property
    def latest_run(self) -> tuple[str, datetime]:
        return self.runs[-1]

    @property
    def latest(self) -> dict[Key, float | None]:
        return self.values[self.runs[-1][0]] if self.runs else {}

    @property
    def previous(self) -> dict[Key, float | None] | None:
        return self.values[self.runs[-2][0]] if len(self.runs) > 1 else None

    def series(self, key: Key) -> list[float | None]:
        return [self.values[run_id].get(key) for run_id, _ in self.runs]

    def sources(self) -> list[str]:
        return sorted({scope for scope, _, _ in self.latest if scope not in NON_SOURCE_SCOPES})

    def get(self, scope: str, dimension: str, metric: str) -> float | None:
        return self.latest.get((scope, dimension, metric))

    def with_prefix(self, scope: str, dimension: str, prefix: str) -> dict[str, float | None]:
        """`{suffix: value}` for metrics named `<prefix>.<suffix>` in the latest run."""
        out: dict[str, float | None] = {}
        for (s, d, m), v in self.latest.items():
            if s == scope and d == dimension and m.startswith(prefix + "."):
                out[m[len(prefix) + 1 :]] = v
        return out


def load_report_data(con: duckdb.DuckDBPyConnection, runs: int = TREND_RUNS) -> ReportData:
    """The last `runs` runs' metrics. An absent or empty `dq.metrics` gives an empty report."""
    try:
        run_rows = con.execute(
            'SELECT run_id, MAX("at") AS run_at FROM dq.metrics GROUP BY run_id ORDER BY run_at DESC, run_id DESC LIMIT ?',
            [runs],
        ).fetchall()
    except duckdb.CatalogException:
        return ReportData()
    data = ReportData(runs=[(r, at) for r, at in reversed(run_rows)])
    data.values = {run_id: {} for run_id, _ in data.runs}
    if not run_rows:
        return data
    for run_id, scope, dimension, metric, value in con.execute(
        "SELECT run_id, scope, dimension, metric, value FROM dq.metrics "
        "WHERE run_id IN (SELECT unnest(?::VARCHAR[]))",
        [[r for r, _ in data.runs]],
    ).fetchall():
        data.values[run_id][(scope, dimension, metric)] = None if value is None else float(value)
    return data
