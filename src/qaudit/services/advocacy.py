"""Advocacy at child protection conferences: was the child told, did they ask, was an advocate
provided by the conference; the period's figures, and the requests not met (overdue)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select
from sqlmodel import Session
from sqlmodel import select as orm_select

from qaudit.domain.periods import Period
from qaudit.domain.stats import percent
from qaudit.errors import NotFoundError, RuleError
from qaudit.services.context import Context
from qaudit.services.records import case_with_ref, refuse_future
from qaudit.services.transaction import write_transaction
from qaudit.store.changelog import record_change
from qaudit.store.engine import Store
from qaudit.store.models import Advocacy, Case, Team

STATUSES: tuple[str, ...] = ("not-offered", "not-requested", "provided", "awaiting", "not-met")
# Conferences are booked weeks ahead, not years: a date further off is refused as a typo.
CONFERENCE_HORIZON = timedelta(days=366)


def advocacy_status(
    *, offered: bool, requested: bool, provided_on: date | None, conference_date: date, today: date
) -> str:
    """Where a conference's advocacy stands on ``today``. A request is followed through even
    when the child was not told (they may ask unprompted); the conference day itself still
    counts as in time (a date is met until it ends)."""
    if requested:
        if provided_on is not None:
            return "provided"
        return "awaiting" if conference_date >= today else "not-met"
    return "not-requested" if offered else "not-offered"


def _met(
    requested: bool, provided_on: date | None, conference_date: date, today: date
) -> bool | None:
    """Whether the promise was kept: an advocate by the conference. None when nothing was
    asked, or the conference has not yet passed without one."""
    if not requested:
        return None
    if provided_on is not None:
        return provided_on <= conference_date
    return None if conference_date >= today else False


@dataclass(frozen=True)
class AdvocacyView:
    id: int
    case_ref: str
    team: str | None  # the case's team now
    conference_date: date
    offered: bool
    requested: bool
    provided_on: date | None
    status: str
    met: bool | None  # provided on or before the conference date; None: no request, or not due
    recorded_by: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "case_ref": self.case_ref,
            "team": self.team,
            "conference_date": self.conference_date,
            "offered": self.offered,
            "requested": self.requested,
            "provided_on": self.provided_on,
            "status": self.status,
            "met": self.met,
            "recorded_by": self.recorded_by,
        }


def _query() -> Select[Any]:
    adv = Advocacy.__table__  # type: ignore[attr-defined]
    case = Case.__table__  # type: ignore[attr-defined]
    team = Team.__table__  # type: ignore[attr-defined]
    return (
        select(
            adv.c.id,
            case.c.case_ref,
            team.c.name,
            adv.c.conference_date,
            adv.c.offered,
            adv.c.requested,
            adv.c.provided_on,
            adv.c.recorded_by,
        )
        .join(case, case.c.id == adv.c.case_id)
        .outerjoin(team, team.c.id == case.c.team_id)
        .order_by(adv.c.conference_date, adv.c.id)
    )


def _views(conn: Connection, query: Select[Any], today: date) -> list[AdvocacyView]:
    views = []
    for row_id, ref, team, conference, offered, requested, provided, by in conn.execute(query):
        views.append(
            AdvocacyView(
                id=row_id,
                case_ref=ref,
                team=team,
                conference_date=conference,
                offered=bool(offered),
                requested=bool(requested),
                provided_on=provided,
                status=advocacy_status(
                    offered=bool(offered),
                    requested=bool(requested),
                    provided_on=provided,
                    conference_date=conference,
                    today=today,
                ),
                met=_met(bool(requested), provided, conference, today),
                recorded_by=by,
            )
        )
    return views


def _view(session: Session, advocacy_id: int, today: date) -> AdvocacyView:
    adv = Advocacy.__table__  # type: ignore[attr-defined]
    found = _views(session.connection(), _query().where(adv.c.id == advocacy_id), today)
    assert found, advocacy_id
    return found[0]


def record_conference(
    *,
    store: Store,
    ctx: Context,
    case_ref: str,
    conference_date: date,
    offered: bool,
    requested: bool,
    provided_on: date | None = None,
) -> AdvocacyView:
    """Record a child protection conference's advocacy, before or after it: a request is
    recorded when it is made, with the conference ahead, so that an unmet one shows in
    ``overdue`` in time. An advocate is often provided before the conference, so
    ``provided_on`` may precede it."""
    if conference_date > ctx.today + CONFERENCE_HORIZON:
        raise RuleError(
            f"the conference date {conference_date} is more than a year ahead: is it a typo?"
        )
    if provided_on is not None:
        refuse_future(ctx, provided_on, "provided date")
        if not requested:
            raise RuleError(
                "an advocate is provided only when the child asked for one: record the "
                "request, or leave out the date the advocate was provided",
                remedy="requested",
            )
    with write_transaction(store, ctx) as session:
        case = case_with_ref(session, case_ref)
        # The same conference recorded twice would count twice in the figures.
        same = session.exec(
            orm_select(Advocacy).where(
                Advocacy.case_id == case.id, Advocacy.conference_date == conference_date
            )
        ).first()
        if same is not None:
            raise RuleError(
                f"case {case.case_ref}'s conference on {conference_date} is already recorded "
                f"(advocacy {same.id}; see qaudit advocacy list)"
            )
        row = Advocacy(
            case_id=case.id,  # type: ignore[arg-type]
            conference_date=conference_date,
            offered=offered,
            requested=requested,
            provided_on=provided_on,
            recorded_by=ctx.user,
            recorded_at=ctx.recorded_at,
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        record_change(
            session,
            actor=ctx.user,
            action="advocacy.record",
            entity="advocacy",
            entity_ref=str(row.id),
            recorded_at=ctx.recorded_at,
            as_of=ctx.now,
            after={
                "case_ref": case.case_ref,
                "conference_date": conference_date,
                "offered": offered,
                "requested": requested,
                "provided_on": provided_on,
            },
        )
        return _view(session, row.id, ctx.today)


def provide(*, store: Store, ctx: Context, advocacy_id: int, on: date) -> AdvocacyView:
    """Record the date an advocate was provided for a conference where the child asked."""
    refuse_future(ctx, on, "provided date")
    with write_transaction(store, ctx) as session:
        row = session.get(Advocacy, advocacy_id)
        if row is None:
            raise NotFoundError(f"no advocacy record {advocacy_id} (see qaudit advocacy list)")
        if not row.requested:
            raise RuleError(
                f"advocacy {advocacy_id}: the child did not ask for an advocate for the "
                f"conference on {row.conference_date}; nothing to provide"
            )
        if row.provided_on is not None:
            raise RuleError(
                f"advocacy {advocacy_id}: an advocate was already provided on {row.provided_on}"
            )
        row.provided_on = on
        session.add(row)
        session.flush()
        record_change(
            session,
            actor=ctx.user,
            action="advocacy.provide",
            entity="advocacy",
            entity_ref=str(advocacy_id),
            recorded_at=ctx.recorded_at,
            as_of=ctx.now,
            before={"provided_on": None},
            after={"provided_on": on, "by_conference": on <= row.conference_date},
        )
        return _view(session, advocacy_id, ctx.today)


def list_conferences(
    *, store: Store, ctx: Context, period: Period | None = None
) -> list[AdvocacyView]:
    """Every conference recorded (in ``period``, by conference date), oldest first."""
    adv = Advocacy.__table__  # type: ignore[attr-defined]
    query = _query()
    if period is not None:
        query = query.where(adv.c.conference_date.between(period.start, period.end))
    with store.reading() as session:
        return _views(session.connection(), query, ctx.today)


@dataclass(frozen=True)
class ConferenceRef:
    id: int
    case_ref: str
    conference_date: date
    provided_on: date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "case_ref": self.case_ref,
            "conference_date": self.conference_date,
            "provided_on": self.provided_on,
        }


@dataclass(frozen=True)
class AdvocacyStats:
    """A period's conferences (by conference date). Uptake is the share of children told who
    asked; a request is met when an advocate was provided on or before the conference date."""

    period: str
    start: date
    end: date
    conferences: int
    told: int
    requests: int
    requests_when_told: int
    met: int
    met_late: int
    not_provided: int  # the conference has passed without an advocate
    awaiting: int  # the conference is today: still in time
    ahead: int  # recorded for a date after today: not counted until held
    exceptions: tuple[ConferenceRef, ...]  # the child was not told
    unmet: tuple[ConferenceRef, ...]  # asked, and no advocate by the conference

    @property
    def told_pct(self) -> float | None:
        return percent(self.told, self.conferences)

    @property
    def uptake_pct(self) -> float | None:
        return percent(self.requests_when_told, self.told)

    @property
    def met_pct(self) -> float | None:
        return percent(self.met, self.requests)

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "start": self.start,
            "end": self.end,
            "conferences": self.conferences,
            "told": self.told,
            "told_pct": self.told_pct,
            "requests": self.requests,
            "requests_when_told": self.requests_when_told,
            "uptake_pct": self.uptake_pct,
            "met": self.met,
            "met_pct": self.met_pct,
            "met_late": self.met_late,
            "not_provided": self.not_provided,
            "awaiting": self.awaiting,
            "ahead": self.ahead,
            "exceptions": [e.as_dict() for e in self.exceptions],
            "unmet": [u.as_dict() for u in self.unmet],
        }


def advocacy_stats(*, store: Store, ctx: Context, period: Period) -> AdvocacyStats:
    """The period's figures, and the conferences where the child was not told: of the
    conferences held by today (today's included). One recorded ahead of its date counts once
    it is held (``ahead`` says how many wait), so a report run mid-month counts only what
    has happened."""
    recorded = list_conferences(store=store, ctx=ctx, period=period)
    views = [v for v in recorded if v.conference_date <= ctx.today]
    asked = [v for v in views if v.requested]
    return AdvocacyStats(
        period=period.label,
        start=period.start,
        end=period.end,
        conferences=len(views),
        told=sum(v.offered for v in views),
        requests=len(asked),
        requests_when_told=sum(v.offered for v in asked),
        met=sum(v.met is True for v in asked),
        met_late=sum(v.met is False and v.provided_on is not None for v in asked),
        not_provided=sum(v.status == "not-met" for v in asked),
        awaiting=sum(v.status == "awaiting" for v in asked),
        ahead=len(recorded) - len(views),
        exceptions=tuple(
            ConferenceRef(v.id, v.case_ref, v.conference_date) for v in views if not v.offered
        ),
        unmet=tuple(
            ConferenceRef(v.id, v.case_ref, v.conference_date, v.provided_on)
            for v in asked
            if v.met is False
        ),
    )
