"""One Dagster asset per pipeline stage. Each body is one call into `mdm.pipeline.run_stage`.

The asset keys are the stage names (`ingest` ... `publish`), so `mdm run --until match` and
materialising up to the `match` asset do the same thing. Counts become asset metadata, which
Dagster's UI plots across runs.
"""


from typing import Any

import dagster as dg

from mdm.pipeline import STAGES, run_stage
from pipelines.resources import MdmConfigResource

GROUP = "nightly"

DESCRIPTIONS: dict[str, str] = {
    "ingest": "Load new inbox files and extracts into raw.records (content-hashed, all or nothing).",
    "standardise": "Map sources onto the canonical record and standardise names, emails, phones, addresses, dates.",
    "validate": "Run the Great Expectations suites; failing rows go to quarantine.rows with reason codes.",
    "match": "Block, compare and score candidate pairs; apply thresholds and steward decisions; cluster.",
    "merge": "Build golden customers with survivorship, lineage and stable golden IDs.",
    "events": "Validate new events (orders, tickets, replies...), find their golden customer, update the timeline.",
    "expire": "Apply the retention policy (expire, anonymise, archive) with legal holds; audit without personal data.",
    "households": "Group golden customers who live together (landline, family e-mail, address and surname) into golden households.",
    "organisations": "Match the records about organisations with the same engine; build golden organisations, establishments and contacts.",
    "segment": "Per-customer summary from the timeline: RFM scores, named segments, lifetime value, sizes per run.",
    "measure": "Compute data-quality metrics (completeness, validity, uniqueness, timeliness, retention).",
    "publish": "Write the golden tables to a new DuckDB file and swap it in atomically.",
}


def flat_metadata(counts: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Numbers become numeric metadata (plotted by Dagster); nested dicts are flattened with dots."""
    out: dict[str, Any] = {}
    for key, value in counts.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flat_metadata(value, prefix=f"{name}."))
        elif isinstance(value, bool) or value is None:
            out[name] = str(value)
        elif isinstance(value, int | float):
            out[name] = value
        else:
            out[name] = str(value)
    return out


def _stage_asset(stage: str, previous: str | None) -> dg.AssetsDefinition:
    @dg.asset(
        name=stage,
        group_name=GROUP,
        deps=[previous] if previous else None,
        description=DESCRIPTIONS[stage],
        kinds={"duckdb", "python"},
    )
    def _asset(context: dg.AssetExecutionContext, mdm: MdmConfigResource) -> dg.MaterializeResult:
        result = run_stage(mdm.load(), stage, run_id=context.run_id)
        for warning in result.warnings:
            context.log.warning(warning)
        return dg.MaterializeResult(metadata=flat_metadata(result.counts))

    return _asset


def build_stage_assets() -> list[dg.AssetsDefinition]:
    names = list(STAGES)
    return [_stage_asset(name, names[i - 1] if i else None) for i, name in enumerate(names)]


stage_assets = build_stage_assets()
