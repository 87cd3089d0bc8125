"""Reminder emails: who is sent what (``plan_notices``), sending them through the relay and
keeping a record of each message the relay accepted (``send_notices``), and what was sent.

Each person gets one message a day at most per item: their own work overdue or falling due
within the policy's working days; a head of service also gets their teams' work once it is
overdue past the escalation point (once per item and stage); the voice team gets a child's
flagged survey concern at once (``urgent``). A message is recorded after the relay accepted
it, in its own transaction, so a failure midway leaves a true record and a rerun sends only
what was not sent.
"""

from __future__ import annotations

import re
import stat
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qaudit.display import counted
from qaudit.domain.dates import LONDON, uk_day
from qaudit.domain.notify import (
    Digest,
    NoticeItem,
    Recipient,
    Sent,
    address_problem,
    already_sent,
    choose,
)
from qaudit.domain.overdue import OVERDUE_KINDS
from qaudit.domain.policy import NotifyPolicy
from qaudit.errors import ConfigError, QauditError
from qaudit.files import read_limited
from qaudit.services.context import Context
from qaudit.store.engine import Store
from qaudit.store.lite import AlchemyRows, Rows, day, moment

if TYPE_CHECKING:
    from email.message import EmailMessage

    from qaudit.mail.transport import SmtpSettings, Transport
    from qaudit.services.overdue import OverdueItem

PASSWORD_VARIABLE = "QAUDIT_SMTP_PASSWORD"
_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b", re.ASCII)


# -- who is sent what -----------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    role: str
    email: str | None
    team: str | None  # their own team; for a head of service, the teams they head


@dataclass
class Plan:
    """The messages to send now, and why anyone with work is not sent it."""

    as_of: datetime
    due_by: date
    urgent: bool
    closed: bool = False  # today is not a working day: no reminders (urgent notices still go)
    digests: list[Digest] = field(default_factory=list)
    held: int = 0  # items left out: sent to that person already (today, or at that stage)
    no_address: dict[str, int] = field(default_factory=dict)  # person: items not sent
    unknown_owners: dict[str, int] = field(default_factory=dict)  # not on the staff list
    people: dict[str, Person] = field(default_factory=dict)


def plan_notices(
    *,
    store: Store,
    ctx: Context,
    kinds: Sequence[str] = OVERDUE_KINDS,
    to: str | None = None,
    urgent: bool = False,
) -> Plan:
    """Who is sent which items now, from one read of the store. ``urgent``: only children's
    flagged survey concerns not yet reviewed, to the voice team, each once."""
    from qaudit.services.overdue import list_overdue
    from qaudit.services.worklists import calendar

    policy = ctx.policy.notify
    today = ctx.today
    working = calendar(ctx)
    due_by = working.add_working_days(today, policy.due_within_working_days)
    plan = Plan(as_of=ctx.now, due_by=due_by, urgent=urgent)
    if not urgent and not working.is_working_day(today):
        # A weekend, bank holiday or closure day: no one is at work to act on a reminder;
        # the next working day's run sends what is due then. A child's concern still goes.
        plan.closed = True
        return plan
    with store.reading() as session:
        rows = AlchemyRows(session.connection())
        people = _people(rows)
        plan.people = {p.name: p for p in people.values()}
        if to is not None and to.casefold() not in people:
            raise QauditError(f"no one called '{to}' is on the staff list")
        if urgent:
            found = [
                item for item in list_overdue(rows, ctx, ("survey",), due_by=today) if item.urgent
            ]
        else:
            found = list_overdue(rows, ctx, kinds, due_by=due_by)
        since = today - timedelta(days=max(policy.repeat_days, 1))
        history = _history(rows, since)

    voice = _voice_team(people, policy)
    leads = [p for p in people.values() if p.role == "qa_lead"]
    own: dict[str, list[NoticeItem]] = defaultdict(list)
    escalated: dict[str, list[NoticeItem]] = defaultdict(list)
    for found_item in found:
        item = _notice(found_item)
        if found_item.kind == "survey":
            owners = voice or leads
        elif found_item.owner is None:
            owners = leads  # an audit with no auditor allocated: the QA lead's to allocate
        elif (person := people.get(found_item.owner.casefold())) is not None:
            owners = [person]
        else:
            plan.unknown_owners[found_item.owner] = plan.unknown_owners.get(found_item.owner, 0) + 1
            owners = leads
        for person in owners:
            own[person.name].append(item)
        if urgent or not _escalates(found_item, policy):
            continue
        head = people.get((found_item.escalate_to or "").casefold())
        heads = [head] if head is not None else leads
        for person in heads:
            if all(person.name != o.name for o in owners):
                escalated[person.name].append(item)

    for name in sorted(set(own) | set(escalated)):
        person = plan.people[name]
        if to is not None and person.name.casefold() != to.casefold():
            continue
        choice = choose(
            own.get(name, []),
            escalated.get(name, []),
            history.get(person.id, []),
            today=today,
            repeat_days=policy.repeat_days,
            urgent_only=urgent,
        )
        plan.held += len(choice.held)
        digest = Digest(
            recipient=Recipient(person.name, person.email, person.role, person.team),
            notice="urgent" if urgent else "digest",
            overdue=tuple(choice.overdue),
            due=tuple(choice.due),
            escalated=tuple(choice.escalated),
            urgent=tuple(choice.urgent),
            as_of=ctx.now,
            due_by=due_by,
        )
        if digest.empty:
            continue
        if person.email is None:
            plan.no_address[person.name] = len(digest.items)
            continue
        plan.digests.append(digest)
    return plan


def _people(rows: Rows) -> dict[str, Person]:
    teams_headed: dict[int, list[str]] = defaultdict(list)
    for staff_id, team in rows.all(
        "SELECT h.staff_id, t.name FROM heads_of_service h JOIN teams t ON t.id = h.team_id"
        " ORDER BY t.name"
    ):
        teams_headed[staff_id].append(team)
    people = {}
    for staff_id, name, role, email, team in rows.all(
        "SELECT s.id, s.name, s.role, s.email, t.name FROM staff s"
        " LEFT JOIN teams t ON t.id = s.team_id ORDER BY s.name"
    ):
        headed = teams_headed.get(staff_id)
        shown = team
        if headed:
            shown = ", ".join(headed[:2]) + (
                f" and {len(headed) - 2} more" if len(headed) > 2 else ""
            )
        people[name.casefold()] = Person(staff_id, name, role, email, shown)
    return people


def _voice_team(people: dict[str, Person], policy: NotifyPolicy) -> list[Person]:
    """Who reviews survey responses: the voice team's members (the QA lead when it has none)."""
    if policy.voice_team is None:
        return []
    team = policy.voice_team.casefold()
    return [p for p in people.values() if (p.team or "").casefold() == team]


def _escalates(item: OverdueItem, policy: NotifyPolicy) -> bool:
    """Past the escalation point: overdue by more than the policy's working days, or a
    complaint someone escalated already (``complaints escalate``)."""
    return item.days_overdue > policy.escalate_after_working_days or (
        item.kind == "complaint" and item.escalated and item.days_overdue > 0
    )


def _notice(item: OverdueItem) -> NoticeItem:
    return NoticeItem(
        kind=item.kind,
        ref=item.ref,
        case_ref=item.case_ref,
        due=item.due,
        days_overdue=item.days_overdue,
        detail=_ISO_DAY.sub(_uk, item.detail),
        owner=item.owner,
        stage=item.stage,
        urgent=item.urgent,
        uid=item.key if item.key != item.ref else "",
    )


def _uk(match: re.Match[str]) -> str:
    try:
        return uk_day(date(int(match[1]), int(match[2]), int(match[3])))
    except ValueError:
        return match[0]


def _history(rows: Rows, since: date, *, staff_id: int | None = None) -> dict[int, list[Sent]]:
    """What each person (or one) was sent that still holds an item back: reminders since
    ``since``, escalations and urgent notices ever."""
    params: dict[str, Any] = {"since": since}
    one = ""
    if staff_id is not None:
        one = " AND i.staff_id = :staff_id"
        params["staff_id"] = staff_id
    found = rows.all(
        "SELECT i.staff_id, s.name, i.kind, i.ref, i.section, i.stage, i.sent_on"
        " FROM notification_items i JOIN staff s ON s.id = i.staff_id"
        " WHERE (i.sent_on >= :since OR i.section IN ('escalated', 'urgent'))" + one,
        params,
    )
    history: dict[int, list[Sent]] = defaultdict(list)
    for who, name, kind, ref, section, stage, sent_on in found:
        history[who].append(Sent(name, kind, ref, section, stage, day(sent_on)))
    return history


# -- sending --------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What happened to each message of a plan."""

    sent: list[tuple[Digest, str]] = field(default_factory=list)  # with the relay's reply
    refused: list[tuple[Digest, str]] = field(default_factory=list)  # recipient refused: why
    not_sent: list[Digest] = field(default_factory=list)  # after the relay (or store) failed
    failure: QauditError | None = None  # a MailError, or the store's error
    unrecorded: Digest | None = None  # accepted by the relay, but the store could not say so
    relay: str = ""

    @property
    def complete(self) -> bool:
        return not self.refused and not self.not_sent and self.failure is None


def send_notices(
    *,
    store: Store,
    ctx: Context,
    plan: Plan,
    transport: Transport,
    sender: str,
    clock: Callable[[], datetime] | None = None,
) -> Outcome:
    """Send each message of ``plan`` and record each the relay accepts, in its own
    transaction, at the moment ``clock`` gives (the real time; ``ctx.recorded_at`` without
    one). A recipient the relay refuses is left out and the rest go on; a relay that fails
    (down, login refused, a timeout) stops the run: what was sent stays recorded."""
    from qaudit.mail.compose import compose
    from qaudit.mail.transport import MailError

    outcome = Outcome(relay=transport.description)
    pending = list(plan.digests)
    try:
        with transport:
            while pending:
                digest = _not_sent_since(store, ctx, plan, pending[0])
                if digest is None:  # another run sent it meanwhile (two cron lines at once)
                    pending.pop(0)
                    continue
                address = digest.recipient.email
                assert address is not None  # plan_notices leaves out people without one
                message = compose(
                    digest,
                    sender=sender,
                    now=ctx.now,
                    reply_to=ctx.policy.notify.reply_to,
                    sent_at=clock() if clock is not None else None,
                )
                try:
                    reply = transport.send(message, address)
                except MailError as exc:
                    if exc.fatal:
                        raise
                    outcome.refused.append((digest, str(exc)))
                    pending.pop(0)
                    continue
                pending.pop(0)
                try:
                    at = clock() if clock is not None else ctx.recorded_at
                    _record(store, ctx, plan, digest, message, reply, transport.description, at)
                except QauditError:
                    outcome.unrecorded = digest  # it went: a rerun may send it again
                    raise
                outcome.sent.append((digest, reply))
    except QauditError as exc:  # the relay failed (MailError), or the store did
        outcome.failure = exc
        outcome.not_sent = pending
    return outcome


def _not_sent_since(store: Store, ctx: Context, plan: Plan, digest: Digest) -> Digest | None:
    """``digest`` less what was sent to its recipient since the plan was made (by a run at
    the same time), read again just before sending; None when nothing is left."""
    from dataclasses import replace

    person = plan.people[digest.recipient.name]
    since = ctx.today - timedelta(days=max(ctx.policy.notify.repeat_days, 1))
    with store.reading() as session:
        found = _history(AlchemyRows(session.connection()), since, staff_id=person.id)
    sent = found.get(person.id, [])
    if not sent:
        return digest
    repeat = ctx.policy.notify.repeat_days

    def left(section: str, items: tuple[NoticeItem, ...]) -> tuple[NoticeItem, ...]:
        return tuple(
            item
            for item in items
            if not already_sent(section, item, sent, today=ctx.today, repeat_days=repeat)
        )

    fresh = replace(
        digest,
        overdue=left("overdue", digest.overdue),
        due=left("due", digest.due),
        escalated=left("escalated", digest.escalated),
        urgent=left("urgent", digest.urgent),
    )
    return None if fresh.empty else fresh


def _record(
    store: Store,
    ctx: Context,
    plan: Plan,
    digest: Digest,
    message: EmailMessage,
    reply: str,
    relay: str,
    sent_at: datetime,
) -> None:
    from qaudit.services.transaction import write_transaction
    from qaudit.store.changelog import record_change
    from qaudit.store.models import Notification, NotificationItem

    person = plan.people[digest.recipient.name]
    sent_on = ctx.now.astimezone(LONDON).date()
    with write_transaction(store, ctx) as session:
        row = Notification(
            message_id=str(message["Message-ID"]),
            staff_id=person.id,
            address=digest.recipient.email or "",
            notice=digest.notice,
            subject=str(message["Subject"]),
            sent_at=sent_at,
            sent_on=sent_on,
            sent_by=ctx.user,
            relay=relay,
            reply=reply[:500],
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        for section, item in digest.items:
            session.add(
                NotificationItem(
                    notification_id=row.id,
                    staff_id=person.id,
                    kind=item.kind,
                    ref=item.key[1],
                    case_ref=item.case_ref or None,
                    section=section,
                    stage=item.stage,
                    due=item.due_day,
                    days_overdue=item.days_overdue,
                    sent_on=sent_on,
                )
            )
        record_change(
            session,
            actor=ctx.user,
            action="notify.send",
            entity="notification",
            entity_ref=row.message_id,
            recorded_at=sent_at,
            as_of=ctx.now,
            detail={
                "to": person.name,
                "address": row.address,
                "notice": digest.notice,
                "items": [
                    [section, item.kind, item.key[1], item.stage] for section, item in digest.items
                ],
                "relay": relay,
                "reply": row.reply,
            },
        )


# -- the relay ------------------------------------------------------------------------------


def relay_settings(policy: NotifyPolicy, *, environ: Mapping[str, str]) -> SmtpSettings:
    """The relay as the policy names it, with its password from ``QAUDIT_SMTP_PASSWORD`` or
    the policy's ``password_file`` (which only its owner may read). Never the password in a
    message."""
    from qaudit.mail.transport import SmtpSettings

    if policy.host is None:
        raise ConfigError(
            "no mail relay is set: give its host (and from) under [notify] in the policy file"
        )
    if policy.sender is None:
        raise ConfigError(
            "no sender address is set: give the address messages come from under [notify] "
            'in the policy file (from = "qa-service@council.example")'
        )
    if (problem := address_problem(policy.sender)) is not None:
        raise ConfigError(f"policy key 'notify.from': '{policy.sender}' {problem}")
    if policy.reply_to is not None and (problem := address_problem(policy.reply_to)) is not None:
        raise ConfigError(f"policy key 'notify.reply_to': '{policy.reply_to}' {problem}")
    password = environ.get(PASSWORD_VARIABLE) or None
    if password is None and policy.password_file is not None:
        password = read_password_file(Path(policy.password_file))
    if policy.username is not None and password is None:
        raise ConfigError(
            f"the relay login '{policy.username}' needs a password: set {PASSWORD_VARIABLE} "
            "or name a file only you can read as password_file under [notify]"
        )
    return SmtpSettings(
        host=policy.host,
        port=policy.port,
        tls=policy.tls,
        sender=policy.sender,
        username=policy.username,
        password=password if policy.username is not None else None,
        timeout=float(policy.timeout_seconds),
        ca_file=policy.ca_file,
    )


def read_password_file(path: Path) -> str:
    """The first line of ``path``, refused when others than its owner may read it (as ssh
    refuses a private key): a password readable by the group is not a secret."""
    try:
        info = path.stat()
    except OSError:
        raise ConfigError(f"{path}: the relay's password file cannot be read") from None
    if stat.S_IMODE(info.st_mode) & 0o077:
        raise ConfigError(
            f"{path}: the relay's password file may be read by others "
            f"(mode {stat.S_IMODE(info.st_mode):04o}): chmod 600 it"
        )
    try:
        text = read_limited(path).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        raise ConfigError(f"{path}: the relay's password file cannot be read") from None
    password = text.splitlines()[0] if text else ""
    if not password:
        raise ConfigError(f"{path}: the relay's password file is empty")
    return password


# -- what was sent, and who cannot be sent anything ----------------------------------------


@dataclass(frozen=True)
class SentMessage:
    sent_at: datetime
    to: str
    address: str
    notice: str
    subject: str
    items: int
    refs: str
    reply: str
    sent_by: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent_at": self.sent_at,
            "to": self.to,
            "address": self.address,
            "notice": self.notice,
            "subject": self.subject,
            "items": self.items,
            "refs": self.refs,
            "reply": self.reply,
            "sent_by": self.sent_by,
        }


def sent_messages(*, store: Store, to: str | None = None) -> list[SentMessage]:
    """Every message sent, newest first; ``to``: one person's."""
    with store.reading() as session:
        rows = AlchemyRows(session.connection())
        params: dict[str, Any] = {}
        where = ""
        if to is not None:
            where = " WHERE lower(s.name) = lower(:to)"
            params["to"] = to
            if not rows.all("SELECT 1 FROM staff s" + where, params):
                raise QauditError(f"no one called '{to}' is on the staff list")
        found = rows.all(
            "SELECT n.id, n.sent_at, s.name, n.address, n.notice, n.subject, n.reply, n.sent_by"
            " FROM notifications n JOIN staff s ON s.id = n.staff_id"
            + where
            + " ORDER BY n.sent_at DESC, n.id DESC",
            params,
        )
        items: dict[int, list[str]] = defaultdict(list)
        for notification_id, kind, ref, case_ref, section in rows.all(
            "SELECT i.notification_id, i.kind, i.ref, i.case_ref, i.section"
            " FROM notification_items i JOIN staff s ON s.id = i.staff_id"
            + where
            + " ORDER BY i.id",
            params,
        ):
            shown = f"{kind} {case_ref or ref}" + (" (escalated)" if section == "escalated" else "")
            items[notification_id].append(shown)
    return [
        SentMessage(
            sent_at=moment(sent_at),
            to=name,
            address=address,
            notice=notice,
            subject=subject_line,
            items=len(items.get(row_id, [])),
            refs="; ".join(items.get(row_id, [])),
            reply=reply,
            sent_by=sent_by,
        )
        for row_id, sent_at, name, address, notice, subject_line, reply, sent_by in found
    ]


@dataclass(frozen=True)
class Gap:
    """Someone reminders cannot reach, or a setting that stops them going."""

    problem: str
    who: str
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"problem": self.problem, "who": self.who, "detail": self.detail}


def notify_gaps(*, store: Store, ctx: Context, environ: Mapping[str, str]) -> list[Gap]:
    """Who would be sent work but has no address, owners not on the staff list, and staff
    who take part in the audit cycle with no address; and the relay's settings."""
    plan = plan_notices(store=store, ctx=ctx)
    gaps = [
        Gap("no email", name, f"{counted(n, 'item')} to send now")
        for name, n in sorted(plan.no_address.items())
    ]
    gaps += [
        Gap(
            "owner not on the staff list",
            name,
            f"{n} item{'s' if n != 1 else ''}: sent to the QA lead",
        )
        for name, n in sorted(plan.unknown_owners.items())
    ]
    waiting = set(plan.no_address)
    roles = ("auditor", "team_manager", "head_of_service", "qa_lead")
    voice = (ctx.policy.notify.voice_team or "").casefold()
    for person in plan.people.values():
        if (
            person.email is None
            and person.name not in waiting
            and (person.role in roles or (person.team or "").casefold() == voice)
        ):
            gaps.append(Gap("no email", person.name, f"{person.role}; nothing to send now"))
    if not _voice_team({p.name.casefold(): p for p in plan.people.values()}, ctx.policy.notify):
        gaps.append(
            Gap(
                "no voice team",
                ctx.policy.notify.voice_team or "(none set)",
                "no one on the staff list is in this team: survey reviews go to the QA lead",
            )
        )
    try:
        relay_settings(ctx.policy.notify, environ=environ)
    except ConfigError as exc:
        gaps.append(Gap("relay", ctx.policy.notify.host or "(none)", str(exc)))
    return gaps
