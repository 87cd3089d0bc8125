"""Appending to the change log, in the transaction of the change it records."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session

from qaudit.store.models import ChangeLog


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("change log times must be timezone-aware")
    return moment.astimezone(UTC)


def record_change(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_ref: str | None,
    recorded_at: datetime,
    as_of: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    detail: dict[str, Any] | None = None,
) -> ChangeLog:
    """Append one event. ``before``/``after`` hold the changed fields' values."""
    event = ChangeLog(
        recorded_at=_utc(recorded_at),
        as_of=_utc(as_of),
        actor=actor,
        action=action,
        entity=entity,
        entity_ref=entity_ref,
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        detail=_jsonable(detail) if detail is not None else None,
    )
    session.add(event)
    session.flush()
    return event
