"""Actions from audits: what an audit (or its moderation) asks someone to do about the case,
who owns it and by when; the rules for setting one, marking it done and reassigning it.

Pure functions over plain values: the services load the records, call these, and persist what
they return.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from qaudit.domain.dates import parse_file_date
from qaudit.domain.rules import RuleBroken
from qaudit.domain.text import NAME_LIMIT, check_text, matching_name, nearest_names

ACTION_TEXT_LIMIT = 500
"""Characters in an action's text: a sentence or two, not a report."""
ACTION_STATUSES: tuple[str, ...] = ("open", "done")
"""What the store keeps; "overdue" and "done late" are worked out from the dates."""
ActionState = Literal["open", "overdue", "done", "done late"]
ACTION_STATES: tuple[str, ...] = ("open", "overdue", "done", "done late")


@dataclass(frozen=True)
class ActionInput:
    """An action as it is set: its text, the owner's name and the due date."""

    text: str
    owner: str
    due: date


def parse_action(value: str) -> ActionInput:
    """``"TEXT;OWNER;DUE"`` (the due date ISO or DD/MM/YYYY) as an action; a ValueError says
    which part is wrong. The text may not itself contain a semicolon: the last two parts are
    the owner and the date, so ``"a; b;Kiran Evans;2027-01-15"`` keeps "a; b" as the text."""
    parts = value.rsplit(";", 2)
    if len(parts) != 3:
        raise ValueError(
            f"'{value}' is not an action: write what is to be done, the owner and the due "
            "date, separated by semicolons (TEXT;OWNER;YYYY-MM-DD)"
        )
    text, owner, due_text = (part.strip() for part in parts)
    try:
        due = date.fromisoformat(parse_file_date(due_text))
    except ValueError:
        raise ValueError(
            f"the action's due date '{due_text}' is not a date (YYYY-MM-DD or DD/MM/YYYY)"
        ) from None
    return new_action(text, owner, due)


def new_action(text: str, owner: str, due: date) -> ActionInput:
    """An action from its three parts, checked: the text and owner are not blank and can be
    stored. (The due date is checked against the day it is set: ``check_due``.)"""
    text = " ".join(text.split())
    owner = " ".join(owner.split())
    if not text:
        raise ValueError("an action needs its text: what is to be done")
    if not owner:
        raise ValueError(f"the action '{text}' needs an owner (a staff member's name)")
    check_text(text, what="action's text", limit=ACTION_TEXT_LIMIT)
    check_text(owner, what="owner's name", limit=NAME_LIMIT)
    return ActionInput(text=text, owner=owner, due=due)


def check_due(action: ActionInput, set_on: date) -> None:
    """An action is due on or after the day it is set: RuleBroken otherwise."""
    if action.due < set_on:
        raise RuleBroken(
            f"the action '{action.text}' is due on {action.due}, before it is set on {set_on}"
        )


def action_state(status: str, due: date, done_on: date | None, on: date) -> ActionState:
    """Where an action stands on ``on``: done (by its due date), done late, overdue (open
    after its due date) or open."""
    if status == "done" and done_on is not None and done_on <= on:
        return "done" if done_on <= due else "done late"
    return "overdue" if on > due else "open"


@dataclass(frozen=True)
class ActionDone:
    """The change ``mark_done`` makes."""

    status: Literal["done"]
    done_on: date
    done_by: str


def mark_done(
    *, status: str, set_on: date, on: date, today: date, by: str, text: str
) -> ActionDone:
    """Marking an action done on ``on``: not twice, not before it was set, not in the future."""
    if status == "done":
        raise RuleBroken(f"the action '{text}' is already done")
    if on > today:
        raise RuleBroken(f"the date it was done, {on}, is after today ({today})")
    if on < set_on:
        raise RuleBroken(f"the action '{text}' was set on {set_on}: it cannot be done on {on}")
    return ActionDone(status="done", done_on=on, done_by=by)


def check_reassign(*, status: str, owner: str, new_owner: str, text: str) -> None:
    """Reassigning: only an open action, and only to someone else."""
    if status == "done":
        raise RuleBroken(f"the action '{text}' is done: there is nothing to reassign")
    if owner == new_owner:
        raise RuleBroken(f"the action '{text}' is already {owner}'s")


ACTION_STATE_CHOICES: tuple[str, ...] = tuple(state.replace(" ", "-") for state in ACTION_STATES)
"""The states as a command line gives them: open, overdue, done, done-late."""


def state_named(choice: str) -> ActionState:
    """The state a choice names (``done-late`` is "done late"); ValueError for another."""
    for state in ACTION_STATES:
        if choice.strip().casefold() in (state, state.replace(" ", "-")):
            return state  # type: ignore[return-value]
    raise ValueError(f"'{choice}' is not an action's state: {', '.join(ACTION_STATE_CHOICES)}")


def is_done(state: str) -> bool:
    """Whether an action in ``state`` was done (by its due date or late)."""
    return state in ("done", "done late")


def done_of(states: list[str]) -> str | None:
    """``"2 of 3 done"`` for the states of an audit's actions; None when it set none."""
    if not states:
        return None
    return f"{sum(1 for s in states if is_done(s))} of {len(states)} done"


def staff_match(name: str, names: list[str]) -> str | None:
    """The staff member ``name`` means: the name itself, else the one name equal to it in any
    case and spacing; None when there is none (or more than one)."""
    return matching_name(name, names)


def nearest_staff(name: str, names: list[str]) -> str | None:
    """The staff name a mistyped one most likely meant, if any is close."""
    near = nearest_names(name, names)
    return near[0] if near else None


def unknown_owner(name: str, names: list[str]) -> str:
    """Why ``name`` cannot own an action: no such staff member, and the nearest name."""
    near = nearest_staff(name, names)
    hint = f" (did you mean {near}?)" if near else " (see qaudit staff list)"
    return f"no staff member named '{name}' to own the action{hint}"
