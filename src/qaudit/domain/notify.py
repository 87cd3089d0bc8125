"""What a reminder email holds, and which items a person is sent: pure rules over plain records.

A notice says what and when, never why: a kind, a reference, a case ref, a due date and a
state generated from the record (``detail``), never a child's name or free text someone typed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from qaudit.domain.dates import uk_day

NOTICE_KINDS: tuple[str, ...] = ("digest", "urgent")
"""A daily digest to each person; an urgent notice of a child's flagged survey concern."""

SECTIONS: tuple[str, ...] = ("overdue", "due", "escalated", "urgent")
"""Where an item sits in a message: the recipient's own overdue and due-soon work, their
teams' work escalated to them (heads of service), a flagged concern sent at once."""

KIND_LABELS: Mapping[str, str] = {
    "audit": "Audit",
    "moderation": "Moderation",
    "reaudit": "Re-audit",
    "action": "Action",
    "complaint": "Complaint response",
    "survey": "Survey review",
    "advocacy": "Advocacy request",
}
"""How each kind of work is named in a message."""


@dataclass(frozen=True)
class NoticeItem:
    """One piece of work a message reminds someone of."""

    kind: str  # one of domain.overdue.OVERDUE_KINDS
    ref: str  # the record's own reference: audit id, complaint ref, survey response id, ...
    case_ref: str  # "" where there is no case (survey responses are anonymous)
    due: date  # a datetime for deadlines in clock hours (survey reviews), London time
    days_overdue: int  # working days after the due date; 0 while not yet overdue
    detail: str  # the record's state in qaudit's own words, never free text
    owner: str | None  # whose work it is (shown to a head of service in escalations)
    stage: str  # the escalation step: a complaint's stage, else the due date (ISO)
    urgent: bool = False  # a child's flagged survey concern
    uid: str = ""  # the identity kept in the record of what was sent, when ``ref`` is shared
    # (an audit's ref is its sample's month); "" means ``ref``

    @property
    def overdue(self) -> bool:
        return self.days_overdue > 0

    @property
    def due_day(self) -> date:
        return self.due.date() if isinstance(self.due, datetime) else self.due

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.uid or self.ref)


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str | None
    role: str
    team: str | None  # their own team, or for a head of service the teams they head, joined


@dataclass(frozen=True)
class Digest:
    """One message to one person."""

    recipient: Recipient
    notice: str  # "digest" or "urgent"
    overdue: tuple[NoticeItem, ...] = ()
    due: tuple[NoticeItem, ...] = ()
    escalated: tuple[NoticeItem, ...] = ()  # heads of service: their teams' items
    urgent: tuple[NoticeItem, ...] = ()  # flagged survey concerns, sent at once
    as_of: datetime | None = None
    due_by: date | None = None  # the last day counted as "due soon"

    @property
    def sections(self) -> dict[str, tuple[NoticeItem, ...]]:
        return {
            "overdue": self.overdue,
            "due": self.due,
            "escalated": self.escalated,
            "urgent": self.urgent,
        }

    @property
    def items(self) -> list[tuple[str, NoticeItem]]:
        return [(section, item) for section, items in self.sections.items() for item in items]

    @property
    def empty(self) -> bool:
        return not self.items


@dataclass(frozen=True)
class Sent:
    """An item already sent to a person: what the store's record of messages says."""

    recipient: str  # staff name, as recorded
    kind: str
    ref: str  # the item's identity (``NoticeItem.key``'s second part)
    section: str
    stage: str
    sent_on: date  # the London day it was sent


def summary(digest: Digest) -> str:
    """``3 overdue, 2 due by Fri 4 Dec 2026``: what a message asks of its reader, in counts."""
    if digest.notice == "urgent":
        n = len(digest.urgent)
        what = (
            "a child's survey flags a concern"
            if n == 1
            else f"{n} children's surveys flag a concern"
        )
        return f"urgent: {what}, not yet reviewed"
    parts = []
    if digest.overdue:
        parts.append(f"{len(digest.overdue)} overdue")
    if digest.due:
        by = f" by {uk_day(digest.due_by)}" if digest.due_by else " soon"
        parts.append(f"{len(digest.due)} due{by}")
    if digest.escalated:
        parts.append(f"{len(digest.escalated)} escalated to you")
    return ", ".join(parts) or "nothing due"


def subject(digest: Digest) -> str:
    """``qaudit: 3 overdue, 2 due by Fri 4 Dec 2026 (Assessment Team 1)``: counts a person can
    act on from the inbox, never a case ref or a child's detail."""
    if digest.notice == "urgent":
        return f"qaudit: {summary(digest)}"
    team = f" ({digest.recipient.team})" if digest.recipient.team else ""
    return f"qaudit: {summary(digest)}{team}"


@dataclass(frozen=True)
class Choice:
    """The items to send one person, split into the message's sections, and those held back
    because they were sent already (with the rule that held them)."""

    overdue: list[NoticeItem] = field(default_factory=list)
    due: list[NoticeItem] = field(default_factory=list)
    escalated: list[NoticeItem] = field(default_factory=list)
    urgent: list[NoticeItem] = field(default_factory=list)
    held: list[tuple[str, NoticeItem]] = field(default_factory=list)


def already_sent(
    section: str,
    item: NoticeItem,
    sent: Iterable[Sent],
    *,
    today: date,
    repeat_days: int,
) -> bool:
    """Whether ``item`` in ``section`` went to this person already (``sent`` is theirs):
    an escalation or an urgent notice once per item and stage, ever; a reminder of their own
    work once in ``repeat_days`` days (1: once a day)."""
    for record in sent:
        if (record.kind, record.ref) != item.key:
            continue
        if section in ("escalated", "urgent"):
            if record.section == section and record.stage == item.stage:
                return True
        elif record.section in ("overdue", "due") and (today - record.sent_on).days < max(
            repeat_days, 1
        ):
            return True
    return False


def choose(
    own: Iterable[NoticeItem],
    escalated: Iterable[NoticeItem],
    sent: Iterable[Sent],
    *,
    today: date,
    repeat_days: int,
    urgent_only: bool = False,
) -> Choice:
    """What to send one person now, from their own work and the work escalated to them."""
    history = list(sent)
    choice = Choice()
    for item in own:
        section = "urgent" if urgent_only else "overdue" if item.overdue else "due"
        if already_sent(section, item, history, today=today, repeat_days=repeat_days):
            choice.held.append((section, item))
        else:
            getattr(choice, section).append(item)
    if not urgent_only:
        for item in escalated:
            if already_sent("escalated", item, history, today=today, repeat_days=repeat_days):
                choice.held.append(("escalated", item))
            else:
                choice.escalated.append(item)
    return choice


_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def address_problem(address: str) -> str | None:
    """Why ``address`` cannot be a staff member's email address, or None when it can.

    The plain ``name@council.gov.uk`` form, in ASCII: what a council relay accepts. A display
    name (``Jo Clarke <jo@…>``), spaces, several addresses or a domain without a dot are
    refused rather than guessed at."""
    if len(address) > 254:
        return "is longer than an email address can be (254 characters)"
    if "<" in address or ">" in address:
        return "must be the address alone (jo.clarke@council.example), without a name or <>"
    if any(ch in address for ch in ",; "):
        return "must be one address, without spaces"
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return "is not an email address (name@council.example)"
    if len(local) > 64 or not _LOCAL.match(local):
        return f"has a part before the @ that an email address cannot have ({local!r})"
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return f"has a domain that is not a mail domain ({domain!r})"
    if not labels[-1].isalpha():
        return f"has a domain that is not a mail domain ({domain!r})"
    return None
