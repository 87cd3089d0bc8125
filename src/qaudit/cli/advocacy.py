"""``qaudit advocacy``: record advocacy at child protection conferences, provide, list, stats."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from qaudit.cli.limits import WideOption
from qaudit.cli.output import emit_object, emit_record, emit_rows
from qaudit.cli.params import QuietOption, checked_text, date_option, period_option, record_id
from qaudit.cli.state import Format, state
from qaudit.display import day

if TYPE_CHECKING:
    from qaudit.services.advocacy import AdvocacyView

app = typer.Typer(
    help="Advocacy at child protection conferences: every child told, every request met."
)

COLUMNS = [
    ("id", "Id"),
    ("case_ref", "Case"),
    ("team", "Team"),
    ("conference_date", "Conference"),
    ("offered", "Told"),
    ("requested", "Asked"),
    ("provided_on", "Provided"),
    ("status", "Status"),
]

FormatOption = Annotated[Format, typer.Option("--format", "-f")]
PERIOD_HELP = "YYYY-MM, YYYY/YY-Qn, YYYY/YY, DATE..DATE, last-quarter…"


def _report(view: AdvocacyView, fmt: Format, message: str) -> None:
    emit_record(view.as_dict(), fmt=fmt, columns=COLUMNS, message=message)


def _state_of(view: AdvocacyView) -> str:
    if view.status == "provided":
        assert view.provided_on is not None
        timing = (
            "by the conference"
            if view.met
            else "after the conference: the request was not met by its date"
        )
        return f"advocate provided {view.provided_on} ({timing})"
    return {
        "not-offered": "the child was not told they may have an advocate",
        "not-requested": "told; no advocate asked for",
        "awaiting": "advocate asked for; to be provided by the conference",
        "not-met": "advocate asked for and not provided by the conference: overdue",
    }[view.status]


@app.command()
def record(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(callback=checked_text, help="The case ref.")],
    conference_date: Annotated[
        str, typer.Option("--conference-date", help="The conference date, YYYY-MM-DD.")
    ],
    offered: Annotated[
        bool,
        typer.Option(
            "--offered/--not-offered",
            help="Whether the child was told they may have an advocate.",
            show_default=False,
        ),
    ],
    requested: Annotated[
        bool,
        typer.Option(
            "--requested/--not-requested",
            help="Whether the child asked for one (also unprompted).",
            show_default=False,
        ),
    ],
    provided: Annotated[
        str | None,
        typer.Option("--provided-date", help="When an advocate was provided (may be earlier)."),
    ] = None,
    fmt: FormatOption = Format.table,
    quiet: QuietOption = False,
) -> None:
    """Record a child protection conference: was the child told they may have an advocate,
    did they ask, and when one was provided. Record a request when it is made, before the
    conference: an advocate is due 2 working days before it (policy), and `qaudit overdue`
    lists the request from then until one is provided.

    Example: `qaudit advocacy record C100002 --conference-date 2026-11-20 --offered
    --requested --provided-date 2026-11-18`
    """
    from qaudit.services.advocacy import record_conference

    st = state(ctx)
    conference = date_option(conference_date, "--conference-date")
    assert conference is not None
    view = record_conference(
        store=st.store,
        ctx=st.context(),
        case_ref=case,
        conference_date=conference,
        offered=offered,
        requested=requested,
        provided_on=date_option(provided, "--provided-date"),
    )
    _report(
        view,
        fmt,
        f"Recorded advocacy {view.id}: {view.case_ref}'s conference on "
        f"{day(view.conference_date)}; {_state_of(view)}.",
    )


@app.command()
def provide(
    ctx: typer.Context,
    advocacy_id: Annotated[int, record_id("The advocacy record's number.")],
    on: Annotated[str | None, typer.Option("--date", help="Default today.")] = None,
    fmt: FormatOption = Format.table,
    quiet: QuietOption = False,
) -> None:
    """Record the date an advocate was provided for a child who asked for one.

    Example: `qaudit advocacy provide 12 --date 2026-11-18`
    """
    from qaudit.services.advocacy import provide as record_provided

    st = state(ctx)
    run = st.context()
    view = record_provided(
        store=st.store, ctx=run, advocacy_id=advocacy_id, on=date_option(on, "--date") or run.today
    )
    _report(
        view,
        fmt,
        f"Advocacy {view.id} ({view.case_ref}, conference {view.conference_date}): "
        f"{_state_of(view)}.",
    )


@app.command("list")
def list_(
    ctx: typer.Context,
    period: Annotated[
        str | None, typer.Option("--period", help=f"Conferences in the period: {PERIOD_HELP}")
    ] = None,
    fmt: FormatOption = Format.table,
    wide: WideOption = False,
) -> None:
    """Every conference recorded, oldest first, with where its advocacy stands: not-offered,
    not-requested, provided, awaiting (the conference is today) or not-met.

    Example: `qaudit advocacy list --period 2026/27-Q3 --format csv`
    """
    from qaudit.services.advocacy import list_conferences

    st = state(ctx)
    run = st.context()
    chosen = period_option(period, run.today) if period is not None else None
    views = list_conferences(store=st.store, ctx=run, period=chosen)
    title = "Advocacy at conferences" + (f" {chosen.label}" if chosen else "")
    emit_rows(
        (v.as_dict() for v in views),
        fmt=fmt,
        columns=COLUMNS,
        title=title,
        keep=("id", "case_ref", "conference_date", "offered", "requested", "status"),
    )


@app.command()
def stats(
    ctx: typer.Context,
    period: Annotated[str, typer.Option("--period", help=PERIOD_HELP)],
    fmt: FormatOption = Format.table,
) -> None:
    """Advocacy figures for a period: conferences, children told, requests and uptake,
    requests met by the conference date; and the conferences where the child was not told.
    Conferences held by today count (one recorded ahead counts once held).

    Example: `qaudit advocacy stats --period last-quarter`
    """
    from qaudit.services.advocacy import advocacy_stats

    st = state(ctx)
    run = st.context()
    chosen = period_option(period, run.today)
    figures = advocacy_stats(store=st.store, ctx=run, period=chosen)
    data = figures.as_dict()
    if fmt is Format.json:
        emit_object(data)
        return
    scalars = {k: v for k, v in data.items() if k not in ("exceptions", "unmet")}
    if fmt is Format.csv:
        emit_rows([scalars], fmt=fmt, columns=[(k, k) for k in scalars])
        return

    def share(pct: float | None) -> str:
        return "–" if pct is None else f"{pct}%"

    rows = [
        ("Conferences", figures.conferences),
        ("Children told", f"{figures.told} ({share(figures.told_pct)})"),
        ("Requests", figures.requests),
        ("Uptake (told who asked)", share(figures.uptake_pct)),
        ("Met by the conference", f"{figures.met} ({share(figures.met_pct)})"),
        ("Provided late", figures.met_late),
        ("Not provided", figures.not_provided),
        ("Awaiting (conference today)", figures.awaiting),
        ("Recorded ahead (not yet held: not counted)", figures.ahead),
    ]
    emit_rows(
        ({"figure": k, "value": v} for k, v in rows),
        fmt=fmt,
        columns=[("figure", "Figure"), ("value", "Value")],
        title=f"Advocacy {chosen.label}",
    )
    if figures.exceptions:
        emit_rows(
            (e.as_dict() for e in figures.exceptions),
            fmt=fmt,
            columns=[("id", "Id"), ("case_ref", "Case"), ("conference_date", "Conference")],
            title="Children not told",
        )
    if figures.unmet:
        emit_rows(
            (u.as_dict() for u in figures.unmet),
            fmt=fmt,
            columns=[
                ("id", "Id"),
                ("case_ref", "Case"),
                ("conference_date", "Conference"),
                ("provided_on", "Provided"),
            ],
            title="Requests not met by the conference",
        )
