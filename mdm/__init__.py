"""Core of customer-mdm: configuration, run context and the stage runner.

Nothing here imports Dagster or the web framework; `pipelines/`, `mdm/cli/` and `mdm/web/` are thin
wiring over these plain modules.
"""

__version__ = "0.1.0"
