"""Actions from audits: recorded with the audit (or moderation) that sets them.

Written in plain SQL on a ``store.lite.WriteTx``, as ``services.grading`` is, so the same code
records them on SQLite and PostgreSQL; the rules are ``domain.actions``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from qaudit.domain.actions import (
    ActionInput,
    action_state,
    check_due,
    check_reassign,
    done_of,
    mark_done,
    staff_match,
    unknown_owner,
)
from qaudit.domain.rules import RuleBroken
from qaudit.errors import NotFoundError
from qaudit.services.context import Context
from qaudit.services.rules import refused
from qaudit.store.lite import Event, Rows, WriteTx, day


@dataclass(frozen=True)
class ActionSet:
    """An action as recorded: its number, owner and due date (the text stays in the store)."""

    action_id: int
    owner: str
    due: date

    def as_dict(self) -> dict[str, Any]:
        return {"action_id": self.action_id, "owner": self.owner, "due": self.due}


def staff_names(rows: Rows) -> list[str]:
    """Every staff member's name: who may own an action."""
    return [str(name) for (name,) in rows.all("SELECT name FROM staff ORDER BY name")]


def find_owner(rows: Rows, name: str) -> tuple[int, str]:
    """The staff member ``name`` means (any case), who will own an action: id and name."""
    found = rows.all("SELECT id, name FROM staff WHERE name = :name", {"name": name})
    if not found:
        names = staff_names(rows)
        matched = staff_match(name, names)
        if matched is None:
            raise NotFoundError(unknown_owner(name, names))
        found = rows.all("SELECT id, name FROM staff WHERE name = :name", {"name": matched})
    return int(found[0][0]), str(found[0][1])


def check_actions(
    rows: Rows, actions: Sequence[ActionInput], set_on: date
) -> list[tuple[int, str]]:
    """Each action's owner (id and name), once every action is checked (owner known, due on or
    after ``set_on``): nothing is written when one is wrong."""
    owners = []
    for action in actions:
        try:
            check_due(action, set_on)
        except RuleBroken as exc:
            raise refused(exc) from None
        owners.append(find_owner(rows, action.owner))
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
    for action, (owner, owner_name) in zip(actions, owners, strict=True):
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
        recorded.append(ActionSet(action_id, owner_name, action.due))
    return recorded


# -- the actions list, done and reassign ----------------------------------------------------


@dataclass(frozen=True)
class ActionView:
    """An action as listed: where it stands on the day asked about."""

    id: int
    case_ref: str
    team: str | None
    text: str
    owner: str
    due: date
    state: str  # domain.actions.ACTION_STATES
    done_on: date | None
    audit_id: int
    moderation_id: int | None
    set_on: date
    set_by: str

    @property
    def source(self) -> str:
        """What set it: ``audit 12``, or ``moderation of audit 12``."""
        prefix = "moderation of " if self.moderation_id is not None else ""
        return f"{prefix}audit {self.audit_id}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "case_ref": self.case_ref,
            "team": self.team,
            "text": self.text,
            "owner": self.owner,
            "due": self.due,
            "state": self.state,
            "done_on": self.done_on,
            "set_by": self.source,
            "audit_id": self.audit_id,
            "set_on": self.set_on,
        }


_VIEW_SQL = (
    "SELECT a.id, c.case_ref, t.name, a.text, o.name, a.due, a.status, a.done_on, a.audit_id,"
    " a.moderation_id, a.set_on, a.set_by FROM actions a JOIN cases c ON c.id = a.case_id"
    " LEFT JOIN teams t ON t.id = c.team_id JOIN staff o ON o.id = a.owner_id"
)


def _views(rows: Rows, where: list[str], params: dict[str, Any], on: date) -> list[ActionView]:
    sql = _VIEW_SQL + (" WHERE " + " AND ".join(where) if where else "")
    found = rows.all(sql + " ORDER BY a.due, a.id", params)
    views = []
    for (id_, ref, team, text, owner, due, status, done_on, audit_id, mod_id, set_on,
         set_by) in found:  # fmt: skip
        due, done_on = day(due), day(done_on)
        views.append(
            ActionView(
                id=int(id_),
                case_ref=ref,
                team=team,
                text=text,
                owner=owner,
                due=due,
                state=action_state(status, due, done_on, on),
                done_on=done_on,
                audit_id=int(audit_id),
                moderation_id=mod_id,
                set_on=day(set_on),
                set_by=set_by,
            )
        )
    return views


def list_actions(
    rows: Rows,
    ctx: Context,
    *,
    owner: str | None = None,
    team: str | None = None,
    case_ref: str | None = None,
    state: str | None = None,
) -> list[ActionView]:
    """Actions set by audits and moderations, earliest due first, where each stands today;
    only the owner's, the case team's, the case's or those in ``state`` when asked."""
    where: list[str] = []
    params: dict[str, Any] = {}
    if owner is not None:
        names = staff_names(rows)
        matched = staff_match(owner, names)
        if matched is None:
            raise NotFoundError(unknown_owner(owner, names).replace(" to own the action", ""))
        where.append("o.name = :owner")
        params["owner"] = matched
    if team is not None:
        where.append("t.name = :team")
        params["team"] = team
    if case_ref is not None:
        where.append("c.case_ref = :case")
        params["case"] = case_ref
    views = _views(rows, where, params, ctx.today)
    return [v for v in views if state is None or v.state == state]


def actions_of_audit(rows: Rows, audit_id: int, on: date) -> list[ActionView]:
    """The actions an audit (and its moderation) set, where each stood on ``on``."""
    return _views(rows, ["a.audit_id = :audit"], {"audit": audit_id}, on)


def reaudit_actions(rows: Rows, on: date) -> dict[int, str | None]:
    """For each first audit with a re-audit, ``"2 of 3 done"``: its actions done by the
    re-audit once that is done, else by ``on``. Audits that set none are left out."""
    found = rows.all(
        "SELECT a.audit_id, a.status, a.due, a.done_on, s.audit_date FROM actions a"
        " JOIN reaudits r ON r.audit_id = a.audit_id LEFT JOIN audits s ON s.id = r.done_audit_id"
    )
    states: dict[int, list[str]] = {}
    for audit_id, status, due, done_on, reaudited in found:
        when = day(reaudited) or on
        states.setdefault(int(audit_id), []).append(
            action_state(status, day(due), day(done_on), when)
        )
    return {audit_id: done_of(found_states) for audit_id, found_states in states.items()}


def _action(rows: Rows, action_id: int, on: date) -> tuple[ActionView, str]:
    """The action ``action_id`` and its stored status."""
    found = _views(rows, ["a.id = :id"], {"id": action_id}, on)
    if not found:
        raise NotFoundError(f"no action {action_id} (see qaudit actions list)")
    status = rows.all("SELECT status FROM actions WHERE id = :id", {"id": action_id})[0][0]
    return found[0], str(status)


def _detail(view: ActionView) -> dict[str, Any]:
    # Which action, whose and when: never its text (free text about a child's case).
    return {"case_ref": view.case_ref, "audit_id": view.audit_id, "due": view.due}


def mark_action_done(tx: WriteTx, ctx: Context, *, action_id: int, on: date) -> ActionView:
    """Mark an action done on ``on`` (not twice, not before it was set, not in the future).
    One change-log event."""
    view, status = _action(tx, action_id, ctx.today)
    try:
        done = mark_done(
            status=status, set_on=view.set_on, on=on, today=ctx.today, by=ctx.user,
            text=view.text,
        )  # fmt: skip
    except RuleBroken as exc:
        raise refused(exc, prefix=f"action {action_id}: ") from None
    tx.update("actions", action_id, {"status": done.status, "done_on": done.done_on,
                                     "done_by": done.done_by})  # fmt: skip
    after = _action(tx, action_id, ctx.today)[0]
    tx.log(
        Event(
            actor=ctx.user,
            action="action.done",
            entity="action",
            entity_ref=str(action_id),
            recorded_at=ctx.recorded_at,
            as_of=ctx.now,
            before={"status": status},
            after={"status": done.status, "done_on": done.done_on, "state": after.state},
            detail={**_detail(view), "owner": view.owner},
        )
    )
    return after


def reassign_action(
    tx: WriteTx, ctx: Context, *, action_id: int, to: str, reason: str | None = None
) -> tuple[ActionView, str]:
    """Give an open action to another staff member; the log keeps the old and new owner (and
    the reason given). The action as it is now, and its owner before."""
    view, status = _action(tx, action_id, ctx.today)
    new_id, new_name = find_owner(tx, to)
    try:
        check_reassign(status=status, owner=view.owner, new_owner=new_name, text=view.text)
    except RuleBroken as exc:
        raise refused(exc, prefix=f"action {action_id}: ") from None
    tx.update("actions", action_id, {"owner_id": new_id})
    tx.log(
        Event(
            actor=ctx.user,
            action="action.reassign",
            entity="action",
            entity_ref=str(action_id),
            recorded_at=ctx.recorded_at,
            as_of=ctx.now,
            before={"owner": view.owner},
            after={"owner": new_name},
            detail={**_detail(view), **({"reason": reason} if reason else {})},
        )
    )
    return _action(tx, action_id, ctx.today)[0], view.owner
