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
