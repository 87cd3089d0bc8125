"""The ``qaudit`` command: global options, the command groups, and refusals as ``Error: …``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from qaudit.cli import (
    advocacy,
    audits,
    cases,
    changes,
    complaints,
    db,
    demo,
    report,
    scrutiny,
    staff,
    store,
    survey,
)
from qaudit.cli.state import State, default_user
from qaudit.domain.dates import parse_moment
from qaudit.errors import QauditError


class QauditGroup(TyperGroup):
    """Turns a refusal anywhere below into one ``Error: …`` line on stderr and exit code 1."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except QauditError as exc:
            typer.echo(f"Error: {exc.message}", err=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            typer.echo("Error: interrupted; nothing was written", err=True)
            raise typer.Exit(130) from None


app = typer.Typer(
    cls=QauditGroup,
    name="qaudit",
    help="Quality assurance for children's social care: case audits, complaints, the voice of "
    "the child, and reports. Global options go before the command: "
    "`qaudit --db x.db cases list`.",
    no_args_is_help=True,
    add_completion=False,
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
            "--user", envvar="QAUDIT_USER", help="Who is acting (the change log records it)."
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", envvar="QAUDIT_CONFIG", help="Policy file (TOML)."),
    ] = None,
) -> None:
    ctx.obj = State(
        db=db,
        database_url=database_url or None,
        today=_today(today),
        user=user or default_user(),
        config=config,
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
app.add_typer(db.app, name="db")
app.add_typer(staff.app, name="staff")
app.add_typer(changes.app)
app.add_typer(demo.app)
