"""The audit cycle's rules (domain.md), table by table, on plain records: no store."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from qaudit.domain.audit_cycle import (
    CaseRecord,
    GradedBefore,
    ModerationState,
    ModerationStep,
    OpenItem,
    PendingReaudit,
    Person,
    RuleBroken,
    check_audit_date,
    check_case_open,
    check_development,
    check_grader,
    followup,
    moderate,
    reaudit_change,
    what_it_completes,
)
from qaudit.domain.grades import Grade
from qaudit.domain.workdays import WorkingCalendar

D = date.fromisoformat
CASE = CaseRecord("C1", team_id=1, open_date=D("2026-01-01"), close_date=None)
HEAD = Person("Hal Head", "head_of_service", None)


@pytest.mark.parametrize(
    ("person", "refusal"),
    [
        (Person("Ann", "auditor", None), None),
        (Person("Ann", "auditor", 2), None),
        (Person("Tia", "team_manager", 2), None),
        (Person("Quinn", "qa_lead", None), None),
        (Person("Tia", "team_manager", 1), "in the case's own team"),
        (Person("Ann", "auditor", 1), "in the case's own team"),
        (Person("Sam", "social_worker", 2), "is a social worker: audits are recorded by"),
        (Person("Hal", "head_of_service", None), "is a head of service: audits are recorded by"),
    ],
)
def test_who_may_record_an_audit(person: Person, refusal: str | None) -> None:
    if refusal is None:
        check_grader(person, CASE)
    else:
        with pytest.raises(RuleBroken, match=refusal):
            check_grader(person, CASE)


@pytest.mark.parametrize(
    ("opened", "closed", "on", "refusal"),
    [
        ("2026-01-01", None, "2026-12-01", None),
        ("2026-01-01", "2026-12-01", "2026-12-01", None),  # the day it closes
        ("2026-01-01", "2026-11-30", "2026-12-01", "not open on 2026-12-01"),
        ("2026-12-02", None, "2026-12-01", "not open on 2026-12-01"),
        (None, None, "2026-12-01", None),
    ],
)
def test_a_case_is_audited_while_it_is_open(
    opened: str | None, closed: str | None, on: str, refusal: str | None
) -> None:
    case = CaseRecord("C1", 1, D(opened) if opened else None, D(closed) if closed else None)
    if refusal is None:
        check_case_open(case, D(on))
    else:
        with pytest.raises(RuleBroken, match=refusal):
            check_case_open(case, D(on))


def test_no_audit_is_dated_after_today() -> None:
    check_audit_date(D("2026-12-01"), D("2026-12-01"))
    with pytest.raises(RuleBroken, match="after today"):
        check_audit_date(D("2026-12-02"), D("2026-12-01"))


ITEM = OpenItem(7, "2026-12")
REAUDIT = PendingReaudit(3, Grade.INADEQUATE, None, D("2026-10-20"))


@pytest.mark.parametrize(
    ("item", "reaudit", "adhoc", "on", "kind", "words"),
    [
        (ITEM, None, False, "2026-12-03", "sample", "sample 2026-12"),
        (ITEM, REAUDIT, False, "2026-12-03", "sample", "sample 2026-12"),  # the item first
        (ITEM, None, True, "2026-12-03", "sample", "sample 2026-12"),
        (None, REAUDIT, False, "2026-12-03", "reaudit", "re-audit"),
        (None, REAUDIT, True, "2026-12-03", "reaudit", "re-audit"),
        (None, None, True, "2026-12-03", "adhoc", "ad hoc audit"),
        # The same day as the first audit is no re-audit.
        (None, REAUDIT, True, "2026-10-20", "adhoc", "ad hoc audit"),
    ],
)
def test_what_an_audit_completes(
    item: OpenItem | None,
    reaudit: PendingReaudit | None,
    adhoc: bool,
    on: str,
    kind: str,
    words: str,
) -> None:
    done = what_it_completes("C1", D(on), item=item, reaudit=reaudit, adhoc=adhoc)
    assert (done.kind, done.words) == (kind, words)


def test_nothing_due_is_refused_unless_ad_hoc() -> None:
    with pytest.raises(RuleBroken, match="has no audit due") as refused:
        what_it_completes("C1", D("2026-12-03"), item=None, reaudit=None, adhoc=False)
    assert refused.value.remedy == "adhoc"
    before = GradedBefore(12, "2026-12", D("2026-12-02"))
    with pytest.raises(RuleBroken, match=r"already graded \(audit 12 on 2026-12-02\)"):
        what_it_completes(
            "C1", D("2026-12-03"), item=None, reaudit=None, adhoc=False, graded_before=before
        )
    with pytest.raises(RuleBroken, match="has no audit due"):  # the same day: not a re-audit
        what_it_completes("C1", D("2026-10-20"), item=None, reaudit=REAUDIT, adhoc=False)


CAL = WorkingCalendar((), bank_holidays=None)


@pytest.mark.parametrize(
    ("grade", "moderation_due", "reaudit_due"),
    [
        (Grade.INADEQUATE, "2026-12-08", "2027-01-12"),  # Tue 1 Dec: 5 working days; 6 weeks
        (Grade.REQUIRES_IMPROVEMENT, None, None),
        (Grade.GOOD, None, None),
        (Grade.OUTSTANDING, None, None),
    ],
)
def test_only_an_inadequate_grade_opens_a_moderation_and_a_reaudit(
    grade: Grade, moderation_due: str | None, reaudit_due: str | None
) -> None:
    opened = followup(grade, D("2026-12-01"), CAL, moderation_days=5, reaudit_weeks=6)
    assert opened.moderation_due == (D(moderation_due) if moderation_due else None)
    assert opened.reaudit_due == (D(reaudit_due) if reaudit_due else None)


@pytest.mark.parametrize(
    ("first", "regrade", "again", "change"),
    [
        (Grade.INADEQUATE, None, Grade.GOOD, "improved"),
        (Grade.INADEQUATE, None, Grade.INADEQUATE, "same"),
        (Grade.INADEQUATE, Grade.INADEQUATE, Grade.REQUIRES_IMPROVEMENT, "improved"),
        # A regrade replaces the auditor's grade as the one the re-audit is compared with.
        (Grade.INADEQUATE, Grade.REQUIRES_IMPROVEMENT, Grade.INADEQUATE, "worse"),
        (Grade.INADEQUATE, Grade.REQUIRES_IMPROVEMENT, Grade.REQUIRES_IMPROVEMENT, "same"),
    ],
)
def test_a_reaudit_is_compared_with_the_first_audit_as_moderated(
    first: Grade, regrade: Grade | None, again: Grade, change: str
) -> None:
    assert reaudit_change(PendingReaudit(1, first, regrade, D("2026-10-01")), again) == change


@pytest.mark.parametrize(
    ("grade", "development", "refused"),
    [
        (Grade.INADEQUATE, None, True),
        (Grade.INADEQUATE, "   ", True),
        (Grade.REQUIRES_IMPROVEMENT, "", True),
        (Grade.INADEQUATE, "Plan review", False),
        (Grade.GOOD, None, False),
        (Grade.OUTSTANDING, None, False),
    ],
)
def test_a_grade_below_good_needs_areas_for_development(
    grade: Grade, development: str | None, refused: bool
) -> None:
    if refused:
        with pytest.raises(RuleBroken, match="needs its areas for development"):
            check_development(grade, development)
    else:
        check_development(grade, development)


AUDIT_DAY = D("2026-12-01")
TODAY = D("2026-12-07")


def _state(**changes: object) -> ModerationState:
    values: dict[str, object] = {
        "audit_id": 9,
        "audit_grade": Grade.INADEQUATE,
        "audit_date": AUDIT_DAY,
        "outcome": None,
        "regrade": None,
        "outcome_on": None,
        "conversation_date": None,
        "completed_on": None,
    }
    values.update(changes)
    return ModerationState(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("state", "step", "expected"),
    [
        # agree, with the conversation: complete today; the re-audit stands
        (_state(), ModerationStep(agree=True, conversation_date=D("2026-12-04")),
         ("agreed", None, TODAY, D("2026-12-04"), TODAY, False)),
        # the outcome first, the conversation later
        (_state(), ModerationStep(agree=True), ("agreed", None, TODAY, None, None, False)),
        (_state(outcome="agreed", outcome_on=D("2026-12-02")),
         ModerationStep(conversation_date=D("2026-12-05")),
         ("agreed", None, D("2026-12-02"), D("2026-12-05"), TODAY, False)),
        # the conversation first, the outcome later
        (_state(conversation_date=D("2026-12-03")), ModerationStep(agree=True),
         ("agreed", None, TODAY, D("2026-12-03"), TODAY, False)),
        # a regrade above Inadequate cancels the re-audit
        (_state(), ModerationStep(regrade=Grade.REQUIRES_IMPROVEMENT),
         ("regraded", Grade.REQUIRES_IMPROVEMENT, TODAY, None, None, True)),
        # "regrading" to Inadequate is agreeing
        (_state(), ModerationStep(regrade=Grade.INADEQUATE),
         ("agreed", None, TODAY, None, None, False)),
        # repeating the outcome is no change
        (_state(outcome="agreed", outcome_on=D("2026-12-02")), ModerationStep(agree=True),
         ("agreed", None, D("2026-12-02"), None, None, False)),
        # notes alone
        (_state(), ModerationStep(notes="spoke to the team"),
         (None, None, None, None, None, False)),
    ],
)  # fmt: skip
def test_a_moderation_step_and_what_it_changes(
    state: ModerationState, step: ModerationStep, expected: tuple[object, ...]
) -> None:
    change = moderate(state, step, HEAD, TODAY)
    assert (
        change.outcome,
        change.regrade,
        change.outcome_on,
        change.conversation_date,
        change.completed_on,
        change.cancel_reaudit,
    ) == expected


@pytest.mark.parametrize(
    ("state", "step", "moderator", "refusal"),
    [
        (_state(), ModerationStep(), HEAD, "nothing to record"),
        (_state(), ModerationStep(agree=True, regrade=Grade.GOOD), HEAD, "not both"),
        (_state(), ModerationStep(agree=True), Person("Ann", "auditor", None),
         "only a head of service may moderate"),
        (_state(), ModerationStep(conversation_date=TODAY + timedelta(days=1)), HEAD,
         "after today"),
        (_state(), ModerationStep(conversation_date=AUDIT_DAY - timedelta(days=1)), HEAD,
         "before the audit"),
        (_state(outcome="agreed", outcome_on=D("2026-12-02")),
         ModerationStep(regrade=Grade.GOOD), HEAD, "an outcome is not changed|already moderated"),
        (_state(outcome="regraded", regrade=Grade.GOOD, outcome_on=D("2026-12-02")),
         ModerationStep(agree=True), HEAD, "already moderated"),
    ],
)  # fmt: skip
def test_a_moderation_step_is_refused(
    state: ModerationState, step: ModerationStep, moderator: Person, refusal: str
) -> None:
    with pytest.raises(RuleBroken, match=refusal):
        moderate(state, step, moderator, TODAY)
