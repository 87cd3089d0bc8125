"""``qaudit actions``: the actions audits and moderations set: list them, mark one done,
reassign one."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from qaudit.cli.limits import AllOption, LimitOption, WideOption, emit_limited, row_limit
from qaudit.cli.output import emit_record
from qaudit.cli.params import QuietOption, checked_name, checked_text, date_option, record_id
from qaudit.cli.state import Format, state
from qaudit.display import day
from qaudit.domain.actions import ACTION_STATE_CHOICES

app = typer.Typer(help="Actions from audits: who does what about a case, by when.")

# The --status choices, from the one list of states.
ActionStatus = StrEnum("ActionStatus", [(s, s) for s in ACTION_STATE_CHOICES])  # type: ignore[misc]

COLUMNS = [
    ("id", "Id"),
    ("case_ref", "Case"),
    ("team", "Team"),
    ("text", "What"),
    ("owner", "Owner"),
    ("due", "Due"),
    ("state", "State"),
    ("done_on", "Done on"),
    ("set_by", "Set by"),
]
KEEP = ("id", "case_ref", "text", "owner", "due", "state")
FormatOption = Annotated[Format, typer.Option("--format", "-f")]


@app.command("list")
def list_(
    ctx: typer.Context,
    owner: Annotated[
        str | None, typer.Option("--owner", callback=checked_text, help="Only this owner's.")
    ] = None,
    team: Annotated[
        str | None, typer.Option("--team", callback=checked_text, help="Only the team's cases'.")
    ] = None,
    case: Annotated[
        str | None, typer.Option("--case", callback=checked_text, help="Only the case's.")
    ] = None,
    status: Annotated[
        ActionStatus | None,
        typer.Option("--status", help="Only those open, overdue, done (in time) or done-late."),
    ] = None,
    fmt: FormatOption = Format.table,
    limit: LimitOption = None,
    every: AllOption = False,
    wide: WideOption = False,
) -> None:
    """Actions set by audits and moderations, earliest due first, with where each stands
    today: open, overdue, done (by its due date) or done late. A table shows the first 1,000
    unless --limit N or --all.

    Example: `qaudit actions list --owner "Kiran Evans" --status overdue`
    """
    from qaudit.domain.actions import state_named
    from qaudit.services.actions import list_actions

    st = state(ctx)
    with st.rows() as rows:
        views = list_actions(
            rows,
            st.context(),
            owner=owner,
            team=team,
            case_ref=case,
            state=state_named(status.value) if status else None,
        )
    emit_limited(
        (v.as_dict() for v in views),
        fmt=fmt,
        columns=COLUMNS,
        title="Actions",
        keep=KEEP,
        limit=row_limit(fmt, limit, every),
        total=lambda: len(views),
        noun="actions",
    )


@app.command()
def done(
    ctx: typer.Context,
    action_id: Annotated[int, record_id("The action's number (qaudit actions list).")],
    on: Annotated[
        str | None, typer.Option("--on", help="The day it was done, YYYY-MM-DD (default today).")
    ] = None,
    fmt: FormatOption = Format.table,
    quiet: QuietOption = False,
) -> None:
    """Mark an action done: today, or the day it was done (not before it was set, not in the
    future, not twice).

    Example: `qaudit actions done 7 --on 2027-01-12`
    """
    from qaudit.services.actions import mark_action_done

    st = state(ctx)
    run = st.context()
    when = date_option(on, "--on") or run.today
    with st.writing(run) as tx:
        view = mark_action_done(tx, run, action_id=action_id, on=when)
    assert view.done_on is not None
    timing = "by its due date" if view.state == "done" else f"late: it was due {day(view.due)}"
    emit_record(
        view.as_dict(),
        fmt=fmt,
        columns=COLUMNS,
        message=f"Action {view.id} ({view.case_ref}, {view.owner}) done on "
        f"{day(view.done_on)}, {timing}.",
    )


@app.command()
def reassign(
    ctx: typer.Context,
    action_id: Annotated[int, record_id("The action's number (qaudit actions list).")],
    to: Annotated[str, typer.Option("--to", callback=checked_name, help="The new owner.")],
    reason: Annotated[
        str | None,
        typer.Option(
            "--reason",
            callback=checked_name,
            help="Why it moves (kept in the change log: say nothing there about the child).",
        ),
    ] = None,
    fmt: FormatOption = Format.table,
    quiet: QuietOption = False,
) -> None:
    """Give an open action to another staff member; the change log keeps who had it before.

    Example: `qaudit actions reassign 7 --to "Kiran Evans" --reason "Ann on leave"`
    """
    from qaudit.services.actions import reassign_action

    st = state(ctx)
    run = st.context()
    with st.writing(run) as tx:
        view, before = reassign_action(tx, run, action_id=action_id, to=to, reason=reason)
    emit_record(
        view.as_dict(),
        fmt=fmt,
        columns=COLUMNS,
        message=f"Action {view.id} ({view.case_ref}) reassigned from {before} to {view.owner}, "
        f"due {day(view.due)}.",
    )
