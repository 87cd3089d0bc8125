"""Building the reports: audits, complaints, voice, and the board's (all of them, balanced)."""

from __future__ import annotations

from collections import Counter

from qaudit.domain.headlines import ANSWERED_IN_TIME, TOLD, VIEWS_GATHERED
from qaudit.domain.periods import Period, previous
from qaudit.errors import RuleError
from qaudit.reports.model import Column, Report, Section, Table, rate
from qaudit.services.change import (
    Measure,
    change_table,
)
from qaudit.services.context import Context
from qaudit.store.changelog import head_hash
from qaudit.store.engine import Store

KINDS = ("audits", "complaints", "voice", "board")
TITLES = {
    "audits": "Case audits",
    "complaints": "Complaints",
    "voice": "The voice of the child and family",
    "board": "Quality assurance: report to the Performance and Assurance Action Board",
}


def complaints_section(*, store: Store, ctx: Context, period: Period) -> Section:
    """The complaint figures, a year's by financial-year quarter, with the theme table.

    Each row counts the period it is labelled with: a month's or a range's one row is that
    month or range, not the quarter it falls in."""
    from qaudit.services.complaint_stats import complaint_stats
    from qaudit.services.vocabulary import complaint_theme_titles

    by = "quarter" if period.kind == "year" else None
    figures = complaint_stats(store=store, ctx=ctx, period=period, by=by)
    total = figures[-1]
    split = len(figures) > 1
    rows = []
    for f in figures:
        row = f.as_dict()
        rows.append(
            {
                "period": "Total" if split and f is total else f.period,
                "received": f.received,
                "answered": f.answered,
                "answered_in_time": f.answered_in_time,
                **rate("in_time_pct", f.answered_in_time, f.answered),
                "median_working_days": f.median_working_days,
                "extended": f.extended,
                "extensions_agreed": f.extensions_agreed,
                "extensions_agreed_late": f.extensions_agreed_late,
                "escalated": f.escalated,
                "open_at_end": f.open_at_end,
                "letter_outstanding_at_end": row["letter_outstanding_at_end"],
            }
        )
    by_quarter = Table(
        name="complaints",
        title=f"Complaints{' by quarter' if split else ''} "
        "(answered = final response letter sent in the period)",
        columns=[
            Column("period", "Quarter" if split else "Period"),
            Column("received", "Received", "count"),
            Column("answered", "Answered", "count"),
            Column("answered_in_time", "In time", "count"),
            Column("in_time_pct", "In time %", "pct"),
            Column("median_working_days", "Median working days", "number"),
            Column("extended", "Extended", "count"),
            Column("extensions_agreed", "Extensions agreed", "count"),
            Column("extensions_agreed_late", "Extensions agreed late", "count"),
            Column("escalated", "Escalated", "count"),
            Column("open_at_end", "Open at end", "count"),
            Column("letter_outstanding_at_end", "Resolved, letter outstanding", "count"),
        ],
        rows=rows,
        definitions=_complaint_definitions(ctx),
    )
    in_time = Table(
        name="complaints_in_time",
        title="Complaints answered in time" + (", by quarter" if split else ""),
        columns=[
            Column("period", "Quarter" if split else "Period"),
            Column("in_time_pct", "Answered in time %", "pct"),
        ],
        rows=[
            {"period": f.period, **rate("in_time_pct", f.answered_in_time, f.answered)}
            for f in (figures[:-1] or [total])
        ],
        chart="bar",
        definitions=[
            "Answered in time %: of the stages whose final response letter was sent in the "
            "period, the share sent by the stage's due date."
        ],
    )
    stages = Table(
        name="complaint_stages",
        title="Received by stage",
        columns=[Column("stage", "Stage"), Column("received", "Received", "count")],
        rows=[{"stage": f"Stage {n}", "received": total.received_by_stage[n]} for n in (1, 2, 3)],
        definitions=[
            "Received: complaints received at stage 1, and requests for stage 2 or 3, in the "
            "period."
        ],
    )
    themes = Table(
        name="complaint_themes",
        title="Themes",
        columns=[Column("theme", "Theme"), Column("received", "Complaints", "count")],
        rows=_by_title(total.by_theme, complaint_theme_titles(ctx)),
        definitions=[
            "Complaints: stages received in the period with the theme; a complaint with "
            "several themes counts under each."
        ],
    )
    teams = Table(
        name="complaint_teams",
        title="By team",
        columns=[Column("team", "Team"), Column("received", "Complaints", "count")],
        rows=[{"team": k, "received": v} for k, v in total.by_team.items()],
        definitions=[
            "Complaints: stages received in the period, by the team of the complaint's case "
            "((no case): a complaint not linked to a case)."
        ],
    )
    before = previous(period)
    then = complaint_stats(store=store, ctx=ctx, period=before)[-1] if before else None
    change = change_table(
        [
            Measure(
                ANSWERED_IN_TIME,
                total.answered_in_time,
                total.answered,
                then.answered_in_time if then else 0,
                then.answered if then else 0,
            )
        ],
        period,
        before,
    )
    return Section("complaints", "Complaints", [by_quarter, change, in_time, stages, themes, teams])


def _complaint_definitions(ctx: Context) -> list[str]:
    """What the complaint table's figures mean, as services/complaint_stats.py counts them."""
    st = ctx.policy.complaints.statutory
    return [
        "Each figure counts complaint stages: a complaint taken to stage 2 or 3 counts again "
        "at that stage.",
        "Received: stages received (a stage 2 or 3 when it was asked for) in the period.",
        "Answered: stages whose final response letter was sent in the period, whenever they "
        "were received.",
        "In time: the final response letter sent by the stage's due date, its procedure's "
        f"timescale in working days from receipt (statutory: {st.stage1_days} at stage 1, "
        f"{st.stage2_days} at stage 2, {st.stage3_days} at stage 3), moved on by any "
        "extension agreed in time (one agreed after the stage was due does not make its "
        "letter in time: the timescale was already missed); in time % is of those answered.",
        "Median working days: from receipt to the final response letter, of the stages "
        "answered in the period.",
        "Extended: stages received in the period whose deadline was extended.",
        "Extensions agreed: extensions of a stage's timescale agreed in the period.",
        "Extensions agreed late: of those, the ones agreed after the stage's response was "
        "already due, recorded with the complainant's agreement and the reason (such a stage "
        "counts as answered late: its timescale was missed).",
        "Escalated: stages escalated in the period to the head of service of the case's team "
        "(or the QA lead when none is known).",
        "Open at end: stages received by the period's end with no final response letter by "
        "then, the complaint not closed.",
        "Resolved, letter outstanding: of those open at the end, the ones already resolved "
        "(responded to in substance): what is missing is the letter.",
    ]


def _by_title(counts: dict[str, int], titles: dict[str, str]) -> list[dict[str, object]]:
    """Complaint theme rows by title, most first (a theme no longer in the vocabulary by its
    id): a board reads names, not ids."""
    named: dict[str, int] = {}
    for theme, n in counts.items():
        title = titles.get(theme, theme)
        named[title] = named.get(title, 0) + n
    ordered = sorted(named.items(), key=lambda kv: (-kv[1], kv[0]))
    return [{"theme": title, "received": n} for title, n in ordered]


def voice_section(*, store: Store, ctx: Context, period: Period) -> Section:
    """Bright Spots response rates and review timeliness, advocacy, family feedback."""
    from qaudit.importers.survey_csv import SURVEY_LABELS
    from qaudit.services.advocacy import advocacy_stats
    from qaudit.services.family_feedback import family_feedback_stats
    from qaudit.services.survey import survey_stats

    floor = ctx.policy.voice.response_rate_floor_pct
    surveys = Table(
        name="bright_spots",
        title=f"Bright Spots: response rates (below {floor}% results are not meaningful) "
        f"and reviews within {ctx.policy.voice.review_hours} hours",
        columns=[
            Column("survey", "Survey"),
            Column("age_band", "Age band"),
            Column("responses", "Responses", "count"),
            Column("invited", "Invited", "count"),
            Column("response_rate_pct", "Response rate %", "pct"),
            Column("below_floor", "Below the floor"),
            Column("flagged", "Concerns flagged", "count"),
            Column("reviewed_in_time_pct", "Reviewed in time %", "pct"),
        ],
        rows=[
            {
                "survey": SURVEY_LABELS.get(s.survey, s.survey),  # its name, not its id
                "age_band": s.age_band,
                "responses": s.responses,
                "invited": s.invited,
                "response_rate_pct": s.response_rate_pct,
                # (a cohort may record fewer than responded: no interval then)
                **(
                    {
                        k: v
                        for k, v in rate("response_rate_pct", s.responses, s.invited).items()
                        if k != "response_rate_pct"
                    }
                    if s.invited and s.responses <= s.invited
                    else {}
                ),
                "below_floor": None
                if s.below_floor is None
                else ("yes" if s.below_floor else "no"),
                "flagged": s.flagged,
                **rate("reviewed_in_time_pct", s.reviewed_in_time, s.responses),
            }
            for s in survey_stats(store=store, ctx=ctx, period=period)
        ],
        definitions=[
            "Responses: Bright Spots responses received in the period (Europe/London dates).",
            "Invited: the children invited, as recorded for the period (or the sum of the "
            "cohorts recorded within it); none recorded, no rate.",
            "Response rate %: responses as a share of those invited.",
            f"Below the floor: a response rate under {floor}%, below which Bright Spots treats "
            "the results as not meaningful.",
            "Concerns flagged: responses that carry a flag of concern.",
            f"Reviewed in time %: responses reviewed within {ctx.policy.voice.review_hours} "
            "clock hours of receipt, as a share of all the responses received in the period "
            "(one not yet reviewed is not in time).",
        ],
    )
    adv = advocacy_stats(store=store, ctx=ctx, period=period)
    advocacy = Table(
        name="advocacy",
        title="Advocacy at child protection conferences",
        columns=[
            Column("conferences", "Conferences", "count"),
            Column("told", "Children told", "count"),
            Column("told_pct", "Told %", "pct"),
            Column("requests", "Requests", "count"),
            Column("uptake_pct", "Uptake %", "pct"),
            Column("met", "Met by the conference", "count"),
            Column("met_pct", "Met %", "pct"),
            Column("not_told", "Not told (exceptions)", "count"),
        ],
        rows=[
            {
                "conferences": adv.conferences,
                "told": adv.told,
                **rate("told_pct", adv.told, adv.conferences),
                "requests": adv.requests,
                **rate("uptake_pct", adv.requests_when_told, adv.told),
                "met": adv.met,
                **rate("met_pct", adv.met, adv.requests),
                "not_told": len(adv.exceptions),
            }
        ],
        definitions=[
            "Conferences: child protection conferences held in the period (by the report's "
            "date: one recorded ahead counts once it is held).",
            "Children told: conferences where the child was told they may have an advocate; "
            "told % is of the conferences.",
            "Requests: conferences where an advocate was asked for; uptake % is the share of "
            "the children told who asked.",
            "Met by the conference: requests where an advocate was provided on or before the "
            "conference date; met % is of all the requests (one whose conference is today "
            "is not yet met).",
            "Not told (exceptions): conferences where the child was not told.",
        ],
    )
    views = family_feedback_stats(store=store, period=period)
    family = Table(
        name="family_views",
        title="Audits that gathered the child's and family's views",
        columns=[
            Column("audits", "Audits", "count"),
            Column("views_gathered", "Views gathered", "count"),
            Column("pct", "%", "pct"),
        ],
        rows=[
            {
                "audits": views.audits,
                "views_gathered": views.views_gathered,
                **rate("pct", views.views_gathered, views.audits),
            }
        ],
    )
    before = previous(period)
    views_then = family_feedback_stats(store=store, period=before) if before else None
    adv_then = advocacy_stats(store=store, ctx=ctx, period=before) if before else None
    change = change_table(
        [
            Measure(
                VIEWS_GATHERED,
                views.views_gathered,
                views.audits,
                views_then.views_gathered if views_then else 0,
                views_then.audits if views_then else 0,
            ),
            Measure(
                TOLD,
                adv.told,
                adv.conferences,
                adv_then.told if adv_then else 0,
                adv_then.conferences if adv_then else 0,
            ),
        ],
        period,
        before,
    )
    return Section(
        "voice", "The voice of the child and family", [surveys, advocacy, family, change]
    )


def scrutiny_section(*, store: Store, period: Period) -> Section:
    """Member scrutiny: sessions in the period, their resolutions and what was done."""
    from qaudit.services.scrutiny import list_sessions

    rows = [
        {
            "held_on": s.held_on,
            "committee": s.committee,
            "resolution": r.text,
            "status": r.status,
            "done": r.note,
        }
        for s in list_sessions(store=store, period=period)
        for r in s.resolutions
    ]
    table = Table(
        name="scrutiny",
        title="Member scrutiny: what members asked for, and what the service did",
        columns=[
            Column("held_on", "Session", "date"),
            Column("committee", "Committee"),
            Column("resolution", "Resolution", "text"),
            Column("status", "Status"),
            Column("done", "What was done", "text"),
        ],
        rows=rows,
        note=None if rows else "No scrutiny session in the period.",
        # Resolutions and what was done are free text: a published report shows the counts.
        public=False,
    )
    statuses = Counter(str(row["status"]) for row in rows)
    counts = Table(
        name="scrutiny_status",
        title="Member scrutiny: resolutions by status",
        columns=[
            Column("status", "Status"),
            # Resolutions are not people: counted, never suppressed.
            Column("resolutions", "Resolutions", "number"),
        ],
        rows=[
            {"status": status, "resolutions": statuses[status]}
            for status in sorted(statuses, key=lambda s: (s != "open", s))
        ],
        note=None if rows else "No scrutiny session in the period.",
    )
    return Section("scrutiny", "Member scrutiny", [table, counts])


def build_report(
    *,
    store: Store,
    ctx: Context,
    kind: str,
    period: Period,
    team: str | None = None,
    publish: bool = False,
) -> Report:
    """The report of ``kind`` for ``period``; published: small numbers suppressed, no free
    text, no case refs."""

    if kind not in KINDS:
        raise RuleError(f"'{kind}' is not a report; choose one of {', '.join(KINDS)}")
    if team is not None and kind not in ("audits", "board"):
        raise RuleError("only the audits and board reports are made for one team", remedy="team")
    with store.snapshot():
        if team is not None:
            team = _known_team(store, team)
        return _build(store=store, ctx=ctx, kind=kind, period=period, team=team, publish=publish)


def _known_team(store: Store, team: str) -> str:
    """The team's name as the store holds it (in any letter case and spacing); refused, with
    the nearest names, when there is no such team: a report for a mistyped team would be all
    zeros."""
    from sqlalchemy import text

    from qaudit.domain.text import matching_name, nearest_names

    with store.reading() as session:
        names = [str(n) for (n,) in session.connection().execute(text("SELECT name FROM teams"))]
    found = matching_name(team, names)
    if found is not None:
        return found
    near = nearest_names(team, names, n=2)
    hint = f"; did you mean {' or '.join(repr(n) for n in near)}?" if near else ""
    raise RuleError(f"no team '{team}' in the store (see qaudit cases list){hint}")


def _build(
    *, store: Store, ctx: Context, kind: str, period: Period, team: str | None, publish: bool
) -> Report:
    from qaudit.services.report_audits import audit_sections, balance_section

    report = Report(
        kind=kind,
        title=TITLES[kind] + (f": {team}" if team else ""),
        period_label=period.label,
        start=period.start,
        end=period.end,
        generated_on=ctx.today,
        team=team,
    )
    if kind in ("audits", "board"):
        report.sections += audit_sections(store=store, ctx=ctx, period=period, team=team)
        # Every report is balanced: what works well beside what must improve.
        report.sections.append(balance_section(store=store, ctx=ctx, period=period, team=team))
    if kind in ("complaints", "board") and team is None:
        report.sections.append(complaints_section(store=store, ctx=ctx, period=period))
    if kind in ("voice", "board") and team is None:
        report.sections.append(voice_section(store=store, ctx=ctx, period=period))
    if kind == "board" and team is None:
        report.sections.append(scrutiny_section(store=store, period=period))
    with store.reading() as session:  # the same snapshot as the figures
        report.log_head = head_hash(session.connection())
    if publish:
        from qaudit.reports.publish import publish as suppress

        report = suppress(
            report,
            threshold=ctx.policy.reports.suppression_threshold,
            zero=ctx.policy.reports.suppress_zero,
        )
    return report
