"""Member scrutiny: the committee's sessions, what members resolved, and what the service did
about it (the quarterly report shows all three)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from qaudit.domain.periods import Period
from qaudit.errors import NotFoundError, RuleError
from qaudit.services.context import Context
from qaudit.services.transaction import write_transaction
from qaudit.store.changelog import record_change
from qaudit.store.engine import Store
from qaudit.store.models import ScrutinyResolution, ScrutinySession

RESOLUTION_STATUSES: tuple[str, ...] = ("open", "done")


@dataclass(frozen=True)
class ResolutionView:
    id: int
    session_id: int
    held_on: date
    committee: str
    text: str
    status: str
    note: str | None  # what the service did about it
    updated_on: date | None

    def as_dict(self, *, with_session: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id}
        if with_session:
            out |= {
                "session_id": self.session_id,
                "held_on": self.held_on,
                "committee": self.committee,
            }
        return out | {
            "text": self.text,
            "status": self.status,
            "note": self.note,
            "updated_on": self.updated_on,
        }


@dataclass(frozen=True)
class SessionView:
    id: int
    held_on: date
    committee: str
    resolutions: tuple[ResolutionView, ...]

    @property
    def open(self) -> int:
        return sum(r.status == "open" for r in self.resolutions)

    @property
    def done(self) -> int:
        return sum(r.status == "done" for r in self.resolutions)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "held_on": self.held_on,
            "committee": self.committee,
            "open": self.open,
            "done": self.done,
            "resolutions": [r.as_dict(with_session=False) for r in self.resolutions],
        }


def _sessions(
    conn: Connection, *, period: Period | None = None, session_id: int | None = None
) -> list[SessionView]:
    sess = ScrutinySession.__table__  # type: ignore[attr-defined]
    res = ScrutinyResolution.__table__  # type: ignore[attr-defined]
    query = (
        select(
            sess.c.id,
            sess.c.held_on,
            sess.c.committee,
            res.c.id,
            res.c.text,
            res.c.status,
            res.c.note,
            res.c.updated_on,
        )
        .outerjoin(res, res.c.session_id == sess.c.id)
        .order_by(sess.c.held_on, sess.c.id, res.c.id)
    )
    if period is not None:
        query = query.where(sess.c.held_on.between(period.start, period.end))
    if session_id is not None:
        query = query.where(sess.c.id == session_id)
    found: dict[int, tuple[date, str, list[ResolutionView]]] = {}
    for sid, held_on, committee, rid, text, status, note, updated_on in conn.execute(query):
        _, _, resolutions = found.setdefault(sid, (held_on, committee, []))
        if rid is not None:
            resolutions.append(
                ResolutionView(rid, sid, held_on, committee, text, status, note, updated_on)
            )
    return [
        SessionView(sid, held_on, committee, tuple(resolutions))
        for sid, (held_on, committee, resolutions) in found.items()
    ]


def add_session(
    *, store: Store, ctx: Context, held_on: date, committee: str, resolutions: Sequence[str]
) -> SessionView:
    """Record a scrutiny session and its resolutions (each open until the service acts on it).
    A session may resolve nothing."""
    name = committee.strip()
    if not name:
        raise RuleError("a scrutiny session needs the committee's name", remedy="committee")
    if held_on > ctx.today:
        raise RuleError(f"the session date {held_on} is after today ({ctx.today})")
    texts = [r.strip() for r in resolutions]
    if any(not t for t in texts):
        raise RuleError("a resolution may not be blank")
    with write_transaction(store, ctx) as session:
        row = ScrutinySession(held_on=held_on, committee=name, recorded_at=ctx.recorded_at)
        session.add(row)
        session.flush()
        assert row.id is not None
        for text in texts:
            session.add(ScrutinyResolution(session_id=row.id, text=text))
        session.flush()
        record_change(
            session,
            actor=ctx.user,
            action="scrutiny.add",
            entity="scrutiny_session",
            entity_ref=str(row.id),
            recorded_at=ctx.recorded_at,
            as_of=ctx.now,
            after={"held_on": held_on, "committee": name, "resolutions": texts},
        )
        return _sessions(session.connection(), session_id=row.id)[0]


def update_resolution(
    *, store: Store, ctx: Context, resolution_id: int, status: str, note: str | None = None
) -> ResolutionView:
    """Record what the service did about a resolution. Marking it done needs a note saying
    what was done; the same status and note again change nothing."""
    if status not in RESOLUTION_STATUSES:
        raise RuleError(
            f"'{status}' is not a resolution status; expected one of "
            f"{', '.join(RESOLUTION_STATUSES)}"
        )
    given = note.strip() if note is not None else None
    if given == "":
        raise RuleError("the note may not be blank")
    with write_transaction(store, ctx) as session:
        row = session.get(ScrutinyResolution, resolution_id)
        if row is None:
            raise NotFoundError(
                f"no scrutiny resolution {resolution_id} (see qaudit scrutiny list)"
            )
        if status == "done" and given is None and row.note is None:
            raise RuleError(
                f"say what was done about resolution {resolution_id}: the quarterly "
                "report shows members what came of their resolutions",
                remedy="note",
            )
        if row.status != status or (given is not None and given != row.note):
            before = {"status": row.status, "note": row.note}
            row.status = status
            if given is not None:
                row.note = given
            row.updated_on = ctx.today
            session.add(row)
            session.flush()
            record_change(
                session,
                actor=ctx.user,
                action="scrutiny.resolution",
                entity="scrutiny_resolution",
                entity_ref=str(resolution_id),
                recorded_at=ctx.recorded_at,
                as_of=ctx.now,
                before=before,
                after={"status": row.status, "note": row.note},
            )
        view = _sessions(session.connection(), session_id=row.session_id)[0]
        return next(r for r in view.resolutions if r.id == resolution_id)


def list_sessions(*, store: Store, period: Period | None = None) -> list[SessionView]:
    """Scrutiny sessions (held in ``period``), oldest first, with their resolutions and what
    was done about them."""
    with store.reading() as session:
        return _sessions(session.connection(), period=period)
