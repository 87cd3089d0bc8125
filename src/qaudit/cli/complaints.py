"""``qaudit complaints``: log, respond, letter, extend, escalate, next-stage, close, list, show,
stats."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from qaudit.cli.limits import AllOption, LimitOption, WideOption, emit_limited, row_limit
from qaudit.cli.output import emit_object, emit_record, emit_rows
from qaudit.cli.params import QuietOption, checked_text, date_option, period_option
from qaudit.cli.state import Format, say, state
from qaudit.display import day
from qaudit.errors import RuleError

if TYPE_CHECKING:
    from qaudit.services.worklists import ComplaintView

app = typer.Typer(help="Complaints: statutory stages, working-day timescales, the letter.")

COLUMNS = [
    ("ref", "Ref"),
    ("stage", "Stage"),
    ("received", "Received"),
    ("response_due", "Due"),
    ("status", "Status"),
    ("case_ref", "Case"),
    ("team", "Team"),
    ("letter_on", "Letter"),
    ("outcome", "Outcome"),
]


class Relationship(StrEnum):
    parent = "parent"
    child = "child"
    carer = "carer"
    other = "other"


class Outcome(StrEnum):
    upheld = "upheld"
    partly_upheld = "partly-upheld"
    not_upheld = "not-upheld"
    withdrawn = "withdrawn"


class Breakdown(StrEnum):
    month = "month"
    quarter = "quarter"


def _report(view: ComplaintView, fmt: Format, message: str) -> None:
    emit_record(view.as_dict(), fmt=fmt, columns=COLUMNS, message=message)


FormatOption = Annotated[Format, typer.Option("--format", "-f")]


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
    ] = Relationship.parent,
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
    _report(
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
    _report(
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
    view = send_letter(store=st.store, ctx=run, ref=ref, on=date_option(on, "--date") or run.today)
    assert view.letter_on is not None
    timing = "in time" if view.letter_on <= view.response_due else "late"
    _report(
        view,
        fmt,
        f"{view.ref}: final response letter {view.letter_on} ({timing}; due {view.response_due}).",
    )


@app.command()
def extend(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(callback=checked_text, help="The complaint.")],
    days: Annotated[int, typer.Option("--days", help="Working days to add.")],
    fmt: FormatOption = Format.table,
    quiet: QuietOption = False,
) -> None:
    """Extend the stage's timescale: stage 1 to 20 working days at most, stage 2 to 65.

    Example: `qaudit complaints extend C-2026-0042 --days 10`
    """
    from qaudit.services.complaints import extend as record

    st = state(ctx)
    view = record(store=st.store, ctx=st.context(), ref=ref, days=days)
    _report(
        view,
        fmt,
        f"{view.ref}: extended by {view.extension_days} working days; due "
        f"{day(view.response_due)}.",
    )


@app.command()
def escalate(
    ctx: typer.Context,
    ref: Annotated[str | None, typer.Argument(callback=checked_text, help="The complaint.")] = None,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Every overdue complaint not yet escalated.")
    ] = False,
    fmt: FormatOption = Format.table,
    no_header: Annotated[
        bool,
        typer.Option(
            "--no-header", help="CSV without its header line, to append to a file from cron."
        ),
    ] = False,
    quiet: QuietOption = False,
) -> None:
    """Escalate to the head of service of the case's team. With --overdue, every overdue
    complaint not yet escalated (safe to run daily from cron).

    Example: `qaudit complaints escalate --overdue --format csv --no-header >> escalations.csv`
    """
    from qaudit.services.complaints import escalate as escalate_one
    from qaudit.services.complaints import escalate_overdue

    st = state(ctx)
    if (ref is None) == (not overdue):
        raise RuleError("give a complaint ref or --overdue (not both)")
    if no_header and fmt is not Format.csv:
        raise typer.BadParameter("--no-header goes with --format csv", param_hint="'--no-header'")
    done = (
        escalate_overdue(store=st.store, ctx=st.context())
        if overdue
        else [escalate_one(store=st.store, ctx=st.context(), ref=ref or "")]
    )
    if fmt is not Format.table:
        emit_rows(
            (e.as_dict() for e in done),
            fmt=fmt,
            columns=[
                ("ref", "ref"),
                ("case_ref", "case_ref"),
                ("escalated_to", "escalated_to"),
                ("due", "due"),
                ("already", "already"),
            ],
            header=not no_header,
        )
    for e in done:
        say(
            f"{e.ref}: {'already escalated to' if e.already else 'escalated to'} "
            f"{e.escalated_to} (due {e.due})."
        )
    if overdue and not done:
        say("No overdue complaint left to escalate.")


@app.command("next-stage")
def next_stage(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(callback=checked_text, help="The complaint.")],
    requested: Annotated[
        str, typer.Option("--requested", help="When the next stage was asked for.")
    ],
    late: Annotated[
        str | None,
        typer.Option(
            "--late", callback=checked_text, help="Accept a late request, giving the reason."
        ),
    ] = None,
    fmt: FormatOption = Format.table,
    quiet: QuietOption = False,
) -> None:
    """Move to stage 2 or 3: asked for within 20 working days of the response letter (or once
    the stage is overdue); later only with --late REASON.

    Example: `qaudit complaints next-stage C-2026-0042 --requested 2026-12-14`
    """
    from qaudit.services.complaints import next_stage as record

    st = state(ctx)
    requested_on = date_option(requested, "--requested")
    assert requested_on is not None
    view = record(
        store=st.store, ctx=st.context(), ref=ref, requested=requested_on, late_reason=late
    )
    _report(
        view,
        fmt,
        f"{view.ref}: stage {view.stage} from {view.received}; response due "
        f"{day(view.response_due)}.",
    )


@app.command()
def close(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(callback=checked_text, help="The complaint.")],
    outcome: Annotated[Outcome, typer.Option("--outcome")],
    on: Annotated[str | None, typer.Option("--date", help="Default today.")] = None,
    fmt: FormatOption = Format.table,
    quiet: QuietOption = False,
) -> None:
    """Close a complaint with its outcome: upheld, partly-upheld, not-upheld or withdrawn.

    Example: `qaudit complaints close C-2026-0042 --outcome partly-upheld`
    """
    from qaudit.services.complaints import close as record

    st = state(ctx)
    view = record(
        store=st.store,
        ctx=st.context(),
        ref=ref,
        outcome=outcome.value,
        on=date_option(on, "--date"),
    )
    _report(view, fmt, f"{view.ref}: closed {view.closed_on}, {view.outcome}.")


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


@app.command()
def stats(
    ctx: typer.Context,
    period: Annotated[
        str,
        typer.Option("--period", help="YYYY-MM, YYYY/YY-Qn, YYYY/YY, DATE..DATE, last-quarter…"),
    ],
    by: Annotated[
        Breakdown | None, typer.Option("--by", help="Also each month or quarter.")
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Complaint figures for a period: received by stage, answered in time, working days to
    answer, extensions, escalations, open and letter outstanding at the period's end.

    Example: `qaudit complaints stats --period 2026/27 --by quarter`
    """
    from qaudit.services.complaint_stats import complaint_stats

    st = state(ctx)
    run = st.context()
    chosen = period_option(period, run.today)
    figures = complaint_stats(store=st.store, ctx=run, period=chosen, by=by.value if by else None)
    if fmt is Format.json:
        emit_object({"period": chosen.label, "figures": [f.as_dict() for f in figures]})
        return
    rows = [
        {k: v for k, v in f.as_dict().items() if k not in ("by_theme", "by_team")} for f in figures
    ]
    emit_rows(
        rows,
        fmt=fmt,
        columns=[
            ("period", "Period"),
            ("received", "Received"),
            ("received_stage_1", "Stage 1"),
            ("received_stage_2", "Stage 2"),
            ("received_stage_3", "Stage 3"),
            ("answered", "Answered"),
            ("answered_in_time", "In time"),
            ("in_time_pct", "In time %"),
            ("median_working_days", "Median days"),
            ("mean_working_days", "Mean days"),
            ("extended", "Extended"),
            ("escalated", "Escalated"),
            ("open_at_end", "Open at end"),
            ("letter_outstanding_at_end", "Letter outstanding"),
        ],
        title=f"Complaints {chosen.label}",
    )
    if fmt is Format.table:
        total = figures[-1]
        emit_rows(
            ({"theme": k, "received": v} for k, v in total.by_theme.items()),
            fmt=fmt,
            columns=[("theme", "Theme"), ("received", "Received")],
            title="Themes",
        )
