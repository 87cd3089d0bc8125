"""The one shape every case reader produces, whatever the file it read."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

CATEGORIES: tuple[str, ...] = ("CLA", "CP", "CIN", "CL")
"""Case categories, most intensive first (domain.md, "Cases")."""


class CaseRow(NamedTuple):
    """One case as read from a file: dates are ISO ``YYYY-MM-DD`` strings or None.

    ``line`` is where the row starts in its file (for an Annex A case: a running number of
    the merged case, since one case may come from several sheets).
    """

    line: int
    case_ref: str
    team: str | None
    worker: str | None
    category: str
    open_date: str | None
    close_date: str | None
    date_of_birth: str | None


RowTuple = tuple[int, str, str | None, str | None, str, str | None, str | None, str | None]
"""A CaseRow's fields as a plain tuple, for the bulk path (a CaseRow is one too)."""


@dataclass
class CaseFile:
    """A validated case file: rows to apply in batches, and what the reader wants said."""

    kind: str  # "csv" or "annex-a"
    batches: Iterator[Sequence[RowTuple]]
    warnings: list[str] = field(default_factory=list)
    # Where each field came from, for messages: field name -> (1-based column, header text).
    columns: dict[str, tuple[int, str]] = field(default_factory=dict)


TRACKED = 50_000
"""The most refs with lower-case (or upper-case) letters kept while watching a file."""


class RowWatch:
    """What the rows going to the store say beyond their own validity, watched as they pass:

    - case refs that differ only in letter case (``X900001`` and ``x900001``): two cases to a
      case-sensitive store, but nearly always one child typed twice. Such a pair always has a
      ref with a lower-case letter and one with an upper-case letter, so the refs of each kind
      are kept, up to ``TRACKED`` of each: the rarer kind (in most files, refs with lower-case
      letters: none) is what a second look at the file and the store starts from;
    - refs in the file that differ only in case from one already stored (``stored``: the
      store's refs of the rarer kind, by their twin: ``{"X1": "x1"}`` for a stored ``x1``);
    - dates of birth after the case's open date (a warning: imported as written).

    Surrounding spaces never make two refs: every reader strips them.
    """

    def __init__(self, stored: dict[str, str] | None = None, *, births: bool = True) -> None:
        self.stored = stored or {}
        self.births = births
        self.reset()

    def reset(self) -> None:
        # Refs with a lower-case / an upper-case letter and their first line; None once over
        # TRACKED (the file's convention, not a few mistakes).
        self.lower: dict[str, int] | None = {}
        self.upper: dict[str, int] | None = {}
        self.clashes: list[tuple[str, int, str]] = []  # (ref in the file, its line, stored ref)
        self.born_after: list[tuple[int, str, str]] = []  # (line, date of birth, open date)

    def watch(self, batches: Iterator[Sequence[RowTuple]]) -> Iterator[Sequence[RowTuple]]:
        self.reset()
        stored = self.stored
        for batch in batches:
            refs = "\x1f".join([r[1] for r in batch])
            if self.lower is not None and refs != refs.upper():
                self.lower = _keep(self.lower, batch, str.upper)
            if self.upper is not None and refs != refs.lower():
                self.upper = _keep(self.upper, batch, str.lower)
            if stored:
                for r in batch:
                    for twin in (r[1].upper(), r[1].lower()):
                        other = stored.get(twin)
                        if other is not None and other != r[1]:
                            self.clashes.append((r[1], r[0], other))
                            break
            if self.births:
                # ISO dates compare as text; "" stands in for a missing one and is never later.
                self.born_after += [
                    (r[0], r[7] or "", r[5]) for r in batch if r[5] and (r[7] or "") > r[5]
                ]
            yield batch

    def rarer(self) -> tuple[dict[str, int], Callable[[str], str], bool] | None:
        """The refs of the rarer kind, the fold that makes a twin of each (``str.upper`` for
        refs with lower-case letters), and whether the file holds refs of the other kind too
        (else no two refs in it can be twins). None when both kinds were too many to keep."""
        if self.lower is not None and (self.upper is None or len(self.lower) <= len(self.upper)):
            return self.lower, str.upper, self.upper is None or bool(self.upper)
        if self.upper is not None:
            return self.upper, str.lower, self.lower is None or bool(self.lower)
        return None

    @staticmethod
    def file_twins(
        batches: Iterator[Sequence[RowTuple]], keys: set[str], fold: Callable[[str], str]
    ) -> dict[str, dict[str, int]]:
        """Every ref of the file whose fold is in ``keys``: fold → {ref: first line}."""
        found: dict[str, dict[str, int]] = {key: {} for key in keys}
        for batch in batches:
            for r in batch:
                group = found.get(fold(r[1]))
                if group is not None:
                    group.setdefault(r[1], r[0])
        return found


def _keep(
    kept: dict[str, int], batch: Sequence[RowTuple], fold: Callable[[str], str]
) -> dict[str, int] | None:
    for r in batch:
        if fold(r[1]) != r[1] and r[1] not in kept:
            kept[r[1]] = r[0]
    return kept if len(kept) <= TRACKED else None


def variant_messages(
    name: str,
    groups: dict[str, dict[str, int]],
    stored: dict[str, set[str]],
    clashes: list[tuple[str, int, str]],
) -> list[tuple[int, str]]:
    """(line, message) for each ref differing only in letter case from another: within the
    file (``groups``: upper-case form → {ref: line}) or from a stored ref (``stored``: upper-
    case form → refs in the store, ``clashes``: found while streaming)."""
    found: dict[tuple[str, str], tuple[int, str]] = {}
    for key, refs in groups.items():
        ordered = sorted(refs.items(), key=lambda item: item[1])
        first_ref, first_line = ordered[0]
        for ref, line in ordered[1:]:
            found[(first_ref, ref)] = (
                line,
                f"case ref '{ref}' differs only in letter case from '{first_ref}' on line "
                f"{first_line}: they would be two cases",
            )
        for other in sorted(stored.get(key, set()) - set(refs)):
            for ref, line in ordered:
                found[(ref, other)] = (line, _stored_clash(ref, other))
    for ref, line, other in clashes:
        found.setdefault((ref, other), (line, _stored_clash(ref, other)))
    return sorted(found.values())


def _stored_clash(ref: str, other: str) -> str:
    return (
        f"case ref '{ref}' differs only in letter case from '{other}', already in the store: "
        "they would be two cases"
    )


def born_after(born: str, opened: str) -> str:
    """The warning for a date of birth after the case's open date (imported as written)."""
    return (
        f"the date of birth {born} is after the case's open date {opened} "
        "(right only for a plan made before the child was born)"
    )


def cap_warnings(found: list[str], what: str, shown: int = 5) -> list[str]:
    """The first ``shown`` warnings, and a count of the rest."""
    if len(found) <= shown:
        return found
    rest = len(found) - shown
    return [*found[:shown], f"{rest:,} more row{'s' if rest > 1 else ''} with {what}"]
