"""Actions from audits: recorded with the audit (or moderation) that sets them.

Written in plain SQL on a ``store.lite.WriteTx``, as ``services.grading`` is, so the same code
records them on SQLite and PostgreSQL; the rules are ``domain.actions``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from qaudit.domain.actions import ActionInput, check_due
from qaudit.errors import NotFoundError, RuleError
from qaudit.services.context import Context
from qaudit.store.lite import Rows, WriteTx


@dataclass(frozen=True)
class ActionSet:
    """An action as recorded: its number, owner and due date (the text stays in the store)."""

    action_id: int
    owner: str
    due: date

    def as_dict(self) -> dict[str, Any]:
        return {"action_id": self.action_id, "owner": self.owner, "due": self.due}


def owner_id(rows: Rows, name: str) -> int:
    """The staff member named ``name``, who will own an action."""
    found = rows.all("SELECT id FROM staff WHERE name = :name", {"name": name})
    if not found:
        raise NotFoundError(
            f"no staff member named '{name}' to own the action (see qaudit staff list)"
        )
    return int(found[0][0])


def check_actions(rows: Rows, actions: Sequence[ActionInput], set_on: date) -> list[int]:
    """Each action's owner id, once every action is checked (owner known, due on or after
    ``set_on``): nothing is written when one is wrong."""
    owners = []
    for action in actions:
        try:
            check_due(action, set_on)
        except ValueError as exc:
            raise RuleError(str(exc)) from None
        owners.append(owner_id(rows, action.owner))
    return owners


def record_actions_in(
    tx: WriteTx,
    ctx: Context,
    *,
    case_id: int,
    audit_id: int,
    set_on: date,
    actions: Sequence[ActionInput],
    moderation_id: int | None = None,
) -> list[ActionSet]:
    """Insert ``actions`` set by the audit ``audit_id`` (or its moderation) on ``set_on``.
    The caller logs the event that covers them (the audit's or the moderation's), with
    ``[a.as_dict() for a in result]`` in its detail: owners and dates, never the text."""
    owners = check_actions(tx, actions, set_on)
    recorded = []
    for action, owner in zip(actions, owners, strict=True):
        action_id = tx.insert(
            "actions",
            {
                "case_id": case_id,
                "audit_id": audit_id,
                "moderation_id": moderation_id,
                "text": action.text,
                "owner_id": owner,
                "due": action.due,
                "status": "open",
                "set_on": set_on,
                "set_by": ctx.user,
                "done_on": None,
                "done_by": None,
                "recorded_at": ctx.recorded_at,
            },
        )
        recorded.append(ActionSet(action_id, action.owner, action.due))
    return recorded
