"""Drawing a month's audit sample, allocating it, and its sampling certificate.

A draw is a simple random sample (domain.sampling.draw_rank): the eligible cases ordered on a
keyed hash of their refs, the first n taken, per stratum when stratified. Each step of a
month's draw (the draw, a redraw, a top-up, one replacement) is kept in ``sample_draws`` with
the ids of the cases that were eligible, and its change-log event carries the certificate
(method, seed and where it came from, policy, eligible cases per stratum, a digest of their
refs). ``verify_sample`` draws every step again from that record and compares the picks. A dry
run is logged as a preview (who, when, seed), so trying seeds until a sample suits shows.

Written in plain SQL on a ``store.lite.WriteTx`` / ``Rows``: ``qaudit sample`` on a SQLite
store runs through sqlite3 alone, and on PostgreSQL through ``Store.writing()``.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import itertools
import json
import secrets
import sys
import zlib
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from qaudit.domain.sampling import (
    DRAW_METHOD,
    DRAW_VERSION,
    Auditor,
    allocate,
    draw_rank,
    first_in_draw,
    may_audit,
    new_seed,
    quotas,
)
from qaudit.domain.workdays import month_bounds
from qaudit.errors import NotFoundError, RuleError
from qaudit.services.context import Context
from qaudit.services.worklists import calendar as working_calendar
from qaudit.store.lite import Event, Json, Rows, WriteTx, day, listed, moment

if TYPE_CHECKING:
    from qaudit.store.engine import Store

AUDITOR_ROLES = ("auditor", "team_manager")
STRATA = ("team", "category")
NO_TEAM = "(no team)"
KEPT_STEPS = ("draw", "redraw")  # the steps that draw a whole sample from a seed
STEP_ACTIONS = {
    "draw": "sample.draw",
    "redraw": "sample.redrawn",
    "top-up": "sample.topped_up",
    "replace": "sample.replaced",
}
PREVIEW_ACTION = "sample.preview"


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
    action: str  # drawn, redrawn, topped-up, unchanged, dry-run, replaced
    lines: list[SampleLine] = field(default_factory=list)
    short_by: int = 0  # how many fewer eligible cases there were than the size asked for
    stratify: str | None = None
    spread: dict[str, int] = field(default_factory=dict)
    replaced: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    auditors: int = 0  # staff who may be allocated audits (auditors and team managers)
    eligible: int = 0  # the cases this step drew from (0 when nothing was drawn)

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
            "added": self.added,
            "replaced": self.replaced,
            "cases": [line.as_dict() for line in self.lines],
        }


def _months_before(day_: date, months: int) -> date:
    index = day_.year * 12 + day_.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


# --- what is eligible -------------------------------------------------------------------------

# The cases open on the month's first day, then the ids of those that are not eligible taken
# out in Python: audited since the window began, a re-audit pending, waiting in any sample,
# already in this one. (Three correlated subqueries a case cost more than the whole draw.)
# One plain scan of the table, sorted on the ref in Python: the index on the ref would give
# them in order but looks up each case's dates one by one, four times slower on a million.
_OPEN_SQL = (
    "SELECT id, case_ref{extra} FROM cases"
    " WHERE (open_date IS NULL OR open_date <= :first)"
    " AND (close_date IS NULL OR close_date >= :first)"
)
_EXCLUDED_SQL = (
    "SELECT case_id FROM audits WHERE audit_date >= :since"
    " UNION ALL SELECT case_id FROM reaudits WHERE status = 'pending'"
    " UNION ALL SELECT case_id FROM sample_items WHERE status = 'open' OR sample_id = :sample"
)


def _stratum(value: Any) -> str:
    return str(value) if value is not None else NO_TEAM


def _by_ref(row: tuple[int, str]) -> str:
    return row[1]


def eligible_cases(
    tx: Rows, *, first_day: date, since: date, sample_id: int | None, stratify: str | None
) -> dict[str, list[tuple[int, str]]]:
    """Each stratum's eligible cases as (id, ref), in ref order ("all" when not stratified):
    open on ``first_day``, not audited on or after ``since``, no re-audit pending, not waiting
    in any sample, and not already in this one."""
    params = {"first": first_day, "since": since, "sample": sample_id or 0}
    excluded = {row[0] for row in tx.all(_EXCLUDED_SQL, params)}
    if stratify is None:
        members = [
            row for row in tx.all(_OPEN_SQL.format(extra=""), params) if row[0] not in excluded
        ]
        members.sort(key=_by_ref)  # quick when the cases came in near ref order
        return {"all": members}
    out: dict[str, list[tuple[int, str]]] = {}
    if stratify == "team":
        teams = dict(tx.all("SELECT id, name FROM teams"))
        for id_, ref, team_id in tx.all(_OPEN_SQL.format(extra=", team_id"), params):
            if id_ not in excluded:
                out.setdefault(_stratum(teams.get(team_id)), []).append((id_, ref))
    else:
        for id_, ref, category in tx.all(_OPEN_SQL.format(extra=", category"), params):
            if id_ not in excluded:
                out.setdefault(_stratum(category), []).append((id_, ref))
    for members in out.values():
        members.sort(key=_by_ref)
    return dict(sorted(out.items()))


def refs_digest(refs: Iterable[str]) -> str:
    """The certificate's digest of the eligible cases: SHA-256 of their refs in ref order,
    each followed by a newline."""
    ordered = sorted(refs)
    text = "\n".join(ordered) + "\n" if ordered else ""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def pack_eligible(strata: dict[str, list[tuple[int, str]]]) -> str:
    """The eligible ids, stratum by stratum (ascending within each), as
    ``sample_draws.eligible_ids`` keeps them: each id as its difference from the one before
    (little-endian int64), zlib, base64."""
    ids = [n for members in strata.values() for n in sorted(id_ for id_, _ in members)]
    deltas = array("q", [b - a for a, b in zip([0, *ids], ids, strict=False)])
    if sys.byteorder == "big":
        deltas.byteswap()
    return base64.b64encode(zlib.compress(deltas.tobytes(), 6)).decode("ascii")


def unpack_eligible(text: str) -> list[int]:
    """``pack_eligible`` undone: the ids in the order they were kept."""
    deltas = array("q")
    deltas.frombytes(zlib.decompress(base64.b64decode(text.encode("ascii"), validate=True)))
    if sys.byteorder == "big":
        deltas.byteswap()
    return list(itertools.accumulate(deltas))


@dataclass
class Drawn:
    """What one step took (ids and refs, in draw order), and what it took them from."""

    picks: list[tuple[int, str]]
    strata: list[list[Any]]  # [[stratum, eligible, quota], ...]
    eligible: dict[str, list[tuple[int, str]]]
    _digest: str | None = field(default=None, repr=False)

    @property
    def eligible_count(self) -> int:
        return sum(len(members) for members in self.eligible.values())

    def digest(self) -> str:
        """refs_digest of the eligible cases (worked out once: a million refs to sort)."""
        if self._digest is None:
            self._digest = refs_digest(
                ref for members in self.eligible.values() for _, ref in members
            )
        return self._digest


def pick(
    eligible: dict[str, list[tuple[int, str]]], seed: int, wanted: dict[str, int]
) -> list[tuple[int, str]]:
    """The first ``wanted[stratum]`` cases of each stratum in the seed's order (draw_rank, then
    the ref), all together in that order: a simple random sample within each stratum. Each
    stratum's members are in ref order (``eligible_cases``)."""
    rank = draw_rank(seed)
    chosen: list[tuple[bytes, str, int]] = []
    for name, members in eligible.items():
        quota = wanted.get(name, 0)
        if quota <= 0:
            continue
        refs = [ref for _, ref in members]
        for ref in first_in_draw(refs, seed, quota):
            at = bisect.bisect_left(refs, ref)
            if at == len(refs) or refs[at] != ref:  # not in ref order: look it up plainly
                at = refs.index(ref)
            chosen.append((rank(ref), ref, members[at][0]))
    chosen.sort()
    return [(id_, ref) for _, ref, id_ in chosen]


def _draw(
    eligible: dict[str, list[tuple[int, str]]], seed: int, need: int, stratify: str | None
) -> Drawn:
    counts = {name: len(members) for name, members in eligible.items()}
    if stratify is None:
        wanted = {"all": min(max(need, 0), counts.get("all", 0))}
    else:
        wanted = quotas(max(need, 0), counts)
    strata = [[name, counts[name], wanted.get(name, 0)] for name in eligible]
    return Drawn(pick(eligible, seed, wanted), strata, eligible)


# --- the sample as it stands ------------------------------------------------------------------

_SAMPLE_SQL = "SELECT id, seed, size, stratify FROM samples WHERE month = :month"
_LINES_SQL = (
    "SELECT i.id, c.case_ref, t.name, c.category, s.name, i.due, i.status, i.auditor_id,"
    " i.position, i.draw_id, c.id"
    " FROM sample_items i JOIN cases c ON c.id = i.case_id"
    " LEFT JOIN teams t ON t.id = c.team_id LEFT JOIN staff s ON s.id = i.auditor_id"
    " WHERE i.sample_id = :sample ORDER BY i.position"
)


@dataclass(frozen=True)
class _Item:
    id: int
    case_ref: str
    team: str | None
    category: str
    auditor: str | None
    due: date
    status: str
    auditor_id: int | None
    position: int
    draw_id: int | None
    case_id: int

    def line(self) -> SampleLine:
        return SampleLine(
            self.case_ref, self.team, self.category, self.auditor, self.due, self.status
        )


def _items(tx: Rows, sample_id: int) -> list[_Item]:
    return [
        _Item(row[0], row[1], row[2], row[3], row[4], day(row[5]), *row[6:])
        for row in tx.all(_LINES_SQL, {"sample": sample_id})
    ]


def _auditors(tx: Rows, items: Sequence[_Item]) -> tuple[list[Auditor], dict[str, int]]:
    """Who may be allocated audits, each with the load they carry in ``items``; and their ids."""
    loads: dict[str, int] = {}
    for item in items:
        if item.auditor is not None and item.status != "replaced":
            loads[item.auditor] = loads.get(item.auditor, 0) + 1
    marks = ", ".join(f"'{role}'" for role in AUDITOR_ROLES)
    people = tx.all(
        "SELECT s.id, s.name, t.name FROM staff s LEFT JOIN teams t ON t.id = s.team_id"
        f" WHERE s.role IN ({marks}) ORDER BY s.name"
    )
    auditors = [Auditor(name=name, team=team, load=loads.get(name, 0)) for _, name, team in people]
    return auditors, {name: id_ for id_, name, _ in people}


def _case_lines(tx: Rows, ids: Sequence[int]) -> dict[int, tuple[str | None, str]]:
    """Team name and category of each case id (a handful: the picks)."""
    out: dict[int, tuple[str | None, str]] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        marks = ", ".join(f":i{n}" for n in range(len(chunk)))
        for id_, team, category in tx.all(
            "SELECT c.id, t.name, c.category FROM cases c LEFT JOIN teams t ON t.id = c.team_id"
            f" WHERE c.id IN ({marks})",
            {f"i{n}": id_ for n, id_ in enumerate(chunk)},
        ):
            out[id_] = (team, category)
    return out


def _spread(lines: Iterable[SampleLine]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in lines:
        if line.auditor is not None and line.status != "replaced":
            counts[line.auditor] = counts.get(line.auditor, 0) + 1
    return dict(sorted(counts.items()))


def _previews_since(tx: Rows, month: str) -> int:
    """Dry runs of ``month`` logged since its last recorded step (or ever, before the first)."""
    steps = ", ".join(f"'{action}'" for action in STEP_ACTIONS.values())
    rows = tx.all(
        "SELECT count(*) FROM change_log WHERE entity = 'sample' AND entity_ref = :month"
        " AND action = :preview AND id > coalesce((SELECT max(id) FROM change_log"
        f" WHERE entity = 'sample' AND entity_ref = :month AND action IN ({steps})), 0)",
        {"month": month, "preview": PREVIEW_ACTION},
    )
    return int(rows[0][0])


# --- drawing ----------------------------------------------------------------------------------


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
    """``draw_sample_in`` in a transaction of its own (the demo, the tests)."""
    from qaudit.services.transaction import write_transaction
    from qaudit.store.lite import AlchemyTx

    with write_transaction(store, ctx) as session:
        return draw_sample_in(
            AlchemyTx(session),
            ctx,
            month=month,
            size=size,
            seed=seed,
            redraw=redraw,
            stratify=stratify,
            dry_run=dry_run,
        )


def draw_sample_in(
    tx: WriteTx,
    ctx: Context,
    *,
    month: str,
    size: int | None = None,
    seed: int | None = None,
    redraw: bool = False,
    stratify: str | None = None,
    dry_run: bool = False,
) -> SampleResult:
    """The month's sample: drawn once, then shown as it is unless asked to redraw or top up.
    A dry run saves no sample but is logged as a preview."""
    try:
        first_day, _ = month_bounds(month)
    except ValueError as exc:
        raise RuleError(str(exc)) from None
    if stratify is not None and stratify not in STRATA:
        raise RuleError(f"cannot stratify by '{stratify}'; choose team or category")
    if size is not None and size < 1:
        raise RuleError("the sample size must be at least 1")
    due = working_calendar(ctx).last_working_day(first_day.year, first_day.month)
    since = _months_before(first_day, ctx.policy.audit.exclusion_months)

    found = tx.all(_SAMPLE_SQL, {"month": month})
    items: list[_Item] = []
    to_replace: list[_Item] = []
    if not found:
        sample_id: int | None = None
        kind: str | None = "draw"
        the_seed = seed if seed is not None else new_seed(secrets.randbits(62))
        the_size = size or ctx.policy.audit.sample_size
        the_stratify = stratify
        need = the_size
    else:
        sample_id, the_seed, the_size, the_stratify = found[0]
        items = _items(tx, sample_id)
        active = sum(1 for item in items if item.status != "replaced")
        kind = None
        need = 0
        if redraw:
            if seed is not None and seed == the_seed:
                raise RuleError(
                    "a redraw needs a new seed, not the one the sample was drawn with",
                    remedy="fresh-seed",
                )
            to_replace = [item for item in items if item.status == "open"]
            the_seed = seed if seed is not None else new_seed(secrets.randbits(62))
            the_size = size or the_size
            the_stratify = stratify or the_stratify
            need = the_size - (active - len(to_replace))
            kind = "redraw"
        elif seed is not None and seed != the_seed:
            raise RuleError(
                f"the {month} sample was drawn with seed {the_seed}; another seed is a "
                "redraw of its undone items",
                remedy="redraw",
            )
        elif size is not None and size < active:
            raise RuleError(
                f"the {month} sample already has {active} cases; a drawn sample is not cut "
                "down (a redraw replaces the undone ones)",
                remedy="redraw",
            )
        elif size is not None and size > active:
            need = size - active
            the_size = size
            kind = "top-up"
    seed_source = "given" if seed is not None else "generated" if kind != "top-up" else "sample"

    if kind is None:  # shown as it is
        result = _result(month, the_seed, the_size, the_stratify, "unchanged", items)
        result.auditors = len(_auditors(tx, items)[0])
        return result

    drawn = _draw(
        eligible_cases(
            tx, first_day=first_day, since=since, sample_id=sample_id, stratify=the_stratify
        ),
        the_seed,
        need,
        the_stratify,
    )
    short_by = max(0, need - len(drawn.picks))
    replaced_ids = {item.id for item in to_replace}
    kept = [item for item in items if item.id not in replaced_ids]
    auditors, staff_ids = _auditors(tx, kept)
    details = _case_lines(tx, [id_ for id_, _ in drawn.picks])
    allocation = allocate([(ref, details[id_][0]) for id_, ref in drawn.picks], auditors)
    certificate = _certificate(ctx, drawn, the_seed, seed_source, the_stratify, need)
    added = [ref for _, ref in drawn.picks]
    replaced = [item.case_ref for item in to_replace]

    if dry_run:
        # Nothing saved but the preview itself: who looked at which draw, with what seed.
        tx.log(
            Event(
                actor=ctx.user,
                action=PREVIEW_ACTION,
                entity="sample",
                entity_ref=month,
                recorded_at=ctx.recorded_at,
                as_of=ctx.now,
                detail={
                    "step": kind,
                    "size": the_size,
                    "would_add": added,
                    "would_replace": replaced,
                    **certificate,
                },
            )
        )
        lines = [item.line() for item in kept if item.status != "replaced"] + [
            SampleLine(ref, details[id_][0], details[id_][1], allocation.get(ref), due, "open")
            for id_, ref in drawn.picks
        ]
        result = _result(month, the_seed, the_size, the_stratify, "dry-run", [])
        result.lines = lines
        result.spread = _spread(lines)
    else:
        previews = _previews_since(tx, month)
        if sample_id is None:
            sample_id = tx.insert(
                "samples",
                {
                    "month": month,
                    "seed": the_seed,
                    "size": the_size,
                    "stratify": the_stratify,
                    "drawn_at": ctx.recorded_at,
                    "drawn_by": ctx.user,
                },
            )
        else:
            tx.update(
                "samples",
                sample_id,
                {"seed": the_seed, "size": the_size, "stratify": the_stratify},
            )
        for item in to_replace:
            tx.update("sample_items", item.id, {"status": "replaced"})
        draw_id = _record_step(tx, ctx, sample_id, kind, seed_source, the_seed, need,
                               the_stratify, drawn, previews)  # fmt: skip
        _add_items(tx, sample_id, draw_id, drawn.picks, allocation, staff_ids, due, items)
        tx.log(
            Event(
                actor=ctx.user,
                action=STEP_ACTIONS[kind],
                entity="sample",
                entity_ref=month,
                recorded_at=ctx.recorded_at,
                as_of=ctx.now,
                after={"seed": the_seed, "size": the_size, "stratify": the_stratify},
                detail={
                    "added": added,
                    "replaced": replaced,
                    "short_by": short_by,
                    "draw_id": draw_id,
                    "previews": previews,
                    **certificate,
                },
            )
        )
        action = {"draw": "drawn", "redraw": "redrawn", "top-up": "topped-up"}[kind]
        result = _result(month, the_seed, the_size, the_stratify, action, _items(tx, sample_id))
    result.short_by = short_by
    result.replaced = replaced
    result.added = added
    result.auditors = len(auditors)
    result.eligible = drawn.eligible_count
    return result


def _certificate(
    ctx: Context, drawn: Drawn, seed: int, seed_source: str, stratify: str | None, need: int
) -> dict[str, Any]:
    """A step's sampling certificate, as its change-log event (or a preview's) carries it."""
    return {
        "method": DRAW_METHOD,
        "method_version": DRAW_VERSION,
        "seed": seed,
        "seed_source": seed_source,
        "policy": {
            "sample_size": ctx.policy.audit.sample_size,
            "exclusion_months": ctx.policy.audit.exclusion_months,
        },
        "stratify": stratify,
        "need": need,
        "eligible": {name: count for name, count, _ in drawn.strata},
        "quotas": {name: quota for name, _, quota in drawn.strata},
        "eligible_refs_sha256": drawn.digest(),
    }


def _record_step(
    tx: WriteTx,
    ctx: Context,
    sample_id: int,
    kind: str,
    seed_source: str,
    seed: int,
    need: int,
    stratify: str | None,
    drawn: Drawn,
    previews: int,
    *,
    replaced_case_id: int | None = None,
    reason: str | None = None,
) -> int:
    return tx.insert(
        "sample_draws",
        {
            "sample_id": sample_id,
            "kind": kind,
            "seed": seed,
            "seed_source": seed_source,
            "method": DRAW_METHOD,
            "method_version": DRAW_VERSION,
            "need": need,
            "stratify": stratify,
            "strata": Json(drawn.strata),
            "eligible_ids": pack_eligible(drawn.eligible),
            "eligible_sha256": drawn.digest(),
            "previews": previews,
            "replaced_case_id": replaced_case_id,
            "reason": reason,
            "drawn_at": ctx.recorded_at,
            "drawn_by": ctx.user,
        },
    )


def _add_items(
    tx: WriteTx,
    sample_id: int,
    draw_id: int,
    picks: Sequence[tuple[int, str]],
    allocation: dict[str, str | None],
    staff_ids: dict[str, int],
    due: date,
    items: Sequence[_Item],
) -> None:
    last = max((item.position for item in items), default=0)
    for n, (case_id, ref) in enumerate(picks, start=1):
        auditor = allocation.get(ref)
        tx.insert(
            "sample_items",
            {
                "sample_id": sample_id,
                "case_id": case_id,
                "position": last + n,
                "auditor_id": staff_ids.get(auditor) if auditor is not None else None,
                "due": due,
                "status": "open",
                "audit_id": None,
                "draw_id": draw_id,
            },
        )


def _result(
    month: str, seed: int, size: int, stratify: str | None, action: str, items: list[_Item]
) -> SampleResult:
    lines = [item.line() for item in items if item.status != "replaced"]
    return SampleResult(
        month=month,
        seed=seed,
        size=size,
        action=action,
        lines=lines,
        stratify=stratify,
        spread=_spread(lines),
    )


# --- replacing one case -----------------------------------------------------------------------


def replace_case_in(
    tx: WriteTx, ctx: Context, *, month: str, case_ref: str, reason: str
) -> SampleResult:
    """Replace one open (ungraded) item of the month's sample, say a case that closed before
    its audit, with the next eligible case in the sample's own order (within its stratum
    when stratified); the replaced item stays in the record as replaced."""
    try:
        first_day, _ = month_bounds(month)
    except ValueError as exc:
        raise RuleError(str(exc)) from None
    reason = reason.strip()
    if not reason:
        raise RuleError(
            "a replacement needs a reason, for the sampling certificate", remedy="reason"
        )
    found = tx.all(_SAMPLE_SQL, {"month": month})
    if not found:
        raise NotFoundError(f"no sample has been drawn for {month}")
    sample_id, seed, size, stratify = found[0]
    items = _items(tx, sample_id)
    target = next((item for item in items if item.case_ref == case_ref), None)
    if target is None:
        raise NotFoundError(f"case {case_ref} is not in the {month} sample")
    if target.status != "open":
        raise RuleError(
            f"case {case_ref} in the {month} sample is {target.status}"
            + (": its audit is recorded, so it is not replaced" if target.status == "done" else "")
        )
    due = working_calendar(ctx).last_working_day(first_day.year, first_day.month)
    since = _months_before(first_day, ctx.policy.audit.exclusion_months)
    eligible = eligible_cases(
        tx, first_day=first_day, since=since, sample_id=sample_id, stratify=stratify
    )
    if stratify is not None:
        value = target.team if stratify == "team" else target.category
        name = _stratum(value)
        eligible = {name: eligible.get(name, [])}
    else:
        name = "all"
    drawn = Drawn(
        pick(eligible, seed, {name: 1}),
        [[name, len(eligible[name]), min(1, len(eligible[name]))]],
        eligible,
    )
    if not drawn.picks:
        where = f" in its {stratify} ({name})" if stratify is not None else ""
        raise RuleError(f"no eligible case is left{where} to replace {case_ref}: nothing changed")
    previews = _previews_since(tx, month)
    tx.update("sample_items", target.id, {"status": "replaced"})
    kept = [item for item in items if item.id != target.id]
    auditors, staff_ids = _auditors(tx, kept)
    details = _case_lines(tx, [drawn.picks[0][0]])
    new_id, new_ref = drawn.picks[0]
    team = details[new_id][0]
    # The replaced case's auditor keeps the work when they may take the new case.
    if target.auditor is not None and any(
        a.name == target.auditor and may_audit(a, team) for a in auditors
    ):
        allocation: dict[str, str | None] = {new_ref: target.auditor}
    else:
        allocation = allocate([(new_ref, team)], auditors)
    draw_id = _record_step(tx, ctx, sample_id, "replace", "sample", seed, 1, stratify, drawn,
                           previews, replaced_case_id=target.case_id, reason=reason)  # fmt: skip
    _add_items(tx, sample_id, draw_id, drawn.picks, allocation, staff_ids, due, items)
    tx.log(
        Event(
            actor=ctx.user,
            action=STEP_ACTIONS["replace"],
            entity="sample",
            entity_ref=month,
            recorded_at=ctx.recorded_at,
            as_of=ctx.now,
            before={"case_ref": case_ref, "status": "open"},
            after={"case_ref": new_ref, "status": "open"},
            detail={
                "added": [new_ref],
                "replaced": [case_ref],
                # Free text about the case: the event keeps where it is, so erasing the case
                # erases it (services.erasure.logged_text).
                "reason": {"kept_in": "sample_draws", "id": draw_id, "chars": len(reason)},
                "draw_id": draw_id,
                "previews": previews,
                **_certificate(ctx, drawn, seed, "sample", stratify, 1),
            },
        )
    )
    result = _result(month, seed, size, stratify, "replaced", _items(tx, sample_id))
    result.replaced = [case_ref]
    result.added = [new_ref]
    result.auditors = len(auditors)
    result.eligible = drawn.eligible_count
    return result


# --- the certificate, and checking it ---------------------------------------------------------


@dataclass(frozen=True)
class Step:
    id: int
    kind: str
    seed: int
    seed_source: str
    method: str
    method_version: int
    need: int
    stratify: str | None
    strata: list[Any]
    eligible_ids: str
    eligible_sha256: str
    previews: int
    replaced_case_id: int | None
    reason: str | None
    drawn_at: datetime
    drawn_by: str

    @property
    def eligible(self) -> int:
        return sum(int(entry[1]) for entry in self.strata)


_STEPS_SQL = (
    "SELECT id, kind, seed, seed_source, method, method_version, need, stratify, strata,"
    " eligible_ids, eligible_sha256, previews, replaced_case_id, reason, drawn_at, drawn_by"
    " FROM sample_draws WHERE sample_id = :sample ORDER BY id"
)


def _steps(tx: Rows, sample_id: int) -> list[Step]:
    out = []
    for row in tx.all(_STEPS_SQL, {"sample": sample_id}):
        values = list(row)
        values[8] = listed(values[8])
        values[14] = moment(values[14])
        out.append(Step(*values))
    return out


@dataclass(frozen=True)
class Replacement:
    replaced: str
    by: str | None
    reason: str | None
    on: date
    who: str


@dataclass
class Certificate:
    """A month's sampling certificate, as the report and ``--verify`` show it."""

    month: str
    picks: int  # cases in the sample now (replaced ones not counted)
    seed: int
    drawn_at: datetime
    drawn_by: str
    eligible: int | None = None  # at the draw that was kept; None: drawn before it was kept
    seed_source: str | None = None
    method: str | None = None
    method_version: int | None = None
    previews: int = 0  # dry runs before the draw that was kept
    redraws: int = 0
    top_ups: int = 0
    replacements: list[Replacement] = field(default_factory=list)

    @property
    def recorded(self) -> bool:
        return self.eligible is not None

    def sentence(self, *, cases: bool = True) -> str:
        """One short paragraph: how many of how many, when, by whom, with what seed. Without
        ``cases`` (a report), replacements are counted, not named with their reasons."""
        on = _day_text(_london_day(self.drawn_at))
        if not self.recorded:
            return (
                f"{self.picks} cases drawn on {on} by {self.drawn_by} with seed {self.seed}, "
                "before qaudit kept a record of the eligible cases: this draw cannot be verified."
            )
        given = self.seed_source == "given"
        seed = f"seed {self.seed}, given by hand" if given else "a generated seed"
        text = (
            f"{self.picks} of {self.eligible:,} eligible cases, drawn on {on} "
            f"by {self.drawn_by} with {seed}"
        )
        before = []
        if self.previews:
            before.append(_count(self.previews, "preview"))
        if self.redraws:
            before.append(_count(self.redraws, "redraw"))
        if before:
            text += f", after {' and '.join(before)}"
        if self.top_ups:
            text += f"; topped up {_count(self.top_ups, 'time')}"
        if self.replacements and not cases:
            text += f"; {_count(len(self.replacements), 'case')} replaced (why: in the log)"
        elif self.replacements:
            text += "; replaced: " + ", ".join(
                f"{r.replaced} by {r.by or '?'} ({r.reason})" for r in self.replacements
            )
        return text + f"; verify with `qaudit sample --verify {self.month}`."

    def as_dict(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "picks": self.picks,
            "eligible": self.eligible,
            "seed": self.seed,
            "seed_source": self.seed_source,
            "drawn_at": self.drawn_at,
            "drawn_by": self.drawn_by,
            "method": self.method,
            "method_version": self.method_version,
            "previews": self.previews,
            "redraws": self.redraws,
            "top_ups": self.top_ups,
            "replacements": [
                {"replaced": r.replaced, "by": r.by, "reason": r.reason, "on": r.on, "who": r.who}
                for r in self.replacements
            ],
            "text": self.sentence(),
        }


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _day_text(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def _london_day(moment_: datetime) -> date:
    from qaudit.domain.dates import LONDON

    return moment_.astimezone(LONDON).date()


def certificate(tx: Rows, month: str) -> Certificate | None:
    """The month's sampling certificate; None when no sample has been drawn for it."""
    found = tx.all(
        "SELECT id, seed, drawn_at, drawn_by FROM samples WHERE month = :month", {"month": month}
    )
    if not found:
        return None
    sample_id, seed, drawn_at, drawn_by = found[0]
    items = _items(tx, sample_id)
    cert = Certificate(
        month=month,
        picks=sum(1 for item in items if item.status != "replaced"),
        seed=seed,
        drawn_at=moment(drawn_at),
        drawn_by=drawn_by,
    )
    steps = _steps(tx, sample_id)
    kept = [n for n, step in enumerate(steps) if step.kind in KEPT_STEPS]
    if not kept:
        return cert
    last = steps[kept[-1]]
    cert.eligible = last.eligible
    cert.seed = last.seed
    cert.seed_source = last.seed_source
    cert.method = last.method
    cert.method_version = last.method_version
    cert.drawn_at = last.drawn_at
    cert.drawn_by = last.drawn_by
    cert.previews = sum(step.previews for step in steps[: kept[-1] + 1])
    cert.redraws = sum(1 for step in steps if step.kind == "redraw")
    cert.top_ups = sum(1 for step in steps if step.kind == "top-up")
    by_case = {item.case_id: item.case_ref for item in items}
    added = {item.draw_id: item.case_ref for item in items if item.draw_id is not None}
    cert.replacements = [
        Replacement(
            replaced=by_case.get(step.replaced_case_id or 0, f"case id {step.replaced_case_id}"),
            by=added.get(step.id),
            reason=step.reason or "reason erased",
            on=_london_day(step.drawn_at),
            who=step.drawn_by,
        )
        for step in steps
        if step.kind == "replace"
    ]
    return cert


@dataclass
class Verification:
    month: str
    certificate: Certificate
    steps: int = 0
    checked: int = 0  # picks drawn again and found to match
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "verified": self.ok,
            "steps": self.steps,
            "picks_checked": self.checked,
            "problems": self.problems,
            "certificate": self.certificate.as_dict(),
        }


def verify_sample(tx: Rows, month: str) -> Verification:
    """Draw every recorded step of the month's sample again, from the record of which cases
    were eligible and the seed, and compare each pick with the sample the store holds; also
    check the record against the certificate its change-log event carries."""
    try:
        month_bounds(month)
    except ValueError as exc:
        raise RuleError(str(exc)) from None
    cert = certificate(tx, month)
    if cert is None:
        raise NotFoundError(f"no sample has been drawn for {month}")
    (sample_id,) = tx.all("SELECT id FROM samples WHERE month = :month", {"month": month})[0]
    items = _items(tx, sample_id)
    steps = _steps(tx, sample_id)
    result = Verification(month=month, certificate=cert, steps=len(steps))
    known = {step.id for step in steps}
    for item in items:
        if item.draw_id is None:
            result.problems.append(
                f"{item.case_ref} (position {item.position}) was drawn before qaudit kept a "
                "record of the eligible cases: it cannot be checked"
            )
        elif item.draw_id not in known:
            result.problems.append(
                f"{item.case_ref} (position {item.position}) names a draw the store does not "
                f"hold (step {item.draw_id})"
            )
    if not steps:
        return result
    events = _step_events(tx, month)
    needed = set()
    unpacked: dict[int, list[int]] = {}
    for step in steps:
        try:
            unpacked[step.id] = unpack_eligible(step.eligible_ids)
        except (ValueError, zlib.error):
            result.problems.append(f"the record of the eligible cases of {_name(step)} is damaged")
            continue
        needed.update(unpacked[step.id])
    refs = _refs_of(tx, needed)
    for step in steps:
        if step.id in unpacked:
            _verify_step(result, step, unpacked[step.id], refs, items, events.get(step.id))
    return result


def _name(step: Step) -> str:
    what = {"draw": "the draw", "redraw": "the redraw", "top-up": "the top-up"}
    return f"{what.get(step.kind, 'the replacement')} of {_day_text(_london_day(step.drawn_at))}"


def _step_events(tx: Rows, month: str) -> dict[int, dict[str, Any]]:
    """Each step's certificate as its change-log event recorded it (the chain seals these)."""
    out: dict[int, dict[str, Any]] = {}
    marks = ", ".join(f"'{action}'" for action in STEP_ACTIONS.values())
    for (detail,) in tx.all(
        "SELECT detail FROM change_log WHERE entity = 'sample' AND entity_ref = :month"
        f" AND action IN ({marks}) ORDER BY id",
        {"month": month},
    ):
        value = json.loads(detail) if isinstance(detail, str) else detail
        if isinstance(value, dict) and isinstance(value.get("draw_id"), int):
            out[value["draw_id"]] = value
    return out


def _refs_of(tx: Rows, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    if len(ids) > 2000:  # a big draw: one pass over the cases costs less than lookups
        return {id_: ref for id_, ref in tx.all("SELECT id, case_ref FROM cases") if id_ in ids}
    out: dict[int, str] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        marks = ", ".join(f":i{n}" for n in range(len(chunk)))
        out.update(
            tx.all(
                f"SELECT id, case_ref FROM cases WHERE id IN ({marks})",
                {f"i{n}": id_ for n, id_ in enumerate(chunk)},
            )
        )
    return out


def _verify_step(
    result: Verification,
    step: Step,
    ids: list[int],
    refs: dict[int, str],
    items: Sequence[_Item],
    event: dict[str, Any] | None,
) -> None:
    name = _name(step)
    problems = result.problems
    strata: dict[str, list[tuple[int, str]]] = {}
    counts = [int(entry[1]) for entry in step.strata]
    if sum(counts) != len(ids):
        problems.append(
            f"the record of the eligible cases of {name} holds {len(ids):,} cases where its "
            f"strata count {sum(counts):,}"
        )
        return
    missing = [id_ for id_ in ids if id_ not in refs]
    if missing:
        problems.append(
            f"the record of the eligible cases of {name} names {_count(len(missing), 'case')} "
            f"the store no longer holds (ids {', '.join(map(str, missing[:5]))})"
        )
        return
    start = 0
    for entry, size in zip(step.strata, counts, strict=True):
        stratum = entry[0]
        strata[str(stratum)] = [(id_, refs[id_]) for id_ in ids[start : start + size]]
        start += size
    digest = refs_digest(refs[id_] for id_ in ids)
    if digest != step.eligible_sha256:
        problems.append(
            f"the eligible cases recorded for {name} are not the ones its certificate names "
            "(their digest differs)"
        )
    if event is None:
        problems.append(f"{name} has no change-log event carrying its certificate")
    else:
        if event.get("eligible_refs_sha256") != digest:
            problems.append(
                f"the eligible cases recorded for {name} are not the ones its change-log "
                "event names (their digest differs)"
            )
        if event.get("seed") != step.seed:
            problems.append(
                f"{name} is recorded with seed {step.seed}, its change-log event with "
                f"seed {event.get('seed')}"
            )
    if step.method != DRAW_METHOD or step.method_version != DRAW_VERSION:
        problems.append(
            f"{name} was made with {step.method} version {step.method_version}, which this "
            f"qaudit cannot repeat ({DRAW_METHOD} version {DRAW_VERSION})"
        )
        return
    wanted = {str(entry[0]): int(entry[2]) for entry in step.strata}
    if step.kind != "replace":
        expected_quotas = (
            quotas(step.need, {k: len(v) for k, v in strata.items()})
            if step.stratify is not None
            else {"all": min(step.need, len(ids))}
        )
        if {k: v for k, v in expected_quotas.items() if v} != {
            k: v for k, v in wanted.items() if v
        }:
            problems.append(f"the quotas recorded for {name} are not the policy's for its strata")
    expected = [ref for _, ref in pick(strata, step.seed, wanted)]
    found = [item for item in items if item.draw_id == step.id]
    found_refs = {item.case_ref for item in found}
    for item in found:
        if item.case_ref not in expected:
            problems.append(
                f"{item.case_ref} (position {item.position}) is in the sample, but {name} "
                "does not pick it"
            )
    for ref in expected:
        if ref not in found_refs:
            problems.append(f"{name} picks {ref}, which is not in the sample")
    result.checked += sum(1 for item in found if item.case_ref in expected)
