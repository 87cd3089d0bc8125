"""``qaudit log``: the change log, newest first."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from qaudit.cli.limits import MAX_ROWS, AllOption, WideOption
from qaudit.cli.output import emit_rows
from qaudit.cli.state import Format, say, state
from qaudit.display import counted

app = typer.Typer()


@app.command("log")
def log(
    ctx: typer.Context,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            "-n",
            min=0,
            max=MAX_ROWS,
            help="At most this many (default 50); 0: all.",
            show_default=False,
        ),
    ] = None,
    action: Annotated[
        str | None, typer.Option("--action", help="Only actions starting so (cases.import).")
    ] = None,
    ref: Annotated[str | None, typer.Option("--ref", help="Only events about this record.")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
    every: AllOption = False,
    wide: WideOption = False,
) -> None:
    """Who changed what and when: every change a command made, newest first.

    The newest 50 unless --limit N or --all. Times in tables are the clock in England; JSON and
    CSV give UTC.

    Example: `qaudit log --action cases.import --format json`
    """
    from qaudit.services.changes import count_changes, list_changes

    if every and limit is not None:
        raise typer.BadParameter("give --limit N or --all, not both", param_hint="'--all'")
    most = None if every or limit == 0 else (limit or 50)
    store = state(ctx).store
    events = list_changes(store=store, limit=most, action=action, ref=ref)
    if fmt is Format.table:
        rows = (
            {
                "id": e.id,
                "recorded_at": e.recorded_at,  # shown in Europe/London time
                "actor": e.actor,
                "action": e.action,
                "ref": e.entity_ref,
                "summary": summary(e.action, e.before, e.after, e.detail),
            }
            for e in events
        )
        columns = [
            ("id", "#"),
            ("recorded_at", "When (UK)"),
            ("actor", "Who"),
            ("action", "What"),
            ("ref", "Record"),
            ("summary", "Change"),
        ]
        shown = emit_rows(
            rows,
            fmt=fmt,
            columns=columns,
            title="Change log",
            keep=("id", "recorded_at", "action", "ref", "summary"),
        )
    else:
        shown = emit_rows(
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
    if most is not None and shown == most:
        earlier = count_changes(store=store, action=action, ref=ref) - shown
        if earlier > 0:
            say(f"… {counted(earlier, 'earlier event')}: give --limit N or --all.")


def summary(
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    detail: dict[str, Any] | None,
) -> str:
    """One line for people: counts rather than the lists of refs behind them, and what
    changed as ``field old → new``, never Python's own notation for the values."""
    detail = detail or {}
    if "counts" in detail:
        return ", ".join(f"{v:,} {k}" for k, v in detail["counts"].items())
    if action == "staff.import":
        return f"{len(detail.get('added', []))} added, {len(detail.get('updated', []))} updated"
    if before is None and after is None:
        return ""
    old, new = before or {}, after or {}
    parts = []
    for key in dict.fromkeys([*old, *new]):
        name = key.replace("_", " ")
        if before is None:
            parts.append(f"{name} {_value(new.get(key))}")
        elif after is None:
            parts.append(f"{name} {_value(old.get(key))} → (removed)")
        elif old.get(key) != new.get(key):
            parts.append(f"{name} {_value(old.get(key))} → {_value(new.get(key))}")
    return "; ".join(parts)


def _value(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | tuple):
        return ", ".join(_value(item) for item in value) or "(none)"
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')} {_value(v)}" for k, v in value.items())
    return str(value)
