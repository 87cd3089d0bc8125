"""``qaudit log``: the change log, newest first."""

from __future__ import annotations

from typing import Annotated

import typer

from qaudit.cli.output import emit_rows
from qaudit.cli.state import Format, state

app = typer.Typer()


@app.command("log")
def log(
    ctx: typer.Context,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=0, help="At most this many; 0: all.")
    ] = 50,
    action: Annotated[
        str | None, typer.Option("--action", help="Only actions starting so (cases.import).")
    ] = None,
    ref: Annotated[str | None, typer.Option("--ref", help="Only events about this record.")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
) -> None:
    """Who changed what and when: every change a command made, newest first.

    Example: `qaudit log --action cases.import --format json`
    """
    from qaudit.services.changes import list_changes

    events = list_changes(store=state(ctx).store, limit=limit or None, action=action, ref=ref)
    if fmt is Format.table:
        rows = (
            {
                "id": e.id,
                "recorded_at": e.recorded_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
                "actor": e.actor,
                "action": e.action,
                "ref": e.entity_ref,
                "summary": e.summary(),
            }
            for e in events
        )
        columns = [
            ("id", "#"),
            ("recorded_at", "When"),
            ("actor", "Who"),
            ("action", "What"),
            ("ref", "Record"),
            ("summary", "Change"),
        ]
        emit_rows(rows, fmt=fmt, columns=columns, title="Change log")
        return
    emit_rows(
        (e.as_dict() for e in events),
        fmt=fmt,
        columns=[
            (k, k)
            for k in (
                "id",
                "recorded_at",
                "as_of",
                "actor",
                "action",
                "entity",
                "entity_ref",
                "before",
                "after",
                "detail",
            )
        ],
    )
