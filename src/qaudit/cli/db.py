"""``qaudit db``: verify the store and its change log, back it up, restore a backup."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated

import typer

from qaudit.cli.output import emit_object
from qaudit.cli.params import QuietOption
from qaudit.cli.state import Format, say, state, warn
from qaudit.display import counted
from qaudit.errors import QauditError, RuleError

app = typer.Typer(help="The store itself: verify, back up, restore.")


def at_terminal() -> bool:
    """Whether a person is there to answer a confirmation (standard input is a terminal)."""
    return sys.stdin.isatty()


def _hash_shape(value: str | None) -> str | None:
    """A kept head hash is 64 hexadecimal digits (SHA-256), as reports and backups print it."""
    if value is None:
        return None
    digest = value.strip().lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise typer.BadParameter(
            f"{value!r} is not a change-log hash: 64 hexadecimal digits, as a report or "
            "backup gives its head"
        )
    return digest


@app.command()
def verify(
    ctx: typer.Context,
    expect: Annotated[
        str | None,
        typer.Option(
            "--expect",
            help="A head hash kept from a backup or report: it must still be in the log.",
            callback=_hash_shape,
        ),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
) -> None:
    """Check the store's integrity, walk the change log's hash chain and check that no record
    was added or removed without an event; print the head hash. With --expect, the hash kept
    from a report or backup must be one of the log's events (later writes follow it); say which.

    Example: `qaudit db verify --expect 3f5c…`
    """
    from qaudit.services.integrity import verify_store

    result = verify_store(store=state(ctx).store, expect=expect)
    kept = result.kept
    if fmt is Format.json:
        emit_object(
            {
                "ok": result.ok,
                "events": result.events,
                "head": result.head,
                "problems": result.problems,
                "expect": (
                    None
                    if expect is None
                    else {
                        "hash": expect,
                        "event": kept.id if kept else None,
                        "action": kept.action if kept else None,
                        "recorded_at": _when(kept.recorded_at) if kept else None,
                        "events_since": kept.events_since if kept else None,
                    }
                ),
            }
        )
    if not result.ok:
        raise QauditError("; ".join(result.problems))
    say(f"The store and its change log are sound: {result.events} events; head {result.head}")
    if kept is not None:
        say(
            f"The hash kept is event {kept.id} ({kept.action}, {_when(kept.recorded_at)}); "
            f"{counted(kept.events_since, 'event')} since."
        )


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@app.command()
def backup(
    ctx: typer.Context,
    path: Annotated[str, typer.Argument(help="Where to write the copy.")],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    quiet: QuietOption = False,
) -> None:
    """A consistent copy of the store, taken while others write, checked, created 0600.
    The copy is written beside PATH under a temporary name and renamed only once checked.

    Example: `qaudit db backup /backups/qaudit-2026-12-01.db`
    """
    from qaudit.services.integrity import backup_store

    checked = backup_store(store=state(ctx).store, target=path, force=force)
    say(f"Backed up to {path} ({checked.events} events; head {checked.head})")


@app.command()
def restore(
    ctx: typer.Context,
    path: Annotated[str, typer.Argument(help="The backup to restore.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    quiet: QuietOption = False,
) -> None:
    """Replace the store with a checked backup; the current store is kept aside, not deleted.
    Takes the store's writer lock: while another command writes, it waits, then refuses.

    Example: `qaudit db restore /backups/qaudit-2026-12-01.db`
    """
    from qaudit.services.integrity import restore_store

    st = state(ctx)
    if not yes:
        if not at_terminal():
            raise RuleError("restoring replaces the store: give --yes (no terminal to ask at)")
        if not typer.confirm(f"Replace {st.store.describe()} with {path}?", err=True):
            raise typer.Exit(1)
    done = restore_store(store=st.store, backup=path, ctx=st.context())
    say(
        f"Restored {path} ({done.checked.events} events; head {done.checked.head}); the "
        f"previous store is kept as {done.kept_aside}"
    )


@app.command()
def erase(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="The case ref.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (the log records it).")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    quiet: QuietOption = False,
) -> None:
    """Erase a case's personal details: date of birth, worker, and the free text of its
    audits, moderations, complaints and complaint stages; the log records who, when and why,
    not what. The figures stay. Later case imports keep it erased until `qaudit db unerase`.

    Asks for confirmation at a terminal; elsewhere (a script, cron) it needs --yes.

    Example: `qaudit db erase C100002 --reason "Subject access request SAR-2026-017" --yes`
    """
    from qaudit.services.erasure import erase_case

    st = state(ctx)
    if not yes:
        if not at_terminal():
            raise RuleError("erasing cannot be undone: give --yes (no terminal to ask at)")
        if not typer.confirm(
            f"Erase the personal details of {case} in {st.store.describe()}? This cannot be undone",
            err=True,
        ):
            raise typer.Exit(1)
    with _reason_option():
        done = erase_case(store=st.store, ctx=st.context(), case_ref=case, reason=reason)
    say(
        f"Erased the personal details of {done.case_ref} ({_count(done.audits, 'audit')}, "
        f"{_count(done.moderations, 'moderation')}, "
        f"{_count(done.complaints, 'complaint')}, "
        f"{_count(done.complaint_stages, 'complaint stage')}); later case "
        "imports keep it erased."
    )
    from qaudit.drafts import remove_drafts_of

    drafts = remove_drafts_of(
        done.case_ref, store_path=st.store_path(), database_url=st.database_url
    )
    if drafts:
        say(f"Removed {_count(drafts, 'unsaved draft')} of an audit of {done.case_ref}.")
    if done.cleaned:
        say(f"From the files: {done.cleaned}.")
    if done.incomplete:
        warn(f"{done.incomplete}. Run this erase again then to remove them from the files.")
    if done.sealed_events:
        one = done.sealed_events == 1
        warn(
            f"{_count(done.sealed_events, 'older change-log event')} still "
            f"{'holds' if one else 'hold'} text about this case: the hash chain seals "
            f"{'it' if one else 'them'}, so {'it stays' if one else 'they stay'} (events "
            "written now keep no such text)."
        )


@app.command()
def unerase(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="The case ref.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (the log records it).")],
    quiet: QuietOption = False,
) -> None:
    """Lift a case's erasure, deliberately: the next case import may store its date of birth
    and worker again. Nothing erased comes back; the log records who, when and why.

    Example: `qaudit db unerase C100002 --reason "Erased in error, ticket QA-118"`
    """
    from qaudit.services.erasure import unerase_case

    st = state(ctx)
    with _reason_option():
        done = unerase_case(store=st.store, ctx=st.context(), case_ref=case, reason=reason)
    say(
        f"Lifted the erasure of {done.case_ref}: the next case import may store its date of "
        "birth and worker again."
    )


@contextmanager
def _reason_option() -> Iterator[None]:
    """A missing reason, refused by the service, named as the option that gives it."""
    try:
        yield
    except RuleError as exc:
        if "needs a reason" in exc.message:
            raise RuleError(f"{exc.message} (--reason)") from None
        raise


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}{'' if number == 1 else 's'}"
