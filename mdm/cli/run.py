"""`mdm run` and `mdm demo`: one complete nightly run, the same code path as the Dagster job."""

from __future__ import annotations

from typing import Any

import click

from mdm.cli.options import config_option, echo_json, get_config, json_option
from mdm.config import BUNDLED_DEMO_CONFIG, MdmConfig
from mdm.pipeline import STAGES, RunSummary, run_pipeline
from mdm.published_figures import figures
from warehouse.connection import open_published_reader


def _total(value: Any) -> int:
    if isinstance(value, dict):
        return sum(_total(v) for v in value.values())
    return int(value or 0)


def _by_key(value: Any) -> str:
    if not isinstance(value, dict) or not value:
        return ""
    return ", ".join(f"{k} {v}" for k, v in sorted(value.items(), key=lambda kv: (-_total(kv[1]), kv[0])))


#: The query the run summary suggests; a test runs it on the file opened the way an analyst would.
QUERY_HINT = "SELECT first_name, last_name, email, city FROM golden.customer LIMIT 10"


def match_figures(counts: dict, shared: dict[str, Any] | None = None) -> dict:
    """The match figures of what is published: the match stage's, as they stand after expiry
    (records expired in the same run no longer count). One definition for the summary and --json.

    `review` is the published file's open-review figure when the run published (`shared`, from
    `mdm.published_figures.OPEN_REVIEW_SQL`): the pairs a steward can still decide, not the pairs
    the model sent to review, some of which are settled (their records already in one customer)."""
    out = {**counts.get("match", {}), **counts.get("expire", {}).get("match_after_expiry", {})}
    if shared is not None and "pairs_for_review" in shared:
        out["review"] = shared["pairs_for_review"]
    return out


def shared_figures(config: MdmConfig) -> dict[str, Any] | None:
    """The published file's shared figures (`mdm.published_figures`), the ones the app, the
    quarantine CLI and the report show; None when nothing is published."""
    try:
        con = open_published_reader(config.paths)
    except FileNotFoundError:
        return None
    try:
        return figures(con)
    finally:
        con.close()


def _event_lines(read: dict, events: dict, segment: dict, timeline: int | None = None,
                 held: dict | None = None) -> list[str]:
    """The events and segments of a run, when the config has event sources (docs/events.md).
    `timeline` is the published file's figure (after expiry) when the run published; `held`, the
    events still held at the end of the run (the segment stage's count, after expiry and the retry
    that follows it) when the run got that far, else the events stage's count."""
    if not events.get("timeline_events") and not _total(read):
        return []
    held = events.get("held", {}) if held is None else held
    return [
        f"  events received    {_total(read):>7}   {_by_key(read)}; quarantined {_total(events.get('quarantined', {}))}",
        f"  events held        {_total(held):>7}   {_by_key(held)}"
        "   (customer not found yet; retried next run)",
        f"  on the timeline    {int(events.get('timeline_events', 0) if timeline is None else timeline):>7}",
        f"  segments           {_total(segment.get('segments', {})):>7}   {_by_key(segment.get('segments', {}))}",
    ]


def format_summary(config: MdmConfig, summary: RunSummary) -> str:
    """The short, human summary printed after a run. Counts only: no personal data.

    Once published, the quarantine and review lines are the published file's shared figures (open
    rows, a row with two reasons under both; suggestions still to decide), as every screen shows."""
    counts = summary.counts()
    ingest = counts.get("ingest", {})
    validate = counts.get("validate", {})
    merge = counts.get("merge", {})
    expire = counts.get("expire", {})
    publish = counts.get("publish", {})
    published = config.paths.published
    shared = shared_figures(config) if publish else None
    match = match_figures(counts, shared)   # taken after expiry: the figures of what is published
    quarantined = (shared["quarantined_open"], shared["quarantine_reasons"]) if shared else (
        _total(validate.get("quarantined", {})), validate.get("quarantined", {}))
    review = int(match.get("review", 0))
    event_sources = {s.name for s in config.sources if s.records == "events"}
    received = {k: v for k, v in ingest.get("received", {}).items() if k not in event_sources}
    events_read = {k: v for k, v in ingest.get("received", {}).items() if k in event_sources}
    lines = [
        f"Run {summary.run_id}: {summary.status}",
        f"  records received   {_total(received):>7}   {_by_key(received)}",
    ]
    if _total(ingest.get("failed_loads", {})):
        lines.append(
            f"  failed loads       {_total(ingest.get('failed_loads')):>7}   {_by_key(ingest.get('failed_loads'))}"
            f"   (files moved to {config.paths.rejected})"
        )
    if ingest.get("skipped_already_loaded"):
        lines.append(f"  files already loaded {ingest['skipped_already_loaded']:>5}   (skipped)")
    lines += [
        f"  quarantined        {quarantined[0]:>7}   {_by_key(quarantined[1])}",
        f"  duplicates found   {int(match.get('duplicates_found', 0)):>7}   "
        f"({int(match.get('auto_matches', 0))} auto-matched pairs, {review} pairs for review)",
        f"  golden customers   {int(publish.get('golden_customers', merge.get('golden_customers', 0))):>7}"
        + ("   published" if publish else "   (not published: the run stopped before publish)"),
        f"  records expired    {_total(expire.get('expired', {})):>7}   {_by_key(expire.get('expired', {}))}",
    ]
    lines += _event_lines(events_read, counts.get("events", {}), counts.get("segment", {}),
                          shared["timeline_events"] if shared else None, counts.get("segment", {}).get("events_held"))
    if publish:
        lines += [
            f"Published: {published}",
            f"Query it: .venv/bin/mdm sql \"{QUERY_HINT}\"",
            f"  or open the file itself: duckdb {published} \"{QUERY_HINT}\"",
        ]
    return "\n".join(lines)


def _run(config: MdmConfig, until: str | None, as_json: bool) -> None:
    """Run and print the summary. A failure propagates to the `mdm` group, which words it as one line."""
    summary = run_pipeline(config, until=until)
    if as_json:
        counts = summary.counts()
        shared = shared_figures(config)
        echo_json({"run_id": summary.run_id, "status": summary.status, "stages": counts,
                   "published_match": match_figures(counts, shared if counts.get("publish") else None),
                   "published_figures": shared, "compaction_error": summary.compaction_error})
    else:
        click.echo(format_summary(config, summary))
    if summary.compaction_error:
        click.echo(
            f"mdm run: the run succeeded and was published; the compaction after it failed: "
            f"{summary.compaction_error}. The next run will retry it.",
            err=True,
        )


@click.command("run")
@config_option
@click.option(
    "--until",
    type=click.Choice(list(STAGES)),
    default=None,
    help="Stop after this stage (publish is the last; nothing is published before it).",
)
@json_option
def run_command(config_path: str | None, until: str | None, as_json: bool) -> None:
    """Run the pipeline once: ingest, standardise, validate, match, merge, expire, measure, publish."""
    _run(get_config(config_path), until, as_json)


@click.command("demo")
@click.option("--people", default=5000, show_default=True, help="How many distinct people to generate.")
@click.option("--seed", default=42, show_default=True, help="Random seed: the same seed gives the same files.")
@json_option
def demo_command(people: int, seed: int, as_json: bool) -> None:
    """Generate the demo inbox (four messy French customer files) and run the pipeline on it."""
    from mdm.demo.generate import generate

    config = get_config(str(BUNDLED_DEMO_CONFIG))
    config.paths.ensure()
    generated = generate(config.paths.inbox, config.paths.home / "demo_truth.csv", people=people, seed=seed)
    if not as_json:
        click.echo(f"Demo data: {len(generated.files)} files in {config.paths.inbox}")
    _run(config, None, as_json)


commands = [run_command, demo_command]
