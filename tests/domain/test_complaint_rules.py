"""The complaint rules as pure functions: table-driven, no store (domain.md, "Complaints")."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from qaudit.domain import complaints as rules
from qaudit.domain.complaints import Extension, Refusal, Stage, StageChange, timescale
from qaudit.domain.policy import ComplaintPolicy
from qaudit.domain.workdays import WorkingCalendar

D = date.fromisoformat
CALENDAR = WorkingCalendar()
POLICY = ComplaintPolicy()
# Received Monday 23 November 2026: stage 1 due in 10 working days, 7 December.
STAGE = Stage(ref="C-2026-0001", procedure="statutory", stage=1, received=D("2026-11-23"),
              due=D("2026-12-07"))  # fmt: skip
ANSWERED = replace(STAGE, responded_on=D("2026-12-01"), letter_on=D("2026-12-02"))
CLOSED = replace(ANSWERED, closed_on=D("2026-12-03"), outcome="upheld")


def _extend(
    stage: Stage, days: int, agreed: str, late_agreed: bool = False, reason: str | None = None
) -> StageChange:
    scale = timescale(POLICY, stage.procedure, stage.stage)
    return rules.extend(stage, days, D(agreed), late_agreed, reason, scale, CALENDAR)


@pytest.mark.parametrize(
    ("stage", "days", "agreed", "late_agreed", "reason", "due", "total", "late"),
    [
        (STAGE, 10, "2026-11-24", False, None, "2026-12-21", 10, False),  # to 20 days: the most
        (STAGE, 1, "2026-12-07", False, None, "2026-12-08", 1, False),  # on the due date: in time
        (STAGE, 5, "2026-12-08", True, "Complainant abroad", "2026-12-14", 5, True),  # late
        (replace(STAGE, extension_days=6, due=D("2026-12-15")), 4, "2026-12-01", False, None,
         "2026-12-21", 10, False),  # a second extension, within the most
        (replace(STAGE, stage=2, due=D("2026-12-30")), 40, "2026-12-01", False, None,
         "2027-02-25", 40, False),  # stage 2: 25 to 65 working days (over Christmas)
        (replace(STAGE, procedure="corporate"), 10, "2026-11-30", False, None, "2026-12-21", 10,
         False),  # corporate stage 1: 10 (+10)
    ],
)  # fmt: skip
def test_extensions_allowed(
    stage: Stage,
    days: int,
    agreed: str,
    late_agreed: bool,
    reason: str | None,
    due: str,
    total: int,
    late: bool,
) -> None:
    change = _extend(stage, days, agreed, late_agreed, reason)
    assert (change.due, change.extension_days) == (D(due), total)
    assert change.extension == Extension(days, D(agreed), stage.due, late, reason)
    assert change.fields() == {"due": D(due), "extension_days": total}


@pytest.mark.parametrize(
    ("stage", "days", "agreed", "late_agreed", "reason", "kind", "message"),
    [
        (STAGE, 11, "2026-11-24", False, None, "limit",
         "stage 1 may be extended to 20 working days at most: 10 more days can be added"),
        (replace(STAGE, extension_days=6), 5, "2026-11-24", False, None, "limit",
         "4 more days can be added (already extended by 6)"),
        (STAGE, 0, "2026-11-24", False, None, "limit", "an extension is at least 1 working day"),
        (replace(STAGE, stage=3, due=D("2027-01-07")), 1, "2026-11-24", False, None, "limit",
         "stage 3 may be extended to 30 working days at most"),
        (replace(STAGE, procedure="corporate", stage=2, due=D("2026-12-21")), 1, "2026-11-24",
         False, None, "limit", "stage 2 may be extended to 20 working days"),
        (STAGE, 5, "2026-12-08", False, None, "late",
         "the response was due on 2026-12-07: an extension agreed on 2026-12-08 is late, and a "
         "late extension needs the complainant's agreement recorded, with the reason"),
        (STAGE, 5, "2026-12-08", False, "Complainant abroad", "late", "is late"),
        (STAGE, 5, "2026-12-08", True, None, "late_no_reason",
         "the extension was agreed after the response was due (2026-12-07): give the reason"),
        (STAGE, 5, "2026-12-08", True, "   ", "late_no_reason", "give the reason"),
        (STAGE, 5, "2026-12-01", True, "Complainant abroad", "not_late",
         "the extension is not late: the response is due on 2026-12-07 and the extension was "
         "agreed on 2026-12-01"),
        (STAGE, 5, "2026-12-01", False, "Complainant abroad", "reason_not_late",
         "a reason is recorded only for an extension agreed after the response was due"),
        (STAGE, 2, "2026-12-14", True, "Complainant abroad", "limit",
         "the response would be due on 2026-12-09, before the extension was agreed (2026-12-14)"),
        (STAGE, 5, "2026-11-20", False, None, "rule",
         "the extension's agreement date 2026-11-20 is before the stage was received"),
        (ANSWERED, 5, "2026-12-03", False, None, "rule",
         "was answered on 2026-12-02: nothing to extend"),
        (CLOSED, 5, "2026-12-04", False, None, "closed",
         "was closed on 2026-12-03 (upheld): no extension can be recorded"),
    ],
)  # fmt: skip
def test_extensions_refused(
    stage: Stage,
    days: int,
    agreed: str,
    late_agreed: bool,
    reason: str | None,
    kind: str,
    message: str,
) -> None:
    with pytest.raises(Refusal) as refused:
        _extend(stage, days, agreed, late_agreed, reason)
    assert refused.value.kind == kind
    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("stage", "letter", "on_time"),
    [
        (STAGE, "2026-12-07", True),  # on the due date
        (STAGE, "2026-12-08", False),
        (replace(STAGE, due=D("2026-12-21"), extension_days=10), "2026-12-18", True),
        # Extended after it was due: late against the due date it had then, whatever came after.
        (replace(STAGE, due=D("2026-12-14"), extension_days=5, missed_due=D("2026-12-07")),
         "2026-12-11", False),
    ],
)  # fmt: skip
def test_letter_in_time(stage: Stage, letter: str, on_time: bool) -> None:
    change = rules.letter(stage, D(letter))
    assert change.on_time is on_time
    assert rules.in_time(stage, D(letter)) is on_time
    assert change.fields() == {"letter_on": D(letter), "responded_on": D(letter)}


@pytest.mark.parametrize(
    ("rule", "stage", "on", "message"),
    [
        (rules.respond, STAGE, "2026-11-20", "response date 2026-11-20 is before"),
        (rules.respond, CLOSED, "2026-12-04", "no response can be recorded"),
        (rules.letter, STAGE, "2026-11-22", "the letter date 2026-11-22 is before the complaint"),
        (rules.letter, ANSWERED, "2026-12-03", "stage 1 letter was already sent on 2026-12-02"),
        (rules.letter, CLOSED, "2026-12-04", "no letter can be recorded"),
        (rules.escalate, CLOSED, "2026-12-08", "no escalation can be recorded"),
    ],
)  # fmt: skip
def test_refusals(rule: object, stage: Stage, on: str, message: str) -> None:
    with pytest.raises(Refusal, match=message):
        rule(stage, D(on))  # type: ignore[operator]


def test_response_then_letter_keeps_the_response_date() -> None:
    responded = replace(STAGE, responded_on=D("2026-12-01"))
    assert rules.respond(STAGE, D("2026-12-01")) == StageChange(responded_on=D("2026-12-01"))
    assert rules.letter(responded, D("2026-12-04")).fields() == {"letter_on": D("2026-12-04")}


def test_escalating_again_changes_nothing() -> None:
    assert rules.escalate(STAGE, D("2026-12-08")) == StageChange(escalated_on=D("2026-12-08"))
    assert rules.escalate(replace(STAGE, escalated_on=D("2026-12-08")), D("2026-12-09")) is None


@pytest.mark.parametrize(
    ("stage", "requested", "late_reason", "expected"),
    [
        # Within 20 working days of the letter (2 Dec 2026: by 4 Jan 2027 over Christmas).
        (ANSWERED, "2027-01-04", None, (2, "2027-02-08")),
        (ANSWERED, "2027-01-05", "In hospital", (2, "2027-02-09")),  # late, accepted
        (replace(STAGE, due=D("2026-11-30")), "2026-12-01", None, (2, "2027-01-08")),  # overdue
        (replace(ANSWERED, stage=2), "2026-12-03", None, (3, "2027-01-19")),  # the review panel
    ],
)  # fmt: skip
def test_next_stage(
    stage: Stage, requested: str, late_reason: str | None, expected: tuple[int, str]
) -> None:
    new = rules.next_stage(stage, D(requested), late_reason, POLICY, CALENDAR)
    assert (new.stage, new.due) == (expected[0], D(expected[1]))
    assert (new.received, new.late_reason) == (D(requested), late_reason)


@pytest.mark.parametrize(
    ("stage", "requested", "kind", "message"),
    [
        (ANSWERED, "2027-01-05", "late_request",
         "stage 2 may be asked for within 20 working days of the response letter (2026-12-02), "
         "that is by 2027-01-04; a later request is accepted only late, with the reason"),
        (STAGE, "2026-12-01", "rule", "has no response letter yet and is not overdue"),
        (replace(ANSWERED, stage=3), "2026-12-03", "rule", "has stages 1, 2, 3, not stage 4"),
        (replace(ANSWERED, procedure="corporate", stage=2), "2026-12-03", "rule",
         "a corporate complaint has stages 1, 2, not stage 3"),
        (ANSWERED, "2026-11-20", "rule", "is before stage 1 was received"),
        (CLOSED, "2026-12-04", "closed", "no next stage can be recorded"),
    ],
)  # fmt: skip
def test_next_stage_refused(stage: Stage, requested: str, kind: str, message: str) -> None:
    with pytest.raises(Refusal) as refused:
        rules.next_stage(stage, D(requested), None, POLICY, CALENDAR)
    assert refused.value.kind == kind
    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("stage", "outcome", "on", "refusal"),
    [
        (ANSWERED, "upheld", "2026-12-03", None),
        (ANSWERED, "partly-upheld", "2026-12-03", None),
        (STAGE, "withdrawn", "2026-11-30", None),  # no letter needed
        (STAGE, "not-upheld", "2026-11-30", "has no final response letter yet"),
        (ANSWERED, "dismissed", "2026-12-03", "'dismissed' is not an outcome; expected one of "
         "upheld, partly-upheld, not-upheld, withdrawn"),
        (replace(ANSWERED, letter_on=D("2026-11-23")), "upheld", "2026-11-22",
         "the closing date 2026-11-22 is before the complaint was received"),
        (CLOSED, "upheld", "2026-12-04", "no closure can be recorded"),
    ],
)  # fmt: skip
def test_close(stage: Stage, outcome: str, on: str, refusal: str | None) -> None:
    if refusal is None:
        assert rules.close(stage, outcome, D(on)) == rules.Closure(outcome, D(on))
        return
    with pytest.raises(Refusal, match=refusal):
        rules.close(stage, outcome, D(on))


@pytest.mark.parametrize(
    ("procedure", "stage", "received", "relationship", "result"),
    [
        ("statutory", 1, "2026-12-23", "parent", "2027-01-11"),  # Christmas
        ("statutory", 1, "2026-11-21", "child", "2026-12-07"),  # a Saturday counts as Monday
        ("statutory", 2, "2026-11-23", "carer", "2026-12-30"),
        ("statutory", 3, "2026-11-23", "other", "2027-01-07"),
        ("corporate", 2, "2026-11-23", "parent", "2026-12-21"),
        ("corporate", 3, "2026-11-23", "parent", "a corporate complaint has stages 1, 2"),
        ("ombudsman", 1, "2026-11-23", "parent", "'ombudsman' is not a procedure"),
        ("statutory", 1, "2026-11-23", "neighbour", "'neighbour' is not a relationship"),
    ],
)
def test_first_stage(
    procedure: str, stage: int, received: str, relationship: str, result: str
) -> None:
    def log() -> rules.NewStage:
        return rules.first_stage(
            POLICY,
            CALENDAR,
            procedure=procedure,
            stage=stage,
            received=D(received),
            relationship=relationship,
        )

    if result[0].isdigit():
        assert log() == rules.NewStage(stage, D(received), D(result))
        return
    with pytest.raises(Refusal, match=result):
        log()


def test_each_list_of_values_is_defined_once() -> None:
    from qaudit.cli.complaint_options import Outcome, Relationship

    assert tuple(o.value for o in Outcome) == rules.OUTCOMES
    assert tuple(r.value for r in Relationship) == rules.RELATIONSHIPS


def test_a_complaint_rules_refusal_is_the_domains_one_refusal() -> None:
    """Every domain rule refuses with domain.rules.RuleBroken; a complaint rule's names the
    rule as its remedy, which the command line turns into the option that satisfies it."""
    from qaudit.domain.complaints import Refusal
    from qaudit.domain.rules import RuleBroken
    from qaudit.services.rules import refused

    refusal = Refusal("the response is due first", "late")
    assert isinstance(refusal, RuleBroken) and refusal.remedy == "late"
    error = refused(refusal)
    assert (str(error), error.remedy) == ("the response is due first", "late")
