"""``qaudit complaints stats``: a period's complaint figures (registered on the group in
cli/complaints.py)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from qaudit.cli.complaint_options import FormatOption
from qaudit.cli.limits import WideOption
from qaudit.cli.output import emit_object, emit_rows
from qaudit.cli.params import period_option
from qaudit.cli.state import Format, state

COLUMNS = [
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
    ("extensions_agreed", "Extensions"),
    ("extensions_agreed_late", "Agreed late"),
    ("escalated", "Escalated"),
    ("open_at_end", "Open at end"),
    ("letter_outstanding_at_end", "Letter outstanding"),
]
# A table has a column per period when there are this few (the period, or its quarters and the
# total): sixteen figures across would not fit a terminal, and down the side they read easily.
FIGURES_DOWN_THE_SIDE = 5
# With more (each month of a year), a row per period, and these columns whatever the width.
KEPT = ("period", "received", "answered", "in_time_pct", "escalated", "open_at_end")


class Breakdown(StrEnum):
    month = "month"
    quarter = "quarter"


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
    wide: WideOption = False,
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
    title = f"Complaints {chosen.label}"
    if fmt is Format.table and len(rows) <= FIGURES_DOWN_THE_SIDE:
        # The figures down the side, a column per period.
        periods = [(f"p{n}", str(row["period"])) for n, row in enumerate(rows)]
        emit_rows(
            (
                {
                    "figure": heading,
                    **{key: row.get(field) for (key, _), row in zip(periods, rows, strict=True)},
                }
                for field, heading in COLUMNS[1:]
            ),
            fmt=fmt,
            columns=[("figure", "Figure"), *periods],
            title=title,
        )
    else:
        emit_rows(rows, fmt=fmt, columns=COLUMNS, title=title, keep=KEPT)
    if fmt is Format.table:
        total = figures[-1]
        emit_rows(
            ({"theme": k, "received": v} for k, v in total.by_theme.items()),
            fmt=fmt,
            columns=[("theme", "Theme"), ("received", "Received")],
            title="Themes",
        )
