"""``qaudit db``: verify the store and its change log, back it up, restore a backup."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from qaudit.cli.output import emit_object
from qaudit.cli.state import Format, say, state
from qaudit.errors import QauditError, RuleError

app = typer.Typer(help="The store itself: verify, back up, restore.")


@app.command()
def verify(
    ctx: typer.Context,
    expect: Annotated[
        str | None, typer.Option("--expect", help="The head hash kept from a backup or report.")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
) -> None:
    """Check the store's integrity, walk the change log's hash chain and check that no record
    was added or removed without an event; print the head hash.

    Example: `qaudit db verify --expect 3f5c…`
    """
    from qaudit.services.integrity import verify_store

    result = verify_store(store=state(ctx).store, expect=expect)
    if fmt is Format.json:
        emit_object(
            {
                "ok": result.ok,
                "events": result.events,
                "head": result.head,
                "problems": result.problems,
            }
        )
    if not result.ok:
        raise QauditError("; ".join(result.problems))
    say(f"The store and its change log are sound: {result.events} events; head {result.head}")


@app.command()
def backup(
    ctx: typer.Context,
    path: Annotated[str, typer.Argument(help="Where to write the copy.")],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
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
) -> None:
    """Replace the store with a checked backup; the current store is kept aside, not deleted.
    Takes the store's writer lock: while another command writes, it waits, then refuses.

    Example: `qaudit db restore /backups/qaudit-2026-12-01.db`
    """
    from qaudit.services.integrity import restore_store

    st = state(ctx)
    if not yes:
        if not sys.stdin.isatty():
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
) -> None:
    """Erase a case's personal details (date of birth, worker, the free text of its audits and
    complaints); the log records who, when and why, not what. The figures stay.

    Example: `qaudit db erase C100002 --reason "Subject access request SAR-2026-017"`
    """
    from qaudit.services.integrity import erase_case

    st = state(ctx)
    done = erase_case(store=st.store, ctx=st.context(), case_ref=case, reason=reason)
    say(
        f"Erased the personal details of {done.case_ref} ({done.audits} audits, "
        f"{done.complaints} complaints)."
    )
