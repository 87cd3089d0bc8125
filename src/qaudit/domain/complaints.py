"""The complaints procedures: their timescales (numbers from the policy, domain.md "Complaints")
and their rules, as functions over plain records that return the changes to make."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from qaudit.domain.policy import ComplaintPolicy
from qaudit.domain.rules import RuleBroken

PROCEDURES = ("statutory", "corporate")
RELATIONSHIPS = ("parent", "child", "carer", "other")
OUTCOMES = ("upheld", "partly-upheld", "not-upheld", "withdrawn")
STAGES = (1, 2, 3)


class Calendar(Protocol):
    def add_working_days(self, start: date, n: int) -> date: ...
    def working_days_after(self, start: date, end: date) -> int: ...
    def next_working_day(self, day: date) -> date: ...


@dataclass(frozen=True)
class Timescale:
    days: int  # to respond, in working days from receipt
    longest: int  # the most it may be extended to


def timescale(policy: ComplaintPolicy, procedure: str, stage: int) -> Timescale:
    """The stage's working days to respond and the most it may be extended to."""
    if procedure == "statutory":
        s = policy.statutory
        table = {
            1: Timescale(s.stage1_days, s.stage1_extended_days),
            2: Timescale(s.stage2_days, s.stage2_extended_days),
            3: Timescale(s.stage3_days, s.stage3_days),
        }
    elif procedure == "corporate":
        c = policy.corporate
        table = {
            1: Timescale(c.stage1_days, c.stage1_days + c.stage1_extension_days),
            2: Timescale(c.stage2_days, c.stage2_days),
        }
    else:
        raise ValueError(f"'{procedure}' is not a procedure; expected statutory or corporate")
    if stage not in table:
        raise ValueError(
            f"a {procedure} complaint has stages {', '.join(map(str, table))}, not stage {stage}"
        )
    return table[stage]


def response_due(calendar: Calendar, received: date, days: int) -> date:
    """The ``days``-th working day after receipt; a receipt on a non-working day counts from
    the next working day."""
    return calendar.add_working_days(received, days)


def check_extension(scale: Timescale, already: int, more: int, stage: int) -> int:
    """The new total extension, or ValueError when it would pass the stage's longest."""
    if more < 1:
        raise ValueError("an extension is at least 1 working day")
    if scale.days + already + more > scale.longest:
        room = scale.longest - scale.days - already
        raise ValueError(
            f"stage {stage} may be extended to {scale.longest} working days at most: "
            f"{room} more day{'s' if room != 1 else ''} can be added"
            + (f" (already extended by {already})" if already else "")
        )
    return already + more


def working_days_taken(calendar: Calendar, received: date, answered: date) -> int:
    """Working days from receipt (a non-working day counts as the next working day) to the
    answer: 0 for an answer on the day of receipt."""
    return calendar.working_days_after(calendar.next_working_day(received), answered)


def complaint_ref(year: int, number: int) -> str:
    return f"C-{year}-{number:04d}"


# -- the rules ------------------------------------------------------------------------------
# Each takes the stage as a plain record and returns what to change; a refusal is a Refusal
# whose message speaks of the complaint, never of how the change was asked for.


class Refusal(RuleBroken):
    """A complaint rule refused the change. ``kind`` names the rule, and is the refusal's
    remedy, so that a caller can say how to satisfy it (the command line names its options)."""

    def __init__(self, message: str, kind: str = "rule") -> None:
        super().__init__(message, remedy=kind)
        self.kind = kind


@dataclass(frozen=True)
class Stage:
    """A complaint's current stage, with what the rules need of the complaint."""

    ref: str
    procedure: str
    stage: int
    received: date  # the stage's receipt (stage 2 or 3: when it was asked for)
    due: date
    extension_days: int = 0
    responded_on: date | None = None
    letter_on: date | None = None
    escalated_on: date | None = None
    closed_on: date | None = None
    outcome: str | None = None
    # The due date the stage had when an extension was first agreed after it: the response
    # was late against it whatever was agreed afterwards.
    missed_due: date | None = None


@dataclass(frozen=True)
class Extension:
    """One extension to record: ``late`` when agreed after the response was due."""

    days: int
    agreed_on: date
    due_before: date
    late: bool
    reason: str | None


@dataclass(frozen=True)
class StageChange:
    """What a rule changes on the stage: the fields given; those left None stay as they are.
    ``extension`` is a record to add; ``on_time`` says whether a letter met the timescale."""

    responded_on: date | None = None
    letter_on: date | None = None
    due: date | None = None
    extension_days: int | None = None
    escalated_on: date | None = None
    extension: Extension | None = None
    on_time: bool | None = None

    def fields(self) -> dict[str, date | int]:
        """The stage's columns to set."""
        names = ("responded_on", "letter_on", "due", "extension_days", "escalated_on")
        return {n: v for n in names if (v := getattr(self, n)) is not None}


@dataclass(frozen=True)
class NewStage:
    """A stage to add: the first when a complaint is logged, or the next one asked for."""

    stage: int
    received: date
    due: date
    late_reason: str | None = None


@dataclass(frozen=True)
class Closure:
    outcome: str
    closed_on: date


def _open(stage: Stage, what: str) -> None:
    if stage.closed_on is not None:
        raise Refusal(
            f"complaint {stage.ref} was closed on {stage.closed_on} ({stage.outcome}): "
            f"no {what} can be recorded",
            "closed",
        )


def _not_before_receipt(stage: Stage, on: date, what: str) -> None:
    if on < stage.received:
        raise Refusal(f"the {what} {on} is before the complaint was received ({stage.received})")


def first_stage(
    policy: ComplaintPolicy,
    calendar: Calendar,
    *,
    procedure: str,
    stage: int,
    received: date,
    relationship: str,
) -> NewStage:
    """A complaint logged at ``stage``: its response due by the procedure's timescale."""
    try:
        scale = timescale(policy, procedure, stage)
    except ValueError as exc:
        raise Refusal(str(exc)) from None
    if relationship not in RELATIONSHIPS:
        raise Refusal(
            f"'{relationship}' is not a relationship; expected one of {', '.join(RELATIONSHIPS)}"
        )
    return NewStage(stage, received, response_due(calendar, received, scale.days))


def answered_in_time(letter_on: date, due: date, missed_due: date | None = None) -> bool:
    """A letter by the due date is in time, unless the stage had already run past its due
    date (``missed_due``) when an extension was agreed: the statutory timescale was missed
    then, and an extension agreed afterwards does not undo that."""
    return letter_on <= (missed_due or due)


def in_time(stage: Stage, letter_on: date) -> bool:
    return answered_in_time(letter_on, stage.due, stage.missed_due)


def respond(stage: Stage, on: date) -> StageChange:
    """The substantive response (the complaint resolved); the clock runs until the letter."""
    _open(stage, "response")
    _not_before_receipt(stage, on, "response date")
    return StageChange(responded_on=on)


def letter(stage: Stage, on: date) -> StageChange:
    """The final response letter: the complaint is answered. With no response recorded, the
    letter is the response."""
    _open(stage, "letter")
    _not_before_receipt(stage, on, "letter date")
    if stage.letter_on is not None:
        raise Refusal(
            f"complaint {stage.ref}'s stage {stage.stage} letter was already sent on "
            f"{stage.letter_on}"
        )
    return StageChange(
        letter_on=on,
        responded_on=on if stage.responded_on is None else None,
        on_time=in_time(stage, on),
    )


def extend(
    stage: Stage,
    days: int,
    agreed_on: date,
    late_agreed: bool,
    reason: str | None,
    scale: Timescale,
    calendar: Calendar,
) -> StageChange:
    """Extend the stage's timescale by ``days`` working days, agreed on ``agreed_on``, within
    the stage's longest. An extension agreed after the response was due is late: refused
    unless the complainant's agreement to it is recorded (``late_agreed``) with the reason."""
    _open(stage, "extension")
    if stage.letter_on is not None:
        raise Refusal(f"complaint {stage.ref} was answered on {stage.letter_on}: nothing to extend")
    if agreed_on < stage.received:
        raise Refusal(
            f"the extension's agreement date {agreed_on} is before the stage was received "
            f"({stage.received})"
        )
    reason = reason.strip() if reason is not None and reason.strip() else None
    late = agreed_on > stage.due
    if late and not late_agreed:
        raise Refusal(
            f"the response was due on {stage.due}: an extension agreed on {agreed_on} is late, "
            "and a late extension needs the complainant's agreement recorded, with the reason",
            "late",
        )
    if not late and late_agreed:
        raise Refusal(
            f"the extension is not late: the response is due on {stage.due} and the extension "
            f"was agreed on {agreed_on}",
            "not_late",
        )
    if not late and reason is not None:
        raise Refusal(
            "a reason is recorded only for an extension agreed after the response was due "
            f"(due {stage.due}, agreed {agreed_on})",
            "reason_not_late",
        )
    if late and reason is None:
        raise Refusal(
            f"the extension was agreed after the response was due ({stage.due}): give the "
            "reason it was agreed late",
            "late_no_reason",
        )
    try:
        total = check_extension(scale, stage.extension_days, days, stage.stage)
    except ValueError as exc:
        raise Refusal(str(exc), "limit") from None
    due = response_due(calendar, stage.received, scale.days + total)
    if due < agreed_on:
        raise Refusal(
            f"extended by {days} working day{'s' if days != 1 else ''} the response would be "
            f"due on {due}, before the extension was agreed ({agreed_on})",
            "limit",
        )
    return StageChange(
        due=due,
        extension_days=total,
        extension=Extension(days, agreed_on, stage.due, late, reason),
    )


def escalate(stage: Stage, on: date) -> StageChange | None:
    """Escalation to the head of service on ``on``; None when the stage was escalated already
    (escalating again changes nothing)."""
    _open(stage, "escalation")
    if stage.escalated_on is not None:
        return None
    return StageChange(escalated_on=on)


def next_stage(
    stage: Stage,
    requested: date,
    late_reason: str | None,
    policy: ComplaintPolicy,
    calendar: Calendar,
) -> NewStage:
    """The complainant asks for the next stage: within the window after the response letter
    (or once the stage has run past its due date unanswered); later only accepted late, with
    the reason."""
    _open(stage, "next stage")
    following = stage.stage + 1
    try:
        scale = timescale(policy, stage.procedure, following)
    except ValueError as exc:
        raise Refusal(str(exc)) from None
    if requested < stage.received:
        raise Refusal(
            f"the request date {requested} is before stage {stage.stage} was received "
            f"({stage.received})"
        )
    window = policy.statutory.next_stage_request_days
    if stage.letter_on is not None:
        last_day = calendar.add_working_days(stage.letter_on, window)
        if requested > last_day and late_reason is None:
            raise Refusal(
                f"stage {following} may be asked for within {window} working days of the "
                f"response letter ({stage.letter_on}), that is by {last_day}; a later request "
                "is accepted only late, with the reason",
                "late_request",
            )
    elif requested <= stage.due and late_reason is None:
        raise Refusal(
            f"stage {stage.stage} has no response letter yet and is not overdue (due "
            f"{stage.due}); the next stage follows the response"
        )
    return NewStage(
        following, requested, response_due(calendar, requested, scale.days), late_reason
    )


def close(stage: Stage, outcome: str, on: date) -> Closure:
    """Close with the outcome; only a withdrawn complaint closes without its final response
    letter."""
    if outcome not in OUTCOMES:
        raise Refusal(f"'{outcome}' is not an outcome; expected one of {', '.join(OUTCOMES)}")
    _open(stage, "closure")
    if outcome != "withdrawn" and stage.letter_on is None:
        raise Refusal(
            f"complaint {stage.ref} has no final response letter yet: send it before closing, "
            "or close it as withdrawn",
            "no_letter",
        )
    if on < stage.received:
        raise Refusal(f"the closing date {on} is before the complaint was received")
    return Closure(outcome, on)
