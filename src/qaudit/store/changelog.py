"""Appending to the change log, in the transaction of the change it records."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session

from qaudit.store.models import ChangeLog


class RefList:
    """A long list of record refs kept as JSON text: a million refs cost ~12 MB, not ~70 MB
    of Python strings. The change log stores it as the JSON array it already is."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._count = 0

    def extend(self, refs: Sequence[str]) -> None:
        if refs:
            self._parts.append(json.dumps(list(refs), ensure_ascii=False)[1:-1])
            self._count += len(refs)

    def __len__(self) -> int:
        return self._count

    def to_json(self) -> str:
        return "[" + ",".join(self._parts) + "]"

    def to_list(self) -> list[str]:
        refs: list[str] = json.loads(self.to_json())
        return refs


def _dumps(value: Any) -> str:
    """JSON text of a detail dict whose values may include RefLists (spliced in as they are)."""
    if isinstance(value, RefList):
        return value.to_json()
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{_dumps(v)}" for k, v in value.items()) + "}"
    return json.dumps(_jsonable(value), ensure_ascii=False)


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
) -> None:
    """Append one event. ``before``/``after`` hold the changed fields' values."""
    if detail is not None and _holds_reflist(detail):
        _record_raw(
            session,
            actor=actor,
            action=action,
            entity=entity,
            entity_ref=entity_ref,
            recorded_at=recorded_at,
            as_of=as_of,
            before=before,
            after=after,
            detail=detail,
        )
        return
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


def _holds_reflist(value: Any) -> bool:
    if isinstance(value, RefList):
        return True
    return isinstance(value, dict) and any(_holds_reflist(v) for v in value.values())


def _record_raw(session: Session, *, detail: dict[str, Any], **fields: Any) -> None:
    """Insert with ``detail`` as ready-made JSON text, bypassing the JSON type's encoder."""
    from sqlalchemy import JSON, String, bindparam, cast, insert

    table = ChangeLog.__table__  # type: ignore[attr-defined]
    conn = session.connection()
    text = bindparam("detail_text", _dumps(detail), type_=String())
    values: dict[str, Any] = {
        "recorded_at": _utc(fields["recorded_at"]),
        "as_of": _utc(fields["as_of"]),
        "actor": fields["actor"],
        "action": fields["action"],
        "entity": fields["entity"],
        "entity_ref": fields["entity_ref"],
        "before": _jsonable(fields["before"]) if fields["before"] is not None else None,
        "after": _jsonable(fields["after"]) if fields["after"] is not None else None,
        # SQLite keeps JSON as text; PostgreSQL wants the text cast to json.
        "detail": text if conn.dialect.name == "sqlite" else cast(text, JSON),
    }
    conn.execute(insert(table).values(values))
