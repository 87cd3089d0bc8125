"""The case-audit figures of a report: completion, grades, trend, moderation, re-audits, themes,
and the balance of what is working well against areas for development."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, extract, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.selectable import FromClause

from qaudit.domain import headlines
from qaudit.domain.grades import Grade
from qaudit.domain.periods import Period, month, month_of, previous
from qaudit.domain.stats import (
    FALLING,
    OUTSIDE,
    RISING,
    RUN_ABOVE,
    RUN_BELOW,
    TWO_OF_THREE_ABOVE,
    TWO_OF_THREE_BELOW,
    PChartPoint,
    p_chart,
    percent,
    round_half_up,
)
from qaudit.reports.model import Column, Section, Table, rate
from qaudit.services.change import Measure, change_table
from qaudit.services.context import Context
from qaudit.store.engine import Store
from qaudit.store.models import (
    CATEGORIES,
    Audit,
    Case,
    Moderation,
    Reaudit,
    Sample,
    SampleItem,
    Team,
)

NO_TEAM = "(no team)"
TREND_MONTHS = 12
GOOD_OR_BETTER = (Grade.OUTSTANDING.slug, Grade.GOOD.slug)
BANDS = ("Good or better", "Requires improvement", "Inadequate")
STRENGTHS = "What is working well"
DEVELOPMENT = "Areas for development"

_audit = Audit.__table__  # type: ignore[attr-defined]
_case = Case.__table__  # type: ignore[attr-defined]
_team = Team.__table__  # type: ignore[attr-defined]
_mod = Moderation.__table__  # type: ignore[attr-defined]
_reaudit = Reaudit.__table__  # type: ignore[attr-defined]
_sample = Sample.__table__  # type: ignore[attr-defined]
_item = SampleItem.__table__  # type: ignore[attr-defined]

# The grade after moderation: a moderator's regrade replaces the auditor's.
_final = func.coalesce(_mod.c.regrade, _audit.c.grade)
_good = func.coalesce(func.sum(case((_final.in_(GOOD_OR_BETTER), 1), else_=0)), 0)
_inadequate = func.coalesce(func.sum(case((_final == Grade.INADEQUATE.slug, 1), else_=0)), 0)


def _rank(grade: Any) -> Any:
    return case({g.slug: g.rank for g in Grade}, value=grade)


def _audits_joined() -> FromClause:
    """Audits with their case, the case's team and any moderation (one per audit)."""
    joined: FromClause = (
        _audit.join(_case, _case.c.id == _audit.c.case_id)
        .outerjoin(_team, _team.c.id == _case.c.team_id)
        .outerjoin(_mod, _mod.c.audit_id == _audit.c.id)
    )
    return joined


def _scoped(query: Select[Any], team: str | None) -> Select[Any]:
    # The team is the case's team now, as in every other figure of the service.
    return query if team is None else query.where(_team.c.name == team)


def _dated(start: date, end: date) -> ColumnElement[bool]:
    within: ColumnElement[bool] = _audit.c.audit_date.between(start, end)
    return within


def _grade_counts(conn: Connection, period: Period, team: str | None) -> dict[str, int]:
    query = (
        select(_final, func.count())
        .select_from(_audits_joined())
        .where(_dated(period.start, period.end))
        .group_by(_final)
    )
    return {grade: int(n) for grade, n in conn.execute(_scoped(query, team))}


def _count(key: str, title: str) -> Column:
    return Column(key, title, "count")


def _pct_col(key: str, title: str) -> Column:
    return Column(key, title, "pct")


def _good_of(grades: dict[str, int]) -> tuple[int, int]:
    """(good or better, audits) of a period's grade counts."""
    return sum(grades.get(g, 0) for g in GOOD_OR_BETTER), sum(grades.values())


def _completion(conn: Connection, period: Period, team: str | None) -> tuple[int, int]:
    """(sampled, completed): the sample items of the period's months, replaced ones left out."""
    # A range may cover parts of months: a sample counts when its month overlaps the period.
    months = [part.label for part in period.months()]
    sampled_query = (
        select(
            func.count(),
            func.coalesce(func.sum(case((_item.c.status == "done", 1), else_=0)), 0),
        )
        .select_from(
            _item.join(_sample, _sample.c.id == _item.c.sample_id)
            .join(_case, _case.c.id == _item.c.case_id)
            .outerjoin(_team, _team.c.id == _case.c.team_id)
        )
        .where(_sample.c.month.in_(months), _item.c.status != "replaced")
    )
    sampled, completed = (int(v) for v in conn.execute(_scoped(sampled_query, team)).one())
    return sampled, completed


def _summary(conn: Connection, period: Period, team: str | None, grades: dict[str, int]) -> Table:
    sampled, completed = _completion(conn, period, team)
    good, audits = _good_of(grades)
    row = {
        "sampled": sampled,
        "completed": completed,
        **rate("completion_pct", completed, sampled),
        "audits": audits,
        "good_or_better": good,
        **rate("good_or_better_pct", good, audits),
        "inadequate": grades.get(Grade.INADEQUATE.slug, 0),
    }
    return Table(
        name="summary",
        title="Summary",
        columns=[
            _count("sampled", "Sampled"),
            _count("completed", "Completed"),
            _pct_col("completion_pct", "Completed %"),
            _count("audits", "Audits"),
            _count("good_or_better", "Good or better"),
            _pct_col("good_or_better_pct", "Good or better %"),
            _count("inadequate", "Inadequate"),
        ],
        rows=[row],
        note="Sampled: the sample items of the period's months (replaced ones left out); "
        "audits: every audit dated in the period; grades after moderation.",
    )


def _sampling(conn: Connection, period: Period) -> Table:
    """Each month's sampling certificate in a sentence: how many of how many eligible cases,
    drawn when, by whom, with what seed, and how to check it (``qaudit sample --verify``)."""
    from qaudit.services.sampling import certificate
    from qaudit.store.lite import AlchemyRows

    rows = AlchemyRows(conn)
    found = [(part.label, certificate(rows, part.label)) for part in period.months()]
    return Table(
        name="sampling",
        title="How each month's sample was drawn",
        columns=[
            Column("month", "Month"),
            _count("drawn", "Cases in the sample"),
            _count("eligible", "Eligible cases"),
            # The sentence names who drew the sample: for the service, not for publishing.
            Column("certificate", "Sampling certificate", "text"),
        ],
        rows=[
            {
                "month": month,
                "drawn": cert.picks,
                "eligible": cert.eligible,
                "certificate": cert.sentence(cases=False),
            }
            for month, cert in found
            if cert is not None
        ],
        note="A simple random sample of the eligible cases, drawn from a seed; the change log "
        "keeps each draw's certificate, and `qaudit sample --verify MONTH` draws it again.",
    )


def _grades(grades: dict[str, int]) -> Table:
    total = sum(grades.values())
    return Table(
        name="grades",
        title="Grades after moderation",
        columns=[Column("grade", "Grade"), _count("count", "Audits"), _pct_col("pct", "%")],
        rows=[
            {
                "grade": g.label,
                "count": grades.get(g.slug, 0),
                **rate("pct", grades.get(g.slug, 0), total),
            }
            for g in Grade
        ],
        chart="bar",
    )


# What a p-chart's special causes mean, under the chart and as the trend table's note.
TREND_NOTE = (
    "A p-chart: the centre line is the share of the 12 months' audits graded good or better "
    "(pooled); each month's limits are 3 sigma either side of it for that month's own number "
    "of audits (wider when fewer were audited); a month with no audits has none. "
    "A marked point is a special cause: something changed that month beyond what chance "
    "explains (a point outside the limits; 2 of 3 months beyond 2 sigma on one side; a run of "
    "{run} or more months on one side of the centre; {run} or more rising or falling). "
    "Unmarked variation within the limits is common cause: noise."
)


def signal_words(point: PChartPoint, centre: float, run_length: int) -> str | None:
    """The special causes a month is part of, in words; None when there are none."""
    words = {
        OUTSIDE: "above the upper limit" if point.value > centre else "below the lower limit",
        TWO_OF_THREE_ABOVE: "2 of 3 beyond 2 sigma above",
        TWO_OF_THREE_BELOW: "2 of 3 beyond 2 sigma below",
        RUN_ABOVE: f"run of {run_length} or more above the centre",
        RUN_BELOW: f"run of {run_length} or more below the centre",
        RISING: f"{run_length} or more rising",
        FALLING: f"{run_length} or more falling",
    }
    return "; ".join(words[rule] for rule in point.rules) or None


def _pct_of(value: float) -> float:
    return round_half_up(100 * value, 1)


def _trend(conn: Connection, period: Period, team: str | None, run_length: int) -> Table:
    last = month_of(period.end)
    index = last.start.year * 12 + last.start.month - 1
    months = [
        month(i // 12, i % 12 + 1) for i in range(index - TREND_MONTHS + 1, index + 1) if i >= 0
    ]
    year = extract("year", _audit.c.audit_date)
    number = extract("month", _audit.c.audit_date)
    # Clipped at the period's end: no figure of a report reaches past its period.
    query = (
        select(year, number, func.count(), _good)
        .select_from(_audits_joined())
        .where(_dated(months[0].start, period.end))
        .group_by(year, number)
    )
    found = {
        f"{int(y):04d}-{int(m):02d}": (int(n), int(good))
        for y, m, n, good in conn.execute(_scoped(query, team))
    }
    counts: list[tuple[str, int, int]] = []  # (month, good or better, audits)
    for part in months:
        audits, good = found.get(part.label, (0, 0))
        counts.append((part.label, good, audits))
    chart = p_chart(counts, run_length=run_length)
    points = {point.label: point for point in chart.points}
    total_good = sum(good for _, good, _ in counts)
    total = sum(audits for _, _, audits in counts)
    # The centre from the counts, exactly; the limits from the chart's (float) arithmetic.
    centre = percent(total_good, total)
    rows = []
    for label, good, audits in counts:
        point = points.get(label)
        rows.append(
            {
                "month": label,
                "audits": audits,
                "good_or_better": good,
                **rate("good_or_better_pct", good, audits),
                "centre_pct": centre,
                "lower_pct": _pct_of(point.lower) if point else None,
                "upper_pct": _pct_of(point.upper) if point else None,
                "signal": signal_words(point, chart.centre, run_length)
                if point and chart.centre is not None
                else None,
            }
        )
    return Table(
        name="trend",
        title="Audits graded good or better, last 12 months",
        columns=[
            Column("month", "Month"),
            _count("audits", "Audits"),
            _count("good_or_better", "Good or better"),
            _pct_col("good_or_better_pct", "Good or better %"),
            _pct_col("centre_pct", "Centre line %"),
            _pct_col("lower_pct", "Lower limit %"),
            _pct_col("upper_pct", "Upper limit %"),
            Column("signal", "Special cause"),
        ],
        rows=rows,
        note=TREND_NOTE.format(run=run_length),
        chart="pchart",
        chart_value="good_or_better_pct",
    )


def _breakdown_columns(key: str, title: str) -> list[Column]:
    return [
        Column(key, title),
        _count("audits", "Audits"),
        _count("good_or_better", "Good or better"),
        _pct_col("good_or_better_pct", "Good or better %"),
        _count("inadequate", "Inadequate"),
    ]


def _breakdown_row(key: str, name: str, audits: int, good: int, inadequate: int) -> dict[str, Any]:
    return {
        key: name,
        "audits": audits,
        "good_or_better": good,
        **rate("good_or_better_pct", good, audits),
        "inadequate": inadequate,
    }


def _by(conn: Connection, period: Period, team: str | None, by: Any) -> list[tuple[Any, ...]]:
    query = (
        select(by, func.count(), _good, _inadequate)
        .select_from(_audits_joined())
        .where(_dated(period.start, period.end))
        .group_by(by)
    )
    return [tuple(row) for row in conn.execute(_scoped(query, team))]


def _by_team(conn: Connection, period: Period, team: str | None) -> Table:
    found = _by(conn, period, team, _team.c.name)
    # Teams by name, the cases with no team last.
    found.sort(key=lambda r: (r[0] is None, r[0] or ""))
    return Table(
        name="by_team",
        title="By team",
        columns=_breakdown_columns("team", "Team"),
        rows=[
            _breakdown_row("team", name or NO_TEAM, int(n), int(good), int(bad))
            for name, n, good, bad in found
        ],
    )


def _by_category(conn: Connection, period: Period, team: str | None) -> Table:
    found = {
        cat: (int(n), int(good), int(bad))
        for cat, n, good, bad in _by(conn, period, team, _case.c.category)
    }
    # Every category, even with no audits: the vocabulary is fixed and short.
    return Table(
        name="by_category",
        title="By category",
        columns=_breakdown_columns("category", "Category"),
        rows=[_breakdown_row("category", cat, *found.get(cat, (0, 0, 0))) for cat in CATEGORIES],
    )


def _moderation_counts(
    conn: Connection, period: Period, team: str | None
) -> tuple[int, int, int, int, int, int]:
    """(inadequate, moderated, in time, recorded after due, agreed, regraded) of the audits
    dated in the period that the auditor graded Inadequate."""

    def counted(condition: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    query = (
        select(
            func.count(),
            func.count(_mod.c.completed_on),
            # In time: the reflective conversation held by the due date (domain.md), on a
            # moderation now complete; completed_on is only the day the record was finished.
            counted(_mod.c.completed_on.is_not(None) & (_mod.c.conversation_date <= _mod.c.due)),
            counted(_mod.c.completed_on > _mod.c.due),
            counted(_mod.c.outcome == "agreed"),
            counted(_mod.c.outcome == "regraded"),
        )
        .select_from(_audits_joined())
        .where(_dated(period.start, period.end), _audit.c.grade == Grade.INADEQUATE.slug)
    )
    inadequate, moderated, in_time, recorded_late, agreed, regraded = (
        int(v) for v in conn.execute(_scoped(query, team)).one()
    )
    return inadequate, moderated, in_time, recorded_late, agreed, regraded


def _moderation(conn: Connection, period: Period, team: str | None, days: int = 5) -> Table:
    inadequate, moderated, in_time, recorded_late, agreed, regraded = _moderation_counts(
        conn, period, team
    )
    return Table(
        name="moderation",
        title="Moderation of Inadequate audits",
        columns=[
            _count("inadequate", "Graded Inadequate"),
            _count("moderated", "Moderated"),
            _count("moderated_in_time", "Moderated in time"),
            _pct_col("in_time_pct", "In time %"),
            _count("recorded_after_due", "Recorded after due"),
            _count("agreed", "Agreed"),
            _count("regraded", "Regraded"),
        ],
        rows=[
            {
                "inadequate": inadequate,
                "moderated": moderated,
                "moderated_in_time": in_time,
                **rate("in_time_pct", in_time, moderated),
                "recorded_after_due": recorded_late,
                "agreed": agreed,
                "regraded": regraded,
            }
        ],
        note="Audits dated in the period that the auditor graded Inadequate; moderated means "
        "the outcome and the reflective conversation are both recorded; in time means the "
        f"reflective conversation took place by the due date ({days} working days after the "
        "audit), "
        "however late it was recorded; in time % is of those moderated; recorded after due: "
        "moderations whose record was completed after the due date; agreed and regraded count "
        "the outcomes recorded, with or without the conversation.",
    )


def _reaudits(conn: Connection, period: Period, team: str | None) -> Table:
    first = _audit.alias("first_audit")
    done_audit = _audit.alias("done_audit")
    base = _reaudit.join(_case, _case.c.id == _reaudit.c.case_id).outerjoin(
        _team, _team.c.id == _case.c.team_id
    )
    # A cancelled re-audit is no longer due, so "due" leaves it out.
    due_query = (
        select(func.count())
        .select_from(base)
        .where(_reaudit.c.due.between(period.start, period.end), _reaudit.c.status != "cancelled")
    )
    first_final = func.coalesce(_mod.c.regrade, first.c.grade)
    improved = _rank(done_audit.c.grade) < _rank(first_final)
    done_query = (
        select(func.count(), func.coalesce(func.sum(case((improved, 1), else_=0)), 0))
        .select_from(
            base.join(first, first.c.id == _reaudit.c.audit_id)
            .join(done_audit, done_audit.c.id == _reaudit.c.done_audit_id)
            .outerjoin(_mod, _mod.c.audit_id == _reaudit.c.audit_id)
        )
        .where(
            _reaudit.c.status == "done",
            done_audit.c.audit_date.between(period.start, period.end),
        )
    )
    # Only a moderation's regrade cancels a re-audit, so its outcome date is the cancellation's.
    cancelled_query = (
        select(func.count())
        .select_from(base.join(_mod, _mod.c.audit_id == _reaudit.c.audit_id))
        .where(
            and_(
                _reaudit.c.status == "cancelled",
                _mod.c.outcome_on.between(period.start, period.end),
            )
        )
    )
    due = int(conn.execute(_scoped(due_query, team)).scalar_one())
    done, better = (int(v) for v in conn.execute(_scoped(done_query, team)).one())
    cancelled = int(conn.execute(_scoped(cancelled_query, team)).scalar_one())
    return Table(
        name="reaudits",
        title="Re-audits",
        columns=[
            _count("due", "Due"),
            _count("done", "Done"),
            _count("improved", "Improved"),
            _pct_col("improved_pct", "Improved %"),
            _count("cancelled", "Cancelled"),
        ],
        rows=[
            {
                "due": due,
                "done": done,
                "improved": better,
                **rate("improved_pct", better, done),
                "cancelled": cancelled,
            }
        ],
        note="Due: re-audits due in the period and not cancelled; done: re-audits graded in the "
        "period; improved: a better grade than the first audit's after moderation; cancelled: "
        "cancelled in the period by a moderation's regrade.",
    )


def _themes(conn: Connection, period: Period, team: str | None, titles: Mapping[str, str]) -> Table:
    # Themes are a JSON list, which SQLite and PostgreSQL unnest differently: count in Python.
    query = (
        select(_audit.c.themes)
        .select_from(_audits_joined())
        .where(_dated(period.start, period.end), _audit.c.themes.is_not(None))
    )
    counts: Counter[str] = Counter()
    for (themes,) in conn.execute(_scoped(query, team)):
        # A theme repeated within one audit still counts that audit once.
        counts.update(set(themes or ()))
    # By title (a theme no longer in the vocabulary by its id): a board reads names, not ids.
    named: Counter[str] = Counter()
    for theme, n in counts.items():
        named[titles.get(theme, theme)] += n
    ordered = sorted(named.items(), key=lambda kv: (-kv[1], kv[0]))
    return Table(
        name="themes",
        title="Themes",
        columns=[Column("theme", "Theme"), _count("audits", "Audits")],
        rows=[{"theme": theme, "audits": n} for theme, n in ordered],
    )


def _views(conn: Connection, period: Period, team: str | None) -> tuple[int, int]:
    """(audits, views gathered) of the audits dated in the period."""
    query = (
        select(
            func.count(),
            func.coalesce(func.sum(case((_audit.c.views_gathered, 1), else_=0)), 0),
        )
        .select_from(_audits_joined())
        .where(_dated(period.start, period.end))
    )
    audits, views = (int(v) for v in conn.execute(_scoped(query, team)).one())
    return audits, views


def _family_feedback(conn: Connection, period: Period, team: str | None) -> Table:
    audits, views = _views(conn, period, team)
    return Table(
        name="family_feedback",
        title="The child's and family's views",
        columns=[
            _count("audits", "Audits"),
            _count("views_gathered", "Views gathered"),
            _pct_col("pct", "%"),
        ],
        rows=[{"audits": audits, "views_gathered": views, **rate("pct", views, audits)}],
    )


def _change(conn: Connection, period: Period, team: str | None, grades: dict[str, int]) -> Table:
    """The audits' headline rates against the previous period of the same length."""
    before = previous(period)

    def both(counts: Callable[[Period], tuple[int, int]]) -> tuple[int, int, int, int]:
        now = counts(period)
        then = counts(before) if before is not None else (0, 0)
        return (*now, *then)

    def good(p: Period) -> tuple[int, int]:
        return _good_of(grades if p is period else _grade_counts(conn, p, team))

    def completed(p: Period) -> tuple[int, int]:
        sampled, done = _completion(conn, p, team)
        return done, sampled

    def in_time(p: Period) -> tuple[int, int]:
        _, moderated, timely, *_ = _moderation_counts(conn, p, team)
        return timely, moderated

    def views(p: Period) -> tuple[int, int]:
        audits, gathered = _views(conn, p, team)
        return gathered, audits

    measures = [
        Measure(label, *both(counts))
        for label, counts in (
            (headlines.GOOD_OR_BETTER, good),
            (headlines.COMPLETED, completed),
            (headlines.MODERATED_IN_TIME, in_time),
            (headlines.VIEWS_GATHERED, views),
        )
    ]
    return change_table(measures, period, before)


def audit_sections(
    *, store: Store, ctx: Context, period: Period, team: str | None = None
) -> list[Section]:
    """The "audits" section for the period; with ``team``, only that team's cases count."""
    from qaudit.services.report_findings import (
        actions_table,
        findings_table,
        question_findings,
        section_shares_table,
        sections_table,
        shares_table,
    )
    from qaudit.services.vocabulary import framework_in_force, theme_titles

    run_length = ctx.policy.reports.run_length
    titles = theme_titles(ctx)  # themes shown by their titles
    framework = framework_in_force(ctx)
    with store.reading() as session:
        conn = session.connection()
        grades = _grade_counts(conn, period, team)
        tables = [
            _summary(conn, period, team, grades),
            _change(conn, period, team, grades),
            _grades(grades),
            _trend(conn, period, team, run_length),
            _by_team(conn, period, team),
            _by_category(conn, period, team),
            _moderation(conn, period, team, ctx.policy.audit.moderation_working_days),
            _reaudits(conn, period, team),
            actions_table(conn, period, team, ctx.today),
            _themes(conn, period, team, titles),
            _family_feedback(conn, period, team),
        ]
        findings = question_findings(conn, period, team, framework)
        tables += [
            findings_table(findings),
            shares_table(findings),
            sections_table(findings),
            section_shares_table(findings),
            _sampling(conn, period),
        ]
    return [Section(name="audits", title="Case audits", tables=tables)]


def _band(grade: str) -> str:
    if grade in GOOD_OR_BETTER:
        return BANDS[0]
    return BANDS[1] if grade == Grade.REQUIRES_IMPROVEMENT.slug else BANDS[2]


def _tally(texts: Iterable[str | None]) -> list[str]:
    """Each finding once, newest first, with how many audits recorded it when more than one:
    a board reads themes, not the same sentence thirty times."""
    counts: Counter[str] = Counter()
    order: list[str] = []
    for text in texts:
        if text and text.strip():
            key = " ".join(text.split())
            if key not in counts:
                order.append(key)
            counts[key] += 1
    return [key if counts[key] == 1 else f"{key} ({counts[key]} audits)" for key in order]


def balance_section(
    *, store: Store, ctx: Context, period: Period, team: str | None = None
) -> Section:
    """What is working well beside the areas for development: the audits by grade band, the
    strongest and weakest framework questions, the themes by grade band, and the auditors'
    own words."""
    from qaudit.services.report_findings import (
        question_findings,
        strongest_table,
        themes_by_band_table,
        weakest_table,
    )
    from qaudit.services.vocabulary import framework_in_force, theme_titles

    framework = framework_in_force(ctx)
    titles = theme_titles(ctx)
    texts = (
        select(_audit.c.strengths, _audit.c.development)
        .select_from(_audits_joined())
        .where(_dated(period.start, period.end))
        .order_by(_audit.c.audit_date.desc(), _audit.c.id.desc())
    )
    with store.reading() as session:
        conn = session.connection()
        grades = _grade_counts(conn, period, team)
        rows = list(conn.execute(_scoped(texts, team)))
        findings = question_findings(conn, period, team, framework)
        themes = themes_by_band_table(conn, period, team, titles)
    bands: Counter[str] = Counter()
    for grade, n in grades.items():
        bands[_band(grade)] += n
    # Both lists always: a report never shows strengths without development, or the reverse.
    lists = {
        STRENGTHS: _tally(s for s, _ in rows),
        DEVELOPMENT: _tally(d for _, d in rows),
    }
    table = Table(
        name="balance",
        title="Audits by grade band",
        columns=[Column("band", "Band"), _count("audits", "Audits")],
        rows=[{"band": band, "audits": bands[band]} for band in BANDS],
    )
    return Section(
        name="balance",
        title="What is working well and areas for development",
        tables=[table, strongest_table(findings), weakest_table(findings), themes],
        lists=lists,
    )
