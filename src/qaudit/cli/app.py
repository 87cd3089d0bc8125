"""The ``qaudit`` command: global options, the command groups, and refusals as ``Error: …``."""

from __future__ import annotations

import contextlib
import errno
import importlib
import os
import sys
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal, NamedTuple

import typer
from typer._click.exceptions import ClickException
from typer.core import TyperCommand, TyperGroup

from qaudit.cli.coercion import install as coerce_simple_options_lean
from qaudit.display import one_line
from qaudit.errors import QauditError

if TYPE_CHECKING:
    from typer._click.core import Command, Context

MARKUP_MODE: Final[Literal["markdown"]] = "markdown"  # help texts use `backticks` and lists

coerce_simple_options_lean()  # before the global options are parsed


# --- the commands, loaded when used -------------------------------------------------------------
#
# Each command's module (and what it imports: services, SQLAlchemy, the policy) is imported only
# when that command runs, its own help is shown, or its arguments are completed. ``qaudit --help``
# lists the commands from ``LAZY_COMMANDS`` without importing any of them; the one-line help
# there is checked against each command's real help by tests/cli/test_startup.py.


class LazyCommand(NamedTuple):
    """Where a top-level command lives, and the first paragraph of its help.

    ``attribute`` names the module's ``typer.Typer``. ``command`` is None when that Typer is
    itself the group (``qaudit cases …``); otherwise the name of the command inside it (the
    Typer holds several top-level commands, as ``audits.app`` holds ``sample`` and ``grade``).
    """

    module: str
    attribute: str
    command: str | None
    short_help: str


LAZY_COMMANDS: dict[str, LazyCommand] = {
    "init": LazyCommand(
        "qaudit.cli.store",
        "app",
        "init",
        "Create the store, or bring its schema up to date. Safe to run again.",
    ),
    "cases": LazyCommand(
        "qaudit.cli.cases",
        "app",
        None,
        "The case list: import it from CSV or Annex A, list cases.",
    ),
    "sample": LazyCommand(
        "qaudit.cli.sampling",
        "app",
        "sample",
        "Draw the month's audit sample from the cases open on its first day, and allocate it.",
    ),
    "grade": LazyCommand(
        "qaudit.cli.audits",
        "app",
        "grade",
        "Record the audit of a case: the grade, framework answers, strengths, areas for "
        "development, themes and family feedback. It completes the case's sample item or "
        "pending re-audit.",
    ),
    "moderate": LazyCommand(
        "qaudit.cli.audits",
        "app",
        "moderate",
        "Moderate an Inadequate audit: a head of service agrees or regrades it and records the "
        "reflective conversation (in one go or two). Complete when both are recorded.",
    ),
    "reaudits": LazyCommand(
        "qaudit.cli.audits",
        "app",
        "reaudits",
        "Re-audits after Inadequate audits: pending, done (improved / same / worse), cancelled.",
    ),
    "forms": LazyCommand(
        "qaudit.cli.forms",
        "app",
        None,
        "Audit workbooks: export one per auditor for a month, import them back.",
    ),
    "overdue": LazyCommand(
        "qaudit.cli.worklist",
        "app",
        "overdue",
        "What is past its due date: sampled audits not graded, moderations, re-audits, actions "
        "from audits, complaints without their final response letter, survey responses not "
        "reviewed within 24 hours, advocates requested and not provided; with days overdue in "
        "working days, the owner, and who it escalates to.",
    ),
    "notify": LazyCommand(
        "qaudit.cli.notify",
        "app",
        "notify",
        "Email each person what they own that is overdue or falls due within 3 working days "
        "(policy [notify]), one message each; heads of service also get their teams' work "
        "overdue past the escalation point, once per item and stage. Each item goes to a "
        "person once a day at most, so a rerun (after a failure, say) sends only what was not "
        "sent. Messages hold case references and dates, never a child's name or free text.",
    ),
    "audits": LazyCommand(
        "qaudit.cli.worklist",
        "audits_app",
        None,
        "Audits recorded and still to do.",
    ),
    "actions": LazyCommand(
        "qaudit.cli.actions",
        "app",
        None,
        "Actions from audits: who does what about a case, by when.",
    ),
    "complaints": LazyCommand(
        "qaudit.cli.complaints",
        "app",
        None,
        "Complaints: statutory stages, working-day timescales, the letter.",
    ),
    "survey": LazyCommand(
        "qaudit.cli.survey",
        "app",
        None,
        "Bright Spots surveys: responses, cohorts, reviews, response rates.",
    ),
    "advocacy": LazyCommand(
        "qaudit.cli.advocacy",
        "app",
        None,
        "Advocacy at child protection conferences: every child told, every request met.",
    ),
    "scrutiny": LazyCommand(
        "qaudit.cli.scrutiny",
        "app",
        None,
        "Member scrutiny: the committee's sessions, its resolutions and what came of them.",
    ),
    "report": LazyCommand(
        "qaudit.cli.report",
        "app",
        "report",
        "A report for the board, a team or the committee: figures for the period, what works "
        "well beside the areas for development, member scrutiny.",
    ),
    "export": LazyCommand(
        "qaudit.cli.export",
        "app",
        "export",
        "Every record as tidy tables for analysts, with a data dictionary: a workbook or CSV.",
    ),
    "db": LazyCommand(
        "qaudit.cli.db",
        "app",
        None,
        "The store itself: verify, back up, restore.",
    ),
    "staff": LazyCommand(
        "qaudit.cli.staff",
        "app",
        None,
        "Staff: auditors, team managers, heads of service, the QA lead.",
    ),
    "log": LazyCommand(
        "qaudit.cli.changes",
        "app",
        "log",
        "Who changed what and when: every change a command made, newest first.",
    ),
    "demo": LazyCommand(
        "qaudit.cli.demo",
        "app",
        "demo",
        "Build a demonstration store from the synthetic lists shipped with qaudit: staff, 240 "
        "cases, four months of the audit cycle (samples, grades, moderations, re-audits), a "
        "year of complaints, Bright Spots responses, advocacy at conferences and a scrutiny "
        "session; then show December's audits and what is overdue. Your own store (--db) is "
        "never touched.",
    ),
}


def load_command(name: str) -> Command:
    """Import the command's module and build its Click command, as ``add_typer`` would have."""
    entry = LAZY_COMMANDS[name]
    module = importlib.import_module(entry.module)
    sub: typer.Typer = getattr(module, entry.attribute)
    sub.rich_markup_mode = MARKUP_MODE  # as the root's; add_typer would have passed it down
    group = typer.main.get_group(sub)
    if entry.command is None:
        group.name = name
        return group
    return group.commands[entry.command]


class _Commands(MutableMapping[str, "Command"]):
    """A group's commands: those added eagerly, then the lazy ones, built on first use.

    Iterating gives the names without importing anything; looking one up builds that one.
    """

    def __init__(self, eager: MutableMapping[str, Command]) -> None:
        self.eager = eager
        self.loaded: dict[str, Command] = {}

    def __getitem__(self, name: str) -> Command:
        if name in self.eager:
            return self.eager[name]
        if name not in LAZY_COMMANDS:
            raise KeyError(name)
        if name not in self.loaded:
            self.loaded[name] = load_command(name)
        return self.loaded[name]

    def __setitem__(self, name: str, command: Command) -> None:
        self.eager[name] = command

    def __delitem__(self, name: str) -> None:
        del self.eager[name]

    def __iter__(self) -> Iterator[str]:
        yield from LAZY_COMMANDS
        yield from (name for name in self.eager if name not in LAZY_COMMANDS)

    def __len__(self) -> int:
        return len(LAZY_COMMANDS.keys() | self.eager.keys())

    def __contains__(self, name: object) -> bool:
        return name in self.eager or name in LAZY_COMMANDS


class QauditGroup(TyperGroup):
    """Turns a refusal anywhere below into one ``Error: …`` line on stderr and exit code 1, and
    a fault in qaudit itself into one ``Error: internal fault …`` line (see cli/faults.py).

    Its commands are loaded lazily (see ``LAZY_COMMANDS``): while it lists them, for its own
    help or to complete a command's name, it answers with a stand-in carrying the short help.
    """

    _root: Any = None
    _listing = False
    use_stand_ins = True  # False: list the real commands (tests compare the two)

    @property
    def commands(self) -> _Commands:
        return self._commands

    @commands.setter
    def commands(self, value: MutableMapping[str, Command]) -> None:
        self._commands = value if isinstance(value, _Commands) else _Commands(value)

    def list_commands(self, ctx: Context) -> list[str]:
        return list(self._commands)  # names only (TyperGroup's would build every command)

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if self._listing and self.use_stand_ins and cmd_name not in self._commands.eager:
            entry = LAZY_COMMANDS.get(cmd_name)
            if entry is not None:
                return TyperCommand(name=cmd_name, help=entry.short_help, callback=None)
        return super().get_command(ctx, cmd_name)

    def format_help(self, ctx: Context, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def shell_complete(self, ctx: Context, incomplete: str) -> Any:
        # Completing the command's name needs only names and short help; completing its
        # arguments goes through resolve_command, which loads the real one.
        self._listing = True
        try:
            return super().shell_complete(ctx, incomplete)
        finally:
            self._listing = False

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
            from qaudit.cli.state import State

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
        except OSError as exc:
            if exc.errno not in OUTPUT_ERRNOS:
                raise
            _output_failed(exc, ctx.find_root().obj)
            _reader_gone()  # what is still buffered goes nowhere: the exit's flush cannot fail
            raise typer.Exit(1) from None
        except ClickException as exc:
            _shown_safely(exc)
            raise

    def main(self, *args: Any, **kwargs: Any) -> Any:
        # Around Click's own main, so a fault while the store is closed (after the command,
        # ctx.call_on_close) is caught too.
        _never_fail_to_encode()
        if sys.stdout is None:  # started with stdout closed (`>&-`): nowhere to say anything
            if sys.stderr is not None:
                sys.stderr.write(
                    "Error: standard output is closed; nothing was done "
                    "(send it to /dev/null to discard it)\n"
                )
            sys.exit(1)
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
                except OSError as exc:
                    if exc.errno not in OUTPUT_ERRNOS:
                        raise
                    _output_failed(exc, getattr(self._root, "obj", None))
                    _reader_gone()
                    sys.exit(1)
        except QauditError as exc:
            _refuse(exc)
            sys.exit(1)
        except Exception as exc:
            from qaudit.cli.faults import debug_from_environment, report_fault
            from qaudit.cli.state import State

            state = getattr(self._root, "obj", None)
            try:
                if isinstance(state, State):
                    report_fault(exc, store_path=state.store_path(), debug=state.debug)
                else:
                    report_fault(exc, store_path=None, debug=debug_from_environment())
            except Exception:  # reporting failed too: still one line, still no value
                sys.stderr.write(f"Error: internal fault ({type(exc).__name__})\n")
            sys.exit(1)


# A write that fails for these (stdout on a full disk or /dev/full, over quota, too large a
# file) is the output's fault, not qaudit's: one line on stderr, exit 1. (The store's own disk
# filling is SQLite's error, said as such; other OSErrors are faults and reported as one.)
OUTPUT_ERRNOS: Final = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def _output_failed(exc: OSError, state: object) -> None:
    from qaudit.cli.state import State

    saved = isinstance(state, State) and state.saved()
    after = "; the change was saved (see qaudit log)" if saved else "; the store is unchanged"
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(f"Error: cannot write the output ({exc.strerror or exc}){after}\n")


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


# What the command line gives for each remedy a refusal names (errors.QauditError).
REMEDIES = {
    "action": "give --action",
    "adhoc": "give --adhoc to record it as one",
    "committee": "give --committee",
    "development": "give --development",
    "force": "give --force to replace it",
    "fresh-seed": "leave --seed out for a fresh one",
    "note": "give --note",
    "reason": "give --reason",
    "redraw": "use --redraw to replace its undone items",
    "requested": "give --requested",
    "team": "--team goes with those two",
    "today": "see --today",
}


def _refuse(exc: QauditError) -> None:
    hint = REMEDIES.get(exc.remedy or "")
    typer.echo(f"Error: {one_line(exc.message)}" + (f" ({hint})" if hint else ""), err=True)


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
    rich_markup_mode=MARKUP_MODE,
)


def _today(value: str | None) -> Any:
    """``--today`` as a moment, bounded by the real clock: 1900-01-01 to five years on."""
    if value is None:
        return None
    from datetime import datetime

    from qaudit.domain.dates import LONDON, check_date_bounds, parse_moment

    try:
        moment = parse_moment(value)
        check_date_bounds(moment.date(), datetime.now(LONDON).date(), shown=value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--today'") from None
    return moment


def _user(value: str | None) -> str | None:
    if value is None:
        return None
    from qaudit.cli.state import USER_RULE, valid_user

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
    from qaudit.cli.state import State, default_user

    ctx.obj = State(
        db=db,
        database_url=database_url or None,
        today=_today(today),
        user=user or default_user(),
        config=config,
        debug=debug,
    )
    ctx.call_on_close(ctx.obj.close)
