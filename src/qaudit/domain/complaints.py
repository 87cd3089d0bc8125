"""The complaints procedures' timescales: stages, working-day deadlines, extensions, the window
for asking for the next stage. Numbers come from the policy (domain.md, "Complaints")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from qaudit.domain.policy import ComplaintPolicy

PROCEDURES = ("statutory", "corporate")
RELATIONSHIPS = ("parent", "child", "carer", "other")
OUTCOMES = ("upheld", "partly-upheld", "not-upheld", "withdrawn")


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
