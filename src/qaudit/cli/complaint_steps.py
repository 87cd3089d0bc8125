"""``qaudit complaints`` extend, escalate, next-stage and close: the steps of a complaint's course
after its response (registered on the group in cli/complaints.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from qaudit.cli.complaint_options import FormatOption, Outcome, naming_options, report
from qaudit.cli.output import emit_rows
from qaudit.cli.params import QuietOption, checked_text, date_option
from qaudit.cli.state import Format, say, state
from qaudit.display import day
from qaudit.errors import RuleError

# The options that answer each refusal of an extension (domain.complaints.extend).
EXTENSION_OPTIONS = {
    "late": "--late-agreed --reason TEXT",
    "late_no_reason": "--reason TEXT",
    "reason_not_late": "--reason goes with --late-agreed",
    "not_late": "leave out --late-agreed",
}


def extend(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(callback=checked_text, help="The complaint.")],
    days: Annotated[int, typer.Option("--days", help="Working days to add.")],
    on: Annotated[
        str | None,
        typer.Option("--date", help="When the extension was agreed (default today)."),
    ] = None,
    late_agreed: Annotated[
        bool,
        typer.Option(
            "--late-agreed",
            help="The complainant agreed the extension after the response was due (with --reason).",
        ),
    ] = False,
    reason: Annotated[
        str | None,
        typer.Option(
            "--reason", callback=checked_text, help="Why it was agreed late (with --late-agreed)."
        ),
    ] = None,
    fmt: FormatOption = Format.table,
    quiet: QuietOption = False,
) -> None:
    """Extend the stage's timescale: stage 1 to 20 working days at most, stage 2 to 65.

    Example: `qaudit complaints extend C-2026-0042 --days 10`
    """
    from qaudit.services.complaints import extend as record

    st = state(ctx)
    with naming_options(EXTENSION_OPTIONS):
        view = record(
            store=st.store,
            ctx=st.context(),
            ref=ref,
            days=days,
            on=date_option(on, "--date"),
            late_agreed=late_agreed,
            reason=reason,
        )
    report(
        view,
        fmt,
        f"{view.ref}: extended by {view.extension_days} working days; due "
        f"{day(view.response_due)}" + (" (agreed late)." if late_agreed else "."),
    )


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
    complaint not yet escalated (safe to run daily from cron). The next qaudit notify emails
    the head of service, once per stage.

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
    elif any(not e.already for e in done):
        say("The next qaudit notify emails each head of service what was escalated to them.")


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
    with naming_options({"late_request": "--late REASON"}):
        view = record(
            store=st.store, ctx=st.context(), ref=ref, requested=requested_on, late_reason=late
        )
    report(
        view,
        fmt,
        f"{view.ref}: stage {view.stage} from {view.received}; response due "
        f"{day(view.response_due)}.",
    )


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
    with naming_options({"no_letter": "send it with qaudit complaints letter"}):
        view = record(
            store=st.store,
            ctx=st.context(),
            ref=ref,
            outcome=outcome.value,
            on=date_option(on, "--date"),
        )
    report(view, fmt, f"{view.ref}: closed {view.closed_on}, {view.outcome}.")
