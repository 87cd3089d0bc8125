"""``qaudit scrutiny``: member scrutiny sessions, their resolutions, and what was done."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from qaudit.cli.limits import WideOption
from qaudit.cli.output import emit_object, emit_rows
from qaudit.cli.params import (
    QuietOption,
    checked_name,
    checked_text,
    date_option,
    period_option,
    record_id,
)
from qaudit.cli.state import Format, say, state
from qaudit.display import day

if TYPE_CHECKING:
    from qaudit.services.scrutiny import SessionView

app = typer.Typer(
    help="Member scrutiny: the committee's sessions, its resolutions and what came of them."
)

COLUMNS = [
    ("session_id", "Session"),
    ("held_on", "Held"),
    ("committee", "Committee"),
    ("id", "Resolution"),
    ("text", "Resolved"),
    ("status", "Status"),
    ("note", "What was done"),
    ("updated_on", "Updated"),
]
# For people: what was resolved and what came of it; the ids and dates are in json and csv.
TABLE_COLUMNS = [c for c in COLUMNS if c[0] not in ("session_id", "updated_on")]

FormatOption = Annotated[Format, typer.Option("--format", "-f")]


class ResolutionStatus(StrEnum):
    open = "open"
    done = "done"


def _flat(sessions: list[SessionView]) -> list[dict[str, Any]]:
    """One row per resolution; a session that resolved nothing still shows, on a row of its
    own."""
    rows: list[dict[str, Any]] = []
    for s in sessions:
        if not s.resolutions:
            rows.append({"session_id": s.id, "held_on": s.held_on, "committee": s.committee})
        rows += [r.as_dict() for r in s.resolutions]
    return rows


@app.command()
def add(
    ctx: typer.Context,
    committee: Annotated[
        str, typer.Option("--committee", callback=checked_name, help="The scrutiny committee.")
    ],
    held_on: Annotated[
        str | None, typer.Option("--date", help="When the session was held (default today).")
    ] = None,
    resolution: Annotated[
        list[str] | None,
        typer.Option(
            "--resolution", callback=checked_text, help="What members resolved (repeatable)."
        ),
    ] = None,
    fmt: FormatOption = Format.table,
    quiet: QuietOption = False,
) -> None:
    """Record a scrutiny session and its resolutions; each stays open until the service
    records what it did about it (qaudit scrutiny action).

    Example: `qaudit scrutiny add --date 2026-11-12 --committee "Children's Scrutiny"
    --resolution "Report on advocacy uptake next quarter"`
    """
    from qaudit.services.scrutiny import add_session

    st = state(ctx)
    run = st.context()
    view = add_session(
        store=st.store,
        ctx=run,
        held_on=date_option(held_on, "--date") or run.today,
        committee=committee,
        resolutions=resolution or [],
    )
    if fmt is Format.json:
        emit_object(view.as_dict())
    elif fmt is Format.csv:
        emit_rows(_flat([view]), fmt=fmt, columns=COLUMNS)
    numbers = ", ".join(str(r.id) for r in view.resolutions)
    say(
        f"Recorded scrutiny session {view.id} ({view.committee}, {day(view.held_on)}): "
        + (
            f"{len(view.resolutions)} resolutions ({numbers}), open."
            if view.resolutions
            else "no resolutions."
        )
    )


@app.command()
def action(
    ctx: typer.Context,
    resolution_id: Annotated[int, record_id("The resolution's number.")],
    status: Annotated[ResolutionStatus, typer.Option("--status", help="open or done.")],
    note: Annotated[
        str | None,
        typer.Option(
            "--note", callback=checked_text, help="What the service did (needed for done)."
        ),
    ] = None,
    fmt: FormatOption = Format.table,
    quiet: QuietOption = False,
) -> None:
    """Record what the service did about a resolution, and whether it is done.

    Example: `qaudit scrutiny action 3 --status done --note "Uptake added to the
    board report"`
    """
    from qaudit.services.scrutiny import update_resolution

    st = state(ctx)
    view = update_resolution(
        store=st.store,
        ctx=st.context(),
        resolution_id=resolution_id,
        status=status.value,
        note=note,
    )
    if fmt is Format.json:
        emit_object(view.as_dict())
    elif fmt is Format.csv:
        emit_rows([view.as_dict()], fmt=fmt, columns=COLUMNS)
    say(
        f"Resolution {view.id} ({view.committee}, {view.held_on}): {view.status}"
        + (f"; {view.note}" if view.note else "")
        + "."
    )


@app.command("list")
def list_(
    ctx: typer.Context,
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            help="Sessions held in the period: YYYY-MM, YYYY/YY-Qn, YYYY/YY, DATE..DATE…",
        ),
    ] = None,
    fmt: FormatOption = Format.table,
    wide: WideOption = False,
) -> None:
    """Scrutiny sessions, oldest first, with their resolutions and what was done about them:
    what the quarterly report shows members. JSON: sessions, each with its resolutions.

    Example: `qaudit scrutiny list --period 2026/27-Q3`
    """
    from qaudit.services.scrutiny import list_sessions

    st = state(ctx)
    chosen = period_option(period, st.context().today) if period is not None else None
    sessions = list_sessions(store=st.store, period=chosen)
    if fmt is Format.json:
        emit_rows((s.as_dict() for s in sessions), fmt=fmt, columns=[])
        return
    title = "Member scrutiny" + (f" {chosen.label}" if chosen else "")
    columns = TABLE_COLUMNS if fmt is Format.table else COLUMNS
    emit_rows(
        _flat(sessions),
        fmt=fmt,
        columns=columns,
        title=title,
        keep=("held_on", "committee", "id", "text", "status", "note"),
    )
