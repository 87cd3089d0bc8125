"""``qaudit complaints``: log, respond, letter, extend, escalate, next-stage, close, list, show,
stats. The group and its everyday commands; the later steps are in cli/complaint_steps.py and
the figures in cli/complaint_stats.py, registered here in the order ``--help`` lists them."""

from __future__ import annotations

from typing import Annotated

import typer

from qaudit.cli import complaint_stats, complaint_steps
from qaudit.cli.complaint_options import (
    COLUMNS,
    FROM_PARENT,
    FormatOption,
    Relationship,
    report,
)
from qaudit.cli.limits import AllOption, LimitOption, WideOption, emit_limited, row_limit
from qaudit.cli.output import emit_object, emit_rows
from qaudit.cli.params import QuietOption, checked_text, date_option
from qaudit.cli.state import Format, state
from qaudit.display import day
from qaudit.errors import RuleError

app = typer.Typer(help="Complaints: statutory stages, working-day timescales, the letter.")


@app.command("log")
def log_(
    ctx: typer.Context,
    received: Annotated[
        str | None, typer.Option("--received", help="Date received (default today).")
    ] = None,
    case: Annotated[
        str | None, typer.Option("--case", callback=checked_text, help="The case, if one is named.")
    ] = None,
    stage: Annotated[int, typer.Option("--stage", help="1, 2 or 3.")] = 1,
    statutory: Annotated[
        bool,
        typer.Option(
            "--statutory/--corporate",
            help="Children's social care procedure, or the council's own.",
        ),
    ] = True,
    theme: Annotated[
        list[str] | None,
        typer.Option(
            "--theme",
            callback=checked_text,
            help="A theme (repeatable), from the complaint themes (a wrong one is refused with "
            "the list).",
        ),
    ] = None,
    summary: Annotated[
        str | None, typer.Option("--summary", callback=checked_text, help="A short summary.")
    ] = None,
    relationship: Annotated[
        Relationship, typer.Option("--from", help="The complainant: no names.")
    ] = FROM_PARENT,
    fmt: FormatOption = Format.table,
    quiet: QuietOption = False,
) -> None:
    """Log a complaint. Its response is due by the timescale for the procedure and stage, in
    working days (a complaint received on a non-working day counts from the next one).

    Example: `qaudit complaints log --received 2026-12-01 --case C100002 --theme delay`
    """
    from qaudit.importers.framework import parse_theme
    from qaudit.services.complaints import log_complaint
    from qaudit.services.vocabulary import complaint_themes_in_force

    st = state(ctx)
    run = st.context()
    vocabulary = complaint_themes_in_force(run)
    themes = []
    for text in theme or []:
        try:
            themes.append(parse_theme(text, vocabulary).id)
        except ValueError as exc:
            raise RuleError(str(exc)) from None
    view = log_complaint(
        store=st.store,
        ctx=run,
        received=date_option(received, "--received") or run.today,
        procedure="statutory" if statutory else "corporate",
        stage=stage,
        case_ref=case,
        themes=themes,
        summary=summary,
        relationship=relationship.value,
    )
    report(
        view,
        fmt,
        f"Logged {view.ref} (stage {view.stage}, {view.procedure}): response "
        f"due {day(view.response_due)}.",
    )


@app.command()
def respond(
    ctx: typer.Context,
    ref: Annotated[
        str, typer.Argument(callback=checked_text, help="The complaint, e.g. C-2026-0042.")
    ],
    on: Annotated[str | None, typer.Option("--date", help="Default today.")] = None,
    fmt: FormatOption = Format.table,
    quiet: QuietOption = False,
) -> None:
    """Record the substantive response (the complaint resolved). The complaint is answered
    only when the final response letter is sent.

    Example: `qaudit complaints respond C-2026-0042 --date 2026-12-01`
    """
    from qaudit.services.complaints import respond as record

    st = state(ctx)
    run = st.context()
    view = record(store=st.store, ctx=run, ref=ref, on=date_option(on, "--date") or run.today)
    report(
        view,
        fmt,
        f"{view.ref}: responded {view.responded_on}; letter outstanding (due {view.response_due}).",
    )


@app.command()
def letter(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(callback=checked_text, help="The complaint.")],
    on: Annotated[str | None, typer.Option("--date", help="Default today.")] = None,
    fmt: FormatOption = Format.table,
    quiet: QuietOption = False,
) -> None:
    """Record the final response letter sent: this is when the complaint counts as answered.

    Example: `qaudit complaints letter C-2026-0042 --date 2026-12-02`
    """
    from qaudit.services.complaints import send_letter

    st = state(ctx)
    run = st.context()
    sent = send_letter(store=st.store, ctx=run, ref=ref, on=date_option(on, "--date") or run.today)
    view = sent.view
    assert view.letter_on is not None
    timing = (
        "in time"
        if sent.in_time
        else "late"
        if view.letter_on > view.response_due
        else "late: extended after it was due"
    )
    report(
        view,
        fmt,
        f"{view.ref}: final response letter {view.letter_on} ({timing}; due {view.response_due}).",
    )


app.command()(complaint_steps.extend)
app.command()(complaint_steps.escalate)
app.command("next-stage")(complaint_steps.next_stage)
app.command()(complaint_steps.close)


@app.command("list")
def list_(
    ctx: typer.Context,
    open_only: Annotated[bool, typer.Option("--open", help="Only those not closed.")] = False,
    fmt: FormatOption = Format.table,
    limit: LimitOption = None,
    every: AllOption = False,
    wide: WideOption = False,
) -> None:
    """Every complaint, answered and closed ones too, unless --open. A table shows the first
    1,000 unless --limit N or --all.

    Example: `qaudit complaints list --open --format csv > open-complaints.csv`
    """
    from qaudit.services.worklists import list_complaints

    with state(ctx).rows() as rows:
        views = list_complaints(rows, open_only=open_only)
    emit_limited(
        (v.as_dict() for v in views),
        fmt=fmt,
        columns=COLUMNS,
        title="Complaints",
        keep=("ref", "stage", "received", "response_due", "status", "case_ref"),
        limit=row_limit(fmt, limit, every),
        total=lambda: len(views),
        noun="complaints",
    )


@app.command()
def show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(callback=checked_text, help="The complaint.")],
    fmt: FormatOption = Format.table,
) -> None:
    """One complaint in full.

    Example: `qaudit complaints show C-2026-0042`
    """
    from qaudit.services.complaints import show as find

    view = find(store=state(ctx).store, ref=ref)
    if fmt is Format.json:
        emit_object(view.as_dict())
        return
    rows = [{"field": k, "value": v} for k, v in view.as_dict().items()]
    emit_rows(rows, fmt=fmt, columns=[("field", "Field"), ("value", "Value")], title=view.ref)


app.command()(complaint_stats.stats)
