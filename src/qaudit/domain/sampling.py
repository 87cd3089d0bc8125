"""The monthly audit sample and its allocation: a simple random sample drawn reproducibly from a
seed, stratified quotas, and an even spread of audits over auditors that never gives an auditor
a case from their own team.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

SEED_LIMIT = 2**48
"""New seeds lie in ``[1, SEED_LIMIT)``: 15 digits, exact in JSON and in a spreadsheet cell."""


def new_seed(entropy: int) -> int:
    """A seed in ``[1, SEED_LIMIT)`` from whatever entropy the caller read (``os.urandom``)."""
    digest = hashlib.blake2b(str(entropy).encode(), digest_size=8, person=b"qaudit-seed").digest()
    return int.from_bytes(digest, "big") % (SEED_LIMIT - 1) + 1


DRAW_METHOD = "blake2b-keyed-order"
DRAW_VERSION = 2
"""How a draw orders the eligible cases (recorded with each draw, so it can be checked)."""


def draw_rank(seed: int) -> Callable[[str], bytes]:
    """The place of each case in the draw for ``seed``: a BLAKE2b digest of its ref, keyed with
    the seed. Ordering the eligible cases on it and taking the first n is a simple random
    sample without replacement (every case, and every set of n cases, equally likely), the
    same whatever order the cases come in; a different seed gives an unrelated order."""
    base = draw_rank_hasher(seed)

    def rank(case_ref: str) -> bytes:
        keyed = base.copy()
        keyed.update(case_ref.encode("utf-8"))
        return keyed.digest()

    return rank


def first_in_draw(case_refs: Sequence[str], seed: int, size: int) -> list[str]:
    """The first ``size`` of ``case_refs`` in the draw's order for ``seed``: by
    ``draw_rank``, then by the ref. The same as sorting on ``(draw_rank(seed)(ref), ref)``, made
    for a million cases: each case's key is its rank followed by its ref's UTF-8 (the rank is
    16 bytes, and UTF-8 sorts as the text does), so plain byte comparisons in C order them."""
    if size < 0:
        raise ValueError(f"sample size must be 0 or more, not {size}")
    copy = draw_rank_hasher(seed).copy
    keys: list[bytes] = []
    append = keys.append
    for ref in case_refs:
        keyed = copy()
        text = ref.encode("utf-8")
        keyed.update(text)
        append(keyed.digest() + text)
    if size == 0:
        return []
    if size * 8 < len(keys):
        heapq.heapify(keys)
        pop = heapq.heappop
        firsts = [pop(keys) for _ in range(size)]
    else:
        firsts = sorted(keys)[:size]
    out: list[str] = []
    for key in firsts:
        ref = key[RANK_SIZE:].decode("utf-8")
        if not out or out[-1] != ref:  # a ref given twice is one case
            out.append(ref)
    if len(out) < size and len(out) < len(keys):  # duplicates took places: do it plainly
        return draw(case_refs, seed, size)
    return out


RANK_SIZE = 16


def draw_rank_hasher(seed: int) -> hashlib.blake2b:
    """BLAKE2b keyed with the seed, before any ref: ``draw_rank``'s, copied for each case."""
    return hashlib.blake2b(
        key=str(seed).encode("ascii"), digest_size=RANK_SIZE, person=b"qaudit-draw-v2"
    )


def draw(case_refs: Iterable[str], seed: int, size: int) -> list[str]:
    """The first ``size`` cases in the seed's order (``draw_rank``, then the ref): the sample.

    The same seed over the same cases gives the same sample whatever order they come in, and a
    smaller sample is the start of a larger one (a top-up keeps the earlier picks).
    """
    if size < 0:
        raise ValueError(f"sample size must be 0 or more, not {size}")
    rank = draw_rank(seed)
    return [ref for _, ref in heapq.nsmallest(size, ((rank(ref), ref) for ref in set(case_refs)))]


def quotas(size: int, strata: Mapping[str, int]) -> dict[str, int]:
    """How many of a sample of ``size`` to draw from each stratum (a team, a category).

    Proportional to each stratum's eligible count by largest remainder, ties to the name that
    sorts first. When ``size`` covers one per non-empty stratum, each gets at least one, so a
    small team is never missed: those whose share falls below one get exactly one and the rest
    share what is left in proportion. No stratum gets more than it has, and the quotas total
    ``min(size, sum of counts)``. Every stratum named is in the result, empty ones with 0.
    """
    if size < 0:
        raise ValueError(f"sample size must be 0 or more, not {size}")
    for name, count in strata.items():
        if count < 0:
            raise ValueError(f"stratum '{name}' has a negative count ({count})")
    result = dict.fromkeys(strata, 0)
    filled = {name: count for name, count in strata.items() if count > 0}
    available = sum(filled.values())
    if size >= available:
        result.update(filled)
        return result

    fixed: set[str] = set()
    if size >= len(filled):
        # Fixing a stratum at one shrinks everyone else's share, which may push another
        # below one: repeat until none is.
        while True:
            rest = {name: count for name, count in filled.items() if name not in fixed}
            budget, pool = size - len(fixed), sum(rest.values())
            small = {name for name, count in rest.items() if budget * count < pool}
            if not small:
                break
            fixed |= small
    rest = {name: count for name, count in filled.items() if name not in fixed}
    budget, pool = size - len(fixed), sum(rest.values())
    for name in fixed:
        result[name] = 1
    if pool:
        for name, count in rest.items():
            result[name] = budget * count // pool
        left = budget - sum(result[name] for name in rest)
        # Every remainder has the same denominator (pool), so the numerators order them.
        by_remainder = sorted(rest, key=lambda name: (-(budget * rest[name] % pool), name))
        for name in by_remainder[:left]:
            result[name] += 1
    return result


@dataclass(frozen=True)
class Auditor:
    """Someone who audits: ``load`` is the audits already allocated to them this month."""

    name: str
    team: str | None
    load: int = 0

    def __post_init__(self) -> None:
        if self.load < 0:
            raise ValueError(f"auditor '{self.name}' has a negative load ({self.load})")


def _team_key(team: str | None) -> str | None:
    # Team names are typed by hand in two systems (staff list, Annex A); a conflict of interest
    # missed over "Team 1" against "team  1" is worse than one seen where there was none.
    if team is None:
        return None
    key = " ".join(team.split()).casefold()
    return key or None


def may_audit(auditor: Auditor, case_team: str | None) -> bool:
    """False when the auditor is in the case's team (conflict of interest); a case or auditor
    with no team has no conflict."""
    own, theirs = _team_key(auditor.team), _team_key(case_team)
    return own is None or theirs is None or own != theirs


def allocate(
    items: Sequence[tuple[str, str | None]], auditors: Sequence[Auditor]
) -> dict[str, str | None]:
    """Case ref -> auditor name for ``(case_ref, case_team)`` items; None where nobody may take it.

    The cases with fewest eligible auditors go first, each to the eligible auditor with the
    lowest load so far (ties to the name that sorts first; cases in order of ref for equal
    constraint), which spreads the audits evenly wherever the team rule leaves room. The result
    does not depend on the order of ``items`` or ``auditors``; its keys follow ``items``.
    """
    names = [auditor.name for auditor in auditors]
    if len(set(names)) != len(names):
        raise ValueError("auditor names must be unique")
    refs = [ref for ref, _ in items]
    if len(set(refs)) != len(refs):
        raise ValueError("each case may appear only once")
    by_name = sorted(auditors, key=lambda auditor: auditor.name)
    loads = {auditor.name: auditor.load for auditor in auditors}
    plan = [([a.name for a in by_name if may_audit(a, team)], ref) for ref, team in items]
    plan.sort(key=lambda step: (len(step[0]), step[1]))
    chosen: dict[str, str | None] = {}
    for eligible, ref in plan:
        if not eligible:
            chosen[ref] = None
            continue
        name = min(eligible, key=lambda candidate: (loads[candidate], candidate))
        loads[name] += 1
        chosen[ref] = name
    return {ref: chosen[ref] for ref in refs}


def spread(allocation: Mapping[str, str | None], auditors: Sequence[Auditor]) -> dict[str, int]:
    """Each auditor's load once ``allocation`` is added to the load they started with."""
    loads = {auditor.name: auditor.load for auditor in auditors}
    for name in allocation.values():
        if name is None:
            continue
        if name not in loads:
            raise ValueError(f"'{name}' is not one of the auditors")
        loads[name] += 1
    return loads
