"""Drawing a month's audit sample and allocating it to auditors."""

from __future__ import annotations

import hashlib
import heapq
import secrets
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, not_, or_, select
from sqlalchemy.engine import Connection
from sqlmodel import Session, col
from sqlmodel import select as orm_select

from qaudit.domain.sampling import (
    DRAW_METHOD,
    DRAW_VERSION,
    Auditor,
    allocate,
    draw_rank,
    new_seed,
    quotas,
)
from qaudit.domain.workdays import month_bounds
from qaudit.errors import RuleError
from qaudit.services.context import Context
from qaudit.services.transaction import write_transaction
from qaudit.services.worklists import calendar as working_calendar
from qaudit.store.changelog import record_change
from qaudit.store.digests import newest_id, note_inserted_above, note_written
from qaudit.store.engine import Store
from qaudit.store.models import Audit, Case, Reaudit, Sample, SampleItem, Staff, Team

AUDITOR_ROLES = ("auditor", "team_manager")
STRATA = ("team", "category")


@dataclass(frozen=True)
class SampleLine:
    case_ref: str
    team: str | None
    category: str
    auditor: str | None
    due: date
    status: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "case_ref": self.case_ref,
            "auditor": self.auditor,
            "due": self.due,
            "team": self.team,
            "category": self.category,
            "status": self.status,
        }


@dataclass
class SampleResult:
    month: str
    seed: int
    size: int
    action: str  # drawn, redrawn, topped-up, unchanged, dry-run
    lines: list[SampleLine] = field(default_factory=list)
    short_by: int = 0  # how many fewer eligible cases there were than the size asked for
    stratify: str | None = None
    spread: dict[str, int] = field(default_factory=dict)
    replaced: list[str] = field(default_factory=list)
    auditors: int = 0  # staff who may be allocated audits (auditors and team managers)

    @property
    def unallocated(self) -> int:
        return sum(1 for line in self.lines if line.auditor is None and line.status == "open")

    def as_dict(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "seed": self.seed,
            "size": self.size,
            "action": self.action,
            "short_by": self.short_by,
            "stratify": self.stratify,
            "unallocated": self.unallocated,
            "spread": self.spread,
            "cases": [line.as_dict() for line in self.lines],
        }


def _months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def eligible_cases(*, first_day: date, since: date, sample_id: int | None) -> Select[Any]:
    """Cases open on ``first_day``, not audited on or after ``since``, with no re-audit pending,
    not waiting in any sample, and not already in this one."""
    case = Case.__table__  # type: ignore[attr-defined]
    audit = Audit.__table__  # type: ignore[attr-defined]
    reaudit = Reaudit.__table__  # type: ignore[attr-defined]
    item = SampleItem.__table__  # type: ignore[attr-defined]
    team = Team.__table__  # type: ignore[attr-defined]
    conditions: list[ColumnElement[bool]] = [
        or_(case.c.open_date.is_(None), case.c.open_date <= first_day),
        or_(case.c.close_date.is_(None), case.c.close_date >= first_day),
        not_(exists().where(audit.c.case_id == case.c.id, audit.c.audit_date >= since)),
        not_(exists().where(reaudit.c.case_id == case.c.id, reaudit.c.status == "pending")),
        not_(exists().where(item.c.case_id == case.c.id, item.c.status == "open")),
    ]
    if sample_id is not None:
        conditions.append(
            not_(exists().where(item.c.case_id == case.c.id, item.c.sample_id == sample_id))
        )
    return (
        select(case.c.id, case.c.case_ref, team.c.name, case.c.category)
        .outerjoin(team, team.c.id == case.c.team_id)
        .where(and_(*conditions))
    )


@dataclass
class Drawn:
    """What a draw took, and what it took them from (for the sampling certificate)."""

    rows: list[Any]
    eligible: dict[str, int]  # eligible cases per stratum ("all" when not stratified)
    eligible_digest: str  # SHA-256 of the eligible case refs in ref order, one a line


def _pick(
    conn: Connection, query: Select[Any], seed: int, need: int, stratify: str | None
) -> Drawn:
    """The first ``need`` eligible cases in the seed's order (domain.sampling.draw_rank): a
    simple random sample; stratified, each stratum's quota of its own first cases. Every
    eligible case is looked at, in one pass, holding only the best few of each stratum (and
    the refs, for the certificate's digest of them in ref order)."""
    rank = draw_rank(seed)
    position: int | None = None
    if stratify is None:
        wanted = {"all": max(need, 0)}
    else:
        # Quotas need each stratum's size: one counting pass, only when stratifying.
        position = 2 if stratify == "team" else 3
        sub = query.subquery()
        key = sub.c[sub.c.keys()[position]]
        counts = {_stratum(k): n for k, n in conn.execute(select(key, func.count()).group_by(key))}
        wanted = quotas(max(need, 0), counts)
    kept: dict[str, list[Any]] = {name: [] for name, quota in wanted.items() if quota > 0}
    eligible: dict[str, int] = {}
    refs: list[str] = []  # for the digest, sorted here: ORDER BY on the query costs more
    for row in conn.execute(query.execution_options(yield_per=5000)):
        refs.append(row[1])
        stratum = "all" if position is None else _stratum(row[position])
        eligible[stratum] = eligible.get(stratum, 0) + 1
        bucket = kept.get(stratum)
        if bucket is None:
            continue
        bucket.append((rank(row[1]), row[1], row))
        if len(bucket) >= 2 * wanted[stratum] + 256:  # keep memory flat on a big store
            kept[stratum] = heapq.nsmallest(wanted[stratum], bucket)
    chosen = sorted(
        entry for name, bucket in kept.items() for entry in heapq.nsmallest(wanted[name], bucket)
    )
    refs.sort()
    digest = hashlib.sha256("".join(f"{ref}\n" for ref in refs).encode("utf-8")).hexdigest()
    return Drawn([row for _, _, row in chosen], dict(sorted(eligible.items())), digest)


def _stratum(value: str | None) -> str:
    return value if value is not None else "(no team)"


def _auditors(session: Session, sample_id: int | None) -> list[Auditor]:
    teams = {t.id: t.name for t in session.exec(orm_select(Team)).all()}
    loads: dict[int, int] = {}
    if sample_id is not None:
        item = SampleItem.__table__  # type: ignore[attr-defined]
        for auditor_id, count in session.connection().execute(
            select(item.c.auditor_id, func.count())
            .where(item.c.sample_id == sample_id, item.c.status != "replaced")
            .group_by(item.c.auditor_id)
        ):
            if auditor_id is not None:
                loads[auditor_id] = count
    people = session.exec(
        orm_select(Staff).where(col(Staff.role).in_(AUDITOR_ROLES)).order_by(col(Staff.name))
    ).all()
    return [
        Auditor(
            name=p.name,
            team=teams.get(p.team_id) if p.team_id is not None else None,
            load=loads.get(p.id, 0) if p.id is not None else 0,
        )
        for p in people
    ]


def draw_sample(
    *,
    store: Store,
    ctx: Context,
    month: str,
    size: int | None = None,
    seed: int | None = None,
    redraw: bool = False,
    stratify: str | None = None,
    dry_run: bool = False,
) -> SampleResult:
    """The month's sample: drawn once, then shown as it is unless asked to redraw or top up."""
    try:
        first_day, _ = month_bounds(month)
    except ValueError as exc:
        raise RuleError(str(exc)) from None
    if stratify is not None and stratify not in STRATA:
        raise RuleError(f"cannot stratify by '{stratify}'; choose team or category")
    if size is not None and size < 1:
        raise RuleError("the sample size must be at least 1")
    calendar = working_calendar(ctx)
    due = calendar.last_working_day(first_day.year, first_day.month)
    since = _months_before(first_day, ctx.policy.audit.exclusion_months)

    with write_transaction(store, ctx, dry_run=dry_run) as session:
        conn = session.connection()
        sample = session.exec(orm_select(Sample).where(Sample.month == month)).first()
        action = "unchanged"
        replaced: list[str] = []
        if sample is None:
            sample = Sample(
                month=month,
                seed=seed if seed is not None else new_seed(secrets.randbits(62)),
                size=size or ctx.policy.audit.sample_size,
                stratify=stratify,
                drawn_at=ctx.recorded_at,
                drawn_by=ctx.user,
            )
            session.add(sample)
            session.flush()
            action = "drawn"
            need = sample.size
        else:
            active = _active_count(conn, sample.id)
            if redraw:
                if seed is not None and seed == sample.seed:
                    raise RuleError("a redraw needs a new seed: leave --seed out for a fresh one")
                replaced = _replace_open_items(conn, sample.id)
                sample.seed = seed if seed is not None else new_seed(secrets.randbits(62))
                if size is not None:
                    sample.size = size
                if stratify is not None:
                    sample.stratify = stratify
                need = sample.size - (active - len(replaced))
                action = "redrawn"
            elif seed is not None and seed != sample.seed:
                raise RuleError(
                    f"the {month} sample was drawn with seed {sample.seed}; "
                    "use --redraw to replace its undone items"
                )
            elif size is not None and size < active:
                raise RuleError(
                    f"the {month} sample already has {active} cases; a drawn sample is not cut "
                    "down (use --redraw to replace the undone ones)"
                )
            elif size is not None and size > active:
                need = size - active
                sample.size = size
                action = "topped-up"
            else:
                need = 0
            session.add(sample)
            session.flush()
        assert sample.id is not None
        drawn = (
            _pick(
                conn,
                eligible_cases(first_day=first_day, since=since, sample_id=sample.id),
                sample.seed,
                need,
                sample.stratify,
            )
            if action != "unchanged"
            else Drawn([], {}, "")
        )
        picks = drawn.rows
        short_by = max(0, need - len(picks))
        if picks:
            _add_items(session, sample, picks, due)
        result = _result(conn, sample, action if not dry_run else "dry-run")
        result.short_by = short_by
        result.replaced = replaced
        result.auditors = len(_auditors(session, sample.id))
        if action != "unchanged" and not dry_run:
            record_change(
                session,
                actor=ctx.user,
                action=f"sample.{'draw' if action == 'drawn' else action.replace('-', '_')}",
                entity="sample",
                entity_ref=month,
                recorded_at=ctx.recorded_at,
                as_of=ctx.now,
                after={"seed": sample.seed, "size": sample.size, "stratify": sample.stratify},
                detail={
                    "added": [p[1] for p in picks],
                    "replaced": replaced,
                    "short_by": short_by,
                    "spread": result.spread,
                    # The sampling certificate: how the draw was made, and from what.
                    "method": DRAW_METHOD,
                    "method_version": DRAW_VERSION,
                    # A top-up keeps the month's seed (see its draw's event).
                    "seed_source": "given"
                    if seed is not None
                    else "generated"
                    if action in ("drawn", "redrawn")
                    else "the sample's",
                    "policy": {
                        "sample_size": ctx.policy.audit.sample_size,
                        "exclusion_months": ctx.policy.audit.exclusion_months,
                    },
                    "eligible": drawn.eligible,
                    "eligible_refs_sha256": drawn.eligible_digest,
                },
            )
    return result


def _active_count(conn: Connection, sample_id: int | None) -> int:
    item = SampleItem.__table__  # type: ignore[attr-defined]
    count: int = conn.execute(
        select(func.count()).where(item.c.sample_id == sample_id, item.c.status != "replaced")
    ).scalar_one()
    return count


def _replace_open_items(conn: Connection, sample_id: int | None) -> list[str]:
    item = SampleItem.__table__  # type: ignore[attr-defined]
    case = Case.__table__  # type: ignore[attr-defined]
    refs = list(
        conn.execute(
            select(case.c.case_ref)
            .join(item, item.c.case_id == case.c.id)
            .where(item.c.sample_id == sample_id, item.c.status == "open")
            .order_by(item.c.position)
        ).scalars()
    )
    replaced = select(item.c.id).where(item.c.sample_id == sample_id, item.c.status == "open")
    note_written(conn, "sample_items", conn.execute(replaced).scalars())
    conn.execute(
        item.update()
        .where(item.c.sample_id == sample_id, item.c.status == "open")
        .values(status="replaced")
    )
    return refs


def _add_items(session: Session, sample: Sample, picks: list[Any], due: date) -> None:
    conn = session.connection()
    item = SampleItem.__table__  # type: ignore[attr-defined]
    auditors = _auditors(session, sample.id)
    allocation = allocate([(p[1], p[2]) for p in picks], auditors)
    ids = {
        name: id_
        for id_, name in conn.execute(
            select(col(Staff.id), col(Staff.name)).where(
                col(Staff.name).in_([a.name for a in auditors])
            )
        )
    }
    last = conn.execute(
        select(func.coalesce(func.max(item.c.position), 0)).where(item.c.sample_id == sample.id)
    ).scalar_one()
    note_inserted_above(conn, "sample_items", newest_id(conn, "sample_items"))
    conn.execute(
        item.insert(),
        [
            {
                "sample_id": sample.id,
                "case_id": p[0],
                "position": last + n,
                "auditor_id": ids.get(allocation.get(p[1]) or ""),
                "due": due,
                "status": "open",
            }
            for n, p in enumerate(picks, start=1)
        ],
    )


def _result(conn: Connection, sample: Sample, action: str) -> SampleResult:
    item = SampleItem.__table__  # type: ignore[attr-defined]
    case = Case.__table__  # type: ignore[attr-defined]
    team = Team.__table__  # type: ignore[attr-defined]
    staff = Staff.__table__  # type: ignore[attr-defined]
    rows = conn.execute(
        select(
            case.c.case_ref, team.c.name, case.c.category, staff.c.name, item.c.due, item.c.status
        )
        .join(case, case.c.id == item.c.case_id)
        .outerjoin(team, team.c.id == case.c.team_id)
        .outerjoin(staff, staff.c.id == item.c.auditor_id)
        .where(item.c.sample_id == sample.id, item.c.status != "replaced")
        .order_by(item.c.position)
    ).all()
    lines = [SampleLine(*row) for row in rows]
    counts: dict[str, int] = {}
    for line in lines:
        if line.auditor is not None:
            counts[line.auditor] = counts.get(line.auditor, 0) + 1
    return SampleResult(
        month=sample.month,
        seed=sample.seed,
        size=sample.size,
        action=action,
        lines=lines,
        stratify=sample.stratify,
        spread=dict(sorted(counts.items())),
    )
