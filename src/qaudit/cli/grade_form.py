"""``qaudit grade`` at a terminal: checks first, then the audit a question at a time, a summary
and a confirm; every answer kept in a private draft until the audit is saved, so that a refused
or failed save, Ctrl-C or Ctrl-D loses nothing, and the next ``qaudit grade CASE`` resumes it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from qaudit.cli import grade_prompts as ask
from qaudit.cli.state import State, err_console, warn
from qaudit.display import day, one_line, visible
from qaudit.errors import QauditError

if TYPE_CHECKING:
    from qaudit.domain.actions import ActionInput
    from qaudit.domain.grades import Grade
    from qaudit.drafts import Draft, Place
    from qaudit.importers.framework import Framework, Theme
    from qaudit.services.context import Context
    from qaudit.services.grading import AuditDue, GradeInput, GradeResult

STEPS_AFTER_QUESTIONS = (
    "grade",
    "strengths",
    "development",
    "themes",
    "family_feedback",
    "actions",
)
_TEXT_LABELS = {
    "strengths": "What is working well",
    "development": "Areas for development",
    "family_feedback": "What the child and family said",
}
EXIT_INTERRUPTED = 130  # as for every command (128 + SIGINT, the shell's convention)


@dataclass
class Given:
    """What the command line gave; the form asks for the rest."""

    case_ref: str
    auditor: str | None
    audit_date: date
    answers: dict[str, str]
    themes: list[str]
    strengths: str | None
    development: str | None
    family_feedback: str | None
    views_gathered: bool | None
    adhoc: bool
    actions: list[ActionInput] = field(default_factory=list)


@dataclass
class _Keeper:
    """Writes the draft after every answer, where it may: the first of the places that works."""

    places: list[Place]
    path: Path | None = None  # where the draft is (once written, or the one resumed)
    failed: str | None = None  # why no draft could be kept
    old: list[Path] = field(default_factory=list)  # drafts offered and declined

    def keep(self, draft: Draft) -> None:
        from qaudit.drafts import DraftError, write_draft

        if self.failed is not None:
            return
        month = draft.audit_date.strftime("%Y-%m")
        candidates = [self.path] if self.path is not None else []
        candidates += [p.path(draft.case_ref, month) for p in self.places]
        reasons = []
        for path in candidates:
            try:
                write_draft(draft, path)
            except DraftError as exc:
                reasons.append(exc.message)
                continue
            self.path = path
            return
        self.failed = "; ".join(reasons)
        warn(f"no draft of this audit can be kept ({self.failed}): answers not saved are lost")

    def discard(self) -> None:
        from qaudit.drafts import remove_draft

        for path in [*([self.path] if self.path else []), *self.old]:
            remove_draft(path)


def record_at_terminal(
    st: State, run: Context, given: Given, framework: Framework, themes: tuple[Theme, ...]
) -> GradeResult | None:
    """The audit asked for, confirmed and recorded; None when the auditor chose not to save
    (the answers are in the draft)."""
    from qaudit.drafts import Draft, places
    from qaudit.services.actions import staff_names
    from qaudit.services.grading import audit_due

    with st.rows() as rows:
        owners = staff_names(rows)
        due = audit_due(
            rows,
            run,
            case_ref=given.case_ref,
            audit_date=given.audit_date,
            auditor=given.auditor,
            adhoc=given.adhoc,
        )
    if not due.may_audit:
        raise QauditError(
            f"no staff member may record an audit of case {due.case_ref}: auditors, team "
            "managers and the QA lead from another team (see qaudit staff list)"
        )
    keeper = _Keeper(places(store_path=st.store_path(), database_url=st.database_url))
    _say_what_is_due(due, given.audit_date)
    draft = Draft(case_ref=due.case_ref, audit_date=given.audit_date)  # until one is taken up
    try:
        draft = _resumed(keeper, due, given, framework, themes)
        draft.steps = len(framework.questions) + len(STEPS_AFTER_QUESTIONS)
        if draft.auditor is None or (draft.auditor not in due.may_audit and not given.auditor):
            draft.auditor = _auditor(st, due)
        else:
            _tell(f"Auditor: {draft.auditor}.")
        _fill_in(draft, framework, themes, keeper, owners)
        if not _review(draft, due, framework, themes, keeper, owners):
            keeper.keep(draft)
            _tell("Not saved. " + _where(keeper, due.case_ref) + " The audit is still due.")
            return None
        entry = _entry(draft, given)
        return _save(st, run, entry, keeper, due.case_ref)
    except KeyboardInterrupt:
        if st.saved():
            keeper.discard()
            raise  # "interrupted after the change was saved"
        _stopped(keeper, draft, due.case_ref, "interrupted")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except EOFError:
        _stopped(keeper, draft, due.case_ref, "the input ended before the audit was saved")
        raise typer.Exit(1) from None


def _tell(message: str) -> None:
    """A line of the form's dialogue: shown with --quiet too, as the questions are."""
    from rich.text import Text

    err_console().print(Text(visible(message)))


def _say_what_is_due(due: AuditDue, audit_date: date) -> None:
    from qaudit.cli.action_options import first_audit_lines

    when = f", due {day(due.due)}" if due.due else ""
    _tell(f"Audit of case {due.case_ref} on {day(audit_date)}: it completes {due.completes}{when}.")
    for line in first_audit_lines(due.first_actions):  # a re-audit: what the first one asked
        _tell(line)


def _resumed(
    keeper: _Keeper, due: AuditDue, given: Given, framework: Framework, themes: tuple[Theme, ...]
) -> Draft:
    """The draft of this case offered and taken up, with the command line's values over it; or
    a new one."""
    from qaudit.drafts import Draft, DraftError, read_draft

    fresh = Draft(case_ref=due.case_ref, audit_date=given.audit_date, auditor=given.auditor)
    found = [path for place in keeper.places for path in place.drafts_of(due.case_ref)]
    if not found:
        return _with_given(fresh, given)
    path = found[0]
    try:
        draft = read_draft(path)
    except DraftError as exc:
        warn(f"{exc.message}: starting afresh (the draft is replaced by this one)")
        keeper.path = path
        return _with_given(fresh, given)
    if draft.case_ref != due.case_ref:
        return _with_given(fresh, given)
    _fit(draft, framework, themes)
    when = _when(draft)
    total = len(framework.questions) + len(STEPS_AFTER_QUESTIONS)
    if ask.ask_yes(f"Resume the draft of {when} ({len(draft.done)} of {total} answered)?"):
        keeper.path = path
        # Dated when it is recorded (or --date), as an audit typed in one go: a draft begun
        # before the due date and finished after it is not recorded as on time.
        draft.audit_date = given.audit_date
        if given.auditor:
            draft.auditor = given.auditor
        return _with_given(draft, given)
    keeper.old = found
    _tell("Starting afresh: the draft is deleted once this audit is saved.")
    return _with_given(fresh, given)


def _fit(draft: Draft, framework: Framework, themes: tuple[Theme, ...]) -> None:
    """Only what the framework and themes in force still hold is resumed (a council may have
    changed them since); a step whose answer is gone is asked again."""
    from qaudit.domain.grades import GRADE_SLUGS
    from qaudit.importers.framework import ANSWER_VALUES

    questions = {q.id for q in framework.questions}
    draft.answers = {
        k: v for k, v in draft.answers.items() if k in questions and v in ANSWER_VALUES
    }
    known = {t.id for t in themes}
    draft.themes = [t for t in draft.themes if t in known]
    if draft.grade not in GRADE_SLUGS:
        draft.grade = None
    draft.actions = [a for a in draft.actions if _readable(a)]
    steps = {f"q:{q}" for q in questions} | set(STEPS_AFTER_QUESTIONS)
    draft.done = [step for step in draft.done if step in steps and (step != "grade" or draft.grade)]


def _readable(action: dict[str, str]) -> bool:
    """An action in a draft that can still be read: its date ISO, its text and owner fit."""
    from qaudit.domain.actions import new_action

    try:
        new_action(action["text"], action["owner"], date.fromisoformat(action["due"]))
    except ValueError:
        return False
    return True


def _when(draft: Draft) -> str:
    from qaudit.domain.dates import LONDON

    if draft.saved_at is None:
        return day(draft.audit_date)
    moment = draft.saved_at.astimezone(LONDON)
    return f"{moment.day} {moment:%b %Y %H:%M}"


def _with_given(draft: Draft, given: Given) -> Draft:
    """What the command line gave wins over the draft's, and is not asked for."""
    draft.answers.update(given.answers)
    draft.done += [f"q:{q}" for q in given.answers if f"q:{q}" not in draft.done]
    for step, value in (
        ("strengths", given.strengths),
        ("development", given.development),
        ("family_feedback", given.family_feedback),
    ):
        if value is not None:
            setattr(draft, step, value)
            if step not in draft.done:
                draft.done.append(step)
    if given.themes:
        draft.themes = list(given.themes)
        if "themes" not in draft.done:
            draft.done.append("themes")
    if given.views_gathered is not None:
        draft.views_gathered = given.views_gathered
    if given.actions:
        draft.actions = [_kept(a) for a in given.actions]
        if "actions" not in draft.done:
            draft.done.append("actions")
    return draft


def _kept(action: ActionInput) -> dict[str, str]:
    return {"text": action.text, "owner": action.owner, "due": action.due.isoformat()}


def _auditor(st: State, due: AuditDue) -> str:
    """The auditor the case is allocated to; else asked, from the staff who may audit it."""
    if due.allocated and due.allocated in due.may_audit:
        _tell(f"Auditor: {due.allocated} (allocated; --auditor NAME for another).")
        return due.allocated
    _tell(f"Who audited case {due.case_ref}? Staff who may audit it:")
    default = next((n for n in due.may_audit if n.casefold() == st.user.casefold()), None)
    return ask.ask_choice("Auditor (number or name)", due.may_audit, default)


def _fill_in(
    draft: Draft,
    framework: Framework,
    themes: tuple[Theme, ...],
    keeper: _Keeper,
    owners: list[str],
) -> None:
    """Every step not yet done, in order, the draft kept after each."""
    from rich.text import Text

    console = err_console()
    numbers = _numbers(framework)
    area_shown = ""
    for question in framework.questions:
        step = f"q:{question.id}"
        if step in draft.done:
            continue
        area = next(a for a in framework.areas if question in a.questions)
        if area.id != area_shown:
            console.rule(Text(visible(area.title)))
            area_shown = area.id
        answer = ask.ask_answer(question.text, question.guidance, numbers[step])
        if answer is None:
            draft.answers.pop(question.id, None)
        else:
            draft.answers[question.id] = answer
        _done(draft, step, keeper)
    for step in STEPS_AFTER_QUESTIONS:
        if step not in draft.done:
            _ask_step(draft, step, themes, keeper, owners)
            _done(draft, step, keeper)
    _require_development(draft, keeper)


def _numbers(framework: Framework) -> dict[str, str]:
    steps = [f"q:{q.id}" for q in framework.questions] + list(STEPS_AFTER_QUESTIONS)
    return {step: f"{n}." for n, step in enumerate(steps, start=1)}


def _done(draft: Draft, step: str, keeper: _Keeper) -> None:
    if step not in draft.done:
        draft.done.append(step)
    keeper.keep(draft)


def _ask_step(
    draft: Draft, step: str, themes: tuple[Theme, ...], keeper: _Keeper, owners: list[str]
) -> None:
    from qaudit.domain.grades import Grade, needs_development

    if step == "actions":
        _ask_actions(draft, keeper, owners)
    elif step == "grade":
        draft.grade = ask.ask_grade().slug
    elif step == "themes":
        draft.themes = ask.ask_themes(themes)
    elif step == "development" and draft.grade and needs_development(Grade(draft.grade)):
        draft.development = ask.ask_text(
            _TEXT_LABELS[step], required=_development_reason(Grade(draft.grade))
        )
    else:
        setattr(draft, step, ask.ask_text(_TEXT_LABELS[step]))


def _ask_actions(draft: Draft, keeper: _Keeper, owners: list[str]) -> None:
    """Actions one at a time, each kept in the draft as it is set (Ctrl-C loses none)."""
    if draft.actions:
        _tell("Actions so far: " + "; ".join(_shown(a) for a in draft.actions) + ".")
        if not ask.ask_yes(f"Keep {'it' if len(draft.actions) == 1 else 'them'}?"):
            draft.actions = []
            keeper.keep(draft)

    def added(action: ActionInput) -> None:
        draft.actions.append(_kept(action))
        keeper.keep(draft)

    ask.ask_actions(owners, draft.audit_date, added)


def _shown(action: dict[str, str]) -> str:
    return f"{action['text']} ({action['owner']}, due {action['due']})"


def _development_reason(grade: Grade) -> str:
    return f"An audit graded {grade.label} needs its areas for development: say what must change."


def _require_development(draft: Draft, keeper: _Keeper) -> None:
    from qaudit.domain.grades import Grade, needs_development

    if draft.grade and needs_development(Grade(draft.grade)) and not draft.development:
        draft.development = ask.ask_text(
            _TEXT_LABELS["development"], required=_development_reason(Grade(draft.grade))
        )
        keeper.keep(draft)


def _review(
    draft: Draft,
    due: AuditDue,
    framework: Framework,
    themes: tuple[Theme, ...],
    keeper: _Keeper,
    owners: list[str],
) -> bool:
    """The summary and ``Save this audit? [Y/n]``; on n, a change by number, or stop."""
    numbers = _numbers(framework)
    while True:
        _summary(draft, due, framework, numbers)
        if ask.ask_yes("Save this audit?"):
            return True
        by_number = {v.rstrip("."): k for k, v in numbers.items()}
        reply = ""
        while True:
            reply = ask.ask_line("Change an answer? Its number, or Enter to keep the draft").strip()
            if not reply or reply in by_number:
                break
            _tell(f"'{reply}' is not a number in the summary (1 to {len(by_number)}).")
        if not reply:
            return False
        step = by_number[reply]
        if step.startswith("q:"):
            question = next(q for q in framework.questions if f"q:{q.id}" == step)
            answer = ask.ask_answer(question.text, question.guidance, numbers[step])
            if answer is None:
                draft.answers.pop(question.id, None)
            else:
                draft.answers[question.id] = answer
        else:
            _ask_step(draft, step, themes, keeper, owners)
        _done(draft, step, keeper)
        _require_development(draft, keeper)


def _summary(draft: Draft, due: AuditDue, framework: Framework, numbers: dict[str, str]) -> None:
    from rich.table import Table
    from rich.text import Text

    from qaudit.domain.grades import Grade

    def answer(slug: str | None) -> str:
        if slug is None:
            return "-"
        return "n/a" if slug == ask.NOT_APPLICABLE else Grade(slug).label

    table = Table(title=f"Audit of {due.case_ref}", show_lines=False, expand=False)
    table.add_column("#", justify="right")
    table.add_column("Question")
    table.add_column("Answer")
    for question in framework.questions:
        step = f"q:{question.id}"
        table.add_row(
            numbers[step], Text(visible(question.text)), answer(draft.answers.get(question.id))
        )
    texts = {
        "grade": answer(draft.grade),
        "strengths": draft.strengths or "-",
        "development": draft.development or "-",
        "themes": ", ".join(draft.themes) or "-",
        "family_feedback": draft.family_feedback or "-",
        "actions": "\n".join(_shown(a) for a in draft.actions) or "-",
    }
    titles = {"grade": "Overall grade", "themes": "Themes", "actions": "Actions", **_TEXT_LABELS}
    for step in STEPS_AFTER_QUESTIONS:
        table.add_row(numbers[step], titles[step], Text(visible(texts[step])))
    console = err_console()
    console.print(table)
    console.print(
        Text(
            visible(
                f"Auditor {draft.auditor}; dated {day(draft.audit_date)}; "
                f"completes {due.completes}."
            )
        )
    )


def _entry(draft: Draft, given: Given) -> GradeInput:
    from qaudit.domain.actions import ActionInput
    from qaudit.domain.grades import Grade
    from qaudit.services.grading import GradeInput

    assert draft.grade is not None and draft.auditor is not None  # the form asked for both
    return GradeInput(
        case_ref=draft.case_ref,
        grade=Grade(draft.grade),
        auditor=draft.auditor,
        audit_date=draft.audit_date,
        answers=dict(draft.answers),
        themes=list(draft.themes),
        strengths=draft.strengths,
        development=draft.development,
        family_feedback=draft.family_feedback,
        views_gathered=draft.views_gathered,
        adhoc=given.adhoc,
        actions=[
            ActionInput(a["text"], a["owner"], date.fromisoformat(a["due"])) for a in draft.actions
        ],
    )


def _save(
    st: State, run: Context, entry: GradeInput, keeper: _Keeper, case_ref: str
) -> GradeResult:
    """Record the audit; on any failure the draft is kept and named before the error."""
    from qaudit.services.grading import record_grade_in

    try:
        with st.writing(run) as tx:
            result = record_grade_in(tx, run, entry)
    except Exception:
        if not st.saved():
            _tell("Not saved. " + _where(keeper, case_ref))
        raise
    keeper.discard()
    return result


def _where(keeper: _Keeper, case_ref: str) -> str:
    if keeper.path is None:
        return "No draft could be kept" + (f" ({keeper.failed})." if keeper.failed else ".")
    return (
        f"Your answers are in the draft {keeper.path} (only you can read it); "
        f"`qaudit grade {case_ref}` resumes it."
    )


def _stopped(keeper: _Keeper, draft: Draft, case_ref: str, why: str) -> None:
    if not draft.done:
        typer.echo(f"Error: {why}; nothing was written", err=True)
        return
    keeper.keep(draft)
    where = one_line(_where(keeper, case_ref))
    typer.echo(f"Error: {why}; the audit was not recorded. {where}", err=True)
