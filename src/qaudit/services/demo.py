"""The demonstration store: built from the packaged demo lists so a new user sees qaudit at work."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlmodel import col, select

from qaudit.domain.actions import ActionInput
from qaudit.domain.dates import LONDON
from qaudit.domain.grades import Grade
from qaudit.domain.workdays import month_bounds
from qaudit.errors import RuleError
from qaudit.importers.framework import Question
from qaudit.paths import data_dir
from qaudit.services.audits import moderate, record_grade
from qaudit.services.cases import CaseImportSummary, import_cases
from qaudit.services.context import Context
from qaudit.services.grading import GradeInput
from qaudit.services.sampling import draw_sample
from qaudit.services.staff import StaffImportSummary, import_staff, list_staff
from qaudit.services.transaction import write_transaction
from qaudit.services.worklists import calendar
from qaudit.store.changelog import record_change
from qaudit.store.engine import Store
from qaudit.store.models import ChangeLog

DEMO_ACTION = "demo.build"


# The demo's history is fixed, so every run builds the same store: three months done, and
# December under way on the demo's "today".
DEMO_TODAY = date(2026, 12, 14)
DEMO_MONTHS = ("2026-09", "2026-10", "2026-11", "2026-12")
DEMO_SAMPLE_SIZE = 12
# Grades by position in each month's sample: mostly Good, some weaker, one Inadequate in six.
GRADE_CYCLE = (
    Grade.GOOD,
    Grade.REQUIRES_IMPROVEMENT,
    Grade.GOOD,
    Grade.OUTSTANDING,
    Grade.INADEQUATE,
    Grade.GOOD,
)
STRENGTHS = (
    "The child was seen alone and their views shape the plan.",
    "Management oversight is regular and reflective.",
    "Good multi-agency information sharing; school attends every meeting.",
)
DEVELOPMENT = (
    "The plan is not SMART: actions lack timescales.",
    "Chronology not updated since the last review.",
    "Family feedback was not sought at the review.",
)
# The framework answers: mostly the audit's own grade, a step either way now and then; some
# questions lag the overall grade (chronologies, SMART plans) and some lead it (visits, the
# child's wishes), and a few often do not apply, so the findings by question show a spread.
WEAKER_QUESTIONS = frozenset(
    {"chronology", "plan-smart", "contingency-plan", "family-views-sought", "supervision-recorded"}
)
STRONGER_QUESTIONS = frozenset(
    {"statutory-visits", "plan-on-file", "wishes-and-feelings", "risk-responded-to"}
)
OFTEN_NOT_APPLICABLE = frozenset(
    {"permanence-progress", "advocacy-and-participation", "family-network", "independent-oversight"}
)
_BY_RANK = {grade.rank: grade.slug for grade in Grade}


def _answers(questions: Sequence[Question], grade: Grade, seed: int) -> dict[str, str]:
    """An auditor's answers to the framework's ``questions`` for an audit of ``grade``, the
    same for the same seed."""
    rng = random.Random(seed)
    answers = {}
    for question in questions:
        if question.id in OFTEN_NOT_APPLICABLE and rng.random() < 0.4:
            answers[question.id] = "not-applicable"
            continue
        step = rng.choice((-1, 0, 0, 0, 0, 1))
        if question.id in WEAKER_QUESTIONS and rng.random() < 0.5:
            step += 1
        if question.id in STRONGER_QUESTIONS and rng.random() < 0.5:
            step -= 1
        answers[question.id] = _BY_RANK[min(max(grade.rank + step, 1), 4)]
    return answers


@dataclass
class DemoResult:
    path: Path
    today: date
    staff: StaffImportSummary
    cases: CaseImportSummary
    samples: list[str] = field(default_factory=list)
    audits: int = 0
    moderations: int = 0
    reaudits_done: int = 0
    complaints: int = 0
    survey_responses: int = 0
    conferences: int = 0
    scrutiny_sessions: int = 0


def _is_demo_store(path: Path) -> bool:
    store = Store(f"sqlite:///{path}")
    try:
        with store.reading() as session:
            found = session.connection().execute(
                select(col(ChangeLog.id)).where(ChangeLog.action == DEMO_ACTION).limit(1)
            )
            return found.first() is not None
    except Exception:
        return False
    finally:
        store.dispose()


DEMO_QA_LEAD = "Priya Lewis"  # the qa_lead of demo-staff.csv


def build_demo(*, path: Path, ctx: Context) -> DemoResult:
    """Build a fresh demo store at ``path``; an existing one is replaced only if it is a demo."""
    if path.exists():
        if not _is_demo_store(path):
            raise RuleError(
                f"{path} exists and is not a demo store: choose another path (qaudit demo PATH)"
            )
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    store = Store(f"sqlite:///{path}")
    try:
        with write_transaction(store, ctx, create=True) as session:
            record_change(
                session,
                actor=ctx.user,
                action=DEMO_ACTION,
                entity="store",
                entity_ref=path.name,
                recorded_at=ctx.recorded_at,
                as_of=ctx.now,
                detail={"data": "synthetic demo lists shipped with qaudit"},
            )
        data = data_dir()
        staff = import_staff(store=store, path=data / "demo-staff.csv", ctx=ctx)
        cases = import_cases(store=store, path=data / "demo-cases.csv", ctx=ctx)
        result = DemoResult(path=path, today=DEMO_TODAY, staff=staff, cases=cases)
        _run_months(store, ctx, result)
        _demo_actions_done(store, ctx)
        # Complaints, survey reviews and advocacy are kept by the QA service in the demo: they
        # are owned by its QA lead, not by whoever happens to run `qaudit demo`.
        desk = replace(ctx, user=DEMO_QA_LEAD)
        _complaints_year(store, desk, result)
        _voice(store, desk, result)
        _workbook_round_trip(store, ctx, result)
    finally:
        store.dispose()
    return result


def _on(ctx: Context, day: date) -> Context:
    """The context as of ``day`` (mid-morning, London): the demo replays its history."""
    return replace(ctx, now=datetime.combine(day, time(10, 0), tzinfo=LONDON))


def _run_months(store: Store, ctx: Context, result: DemoResult) -> None:
    """Sample, grade, moderate and re-audit month by month, leaving one of each loose end:
    an audit overdue, a moderation awaiting its conversation, re-audits pending and done."""
    from qaudit.services.vocabulary import framework_in_force

    questions = framework_in_force(ctx).questions
    heads = {s.name: s.heads for s in list_staff(store=store, role="head_of_service")}
    head_of = {team: name for name, teams in heads.items() for team in teams}
    for number, month in enumerate(DEMO_MONTHS):
        first, last = month_bounds(month)
        sample = draw_sample(
            store=store,
            ctx=_on(ctx, first),
            month=month,
            size=DEMO_SAMPLE_SIZE,
            seed=2026_09 + number,
        )
        result.samples.append(month)
        current = month == DEMO_MONTHS[-1]
        for position, line in enumerate(sample.lines):
            if line.auditor is None:
                continue
            if current and position >= 5:
                break  # December: five graded so far, the rest still due
            if month == "2026-11" and position == len(sample.lines) - 1:
                continue  # one November audit left ungraded: overdue
            grade = GRADE_CYCLE[position % len(GRADE_CYCLE)]
            day = min(first + timedelta(days=7 + position), last, DEMO_TODAY)
            graded = record_grade(
                store=store,
                ctx=_on(ctx, day),
                entry=GradeInput(
                    case_ref=line.case_ref,
                    grade=grade,
                    auditor=line.auditor,
                    audit_date=day,
                    answers=_answers(questions, grade, 100 * number + position),
                    strengths=STRENGTHS[position % len(STRENGTHS)],
                    development=DEVELOPMENT[position % len(DEVELOPMENT)],
                    themes=["planning", "voice-of-the-child"][: 1 + position % 2],
                    family_feedback="Mum said the worker listens." if position % 3 else None,
                    actions=_demo_actions(store, position, line.team, day),
                ),
            )
            result.audits += 1
            if grade is not Grade.INADEQUATE:
                continue
            owner = head_of.get(line.team or "")
            if owner is None:
                continue
            talk = DEMO_TODAY if current else day + timedelta(days=3)
            regrade = month == "2026-10" and position == 4
            moderate(
                store=store,
                ctx=_on(ctx, talk),
                audit_id=graded.audit_id,
                moderator=owner,
                agree=not regrade,
                regrade=Grade.REQUIRES_IMPROVEMENT if regrade else None,
                # December's moderation has its outcome, not yet its conversation.
                conversation_date=None if current else talk,
            )
            result.moderations += 1
            if month == "2026-09" and graded.reaudit_due is not None:
                again = record_grade(
                    store=store,
                    ctx=_on(ctx, graded.reaudit_due),
                    entry=GradeInput(
                        case_ref=line.case_ref,
                        grade=Grade.REQUIRES_IMPROVEMENT,
                        auditor=line.auditor,
                        audit_date=graded.reaudit_due,
                        answers=_answers(questions, Grade.REQUIRES_IMPROVEMENT, 1000 + position),
                        strengths="The plan now has timescales and the child is seen alone.",
                        themes=["planning"],
                    ),
                )
                result.audits += 1
                result.reaudits_done += 1 if again.change else 0


# Actions set by the demo's weaker audits, to the case team's manager: (what, days to do it).
DEMO_ACTIONS = {
    1: ("Record the child's views at the next visit and in the plan.", 21),
    4: ("Add timescales to every action in the plan.", 14),
}
# Which were done, and when (the rest stay open: November's Inadequate one is overdue on the
# demo's today; December's are not yet due).
DEMO_ACTIONS_DONE = {
    ("2026-09", 1): date(2026, 9, 25),
    ("2026-09", 4): date(2026, 9, 22),
    ("2026-10", 1): date(2026, 11, 4),  # due 30 October: done late
    ("2026-10", 4): date(2026, 10, 20),
    ("2026-11", 1): date(2026, 11, 27),
}


def _demo_actions(store: Store, position: int, team: str | None, day: date) -> list[ActionInput]:
    """The action a Requires improvement or Inadequate demo audit sets (none for the others)."""
    if position not in DEMO_ACTIONS:
        return []
    managers = {s.team: s.name for s in list_staff(store=store, role="team_manager")}
    owner = managers.get(team)
    if owner is None:
        return []
    text, days = DEMO_ACTIONS[position]
    return [ActionInput(text=text, owner=owner, due=day + timedelta(days=days))]


def _demo_actions_done(store: Store, ctx: Context) -> None:
    """Mark the demo's actions done as ``DEMO_ACTIONS_DONE`` says, each on its day."""
    from qaudit.services.actions import list_actions, mark_action_done
    from qaudit.store.lite import AlchemyRows, AlchemyTx

    with store.reading() as session:
        views = list_actions(AlchemyRows(session.connection()), _on(ctx, DEMO_TODAY))
    for view in views:
        month = view.set_on.strftime("%Y-%m")
        position = next(p for p, (text, _) in DEMO_ACTIONS.items() if text == view.text)
        done_on = DEMO_ACTIONS_DONE.get((month, position))
        if done_on is None:
            continue
        on_day = _on(ctx, done_on)
        with write_transaction(store, on_day) as session:
            mark_action_done(AlchemyTx(session), on_day, action_id=view.id, on=done_on)


COMPLAINT_THEMES = (
    ("communication-with-families",),
    ("delay", "communication-with-families"),
    ("contact-arrangements",),
    ("change-of-worker", "communication-with-families"),
    ("decision-making",),
    ("placement",),
)


def _complaints_year(store: Store, ctx: Context, result: DemoResult) -> None:
    """Three complaints a month for a year, in every state: answered in time and late,
    extended, escalated, taken to stage 2, closed with each outcome, and some still open."""
    from qaudit.services import complaints as c

    cal = calendar(ctx)
    number = 0
    for month in range(12):
        year, month_no = divmod(2025 * 12 + 11 + month, 12)  # December 2025 onwards
        for k in range(3):
            received = date(year, month_no + 1, 3 + 9 * k)
            if received > DEMO_TODAY:
                break
            number += 1
            view = c.log_complaint(
                store=store,
                ctx=_on(ctx, received),
                received=received,
                procedure="corporate" if number % 7 == 0 else "statutory",
                case_ref=f"C{100000 + (number * 37) % 240 + 1}" if number % 5 else None,
                themes=COMPLAINT_THEMES[number % len(COMPLAINT_THEMES)],
                summary="Synthetic demo complaint",
                relationship=("parent", "child", "carer", "other")[number % 4],
            )
            result.complaints += 1
            due, ref = view.response_due, view.ref
            if due >= DEMO_TODAY:
                continue  # recent: still open
            if number % 6 == 0:
                c.extend(store=store, ctx=_on(ctx, received), ref=ref, days=10)
                due = c.show(store=store, ref=ref).response_due
            if number % 8 == 3 and due < DEMO_TODAY:
                # Resolved in substance, letter never sent: overdue, escalated.
                c.respond(store=store, ctx=_on(ctx, due), ref=ref, on=due)
                c.escalate(
                    store=store,
                    ctx=_on(ctx, min(cal.add_working_days(due, 2), DEMO_TODAY)),
                    ref=ref,
                )
                continue
            late = number % 4 == 1
            letter = cal.add_working_days(due, 3) if late else due - timedelta(days=2)
            letter = max(min(letter, DEMO_TODAY), received)
            c.send_letter(store=store, ctx=_on(ctx, letter), ref=ref, on=letter)
            if number % 9 == 2:
                asked = min(cal.add_working_days(letter, 5), DEMO_TODAY)
                c.next_stage(store=store, ctx=_on(ctx, asked), ref=ref, requested=asked)
                continue
            if number % 11 == 5:
                continue  # answered, not yet closed
            outcome = ("upheld", "partly-upheld", "not-upheld", "not-upheld")[number % 4]
            if number % 10 == 0:
                outcome = "withdrawn"
            closing = min(letter + timedelta(days=1), DEMO_TODAY)
            c.close(store=store, ctx=_on(ctx, closing), ref=ref, outcome=outcome, on=closing)


COHORTS = {
    ("your-life-your-care", "4-7"): 25,
    ("your-life-your-care", "8-11"): 40,
    ("your-life-your-care", "11-18"): 60,
    ("your-life-beyond-care", "16-25"): 20,
}


def _voice(store: Store, ctx: Context, result: DemoResult) -> None:
    """Bright Spots responses reviewed (mostly within 24 hours; one flagged concern still
    waiting), conferences with advocacy in every state, and a scrutiny session."""
    from qaudit.domain.periods import parse_period
    from qaudit.services import advocacy, scrutiny, survey
    from qaudit.services.cases import iter_cases

    reviewer = next(s.name for s in list_staff(store=store, role="qa_lead"))
    today = _on(ctx, DEMO_TODAY)
    imported = survey.import_survey(store=store, path=data_dir() / "demo-survey.csv", ctx=today)
    result.survey_responses = imported.rows
    quarter = parse_period("2026/27-Q3", DEMO_TODAY)
    for (name, band), invited in COHORTS.items():
        survey.record_cohort(
            store=store, ctx=today, survey=name, age_band=band, period=quarter, invited=invited
        )
    responses = sorted(survey.list_responses(store=store), key=lambda r: r.received_at)
    for n, response in enumerate(responses):
        if n in (len(responses) - 1, len(responses) - 4):
            continue  # two waiting: one flagged or not, both overdue by the demo's today
        hours = 30 if n % 9 == 4 else 3  # now and then reviewed late
        when = response.received_at + timedelta(hours=hours)
        if when.date() > DEMO_TODAY:
            continue
        survey.review(
            store=store,
            ctx=replace(ctx, now=when),
            response_id=response.response_id,
            by=reviewer,
            action="Shared with the social worker and discussed with the child"
            if response.concern
            else None,
        )

    open_cp = [c.case_ref for c in iter_cases(store=store, open_on=DEMO_TODAY, category="CP")]
    # (offered, requested, provided: days before the conference, or None)
    states = [
        (True, True, 3),
        (True, True, 1),
        (True, False, None),
        (False, False, None),
        (True, True, -2),
        (True, True, None),
        (True, True, 5),
        (True, False, None),
    ]
    for n, (offered, requested, provided) in enumerate(states):
        held = DEMO_TODAY - timedelta(days=10 + 11 * n)
        row = advocacy.record_conference(
            store=store,
            ctx=_on(ctx, held),
            case_ref=open_cp[n % len(open_cp)],
            conference_date=held,
            offered=offered,
            requested=requested,
            provided_on=held - timedelta(days=provided)
            if provided is not None and provided > 0
            else None,
        )
        if provided is not None and provided < 0:  # provided after the conference: late
            late = held - timedelta(days=provided)
            advocacy.provide(store=store, ctx=_on(ctx, late), advocacy_id=row.id, on=late)
        result.conferences += 1

    session = scrutiny.add_session(
        store=store,
        ctx=_on(ctx, date(2026, 10, 14)),
        held_on=date(2026, 10, 14),
        committee="Children and Young People Scrutiny Committee",
        resolutions=[
            "Report Bright Spots response rates by age band each quarter",
            "Show how audits gather the child's and family's views",
            "Explain the rise in complaints about changes of social worker",
        ],
    )
    scrutiny.update_resolution(
        store=store,
        ctx=_on(ctx, date(2026, 11, 20)),
        resolution_id=session.resolutions[0].id,
        status="done",
        note="Added to the quarterly report from 2026/27-Q3",
    )
    result.scrutiny_sessions = 1


# --- audit workbooks: one auditor's December workbook, filled by code and imported ----------


def _workbook_round_trip(store: Store, ctx: Context, result: DemoResult) -> None:
    """Export December's workbooks, fill the first sheet of the first one as an auditor would
    in Excel (answers from the drop-downs, the grade last) and import it: the route of
    ``qaudit forms export`` / ``forms import``, end to end."""
    import io
    import tempfile

    import openpyxl

    from qaudit.importers.workbook import layout_for, read_workbook, workbook_bytes
    from qaudit.services.forms import export_forms_in, import_forms_in
    from qaudit.services.vocabulary import framework_in_force, themes_in_force
    from qaudit.store.lite import AlchemyTx

    on = _on(ctx, DEMO_TODAY)
    framework = framework_in_force(on)
    themes = themes_in_force(on)
    with write_transaction(store, on) as session:
        books = export_forms_in(AlchemyTx(session), on, month=DEMO_MONTHS[-1], framework=framework)
    book = books[0].book
    layout = layout_for(framework)
    wb = openpyxl.load_workbook(io.BytesIO(workbook_bytes(book, framework, themes)))
    ws = wb[book.sheets[0].name]
    for _, qid, _ in layout.question_rows[:6]:
        ws[layout.answers[qid]] = "Good"
    ws[layout.fields["strengths"]] = STRENGTHS[0]
    ws[layout.fields["themes"]] = "voice-of-the-child"
    ws[layout.fields["views_gathered"]] = "Yes"
    ws[layout.fields["audit_date"]] = datetime.combine(DEMO_TODAY, time())
    ws[layout.fields["grade"]] = Grade.GOOD.label
    with tempfile.TemporaryDirectory(prefix="qaudit-demo-") as folder:
        path = Path(folder) / f"{book.auditor}.xlsx"
        wb.save(path)
        returned = read_workbook(
            path,
            max_bytes=on.policy.imports.max_file_bytes,
            max_unpacked=on.policy.imports.max_unpacked_bytes,
        )
    with write_transaction(store, on) as session:
        outcomes = import_forms_in(
            AlchemyTx(session), on, books=[returned], month=None, framework=framework, themes=themes
        )
    result.audits += sum(1 for outcome in outcomes if outcome.result == "recorded")
