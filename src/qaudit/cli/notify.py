"""``qaudit notify``: reminder emails through the council's mail relay, what was sent, and who
reminders cannot reach."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from qaudit.cli.output import emit_rows
from qaudit.cli.params import QuietOption
from qaudit.cli.state import Format, State, quiet, say, state, warn
from qaudit.display import counted
from qaudit.domain.overdue import OVERDUE_KINDS
from qaudit.errors import QauditError

if TYPE_CHECKING:
    from qaudit.domain.policy import NotifyPolicy
    from qaudit.services.notify import Outcome, Plan

app = typer.Typer()

NoticeKind = StrEnum("NoticeKind", [(kind, kind) for kind in OVERDUE_KINDS])  # type: ignore[misc]

PLAN_COLUMNS = [
    ("to", "To"),
    ("address", "Address"),
    ("overdue", "Overdue"),
    ("due", "Due"),
    ("escalated", "Escalated"),
    ("urgent", "Urgent"),
    ("subject", "Subject"),
]
# At a terminal, one column says what each message holds (its subject's counts).
PLAN_TABLE = [("to", "To"), ("address", "Address"), ("what", "What")]
HISTORY_COLUMNS = [
    ("sent_at", "Sent"),
    ("to", "To"),
    ("notice", "Notice"),
    ("items", "Items"),
    ("refs", "What"),
    ("subject", "Subject"),
    ("reply", "Relay's reply"),
    ("sent_by", "Sent by"),
]
PLAN_KEEP = ("to", "what")


def plan_columns(fmt: Format) -> list[tuple[str, str]]:
    return PLAN_TABLE if fmt is Format.table else PLAN_COLUMNS


HISTORY_KEEP = ("sent_at", "to", "items")
# At a terminal: when, to whom, how many items, the subject (--format csv/json: every item).
HISTORY_TABLE = [("sent_at", "Sent"), ("to", "To"), ("items", "Items"), ("subject", "Subject")]
GAP_COLUMNS = [("problem", "Problem"), ("who", "Who"), ("detail", "Detail")]


@app.command()
def notify(
    ctx: typer.Context,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Show who would be sent what, and send nothing (no relay needed). With --to, "
            "the message itself.",
        ),
    ] = False,
    only: Annotated[
        list[NoticeKind] | None,
        typer.Option("--only", help="Only these kinds of work (repeatable)."),
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="Only this person (a staff name).")] = None,
    urgent: Annotated[
        bool,
        typer.Option(
            "--urgent",
            help="Only children's flagged survey concerns not yet reviewed, to the voice team, "
            "each once (for a cron line every 15 minutes).",
        ),
    ] = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="List who reminders cannot reach (no email, owners not on the staff list) "
            "and what the relay's settings lack, and try the relay (connect, TLS, login); "
            "send nothing.",
        ),
    ] = False,
    history: Annotated[
        bool, typer.Option("--history", help="List the messages sent (with --to: to one person).")
    ] = False,
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
    quiet: QuietOption = False,
) -> None:
    """Email each person what they own that is overdue or falls due within 3 working days
    (policy [notify]), one message each; heads of service also get their teams' work overdue
    past the escalation point, once per item and stage. Each item goes to a person once a day
    at most, so a rerun (after a failure, say) sends only what was not sent. Messages hold
    case references and dates, never a child's name or free text.

    The relay is the policy's [notify] host, port, from and tls (STARTTLS by default); its
    password only from QAUDIT_SMTP_PASSWORD or a password_file only its owner can read.
    Exit 0 when every message went; 1 when the relay failed or refused someone (what was sent
    stays recorded and is not sent again).

    Example: `qaudit notify --dry-run`
    """
    st = state(ctx)
    if sum((check, history, dry_run)) > 1:
        raise typer.BadParameter("give one of --check, --history and --dry-run, not several")
    if history:
        _history(st, to, fmt)
        return
    run = st.context()
    if check:
        from qaudit.services.notify import notify_gaps

        gaps = [g.as_dict() for g in notify_gaps(store=st.store, ctx=run, environ=_environ())]
        if not any(g["problem"] == "relay" for g in gaps):
            gaps += _try_relay(run.policy.notify)
        emit_rows(gaps, fmt=fmt, columns=GAP_COLUMNS, title="Notify check")
        if fmt is Format.table:
            say(
                "Everyone with work to be sent has an address, and the relay is set."
                if not gaps
                else f"{counted(len(gaps), 'problem')} to put right."
            )
        return
    from qaudit.services.notify import plan_notices

    settings = None
    if not dry_run:
        from qaudit.services.notify import relay_settings

        settings = relay_settings(run.policy.notify, environ=_environ())
        # A run that sends records what it sent: a store at an older schema is brought up to
        # date first (with its backup), as any command that writes does.
        from qaudit.services.changes import upgrade_store

        upgrade_store(store=st.store, ctx=run)
    kinds = [k.value for k in only] if only else list(OVERDUE_KINDS)
    plan = plan_notices(store=st.store, ctx=run, kinds=kinds, to=to, urgent=urgent)
    _warn_no_address(plan.no_address)
    if plan.closed:
        from qaudit.display import day

        say(
            f"{day(run.today)} is not a working day: no reminders today (the next working "
            "day's run sends them; --urgent still sends a child's flagged concern)."
        )
        if fmt is not Format.table:
            emit_rows([], fmt=fmt, columns=PLAN_COLUMNS)
        return
    if dry_run:
        _show_plan(plan, fmt, body=to is not None, sender=run.policy.notify.sender)
        return
    if not plan.digests:
        if fmt is Format.json:
            emit_rows([], fmt=fmt, columns=PLAN_COLUMNS)
        say("Nothing to send" + (f" ({plan.held} sent already)." if plan.held else "."))
        return
    from qaudit.mail.transport import SmtpTransport
    from qaudit.services.notify import send_notices

    assert settings is not None
    outcome = send_notices(
        store=st.store,
        ctx=run,
        plan=plan,
        transport=SmtpTransport(settings),
        sender=settings.sender,
        clock=lambda: datetime.now(UTC),
    )
    _report(outcome, plan, fmt)


def _environ() -> dict[str, str]:
    """The process's environment, where the relay's password may be (services read none)."""
    import os

    return dict(os.environ)


def _warn_no_address(people: dict[str, int]) -> None:
    """Who has work to be sent but no address: each by name when few, else one line."""
    if len(people) <= 3:
        for name, n in sorted(people.items()):
            warn(f"{name} has {counted(n, 'item')} to be sent but no email address (staff import)")
        return
    first = ", ".join(f"{name} ({n})" for name, n in sorted(people.items())[:3])
    warn(
        f"{len(people)} people have items to be sent but no email address: {first} and "
        f"{len(people) - 3} more; qaudit notify --check lists them"
    )


def _try_relay(policy: NotifyPolicy) -> list[dict[str, str]]:
    """Connect to the relay as a run would (TLS, login) and leave without sending."""
    from qaudit.mail.transport import MailError, SmtpTransport
    from qaudit.services.notify import relay_settings

    settings = relay_settings(policy, environ=_environ())
    try:
        with SmtpTransport(settings):
            pass
    except MailError as exc:
        return [{"problem": "relay", "who": f"{settings.host}:{settings.port}", "detail": str(exc)}]
    return []


def plan_rows(plan: Plan) -> list[dict[str, object]]:
    from qaudit.domain.notify import subject, summary

    return [
        {
            "what": summary(d),
            "to": d.recipient.name,
            "address": d.recipient.email,
            "overdue": len(d.overdue),
            "due": len(d.due),
            "escalated": len(d.escalated),
            "urgent": len(d.urgent),
            "subject": subject(d),
        }
        for d in plan.digests
    ]


def _show_plan(plan: Plan, fmt: Format, *, body: bool, sender: str | None) -> None:
    if body and fmt is Format.table:
        from qaudit.mail.compose import compose

        for digest in plan.digests:
            message = compose(digest, sender=sender or "qaudit@localhost", now=plan.as_of)
            text = message.get_body(preferencelist=("plain",))
            typer.echo(f"To: {message['To']}\nSubject: {message['Subject']}\n")
            typer.echo(text.get_content() if text is not None else "")
    else:
        emit_rows(
            plan_rows(plan),
            fmt=fmt,
            columns=plan_columns(fmt),
            title="Would send (dry run)",
            keep=PLAN_KEEP,
        )
    if fmt is Format.table:
        held = f"; {counted(plan.held, 'item')} sent already" if plan.held else ""
        say(
            f"Dry run: {counted(len(plan.digests), 'message')} would be sent{held}; "
            "nothing sent, nothing recorded."
        )


def _report(outcome: Outcome, plan: Plan, fmt: Format) -> None:
    sent = [d for d, _ in outcome.sent]
    if fmt is not Format.table or not quiet():  # -q from cron: a table is for people
        emit_rows(
            [row for row in plan_rows(plan) if row["to"] in {d.recipient.name for d in sent}],
            fmt=fmt,
            columns=plan_columns(fmt),
            title="Sent",
            keep=PLAN_KEEP,
        )
    total = len(plan.digests)
    if outcome.complete:
        say(f"Sent {counted(len(sent), 'message')} through {outcome.relay}.")
        return
    missed = [f"{d.recipient.name} ({why})" for d, why in outcome.refused]
    missed += [d.recipient.name for d in outcome.not_sent]
    failure = f"{outcome.failure}; " if outcome.failure is not None else ""
    gone = [d.recipient.name for d in sent]
    if outcome.unrecorded is not None:
        gone.append(outcome.unrecorded.recipient.name)
    if gone:
        went = f"sent {len(gone)} of {total} messages ({', '.join(gone)})"
        after = "What was sent is recorded: a rerun sends only the rest."
    else:
        went = f"nothing was sent ({total} message{'s' if total != 1 else ''})"
        after = "Nothing is recorded as sent: a rerun sends them all."
    if outcome.unrecorded is not None:
        after += (
            f" The message to {outcome.unrecorded.recipient.name} went but could not be "
            "recorded: it may be sent again."
        )
    if getattr(outcome.failure, "kind", None) == "timeout" and outcome.not_sent:
        # The relay may have taken the message it never answered for.
        after += (
            f" The relay did not answer for the message to {outcome.not_sent[0].recipient.name}: "
            "it may have gone, and may go again."
        )
    raise QauditError(f"{failure}{went}; not sent: {', '.join(missed) or 'none'}. {after}")


def _history(st: State, to: str | None, fmt: Format) -> None:
    from qaudit.services.notify import sent_messages

    messages = sent_messages(store=st.store, to=to)
    emit_rows(
        (m.as_dict() for m in messages),
        fmt=fmt,
        columns=HISTORY_TABLE if fmt is Format.table else HISTORY_COLUMNS,
        title="Messages sent",
        keep=HISTORY_KEEP,
    )
    if fmt is Format.table:
        say(f"{counted(len(messages), 'message')} sent." if messages else "Nothing sent yet.")
