"""Every `mdm` command ends a failure with one line: the command, the stage, why, and the published database.

    mdm run: failed in ingest: the disk is full (No space left on device). The published database did not change.

Why: a steward reading a 50-line chained traceback learns neither what failed nor whether the
customers they see are still right. The traceback is kept for whoever debugs: it goes to the log
file (`$MDM_HOME/logs/mdm.log`) and, with `mdm -v`, to the terminal (see `mdm.failures`).
Whether the published database changed is not assumed: the file's identity (inode, size,
modification time) is taken when the command loads its config and compared at the failure.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path
from typing import IO, Any

import click

from mdm.failures import TRACEBACK_LOGGER, log_traceback, plain_reason

_META = "mdm.failure"
LOG_FILE = Path("logs") / "mdm.log"

Signature = tuple[int, int, int] | None


class CommandFailed(click.ClickException):
    """A failure already worded as the one line; printed as is (no "Error: " prefix), exit 1."""

    exit_code = 1

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(self.format_message(), err=True)


def published_signature(path: Path) -> Signature:
    """What tells one published file from the next: `os.replace` gives a new inode, writes change the rest."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


def remember(command_path: str, published: Path, home: Path) -> None:
    """Called when a command has loaded its config: note the published file as it is, open the log file."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.meta[_META] = (command_path, published, published_signature(published))
    attach_log_file(home)


def published_sentence(published: Path | None, before: Signature) -> str:
    if published is None or published_signature(published) == before:
        return "The published database did not change."
    if before is None:
        return "A published database was written before the failure."
    return "The published database was replaced before the failure (mdm rollback restores the previous one)."


def one_line(ctx: click.Context, reason: str, stage: str | None = None) -> CommandFailed:
    """The failure line for the command running in `ctx` (its root context)."""
    command, published, before = ctx.meta.get(_META, (None, None, None))
    if command is None:
        command = " ".join(filter(None, [ctx.command_path, ctx.invoked_subcommand]))
    where = f"failed in {stage}" if stage else "failed"
    reason = " ".join(reason.split()).rstrip(".")
    return CommandFailed(f"{command}: {where}: {reason}. {published_sentence(published, before)}")


def from_exception(ctx: click.Context, error: BaseException) -> CommandFailed:
    """Word any exception a command let through; the traceback goes to the log (and `-v`)."""
    from mdm.pipeline import PipelineFailed
    from warehouse.lock import WarehouseBusy

    if isinstance(error, click.ClickException):
        return one_line(ctx, error.format_message())
    if isinstance(error, WarehouseBusy):
        return one_line(ctx, "another pipeline run is in progress (the warehouse is locked); "
                             "try again when it has finished")
    log_traceback("command failed", error)
    if isinstance(error, PipelineFailed):
        return one_line(ctx, plain_reason(error.error), stage=error.stage)
    return one_line(ctx, plain_reason(error))


class OneLineFailures(click.Group):
    """The `mdm` group: whatever a command raises ends as one line (usage errors, exit 2, excepted)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (CommandFailed, click.exceptions.Exit, click.Abort, click.UsageError):
            raise
        except click.ClickException as exc:
            if exc.exit_code != 1:
                raise  # an invalid config (exit 2) lists every problem, one per line
            raise from_exception(ctx, exc) from None
        except Exception as exc:
            raise from_exception(ctx, exc) from None


def configure_logging(verbose: bool) -> None:
    """Terminal logging: progress with `-v`; tracebacks only with `-v` (they always reach the log file)."""
    level = logging.INFO if verbose else logging.WARNING
    handler = logging.StreamHandler()
    # The level is set on the handler too: some libraries (Great Expectations) set their own
    # loggers to INFO, which a root-logger level alone does not silence.
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    if not verbose:
        handler.addFilter(lambda record: not record.name.startswith(TRACEBACK_LOGGER))
    logging.basicConfig(level=level, handlers=[handler])


_file_handler: logging.Handler | None = None


class _QuietFileHandler(logging.handlers.RotatingFileHandler):
    """A log file that never adds to a failure: on a full disk, a record it cannot write is dropped
    (the standard handler would print its own traceback on the terminal)."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        return


def attach_log_file(home: Path) -> None:
    """Warnings and tracebacks of every command to `$MDM_HOME/logs/mdm.log` (rotated at 5 MB).

    One handler per process, moved when a command uses another home (tests run many homes).
    """
    global _file_handler
    path = home / LOG_FILE
    if getattr(_file_handler, "baseFilename", None) == str(path):
        return
    root = logging.getLogger()
    if not home.is_dir():
        return  # nothing has run in this home yet: do not create it for a log
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = _QuietFileHandler(path, maxBytes=5 << 20, backupCount=3, encoding="utf-8", delay=True)
    except OSError:
        return  # a read-only or full home must not turn into a second failure
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter(f"%(asctime)s {os.getpid()} %(levelname)s %(name)s: %(message)s"))
    if _file_handler is not None:
        root.removeHandler(_file_handler)
        _file_handler.close()
    root.addHandler(handler)
    _file_handler = handler
