"""Stage "organisations": records about organisations -> matched legal units -> golden organisations.

Runs after expiry (so expired and erased records are gone) with the same engine as persons
(`matching.engine.run` with `matching.organisations.organisation_spec`), over the valid records
that describe an organisation or name one (`party_kind` organisation or contact), then rebuilds the
golden organisations, their establishments and contact links (`matching/merge/organisations.py`),
and adds a version to `golden.organisation_history` for each one whose values changed
(`matching/merge/organisation_history.py`).

Stewards' decisions on organisation pairs (`pair_decisions` with party `organisation`, from the
review queue) are read as the match stage reads the person ones: they always win over the score.

Always a full run: the words' rarity weights are computed over all organisation records, so
stored comparison vectors would drift as records arrive. Organisations are far fewer than
persons; the cost is stated in docs/organisations.md.
"""

from __future__ import annotations

from matching import organisations
from matching.engine import run as run_engine
from matching.merge import organisation_history
from matching.merge import organisations as golden_organisations
from mdm.config import get_salt
from mdm.context import RunContext, StageResult
from mdm.stewardship.store import connect, effective_pair_decisions

STAGE = "organisations"
#: The records the organisation matcher reads (a view named by code).
SOURCE = "org_valid_records"


def run(ctx: RunContext) -> StageResult:
    con = ctx.con
    store = connect(ctx.config.paths.steward_db)
    try:
        steward = effective_pair_decisions(store, party="organisation")
    finally:
        store.close()
    con.execute(organisations.schema_ddl())
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW {SOURCE} AS
        SELECT * FROM staging.valid_customers WHERE party_kind IN ('organisation', 'contact')
    """)
    try:
        outcome = run_engine(
            con, organisations.organisation_spec(), ctx.config.matching, ctx.config.paths.models / "organisations",
            steward, ctx.run_id, ctx.now, SOURCE, force_full=True, tf_salt=get_salt(ctx.config),
        )
    finally:
        con.execute(f"DROP VIEW IF EXISTS {SOURCE}")
    for warning in outcome.warnings:
        ctx.log.warning("organisations: %s", warning)
    counts = golden_organisations.build(con, ctx.now)
    history = organisation_history.write(con, ctx.now, ctx.run_id)
    match = {k: outcome.counts.get(k) for k in ("records", "pairs_scored", "auto_matches", "review", "clusters")}
    return StageResult(stage=STAGE, counts={**counts, "history": history, "match": match}, warnings=outcome.warnings)
