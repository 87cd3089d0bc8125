"""The ``qaudit`` command: global options, the command groups, and refusals as ``Error: …``."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer._click.exceptions import ClickException
from typer.core import TyperGroup

from qaudit.cli import (
    advocacy,
    audits,
    cases,
    changes,
    complaints,
    db,
    demo,
    export,
    report,
    scrutiny,
    staff,
    store,
    survey,
)
from qaudit.cli.state import USER_RULE, State, default_user, valid_user
from qaudit.display import one_line
from qaudit.domain.dates import parse_moment
from qaudit.errors import QauditError


class QauditGroup(TyperGroup):
    """Turns a refusal anywhere below into one ``Error: …`` line on stderr and exit code 1, and
    a fault in qaudit itself into one ``Error: internal fault …`` line (see cli/faults.py)."""

    _root: Any = None

    def make_context(self, info_name: Any, args: Any, parent: Any = None, **extra: Any) -> Any:
        try:
            ctx = super().make_context(info_name, args, parent=parent, **extra)
        except ClickException as exc:
            _shown_safely(exc)
            raise
        if parent is None:
            self._root = ctx  # for the fault report: the store's place and --debug
        return ctx

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except QauditError as exc:
            _refuse(exc)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            root = ctx.find_root().obj
            if isinstance(root, State) and root.saved():
                # Too late to undo: the change is in the store (and its log) already.
                typer.echo(
                    "Error: interrupted after the change was saved (see qaudit log)", err=True
                )
            else:
                typer.echo("Error: interrupted; nothing was written", err=True)
            raise typer.Exit(130) from None
        except BrokenPipeError:
            # The reader stopped reading (`| head -1`, a pager quit): stop quietly, as cat
            # does. What a command wrote to the store was committed before its output.
            _reader_gone()
            raise typer.Exit(0) from None
        except ClickException as exc:
            _shown_safely(exc)
            raise

    def main(self, *args: Any, **kwargs: Any) -> Any:
        # Around Click's own main, so a fault while the store is closed (after the command,
        # ctx.call_on_close) is caught too.
        _never_fail_to_encode()
        try:
            try:
                return super().main(*args, **kwargs)
            finally:
                # The last of the output, written as the process ends: a reader that has gone
                # by then is no fault either (and no "Exception ignored" at exit).
                try:
                    sys.stdout.flush()
                except BrokenPipeError:
                    _reader_gone()
        except QauditError as exc:
            _refuse(exc)
            sys.exit(1)
        except Exception as exc:
            from qaudit.cli.faults import debug_from_environment, report_fault

            state = getattr(self._root, "obj", None)
            try:
                if isinstance(state, State):
                    report_fault(exc, store_path=state.store_path(), debug=state.debug)
                else:
                    report_fault(exc, store_path=None, debug=debug_from_environment())
            except Exception:  # reporting failed too: still one line, still no value
                sys.stderr.write(f"Error: internal fault ({type(exc).__name__})\n")
            sys.exit(1)


def _reader_gone() -> None:
    """Send what is left of stdout to /dev/null, so flushing it at exit cannot fail again."""
    with contextlib.suppress(OSError, ValueError):  # (not a real file under a test runner)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _never_fail_to_encode() -> None:
    """A name the terminal's encoding cannot show (an emoji under LANG=en_GB.ISO-8859-1) is
    written as its escape, \U0001f308, rather than failing after the change was committed."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and getattr(stream, "errors", None) == "strict":
            with contextlib.suppress(ValueError, OSError):  # a stream that cannot change
                reconfigure(errors="backslashreplace")


def _refuse(exc: QauditError) -> None:
    typer.echo(f"Error: {one_line(exc.message)}", err=True)


def _shown_safely(exc: ClickException) -> None:
    """A usage error quotes the value given: shown, not obeyed, should it hold escapes."""
    exc.message = one_line(exc.message)


app = typer.Typer(
    cls=QauditGroup,
    name="qaudit",
    help="Quality assurance for children's social care: case audits, complaints, the voice of "
    "the child, and reports. Global options go before the command: "
    "`qaudit --db x.db cases list`.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="markdown",
)


def _today(value: str | None) -> Any:
    """``--today`` as a moment, bounded by the real clock: 1900-01-01 to five years on."""
    if value is None:
        return None
    from datetime import datetime

    from qaudit.domain.dates import LONDON, check_date_bounds

    try:
        moment = parse_moment(value)
        check_date_bounds(moment.date(), datetime.now(LONDON).date(), shown=value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--today'") from None
    return moment


def _user(value: str | None) -> str | None:
    if value is None:
        return None
    name = valid_user(value)
    if name is None:
        raise typer.BadParameter(f"'{one_line(value)}' is not a name: {USER_RULE}")
    return name


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version as installed

        try:
            number = installed("qaudit")
        except PackageNotFoundError:  # run from a source tree that was never installed
            number = "unknown (not installed)"
        typer.echo(f"qaudit {number}")
        raise typer.Exit(0)


@app.callback()
def global_options(
    ctx: typer.Context,
    db: Annotated[
        Path, typer.Option("--db", envvar="QAUDIT_DB", help="The SQLite case store.")
    ] = Path("qaudit.db"),
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="QAUDIT_DATABASE_URL",
            help="Any SQLAlchemy URL (postgresql+psycopg://…); wins over --db.",
        ),
    ] = None,
    today: Annotated[
        str | None,
        typer.Option(
            "--today",
            envvar="QAUDIT_TODAY",
            help="The moment treated as now: YYYY-MM-DD or YYYY-MM-DDTHH:MM, Europe/London.",
        ),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            envvar="QAUDIT_USER",
            callback=_user,
            help="Who is acting (the change log records it): a staff member's name or a "
            "login name.",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", envvar="QAUDIT_CONFIG", help="Policy file (TOML)."),
    ] = None,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            envvar="QAUDIT_DEBUG",
            help="Should qaudit itself fail, print the traceback (which may quote records) "
            "rather than write it to a private file beside the store.",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            is_eager=True,
            callback=_show_version,
            expose_value=False,
            help="Show qaudit's version and exit.",
        ),
    ] = False,
) -> None:
    ctx.obj = State(
        db=db,
        database_url=database_url or None,
        today=_today(today),
        user=user or default_user(),
        config=config,
        debug=debug,
    )
    ctx.call_on_close(ctx.obj.close)


app.add_typer(store.app)
app.add_typer(cases.app, name="cases")
app.add_typer(audits.app)
app.add_typer(audits.audits_app, name="audits")
app.add_typer(complaints.app, name="complaints")
app.add_typer(survey.app, name="survey")
app.add_typer(advocacy.app, name="advocacy")
app.add_typer(scrutiny.app, name="scrutiny")
app.add_typer(report.app)
app.add_typer(export.app)
app.add_typer(db.app, name="db")
app.add_typer(staff.app, name="staff")
app.add_typer(changes.app)
app.add_typer(demo.app)
