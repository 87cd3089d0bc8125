"""``qaudit survey``: Bright Spots responses, cohorts invited, reviews within 24 hours, rates."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qaudit.cli.limits import AllOption, LimitOption, WideOption, emit_limited, row_limit
from qaudit.cli.output import emit_object, emit_rows
from qaudit.cli.params import QuietOption, checked_text, period_option
from qaudit.cli.state import Format, say, state, warn
from qaudit.cli.stdin import as_given, input_file, shown_name

MAX_COHORT = 100_000  # children invited to one survey: more than any council looks after

if TYPE_CHECKING:
    from qaudit.services.survey import ResponseView

app = typer.Typer(help="Bright Spots surveys: responses, cohorts, reviews, response rates.")


class SummaryFormat(StrEnum):
    table = "table"
    json = "json"


class Survey(StrEnum):
    your_life_your_care = "your-life-your-care"
    your_life_beyond_care = "your-life-beyond-care"


RESPONSE_COLUMNS = [
    ("response_id", "Response"),
    ("survey", "Survey"),
    ("age_band", "Band"),
    ("received_at", "Received"),
    ("concern", "Concern"),
    ("review_due", "Review due"),
    ("status", "Status"),
    ("reviewed_by", "Reviewed by"),
    ("reviewed_at", "Reviewed"),
    ("action", "Action"),
    ("comment", "Comment"),
]

FormatOption = Annotated[Format, typer.Option("--format", "-f")]
SummaryFormatOption = Annotated[
    SummaryFormat,
    typer.Option("--format", "-f", help="table: a summary for people; json: the result."),
]


def _band(value: str) -> str:
    from qaudit.importers.survey_csv import parse_age_band

    try:
        return parse_age_band(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--band'") from None


def _moment(view: ResponseView) -> str:
    return f"{view.received_at:%Y-%m-%d %H:%M}"


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            help="Bright Spots CSV: response_id,survey,age_band,received_at,concern,comment; - for "
            "standard input."
        ),
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only; write nothing.")] = False,
    fmt: SummaryFormatOption = SummaryFormat.table,
    quiet: QuietOption = False,
) -> None:
    """Import Bright Spots responses: all rows or none; anonymous, no child id.

    Surveys your-life-your-care (bands 4-7, 8-11, 11-18) and your-life-beyond-care (16-25);
    received_at is YYYY-MM-DDTHH:MM[:SS], Europe/London unless an offset is given; concern is
    yes or no. Re-importing a response changes nothing; one with other content is refused.

    Example: `qaudit survey import bright-spots-2026-12.csv`
    """
    from qaudit.services.survey import import_survey

    st = state(ctx)
    run = st.context()
    with input_file(file, max_bytes=run.policy.imports.max_file_bytes) as path:
        summary = import_survey(store=st.store, path=path, ctx=run, dry_run=dry_run)
    for message in summary.warnings:
        warn(as_given(message, path))
    if fmt is SummaryFormat.json:
        emit_object({**summary.as_dict(), "file": shown_name(summary.file, file)})
    lead = "Checked (dry run, nothing written)" if dry_run else "Imported"
    say(
        f"{lead} {shown_name(summary.file, file)}: {summary.rows} responses; "
        f"{summary.added} added, {summary.unchanged} unchanged."
    )


@app.command()
def cohort(
    ctx: typer.Context,
    survey: Annotated[Survey, typer.Option("--survey", case_sensitive=False)],
    band: Annotated[str, typer.Option("--band", help="4-7, 8-11, 11-18 (or 11-17), 16-25.")],
    period: Annotated[
        str, typer.Option("--period", help="YYYY-MM, YYYY/YY-Qn, YYYY/YY, DATE..DATE…")
    ],
    invited: Annotated[
        int, typer.Option("--invited", min=1, max=MAX_COHORT, help="Children invited.")
    ],
    fmt: SummaryFormatOption = SummaryFormat.table,
    quiet: QuietOption = False,
) -> None:
    """Record how many children were invited: the response rate's denominator.

    One number per survey, age band and period; recording it again replaces it.

    Example: `qaudit survey cohort --survey your-life-your-care --band 8-11
    --period 2026/27-Q3 --invited 25`
    """
    from qaudit.services.survey import record_cohort

    st = state(ctx)
    run = st.context()
    view = record_cohort(
        store=st.store,
        ctx=run,
        survey=survey.value,
        age_band=_band(band),
        period=period_option(period, run.today),
        invited=invited,
    )
    if fmt is SummaryFormat.json:
        emit_object(view.as_dict())
    what = f"{view.survey} {view.age_band} {view.period}"
    if not view.changed:
        say(f"{what}: {view.invited} invited, as already recorded.")
    elif view.before is None:
        say(f"{what}: {view.invited} invited.")
    else:
        say(f"{what}: {view.invited} invited (was {view.before}).")


@app.command()
def review(
    ctx: typer.Context,
    response_id: Annotated[
        str, typer.Argument(metavar="ID", callback=checked_text, help="The response id.")
    ],
    by: Annotated[
        str | None,
        typer.Option("--by", callback=checked_text, help="Who reviewed it (default: --user)."),
    ] = None,
    action: Annotated[
        str | None,
        typer.Option(
            "--action",
            callback=checked_text,
            help="What was done: required when a concern is flagged.",
        ),
    ] = None,
    fmt: SummaryFormatOption = SummaryFormat.table,
    quiet: QuietOption = False,
) -> None:
    """Record a response reviewed now (or at --today).

    Every response is reviewed within 24 hours of receipt (clock hours); one that flags a
    concern needs --action saying what was done about it.

    Example: `qaudit survey review BS-0042 --by "Val Voice" --action "Referred to the
    child's social worker"`
    """
    from qaudit.services.survey import review as record

    st = state(ctx)
    view = record(
        store=st.store, ctx=st.context(), response_id=response_id, by=by or st.user, action=action
    )
    if fmt is SummaryFormat.json:
        emit_object(view.as_dict())
    timing = "in time" if view.status == "reviewed" else "late"
    assert view.reviewed_at is not None and view.review_due is not None
    say(
        f"{view.response_id} (received {_moment(view)}): reviewed by {view.reviewed_by} at "
        f"{view.reviewed_at:%Y-%m-%d %H:%M} ({timing}; due {view.review_due:%Y-%m-%d %H:%M})."
    )


@app.command("list")
def list_(
    ctx: typer.Context,
    unreviewed: Annotated[
        bool, typer.Option("--unreviewed", help="Only those not yet reviewed.")
    ] = False,
    fmt: FormatOption = Format.table,
    limit: LimitOption = None,
    every: AllOption = False,
    wide: WideOption = False,
) -> None:
    """Every response, oldest first, with its review deadline and status. A table shows the
    first 1,000 unless --limit N or --all.

    Status: due, overdue, reviewed (in time) or reviewed late; times on the London clock.

    Example: `qaudit survey list --unreviewed`
    """
    from qaudit.services.survey import list_responses

    st = state(ctx)
    views = list_responses(store=st.store, unreviewed=unreviewed, ctx=st.context())
    emit_limited(
        (v.as_dict() for v in views),
        fmt=fmt,
        columns=RESPONSE_COLUMNS,
        title="Survey responses",
        keep=("response_id", "age_band", "concern", "review_due", "status", "comment"),
        limit=row_limit(fmt, limit, every),
        total=lambda: len(views),
        noun="responses",
    )


@app.command()
def stats(
    ctx: typer.Context,
    period: Annotated[
        str,
        typer.Option("--period", help="YYYY-MM, YYYY/YY-Qn, YYYY/YY, DATE..DATE, last-quarter…"),
    ],
    fmt: FormatOption = Format.table,
    wide: WideOption = False,
) -> None:
    """Response rates, concerns and reviews in time, per survey and age band.

    For the period: responses received, children invited (the cohorts), the response rate
    (below the policy's floor, 30%, results are not meaningful), concerns flagged, and
    reviews within 24 hours.

    Example: `qaudit survey stats --period 2026/27-Q3`
    """
    from qaudit.services.survey import survey_stats

    st = state(ctx)
    run = st.context()
    chosen = period_option(period, run.today)
    figures = survey_stats(store=st.store, ctx=run, period=chosen)
    if fmt is Format.json:
        emit_object(
            {
                "period": chosen.label,
                "start": chosen.start,
                "end": chosen.end,
                "response_rate_floor_pct": run.policy.voice.response_rate_floor_pct,
                "review_hours": run.policy.voice.review_hours,
                "figures": [f.as_dict() for f in figures],
            }
        )
        return
    emit_rows(
        (f.as_dict() for f in figures),
        fmt=fmt,
        columns=[
            ("survey", "Survey"),
            ("age_band", "Band"),
            ("responses", "Responses"),
            ("invited", "Invited"),
            ("response_rate_pct", "Rate %"),
            ("below_floor", "Below floor"),
            ("flagged", "Concerns"),
            ("reviewed", "Reviewed"),
            ("reviewed_in_time", "In time"),
            ("reviewed_in_time_pct", "In time %"),
        ],
        title=f"Bright Spots {chosen.label}",
        keep=(
            "survey",
            "age_band",
            "responses",
            "invited",
            "response_rate_pct",
            "flagged",
            "reviewed_in_time_pct",
        ),
    )
    if fmt is Format.table and not figures:
        say(f"No survey responses or cohorts in {chosen.label}.")
