"""One person's reminder as an email: plain text and HTML saying the same, in one message.

The words are templates/notice.txt.j2 and notice.html.j2 (Jinja2, imported only to compose).
"""

from __future__ import annotations

import email.errors
import textwrap
from dataclasses import dataclass
from datetime import date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from functools import cache
from typing import TYPE_CHECKING

from qaudit.display import one_line
from qaudit.domain.dates import LONDON, uk_day
from qaudit.domain.notify import KIND_LABELS, Digest, NoticeItem, subject
from qaudit.errors import QauditError

if TYPE_CHECKING:
    import jinja2

TEXT_TEMPLATE = "notice.txt.j2"
HTML_TEMPLATE = "notice.html.j2"
TEXT_WIDTH = 78  # RFC 5322's advice for a line a person reads

ESCALATED_HEADING = "Escalated to you (your teams' work overdue past the escalation point)"
URGENT_HEADING = "Urgent: a child's survey flags a concern"


class AddressError(QauditError):
    """An email address qaudit will not write into a message's header."""


@dataclass(frozen=True)
class Row:
    """One item as a message shows it: every field one line of safe text."""

    kind: str  # "Audit", "Complaint response", ...
    ref: str
    case_ref: str  # "" where there is no case
    due: str  # "Fri 4 Dec 2026", "Fri 4 Dec 2026 14:30"
    state: str  # "3 working days overdue", "due today", "due in 2 days"
    detail: str
    owner: str  # whose work it is; "" when no one's (the escalated section shows it)


@dataclass(frozen=True)
class Part:
    """A non-empty section of the message."""

    name: str  # one of domain.notify.SECTIONS
    heading: str
    rows: tuple[Row, ...]
    show_case: bool  # some row has a case ref (survey responses have none)
    show_owner: bool  # the escalated section: a head of service sees whose work it is


def compose(
    digest: Digest,
    *,
    sender: str,
    sender_name: str = "qaudit",
    now: datetime,
    product_line: str | None = None,
    reply_to: str | None = None,
    sent_at: datetime | None = None,
) -> EmailMessage:
    """``digest`` as a multipart/alternative message (text, then HTML) from ``sender`` to its
    recipient, marked as sent by a machine so out-of-office replies are not sent back.

    ``now`` (timezone-aware) dates the message; the states ("due today", "2 working days
    overdue") come from each item's own fields and now's date on the London clock.
    ``product_line`` is one more line for the footer (say, which council's qaudit this is).
    ``reply_to``: where replies go (the QA team's mailbox rather than the sending address).
    ``sent_at``: the Date header, when the message really goes (``now`` by default; ``now``
    may be a moment given with ``--today``).
    Raises AddressError when the recipient has no address, or either address is not one plain
    ASCII address."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("compose needs a timezone-aware now")
    recipient = digest.recipient
    if not recipient.email:
        raise AddressError(f"{one_line(recipient.name)} has no email address")
    to = _address(recipient.name, recipient.email)
    sender_address = _address(sender_name, sender)
    context = _context(digest, now=now, product_line=product_line)

    message = EmailMessage(policy=SMTP)
    message["From"] = sender_address
    message["To"] = to
    message["Subject"] = one_line(subject(digest))
    if reply_to is not None:
        message["Reply-To"] = _address("", reply_to)
    message["Date"] = format_datetime(sent_at if sent_at is not None else now)
    message["Message-ID"] = make_msgid(idstring="qaudit", domain=sender_address.domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no automatic replies
    message["X-Auto-Response-Suppress"] = "All"  # the same, for Exchange
    # Quoted-printable keeps every line 7-bit, whether or not the relay offers 8BITMIME.
    message.set_content(
        _template(TEXT_TEMPLATE).render(**context), charset="utf-8", cte="quoted-printable"
    )
    message.add_alternative(
        _template(HTML_TEMPLATE).render(**context),
        subtype="html",
        charset="utf-8",
        cte="quoted-printable",
    )
    return message


def _address(name: str, address: str) -> Address:
    """A header address from a name (made one line) and an address (refused unless it is one
    plain ASCII ``local@domain``: a newline or a second address must not reach a header)."""
    if not address.isascii() or not address.isprintable():
        raise AddressError(f"not an email address qaudit can send to: {one_line(address)!r}")
    try:
        parsed = Address(display_name=one_line(name), addr_spec=address)
    except (ValueError, IndexError, email.errors.MessageError) as exc:
        raise AddressError(
            f"not an email address qaudit can send to: {one_line(address)!r}"
        ) from exc
    if not parsed.username or not parsed.domain:
        raise AddressError(f"not an email address qaudit can send to: {one_line(address)!r}")
    return parsed


def _context(digest: Digest, *, now: datetime, product_line: str | None) -> dict[str, object]:
    """What both templates show, every string already one line of safe text."""
    local = now.astimezone(LONDON)  # people read the London clock
    today = local.date()
    parts = [
        _part(name, items, digest=digest, today=today)
        for name, items in digest.sections.items()
        if items
    ]
    if digest.notice == "urgent":
        n = len(digest.urgent)
        intro = (
            "A child's survey response flags a concern and has not been reviewed yet."
            if n == 1
            else f"{n} children's survey responses flag a concern and have not been reviewed yet."
        )
    elif parts:
        intro = "This is qaudit's daily reminder of the work that needs you."
    else:
        intro = "Nothing of yours is overdue or due soon."
    return {
        "subject": one_line(subject(digest)),
        "name": one_line(digest.recipient.name),
        "intro": intro,
        "parts": parts,
        "sent": f"Sent by qaudit at {local:%H:%M} on {uk_day(today)}.",
        "everything": "qaudit overdue",
        "product_line": one_line(product_line) if product_line else "",
        "privacy": (
            "This message holds case references and dates only, no child's name and no free "
            "text. To act, look each reference up in qaudit or in the case record system."
        ),
    }


def _part(name: str, items: tuple[NoticeItem, ...], *, digest: Digest, today: date) -> Part:
    if name == "overdue":
        heading = "Overdue"
    elif name == "due":
        heading = f"Due by {uk_day(digest.due_by)}" if digest.due_by else "Due soon"
    elif name == "escalated":
        heading = ESCALATED_HEADING
    else:
        heading = URGENT_HEADING
    rows = tuple(_row(item, today=today) for item in items)
    return Part(
        name=name,
        heading=heading,
        rows=rows,
        show_case=any(row.case_ref for row in rows),
        show_owner=name == "escalated",
    )


def _row(item: NoticeItem, *, today: date) -> Row:
    due = uk_day(item.due_day)
    if isinstance(item.due, datetime):
        due += f" {item.due:%H:%M}"
    return Row(
        kind=KIND_LABELS.get(item.kind, one_line(item.kind)),
        ref=one_line(item.ref),
        case_ref=one_line(item.case_ref),
        due=due,
        state=due_state(item, today=today),
        detail=one_line(item.detail),
        owner=one_line(item.owner) if item.owner else "",
    )


def due_state(item: NoticeItem, *, today: date) -> str:
    """``3 working days overdue``, ``due today``, ``due tomorrow``, ``due in 4 days``: from the
    item's own count of working days overdue, else calendar days to its due day."""
    if item.days_overdue > 0:
        days = "day" if item.days_overdue == 1 else "days"
        return f"{item.days_overdue} working {days} overdue"
    ahead = (item.due_day - today).days
    if ahead == 0:
        return "due today"
    if ahead == 1:
        return "due tomorrow"
    if ahead > 1:
        return f"due in {ahead} days"
    # Due on a day that was not a working day (a weekend, a bank holiday): not yet overdue.
    return "due date passed, not yet a working day overdue"


def _wrapped(text: str, indent: str = "") -> str:
    """A paragraph of the plain-text body in lines of at most 78 characters; a reference is
    never broken at its hyphens."""
    return textwrap.fill(
        text,
        width=TEXT_WIDTH,
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


@cache
def _template(name: str) -> jinja2.Template:
    import jinja2

    html = name.endswith(".html.j2")
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("qaudit.mail", "templates"),
        # Everything from the records is data: escaped in HTML; plain text is not HTML.
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["wrapped"] = _wrapped
    return env.get_template(name)
