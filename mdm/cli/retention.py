"""`mdm retention plan|hold ...` and `mdm erase`: the retention policy and erasure on request.

Nothing here prints a person's data: plans and erasures report counts, holds report the ids
they were placed on.
"""

from __future__ import annotations

from typing import Any

import click
import duckdb

from mdm.cli.options import config_option, echo_json, get_config, json_option
from mdm.clock import now
from mdm.config import MdmConfig, get_salt
from mdm.privacy import fingerprint
from warehouse.connection import open_reader, open_writer, transaction
from warehouse.lock import WarehouseBusy, pipeline_lock
from warehouse.retention.audit import summary_event
from warehouse.retention.erasure import ErasureError, ErasureResult, erase
from warehouse.retention.holds import UnknownSubject, add_hold, lift_hold, list_holds
from warehouse.retention.journal import plain
from warehouse.retention.plan import due_records, retention_plan
from warehouse.retention.resume import Completion

BUSY = "a pipeline run is in progress (the working warehouse is locked); try again when it has finished"
LOCK_WAIT_S = 10.0


def _open_read_only(config: MdmConfig) -> duckdb.DuckDBPyConnection:
    path = config.paths.warehouse
    if not path.exists():
        raise click.ClickException(f"no warehouse at {path} yet: run the pipeline first (mdm run)")
    try:
        return open_reader(path)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise click.ClickException(BUSY) from None
        raise


@click.group("retention")
def retention_group() -> None:
    """The retention policy: what expires when, and legal holds that stop it."""


@retention_group.command("plan")
@config_option
@json_option
@click.option("--records", "records", type=int, default=0, metavar="N",
              help="Also list up to N records due (or held), each with the date that drove it (record keys only).")
def plan_command(config_path: str | None, as_json: bool, records: int) -> None:
    """Show what the next run would expire, per rule, source and the date that drove it. Changes nothing."""
    config = get_config(config_path)
    con = _open_read_only(config)
    try:
        plan = retention_plan(con, config, now())
        if records:
            plan["records"] = due_records(con, config, now(), records)
    finally:
        con.close()
    if as_json:
        echo_json(plan)
        return
    origin = "defaults (CNIL)" if plan["defaults"] else "mdm.yaml"
    click.echo(f"Retention plan at {plan['now']} (rules from {origin}):")
    click.echo(f"  {'rule / source':<30} {'due':>7} {'held':>6} {'in ' + str(plan['due_soon_days']) + ' d':>7} "
               f"{'kept':>7} {'no date':>8}")
    for rule in plan["rules"]:
        t = rule["totals"]
        click.echo(f"  {rule['rule']:<30} {t['due']:>7} {t['held']:>6} {t['due_soon']:>7} {t['keep']:>7} "
                   f"{t['no_date']:>8}   {rule['action']} {rule['category']} "
                   f"{rule['period']} after {(' | ' if rule['pick'] == 'first' else ' or, if later, ').join(rule['trigger'])} "
                   f"(before {rule['cutoff'][:16]})")
        for source, c in rule["by_source"].items():
            click.echo(f"    {source:<28} {c['due']:>7} {c['held']:>6} {c['due_soon']:>7} {c['keep']:>7} "
                       f"{c['no_date']:>8}")
        for field, c in rule["by_trigger"].items():
            click.echo(f"    {'date: ' + field:<28} {c['due']:>7} {c['held']:>6} {c['due_soon']:>7} {c['keep']:>7} "
                       f"{'':>8}")
    for record in plan.get("records", []):
        click.echo(f"  {record['status']:<5} {record['record_key']:<28} {record['rule']:<20} "
                   f"{record['trigger_field']} {record['trigger_at']}")
    t = plan["totals"]
    click.echo(f"Next run: {t['due']} record(s) expire, {t['held']} held, {t['due_soon']} due within "
               f"{plan['due_soon_days']} days.")


@retention_group.group("hold")
def hold_group() -> None:
    """Legal holds: a golden customer or source record that must not expire until lifted."""


def _write(config: MdmConfig, action: Any) -> Any:
    """Run `action(con)` in a transaction on the warehouse, under the pipeline lock."""
    config.paths.ensure()
    try:
        with pipeline_lock(config.paths.lock, timeout_s=LOCK_WAIT_S):
            con = open_writer(config.paths)
            try:
                with transaction(con):
                    return action(con)
            finally:
                con.close()
    except WarehouseBusy:
        raise click.ClickException(BUSY) from None


@hold_group.command("add")
@click.argument("subject")
@click.option("--reason", required=True, help="Why (a case reference; never personal data).")
@config_option
@json_option
def hold_add(subject: str, reason: str, config_path: str | None, as_json: bool) -> None:
    """Place a legal hold on SUBJECT (a golden ID or a source record key)."""
    config = get_config(config_path)
    salt = get_salt(config)
    at = now()

    def action(con: duckdb.DuckDBPyConnection) -> str:
        kind = add_hold(con, subject, reason, at)
        summary_event(con, run_id=None, at=at, kind="legal_hold", rule="hold_add", count=1,
                      subject_hash=fingerprint(subject, salt), detail={"subject_kind": kind})
        return kind

    try:
        kind = _write(config, action)
    except UnknownSubject as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        echo_json({"subject": subject, "kind": kind, "placed_at": at})
    else:
        click.echo(f"Legal hold placed on {kind} {subject}: it will not expire until the hold is lifted.")


@hold_group.command("lift")
@click.argument("subject")
@config_option
@json_option
def hold_lift(subject: str, config_path: str | None, as_json: bool) -> None:
    """Lift the legal hold on SUBJECT; the next run applies the policy to it again."""
    config = get_config(config_path)
    salt = get_salt(config)
    at = now()

    def action(con: duckdb.DuckDBPyConnection) -> int:
        lifted = lift_hold(con, subject, at)
        if lifted:
            summary_event(con, run_id=None, at=at, kind="legal_hold_lifted", rule="hold_lift", count=lifted,
                          subject_hash=fingerprint(subject, salt), detail={})
        return lifted

    lifted = _write(config, action)
    if as_json:
        echo_json({"subject": subject, "lifted": lifted})
    elif lifted:
        click.echo(f"Legal hold on {subject} lifted.")
    else:
        raise click.ClickException(f"no active legal hold on {subject}")


@hold_group.command("list")
@click.option("--all", "include_lifted", is_flag=True, help="Include lifted holds.")
@config_option
@json_option
def hold_list(include_lifted: bool, config_path: str | None, as_json: bool) -> None:
    """List legal holds (active ones, or all with --all), including those declared in mdm.yaml."""
    config = get_config(config_path)
    con = _open_read_only(config)
    try:
        holds = list_holds(con, include_lifted)
    finally:
        con.close()
    holds += [{"subject": h.subject, "reason": h.reason, "placed_at": "mdm.yaml", "lifted_at": None}
              for h in config.retention.legal_holds]
    if as_json:
        echo_json(holds)
        return
    if not holds:
        click.echo("No legal holds.")
    for h in holds:
        state = f"lifted {h['lifted_at']}" if h["lifted_at"] else "active"
        click.echo(f"{h['subject']}  placed {h['placed_at']}  {state}  reason: {h['reason']}")


@click.command("erase")
@click.option("--email", help="Erase the person with this e-mail address.")
@click.option("--phone", help="Erase the person with this phone number.")
@click.option("--national-id", "national_id",
              help="Erase the person with this national identity, tax or social-security number.")
@click.option("--golden-id", "golden_id", help="Erase this golden customer and all its source records.")
@click.option("--record-key", "record_key", help="Erase the person this source record belongs to.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@config_option
@json_option
def erase_command(
    email: str | None, phone: str | None, national_id: str | None, golden_id: str | None,
    record_key: str | None, yes: bool, config_path: str | None, as_json: bool,
) -> None:
    """Erase a person everywhere, on request (GDPR article 17), and keep them out.

    Every layer, the archive, the stewards' store and every published file, physically; their
    identifiers go on the suppression list so the next export does not bring them back. Prints
    counts only.
    """
    given = {k: v for k, v in {"email": email, "phone": phone, "national_id": national_id,
                                "golden_id": golden_id, "record_key": record_key}.items() if v}
    if len(given) != 1:
        raise click.UsageError("give exactly one of --email, --phone, --national-id, --golden-id, --record-key")
    (kind, value), = given.items()
    config = get_config(config_path)
    if not yes:
        click.confirm(
            f"Erase every record of the person found by this {kind.replace('_', ' ')}, from every layer and "
            "published file? This cannot be undone.",
            abort=True,
        )
    try:
        result = erase(config, kind, value, lock_timeout_s=LOCK_WAIT_S)
    except WarehouseBusy:
        raise click.ClickException(BUSY) from None
    except duckdb.IOException as exc:  # the warehouse itself held open by another program
        raise click.ClickException(
            plain("the working warehouse", exc) + "; nothing was erased, run mdm erase again") from None
    except ErasureError as exc:
        raise click.UsageError(str(exc)) from None
    if as_json:
        echo_json(result.as_dict())
    else:
        click.echo(format_erasure(result))
    if result.pending:
        raise click.exceptions.Exit(1)


def _completion_lines(done: Completion) -> list[str]:
    return [
        f"  archive records deleted  {done.archive_records:>6}",
        f"  steward store rows       {done.store_rows:>6}   (deleted or scrubbed)",
        f"  inbox/rejected files     {done.files_deleted:>6}   deleted",
        f"  published rows removed   {sum(done.published_rows.values()):>6}   "
        f"in {sum(1 for n in done.published_rows.values() if n)} file(s), rewritten",
    ]


def format_erasure(result: ErasureResult) -> str:
    """What `mdm erase` prints: counts, request ids and plain problems; never the person's data."""
    lines = [f"Erasure {result.request_id}: {result.records} source record(s), "
             f"{result.golden_customers} golden customer(s) erased.",
             f"  warehouse rows deleted   {sum(result.rows_deleted.values()):>6}"]
    if result.completion is not None:
        lines += _completion_lines(result.completion)
    lines.append(f"  identifiers suppressed   {result.suppressed_identifiers:>6}   (salted hashes)")
    for earlier in result.resumed:
        state = "still pending" if earlier.problems else "now complete"
        lines.append(f"Earlier erasure {earlier.request_id}: resumed, {state}.")
        lines += _completion_lines(earlier)
    if result.pending:
        problem = result.completion.problems[0] if result.completion and result.completion.problems else "interrupted"
        lines.append(f"Not finished ({problem}). The erasure is recorded as pending; "
                     "the next mdm erase or mdm run completes it.")
    elif result.resumed_same_person:
        lines.append("This person's earlier erasure was pending; it is complete now.")
    elif not result.records and not _removed_anything(result):
        lines.append("No record matched; the identifier is on the suppression list all the same.")
    return "\n".join(lines)


def _removed_anything(result: ErasureResult) -> bool:
    done = result.completion
    return bool(result.rows_deleted) or (done is not None and bool(
        done.archive_records or done.store_rows or done.files_deleted or sum(done.published_rows.values())))


commands = [retention_group, erase_command]
