"""Bright Spots surveys: importing responses, cohorts invited, reviews within 24 hours,
response rates, and what is overdue for review."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col
from sqlmodel import select as orm_select

from qaudit.domain.dates import LONDON
from qaudit.domain.periods import Period
from qaudit.domain.stats import percent, round_half_up
from qaudit.errors import InputError, NotFoundError, RuleError
from qaudit.importers.files import detect_kind, open_check, sha256_of
from qaudit.importers.survey_csv import (
    AGE_BANDS,
    SURVEYS,
    check_band,
    first_difference,
    read_survey_csv,
)
from qaudit.services.context import Context
from qaudit.services.records import staff_named
from qaudit.services.transaction import write_transaction
from qaudit.store.changelog import record_change
from qaudit.store.digests import newest_id, note_inserted_above
from qaudit.store.engine import Store
from qaudit.store.models import SurveyCohort, SurveyResponse

_CHUNK = 500  # ids per IN (...) look-up: well inside every database's parameter limit


def _london(moment: datetime) -> datetime:
    return moment.astimezone(LONDON)


def _when(moment: datetime) -> str:
    """A moment for a message, on the London clock."""
    return f"{_london(moment):%Y-%m-%d %H:%M}"


# -- import -------------------------------------------------------------------------------


@dataclass
class SurveyImportSummary:
    file: str
    sha256: str
    rows: int  # distinct responses in the file (a row repeated exactly counts once)
    added: int
    unchanged: int
    dry_run: bool
    added_ids: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "sha256": self.sha256,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "added": self.added,
            "unchanged": self.unchanged,
            "added_ids": list(self.added_ids),
        }


def import_survey(
    *, store: Store, path: Path, ctx: Context, dry_run: bool = False
) -> SurveyImportSummary:
    """Import a Bright Spots export in one transaction: all of it or nothing.

    Idempotent on the response id: a response already stored with the same content is left
    as it is; the same id with other content is refused.
    """
    open_check(path, max_bytes=ctx.policy.imports.max_file_bytes)
    if detect_kind(path) != "csv":
        raise InputError(
            "a survey export must be a CSV file (response_id,survey,age_band,received_at,"
            "concern,comment)",
            file=str(path),
        )
    survey_file = read_survey_csv(path, today=ctx.today)
    rows = survey_file.rows
    summary = SurveyImportSummary(
        file=str(path),
        sha256=sha256_of(path),
        rows=len(rows),
        added=0,
        unchanged=0,
        dry_run=dry_run,
        warnings=list(survey_file.warnings),
    )
    if dry_run and not store.exists():
        store = Store("sqlite://")  # validate against an empty store, create no file
    table = SurveyResponse.__table__  # type: ignore[attr-defined]
    with write_transaction(store, ctx, dry_run=dry_run) as session:
        conn = session.connection()
        stored: dict[str, tuple[Any, ...]] = {}
        ids = [r.response_id for r in rows]
        for start in range(0, len(ids), _CHUNK):
            found = conn.execute(
                select(
                    table.c.response_id,
                    table.c.survey,
                    table.c.age_band,
                    table.c.received_at,
                    table.c.concern,
                    table.c.comment,
                ).where(table.c.response_id.in_(ids[start : start + _CHUNK]))
            )
            stored.update({r[0]: tuple(r[1:]) for r in found})
        new = []
        for row in rows:
            existing = stored.get(row.response_id)
            if existing is None:
                new.append(row)
                continue
            differs = first_difference(existing, row.content())
            if differs is not None:
                column = survey_file.columns[differs]
                raise InputError(
                    f"response {row.response_id} is already in the store with different content",
                    file=str(path),
                    line=row.line,
                    column=column[0],
                    column_name=differs,
                )
            summary.unchanged += 1
        if new:
            note_inserted_above(conn, table.name, newest_id(conn, table.name))
            conn.execute(
                table.insert(),
                [
                    {
                        "response_id": r.response_id,
                        "survey": r.survey,
                        "age_band": r.age_band,
                        "received_at": r.received_at,
                        "concern": r.concern,
                        "comment": r.comment,
                        "imported_at": ctx.recorded_at,
                    }
                    for r in new
                ],
            )
        summary.added = len(new)
        summary.added_ids = [r.response_id for r in new]
        if new and not dry_run:
            record_change(
                session,
                actor=ctx.user,
                action="survey.import",
                entity="survey_file",
                entity_ref=path.name,
                recorded_at=ctx.recorded_at,
                as_of=ctx.now,
                detail={
                    "file": path.name,
                    "sha256": summary.sha256,
                    "rows": summary.rows,
                    "counts": {"added": summary.added, "unchanged": summary.unchanged},
                    "added": summary.added_ids,
                },
            )
    return summary


# -- cohorts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CohortView:
    survey: str
    age_band: str
    period: str
    start: date
    end: date
    invited: int
    before: int | None  # the number recorded before, if any
    changed: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "survey": self.survey,
            "age_band": self.age_band,
            "period": self.period,
            "start": self.start,
            "end": self.end,
            "invited": self.invited,
            "before": self.before,
            "changed": self.changed,
        }


def _check_survey_band(survey: str, age_band: str) -> None:
    if survey not in SURVEYS:
        raise RuleError(f"'{survey}' is not a survey; expected {' or '.join(SURVEYS)}")
    if age_band not in AGE_BANDS:
        raise RuleError(f"'{age_band}' is not an age band; expected {', '.join(AGE_BANDS)}")
    try:
        check_band(survey, age_band)
    except ValueError as exc:
        raise RuleError(str(exc)) from None


def record_cohort(
    *, store: Store, ctx: Context, survey: str, age_band: str, period: Period, invited: int
) -> CohortView:
    """How many children were invited to a survey, by band, for a period: one number per
    survey, band and period; recording it again replaces it."""
    _check_survey_band(survey, age_band)
    if invited < 1:
        raise RuleError(f"the number invited must be 1 or more, not {invited}")
    with write_transaction(store, ctx) as session:
        cohort = session.exec(
            orm_select(SurveyCohort).where(
                SurveyCohort.survey == survey,
                SurveyCohort.age_band == age_band,
                SurveyCohort.period == period.label,
            )
        ).first()
        before = cohort.invited if cohort is not None else None
        if cohort is None:
            cohort = SurveyCohort(
                survey=survey,
                age_band=age_band,
                period=period.label,
                start=period.start,
                end=period.end,
                invited=invited,
            )
        elif before == invited:
            return CohortView(
                survey, age_band, period.label, period.start, period.end, invited, before, False
            )
        cohort.invited = invited
        session.add(cohort)
        session.flush()
        record_change(
            session,
            actor=ctx.user,
            action="survey.cohort",
            entity="survey_cohort",
            entity_ref=f"{survey} {age_band} {period.label}",
            recorded_at=ctx.recorded_at,
            as_of=ctx.now,
            before={"invited": before} if before is not None else None,
            after={"invited": invited, "start": period.start, "end": period.end},
        )
        return CohortView(
            survey, age_band, period.label, period.start, period.end, invited, before, True
        )


# -- responses and reviews ----------------------------------------------------------------


@dataclass(frozen=True)
class ResponseView:
    response_id: str
    survey: str
    age_band: str
    received_at: datetime  # Europe/London
    concern: bool
    comment: str | None
    reviewed_at: datetime | None  # Europe/London
    reviewed_by: str | None
    action: str | None
    review_due: datetime | None = None  # when the policy's review hours are known
    status: str = ""  # reviewed / unreviewed; with the policy: reviewed late, due, overdue

    def as_dict(self) -> dict[str, Any]:
        return {
            "response_id": self.response_id,
            "survey": self.survey,
            "age_band": self.age_band,
            "received_at": self.received_at,
            "concern": self.concern,
            "comment": self.comment,
            "review_due": self.review_due,
            "reviewed_at": self.reviewed_at,
            "reviewed_by": self.reviewed_by,
            "action": self.action,
            "status": self.status,
        }


def _review_due(received_at: datetime, ctx: Context | None) -> datetime | None:
    """When a review is due; None without a policy, or for a moment so far on (stored before
    dates were bounded) that no deadline after it can be written."""
    if ctx is None:
        return None
    try:
        return received_at + timedelta(hours=ctx.policy.voice.review_hours)
    except OverflowError:
        return None


def _status(response: SurveyResponse, due: datetime | None, now: datetime | None) -> str:
    if due is None or now is None:
        return "reviewed" if response.reviewed_at is not None else "unreviewed"
    if response.reviewed_at is not None:
        return "reviewed" if response.reviewed_at <= due else "reviewed late"
    return "overdue" if now > due else "due"


def _view(response: SurveyResponse, ctx: Context | None) -> ResponseView:
    due = _review_due(response.received_at, ctx)
    return ResponseView(
        response_id=response.response_id,
        survey=response.survey,
        age_band=response.age_band,
        received_at=_london(response.received_at),
        concern=response.concern,
        comment=response.comment,
        reviewed_at=_london(response.reviewed_at) if response.reviewed_at else None,
        reviewed_by=response.reviewed_by,
        action=response.action,
        review_due=_london(due) if due is not None else None,
        status=_status(response, due, ctx.now.astimezone(UTC) if ctx is not None else None),
    )


def _response(session: Session, response_id: str) -> SurveyResponse:
    response = session.exec(
        orm_select(SurveyResponse).where(SurveyResponse.response_id == response_id.strip())
    ).first()
    if response is None:
        raise NotFoundError(f"no survey response '{response_id}' (see qaudit survey list)")
    return response


def review(
    *, store: Store, ctx: Context, response_id: str, by: str, action: str | None = None
) -> ResponseView:
    """Record a response reviewed now by a member of staff; a flagged concern needs what was
    done about it."""
    action = action.strip() if action else None
    now = ctx.now.astimezone(UTC)
    with write_transaction(store, ctx) as session:
        response = _response(session, response_id)
        person = staff_named(session, by)
        if response.reviewed_at is not None:
            raise RuleError(
                f"response {response.response_id} was already reviewed by "
                f"{response.reviewed_by} at {_when(response.reviewed_at)} (Europe/London)"
            )
        if response.concern and not action:
            raise RuleError(
                f"response {response.response_id} flags a concern: record what was done about it",
                remedy="action",
            )
        if now < response.received_at:
            raise RuleError(
                f"response {response.response_id} was received at {_when(response.received_at)}, "
                f"after the time of this review, {_when(now)} Europe/London",
                remedy="today",
            )
        response.reviewed_at = now
        response.reviewed_by = person.name
        response.action = action
        session.add(response)
        session.flush()
        in_time = now - response.received_at <= timedelta(hours=ctx.policy.voice.review_hours)
        record_change(
            session,
            actor=ctx.user,
            action="survey.review",
            entity="survey_response",
            entity_ref=response.response_id,
            recorded_at=ctx.recorded_at,
            as_of=ctx.now,
            after={
                "reviewed_at": now,
                "reviewed_by": person.name,
                "action": action,
                "in_time": in_time,
            },
        )
        return _view(response, ctx)


def list_responses(
    *, store: Store, unreviewed: bool = False, ctx: Context | None = None
) -> list[ResponseView]:
    """Every response, oldest first; ``unreviewed``: those not yet reviewed. With ``ctx``,
    each carries its review deadline and whether it is due, overdue or was reviewed late."""
    with store.reading() as session:
        query = orm_select(SurveyResponse).order_by(
            col(SurveyResponse.received_at), col(SurveyResponse.response_id)
        )
        if unreviewed:
            query = query.where(col(SurveyResponse.reviewed_at).is_(None))
        return [_view(r, ctx) for r in session.exec(query).all()]


# -- figures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyStats:
    """One survey and band's figures for a period. Responses count in the period they were
    received (Europe/London dates); a review is in time within the policy's clock hours."""

    period: str
    survey: str
    age_band: str
    responses: int
    invited: int | None
    response_rate_pct: float | None
    below_floor: bool | None  # None: no cohort recorded, so no rate
    flagged: int
    reviewed: int
    reviewed_in_time: int

    @property
    def reviewed_in_time_pct(self) -> float | None:
        if not self.responses:
            return None
        return percent(self.reviewed_in_time, self.responses)

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "survey": self.survey,
            "age_band": self.age_band,
            "responses": self.responses,
            "invited": self.invited,
            "response_rate_pct": self.response_rate_pct,
            "below_floor": self.below_floor,
            "flagged": self.flagged,
            "reviewed": self.reviewed,
            "reviewed_in_time": self.reviewed_in_time,
            "reviewed_in_time_pct": self.reviewed_in_time_pct,
        }


def _invited(cohorts: Sequence[SurveyCohort], period: Period) -> dict[tuple[str, str], int]:
    """The period's own cohort where one is recorded under its label, else the sum of the
    cohorts lying wholly within it (a year from its quarters)."""
    exact: dict[tuple[str, str], int] = {}
    within: dict[tuple[str, str], int] = {}
    for c in cohorts:
        key = (c.survey, c.age_band)
        if c.period == period.label:
            exact[key] = c.invited
        elif period.start <= c.start and c.end <= period.end:
            within[key] = within.get(key, 0) + c.invited
    return within | exact


def survey_stats(*, store: Store, ctx: Context, period: Period) -> list[SurveyStats]:
    """Per survey and band: responses, invited, response rate (against the policy's floor),
    concerns flagged, reviews and reviews in time. Bands with neither responses nor a cohort
    are left out."""
    start = datetime.combine(period.start, time(0), tzinfo=LONDON)
    end = datetime.combine(period.end + timedelta(days=1), time(0), tzinfo=LONDON)
    limit = timedelta(hours=ctx.policy.voice.review_hours)
    floor = ctx.policy.voice.response_rate_floor_pct
    table = SurveyResponse.__table__  # type: ignore[attr-defined]
    with store.reading() as session:
        rows = session.connection().execute(
            select(
                table.c.survey,
                table.c.age_band,
                table.c.received_at,
                table.c.reviewed_at,
                table.c.concern,
            ).where(table.c.received_at >= start, table.c.received_at < end)
        )
        counts: dict[tuple[str, str], list[int]] = {}
        for survey, band, received_at, reviewed_at, concern in rows:
            tally = counts.setdefault((survey, band), [0, 0, 0, 0])
            tally[0] += 1
            tally[1] += bool(concern)
            if reviewed_at is not None:
                tally[2] += 1
                tally[3] += reviewed_at - received_at <= limit
        invited = _invited(session.exec(orm_select(SurveyCohort)).all(), period)
    out = []
    for survey in SURVEYS:
        for band in AGE_BANDS:
            key = (survey, band)
            if key not in counts and key not in invited:
                continue
            responses, flagged, reviewed, in_time = counts.get(key, [0, 0, 0, 0])
            asked = invited.get(key)
            # More responses than the cohort recorded is possible (and shown, over 100%).
            rate = round_half_up(Fraction(100 * responses, asked), 1) if asked else None
            out.append(
                SurveyStats(
                    period=period.label,
                    survey=survey,
                    age_band=band,
                    responses=responses,
                    invited=asked,
                    response_rate_pct=rate,
                    below_floor=rate < floor if rate is not None else None,
                    flagged=flagged,
                    reviewed=reviewed,
                    reviewed_in_time=in_time,
                )
            )
    return out
