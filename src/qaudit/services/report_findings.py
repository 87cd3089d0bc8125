"""The audits' framework answers added up (by question, by section), the strongest and weakest
questions and the themes by grade band that the balance is built from, and the audits' actions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.engine import Connection

from qaudit.domain.grades import Grade
from qaudit.domain.periods import Period
from qaudit.importers.framework import Framework
from qaudit.reports.links import ALL_SECTIONS
from qaudit.reports.model import Column, Table, rate
from qaudit.services.report_audits import (
    GOOD_OR_BETTER,
    NO_TEAM,
    _audit,
    _audits_joined,
    _case,
    _dated,
    _final,
    _scoped,
    _team,
)
from qaudit.store.models import Action

NOT_APPLICABLE = "not-applicable"
EARLIER = "(earlier framework)"
TOTAL = "Total"
RANKED = 3  # the strongest and weakest questions the balance names
CONCERN = (Grade.REQUIRES_IMPROVEMENT.slug, Grade.INADEQUATE.slug)
# A column key for each grade: requires-improvement -> requires_improvement.
GRADE_KEYS = {grade.slug: grade.slug.replace("-", "_") for grade in Grade}
# Short titles: a question's text needs the width at a terminal of 80 columns.
GRADE_TITLES = {
    Grade.OUTSTANDING.slug: "Outst.",
    Grade.GOOD.slug: "Good",
    Grade.REQUIRES_IMPROVEMENT.slug: "RI",
    Grade.INADEQUATE.slug: "Inad.",
}
ABBREVIATIONS = "Outst.: Outstanding; RI: Requires improvement to be good; Inad.: Inadequate."

# By question, most counts are small: a published report shows the sections (and leaves the
# questions, and the lists drawn from them, out: their order would say something too).
FOR_THE_SERVICE = (
    "For the service: a published report shows the findings by section, not by question."
)

_action = Action.__table__  # type: ignore[attr-defined]


@dataclass
class QuestionFindings:
    """One question's answers in the period: how many audits answered it at each grade, and
    how many said it did not apply."""

    section: str  # the framework section's title, or EARLIER
    question: str  # the question's text, or its id when it is no longer in the framework
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def answered(self) -> int:
        return sum(self.counts[slug] for slug in GRADE_KEYS)

    @property
    def not_applicable(self) -> int:
        return self.counts[NOT_APPLICABLE]

    @property
    def good_or_better(self) -> int:
        return sum(self.counts[slug] for slug in GOOD_OR_BETTER)

    @property
    def concerns(self) -> int:
        """Answered Requires improvement or Inadequate."""
        return sum(self.counts[slug] for slug in CONCERN)


def question_findings(
    conn: Connection, period: Period, team: str | None, framework: Framework
) -> list[QuestionFindings]:
    """Every question of the framework in force (in its order, even when no audit answered
    it), then any question id of an earlier framework that the period's audits answered."""
    found = {
        q.id: QuestionFindings(area.title, q.text)
        for area in framework.areas
        for q in area.questions
    }
    earlier: dict[str, QuestionFindings] = {}
    query = (
        select(_audit.c.answers)
        .select_from(_audits_joined())
        .where(_dated(period.start, period.end), _audit.c.answers.is_not(None))
    )
    # Answers are a JSON object, which SQLite and PostgreSQL read differently: count in Python.
    for (answers,) in conn.execute(_scoped(query, team)):
        if not isinstance(answers, dict):
            continue
        for qid, answer in answers.items():
            if answer not in GRADE_KEYS and answer != NOT_APPLICABLE:
                continue  # not an answer the framework allows: nothing to count it as
            question = framework.question(str(qid))
            if question is not None:
                found[question.id].counts[answer] += 1
            else:
                earlier.setdefault(str(qid), QuestionFindings(EARLIER, f"{qid} {EARLIER}"))
                earlier[str(qid)].counts[answer] += 1
    return [*found.values(), *(earlier[qid] for qid in sorted(earlier))]


def _count(key: str, title: str) -> Column:
    return Column(key, title, "count")


def _grade_columns(counts: bool = True, shares: bool = True) -> list[Column]:
    columns = []
    for slug, key in GRADE_KEYS.items():
        if counts:
            columns.append(_count(key, GRADE_TITLES[slug]))
        if shares:
            columns.append(
                Column(f"{key}_pct", f"{GRADE_TITLES[slug]} %" if not counts else "%", "pct")
            )
    return columns


def _grade_cells(
    counts: Counter[str], answered: int, with_counts: bool = True, shares: bool = True
) -> dict[str, Any]:
    cells: dict[str, Any] = {}
    for slug, key in GRADE_KEYS.items():
        if with_counts:
            cells[key] = counts[slug]
        if shares:
            cells.update(rate(f"{key}_pct", counts[slug], answered))
    return cells


def findings_table(findings: list[QuestionFindings]) -> Table:
    """Each question's answers by grade: how many audits answered it, at each grade."""
    return Table(
        name="findings",
        title="Findings by question",
        columns=[
            Column("question", "Question"),
            _count("answered", "Answered"),
            *_grade_columns(shares=False),
            _count("not_applicable", "N/A"),
        ],
        # "section" is no column: the sections table follows.
        rows=[
            {
                "question": f.question,
                "section": f.section,
                "answered": f.answered,
                **_grade_cells(f.counts, f.answered, shares=False),
                "not_applicable": f.not_applicable,
            }
            for f in findings
        ],
        definitions=[
            "Answered: audits dated in the period that answered the question at a grade (the "
            "auditor's answer: a moderation regrades the audit, not its answers); N/A: audits "
            "that answered not applicable instead, left out of Answered and the shares.",
            f"A question marked {EARLIER}: no longer in the framework in force, shown by its id.",
            ABBREVIATIONS[:-1] + "; N/A: not applicable.",
        ],
        note=FOR_THE_SERVICE,
        public=False,
    )


def shares_table(findings: list[QuestionFindings]) -> Table:
    """The same questions' shares at each grade, with their intervals."""
    return Table(
        name="findings_shares",
        title="Findings by question: the share at each grade",
        columns=[Column("question", "Question"), *_grade_columns(counts=False)],
        # "section" is no column: it says which section's question the row is (reports/links).
        rows=[
            {
                "question": f.question,
                "section": f.section,
                **_grade_cells(f.counts, f.answered, with_counts=False),
            }
            for f in findings
        ],
        definitions=[
            "%: the share of the audits that answered the question at a grade (not applicable "
            "left out) at each grade, with its 95% interval.",
            ABBREVIATIONS,
        ],
        note=FOR_THE_SERVICE,
        public=False,
    )


def _sections(findings: list[QuestionFindings]) -> list[tuple[str, Counter[str]]]:
    """Each section's answers (its questions' added up), then all sections'."""
    sections: dict[str, Counter[str]] = {}
    for f in findings:
        sections.setdefault(f.section, Counter()).update(f.counts)
    every: Counter[str] = Counter()
    for counts in sections.values():
        every.update(counts)
    return [*sections.items(), (ALL_SECTIONS, every)]


def sections_table(findings: list[QuestionFindings]) -> Table:
    rows = []
    for name, counts in _sections(findings):
        answered = sum(counts[slug] for slug in GRADE_KEYS)
        rows.append(
            {
                "section": name,
                "answers": answered,
                **_grade_cells(counts, answered, shares=False),
            }
        )
    return Table(
        name="findings_sections",
        title="Findings by framework section",
        columns=[
            Column("section", "Section"),
            _count("answers", "Answers"),
            *_grade_columns(shares=False),
        ],
        rows=rows,
        definitions=[
            "Answers: the section's questions answered at a grade, added up over its "
            "questions (an audit answering five of them counts five times); not applicable "
            "left out.",
            ABBREVIATIONS,
        ],
    )


def section_shares_table(findings: list[QuestionFindings]) -> Table:
    rows = []
    for name, counts in _sections(findings):
        answered = sum(counts[slug] for slug in GRADE_KEYS)
        rows.append({"section": name, **_grade_cells(counts, answered, with_counts=False)})
    return Table(
        name="findings_section_shares",
        title="Findings by framework section: the share at each grade",
        columns=[Column("section", "Section"), *_grade_columns(counts=False)],
        rows=rows,
        definitions=[
            "%: the share of the section's answers at a grade (not applicable left out) at "
            "each grade, with its 95% interval.",
            ABBREVIATIONS,
        ],
    )


def _ranked(findings: Iterable[QuestionFindings], count: str) -> list[QuestionFindings]:
    """The questions with the most answers counted by ``count`` (at least one), most first;
    a tie goes to the higher share, then to the framework's order."""
    scored = [
        (getattr(f, count), getattr(f, count) / f.answered, -i, f)
        for i, f in enumerate(findings)
        if getattr(f, count) > 0
    ]
    scored.sort(key=lambda t: (t[0], t[1], t[2]), reverse=True)
    return [f for *_, f in scored[:RANKED]]


def _ranked_table(
    findings: list[QuestionFindings], count: str, name: str, title: str, label: str, what: str
) -> Table:
    """The questions most often answered ``what`` (counted by ``count``), service-only."""
    return Table(
        name=name,
        title=title,
        columns=[
            Column("question", "Question"),
            Column("section", "Section"),
            _count("answered", "Answered"),
            _count(count, label),
            Column(f"{count}_pct", f"{label} %", "pct"),
        ],
        rows=[
            {
                "question": f.question,
                "section": f.section,
                "answered": f.answered,
                count: getattr(f, count),
                **rate(f"{count}_pct", getattr(f, count), f.answered),
            }
            for f in _ranked(findings, count)
        ],
        definitions=[
            f"The {RANKED} questions most often answered {what} in the period's audits (a tie "
            "goes to the higher share); Answered leaves out not applicable."
        ],
        note=FOR_THE_SERVICE,
        public=False,
    )


def strongest_table(findings: list[QuestionFindings]) -> Table:
    return _ranked_table(
        findings,
        "good_or_better",
        "strongest",
        "Strongest questions",
        "Good or better",
        "Good or Outstanding",
    )


def weakest_table(findings: list[QuestionFindings]) -> Table:
    return _ranked_table(
        findings,
        "concerns",
        "weakest",
        "Questions most often graded Requires improvement or Inadequate",
        "Requires improvement or Inadequate",
        "Requires improvement or Inadequate",
    )


def themes_by_band_table(
    conn: Connection, period: Period, team: str | None, titles: dict[str, str]
) -> Table:
    """Each theme's audits by grade band after moderation, most common first."""
    query = (
        select(_audit.c.themes, _final)
        .select_from(_audits_joined())
        .where(_dated(period.start, period.end), _audit.c.themes.is_not(None))
    )
    counts: dict[str, Counter[str]] = {}
    for themes, grade in conn.execute(_scoped(query, team)):
        band = "good_or_better" if grade in GOOD_OR_BETTER else GRADE_KEYS.get(grade, grade)
        # A theme repeated within one audit still counts that audit once; by title, as the
        # themes table shows them.
        for theme in {titles.get(t, t) for t in set(themes or ())}:
            counts.setdefault(theme, Counter())[band] += 1
    ordered = sorted(counts.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    return Table(
        name="themes_by_band",
        title="Themes by grade band",
        columns=[
            Column("theme", "Theme"),
            _count("audits", "Audits"),
            _count("good_or_better", "Good or better"),
            _count("requires_improvement", "Requires improvement"),
            _count("inadequate", "Inadequate"),
        ],
        rows=[
            {
                "theme": theme,
                "audits": sum(c.values()),
                "good_or_better": c["good_or_better"],
                "requires_improvement": c["requires_improvement"],
                "inadequate": c["inadequate"],
            }
            for theme, c in ordered
        ],
        definitions=[
            "Audits: the period's audits that recorded the theme (an audit may record "
            "several); by their grade after moderation."
        ],
    )


# -- actions ---------------------------------------------------------------------------------

ACTION_COLUMNS = (
    ("set", "Set"),
    ("done_in_time", "Done in time"),
    ("done_late", "Done late"),
    ("open_overdue", "Open, overdue"),
    ("open_not_due", "Open, not yet due"),
)


def actions_table(conn: Connection, period: Period, team: str | None, today: date) -> Table:
    """The actions set in the period, by the team of their case: done in time, done late,
    open and overdue, open and not yet due, as of the period's end or today if earlier."""
    as_of = min(period.end, today)
    done: ColumnElement[bool] = (_action.c.status == "done") & (
        _action.c.done_on.is_(None) | (_action.c.done_on <= as_of)
    )
    in_time = done & _action.c.done_on.is_not(None) & (_action.c.done_on <= _action.c.due)

    def counted(condition: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    query = (
        select(
            _team.c.name,
            func.count(),
            counted(in_time),
            counted(done & ~in_time),
            counted(~done & (_action.c.due < as_of)),
            counted(~done & (_action.c.due >= as_of)),
        )
        .select_from(
            _action.join(_case, _case.c.id == _action.c.case_id).outerjoin(
                _team, _team.c.id == _case.c.team_id
            )
        )
        .where(_action.c.set_on.between(period.start, period.end))
        .group_by(_team.c.name)
    )
    counts = {row[0]: [int(v) for v in row[1:]] for row in conn.execute(_scoped(query, team))}
    # Every team, with or without actions, so that no team's figures are told by their absence.
    teams = select(_team.c.name).where(_team.c.name == team) if team else select(_team.c.name)
    names: list[str | None] = sorted(set(conn.execute(teams).scalars()) | set(counts) - {None})
    if None in counts:
        names.append(None)
    keys = [key for key, _ in ACTION_COLUMNS]
    rows: list[dict[str, Any]] = [
        {"team": name or NO_TEAM, **dict(zip(keys, counts.get(name, [0] * len(keys)), strict=True))}
        for name in names
    ]
    rows.append({"team": TOTAL, **{k: sum(row[k] for row in rows) for k in keys}})
    return Table(
        name="actions",
        title="Actions from audits",
        columns=[Column("team", "Team"), *(_count(k, title) for k, title in ACTION_COLUMNS)],
        rows=rows,
        definitions=[
            "Set: actions set in the period (from an audit or its moderation), by the team of "
            "the action's case.",
            f"As of {as_of.isoformat()} (the period's end, or today if earlier): done in time "
            "means done by then on or before the due date; done late, done by then after it "
            "(or with no date recorded); open, overdue: not done by then and due before it; "
            "open, not yet due: not done by then and due on or after it. The four add up to Set.",
        ],
    )
