"""The one shape every case reader produces, whatever the file it read."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
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


class RowWatch:
    """What the rows going to the store say beyond their own validity, watched as they pass:

    - case refs that differ only in letter case (``X900001`` and ``x900001``): two cases to a
      case-sensitive store, but nearly always one child typed twice. Only refs with a lower-case
      letter are kept, so a million upper-case refs cost one ``upper()`` per batch;
    - refs in the file that differ only in case from one already stored (``stored``: the
      store's refs with a lower-case letter, by their upper-case form);
    - dates of birth after the case's open date (a warning: imported as written).

    Surrounding spaces never make two refs: every reader strips them.
    """

    def __init__(self, stored: dict[str, str] | None = None, *, births: bool = True) -> None:
        self.stored = stored or {}
        self.births = births
        self.reset()

    def reset(self) -> None:
        self.lower: dict[str, dict[str, int]] = {}  # upper-case form → {ref: first line}
        self.clashes: list[tuple[str, int, str]] = []  # (ref in the file, its line, stored ref)
        self.born_after: list[tuple[int, str, str]] = []  # (line, date of birth, open date)

    def watch(self, batches: Iterator[Sequence[RowTuple]]) -> Iterator[Sequence[RowTuple]]:
        self.reset()
        stored = self.stored
        for batch in batches:
            refs = "\x1f".join([r[1] for r in batch])
            if refs != refs.upper() or stored:
                for r in batch:
                    ref = r[1]
                    upper = ref.upper()
                    if upper != ref:
                        self.lower.setdefault(upper, {}).setdefault(ref, r[0])
                    other = stored.get(upper)
                    if other is not None and other != ref:
                        self.clashes.append((ref, r[0], other))
            if self.births:
                # ISO dates compare as text; "" stands in for a missing one and is never later.
                self.born_after += [
                    (r[0], r[7] or "", r[5]) for r in batch if r[5] and (r[7] or "") > r[5]
                ]
            yield batch

    def file_variants(self, batches: Iterator[Sequence[RowTuple]]) -> dict[str, dict[str, int]]:
        """Every ref of the file sharing an upper-case form with a ref holding a lower-case
        letter: upper-case form → {ref: first line}. A second pass, made only when such refs
        were seen."""
        found: dict[str, dict[str, int]] = {key: {} for key in self.lower}
        for batch in batches:
            for r in batch:
                group = found.get(r[1].upper())
                if group is not None:
                    group.setdefault(r[1], r[0])
        return found


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
