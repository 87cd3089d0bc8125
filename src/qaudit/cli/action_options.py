"""``--action "TEXT;OWNER;DUE"`` on ``grade`` and ``moderate``: the option, reading it, and
what the commands say about the actions set (and, at a re-audit, the first audit's)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from qaudit.cli.params import checked_text
from qaudit.cli.state import say
from qaudit.display import day
from qaudit.errors import RuleError

if TYPE_CHECKING:
    from qaudit.domain.actions import ActionInput
    from qaudit.services.actions import ActionSet, ActionView

ActionOption = Annotated[
    list[str] | None,
    typer.Option(
        "--action",
        callback=checked_text,
        help='An action to set (repeatable): "what is to be done;owner;due date", e.g. '
        '"Update the plan;Kiran Evans;2027-01-15". The owner is a staff member.',
        show_default=False,
    ),
]


def parsed_actions(values: Sequence[str] | None) -> list[ActionInput]:
    """Each ``--action`` read; a bad one is refused (exit 1) saying which part is wrong."""
    from qaudit.domain.actions import parse_action

    actions = []
    for value in values or []:
        try:
            actions.append(parse_action(value))
        except ValueError as exc:
            raise RuleError(f"--action: {exc}") from None
    return actions


def say_actions_set(actions: Sequence[ActionSet]) -> None:
    """``Set 2 actions: 5 (Kiran Evans, due Fri 15 Jan 2027); 6 (...).``"""
    if not actions:
        return
    listed = "; ".join(f"{a.action_id} ({a.owner}, due {day(a.due)})" for a in actions)
    noun = "action" if len(actions) == 1 else "actions"
    say(f"Set {len(actions)} {noun}: {listed}.")


def first_audit_lines(views: Sequence[ActionView]) -> list[str]:
    """The first audit's actions as a re-audit shows them, with whether each was done."""
    from qaudit.domain.actions import done_of

    if not views:
        return []
    lines = [f"Actions from audit {views[0].audit_id}: {done_of([v.state for v in views])}."]
    for v in views:
        done = f" on {day(v.done_on)}" if v.done_on is not None else ""
        lines.append(f"  {v.id}. {v.text} ({v.owner}, due {day(v.due)}): {v.state}{done}")
    return lines
