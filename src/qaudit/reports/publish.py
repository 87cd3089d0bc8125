"""Make a report fit to leave the service: no small number that can be seen or worked back, no
free text, no names.

A pure function over the report model (reports/model.py); renderers lay the result out unchanged.

- **Primary suppression**: a count of 1 to the threshold (DfE: 5) is shown as "c", and 0 too
  where the policy says so (``reports.suppress_zero``).
- **Secondary suppression across the whole report**: reports/links.py names each count by what
  it counts (so the same figure in two tables is one) and writes every linear relation the
  report's structure implies (totals, margins, a period and its months, good or better and the
  grades...). A suppressed count is *determined* when those relations and the counts still shown
  fix its value; then the smallest shown count that shares a relation with it is suppressed too,
  until no suppressed count is determined (exact rational elimination, see ``_determined``).
- A rate (and its interval) is shown only when both counts it rests on are shown, or, where a
  count is not itself in the report, is not a small one; a median or a mean only when it rests
  on at least 6 items; a limit, a difference or a verdict only when its counts are shown.
- Text columns, free-text lists and tables for the service only (``Table.public``) are left
  out, and the notes say so.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from fractions import Fraction
from typing import Any

from qaudit.reports.links import Cell, Key, Links, link
from qaudit.reports.model import Report, Section, Table

SUPPRESSED = "c"
TRIALS = 40  # candidates tried, best first, for one that frees a determined count
TEXT_WITHHELD_NOTE = "Free text, names and case references are withheld."
CI_SUFFIX = "_ci95"
SMALL_SUFFIX = "_small"
OF_SUFFIX = "_of"


def publish(report: Report, threshold: int = 5, *, zero: bool = False) -> Report:
    """A new report with small counts (1 to ``threshold``, and 0 too with ``zero``), and every
    figure that would give one away, shown as "c", and free text withheld (see the module's
    docstring)."""
    links = link(report)
    small = _Small(threshold, zero)
    hidden = _suppressed(links, small)
    text_dropped = False
    sections: list[Section] = []
    for s, section in enumerate(report.sections):
        tables: list[Table] = []
        for t, table in enumerate(section.tables):
            if not table.public:
                text_dropped = True
                continue
            if any(column.kind == "text" for column in table.columns):
                text_dropped = True
            tables.append(_publish_table(s, t, table, links, hidden, small))
        if any(section.lists.values()):
            text_dropped = True
        # Names stay with empty lists, so a reader sees what was withheld rather than nothing.
        lists: dict[str, list[str]] = {name: [] for name in section.lists}
        sections.append(replace(section, tables=tables, lists=lists))

    notes = list(report.notes)
    suppression_note = (
        f"Counts of {0 if zero else 1} to {threshold} are shown as c, and so is any figure "
        "from which one could be worked out."
    )
    if suppression_note not in notes:
        notes.append(suppression_note)
    if text_dropped and TEXT_WITHHELD_NOTE not in notes:
        notes.append(TEXT_WITHHELD_NOTE)
    return replace(report, published=True, sections=sections, notes=notes)


def suppressed_keys(report: Report, threshold: int = 5, *, zero: bool = False) -> set[Key]:
    """The keys (see reports/links.py) that ``publish`` shows as "c"."""
    return _suppressed(link(report), _Small(threshold, zero))


class _Small:
    """Whether a count is small enough to hide on its own (primary suppression)."""

    def __init__(self, threshold: int, zero: bool) -> None:
        self.lowest = 0 if zero else 1
        self.threshold = threshold

    def __call__(self, value: int | None) -> bool:
        return value is not None and self.lowest <= value <= self.threshold


def _suppressed(links: Links, small: _Small) -> set[Key]:
    shown = links.shown
    suppressed = {key for key in shown if small(links.values.get(key))}
    while True:
        known = _known(links, shown, suppressed, small)
        exposed = sorted(
            k for k in _determined(links.relations, known, links.values) if k in suppressed
        )
        if not exposed:
            return suppressed
        target = exposed[0]
        candidates = _candidates(links, target, known, suppressed)
        if not candidates:  # cannot happen while the target is determined; stop, not loop
            return suppressed
        # The first candidate whose suppression frees the target, else the first of all.
        chosen = candidates[0]
        for candidate in candidates[:TRIALS]:
            trial = suppressed | {candidate}
            trial_known = _known(links, shown, trial, small)
            if target not in _determined(links.relations, trial_known, links.values):
                chosen = candidate
                break
        suppressed.add(chosen)


def _known(links: Links, shown: set[Key], suppressed: set[Key], small: _Small) -> set[Key]:
    """What a reader knows: the counts shown, and any count a shown rate gives away."""
    known = shown - suppressed
    for part, whole in links.rates.values():
        if _rate_shown(links, part, whole, shown, suppressed, small):
            known |= {part, whole}
    return known


def _rate_shown(
    links: Links, part: Key, whole: Key, shown: set[Key], suppressed: set[Key], small: _Small
) -> bool:
    for key in (part, whole):
        if key in suppressed:
            return False
        if key not in shown and small(links.values.get(key)):
            return False  # a small count that is in no table: the rate would give it away
    return True


def _determined(
    relations: list[dict[Key, int]], known: set[Key], values: dict[Key, int]
) -> set[Key]:
    """The unknown keys whose value the relations fix, given the known ones.

    Each relation is a linear equation over keys; the known terms are constants. Reduce the
    equations over the unknowns to reduced row echelon form (exact fractions): an unknown is
    fixed when some reduced row has it as its only term. Counts are never negative, so a
    row whose terms all have the same sign and add up to 0 fixes each of them at 0 too (the
    months either side of a quarter's, say, when the quarter is all in one of them)."""
    rows: list[dict[Key, Fraction]] = []
    for relation in relations:
        row = {k: Fraction(v) for k, v in relation.items() if k not in known}
        if row:
            rows.append(row)
    pivots: list[tuple[Key, dict[Key, Fraction]]] = []
    for row in rows:
        for pivot, reduced in pivots:
            factor = row.get(pivot)
            if factor:
                for k, v in reduced.items():
                    new = row.get(k, Fraction(0)) - factor * v
                    if new:
                        row[k] = new
                    else:
                        row.pop(k, None)
        if not row:
            continue
        pivot = min(row)
        scale = row[pivot]
        row = {k: v / scale for k, v in row.items()}
        # Back-substitute into the earlier rows, keeping them reduced.
        for i, (other_pivot, other) in enumerate(pivots):
            factor = other.get(pivot)
            if factor:
                for k, v in row.items():
                    new = other.get(k, Fraction(0)) - factor * v
                    if new:
                        other[k] = new
                    else:
                        other.pop(k, None)
                pivots[i] = (other_pivot, other)
        pivots.append((pivot, row))
    fixed = {pivot for pivot, row in pivots if len(row) == 1}
    for _, row in pivots:
        signs = {v > 0 for v in row.values()}
        if len(signs) == 1 and sum(v * values.get(k, 0) for k, v in row.items()) == 0:
            fixed |= set(row)
    return fixed


def _candidates(links: Links, target: Key, known: set[Key], suppressed: set[Key]) -> list[Key]:
    """What could be withheld so that ``target`` is no longer determined, best first.

    Every known figure linked to the target through the relations (directly, or through
    other unknowns), in this order: a figure that is in no table but given away by a shown
    rate (withholding it withholds only that rate: the p-chart's centre line, say); then the
    shown counts nearest the target, smallest first; zeros last (a 0 is often pinned anyway,
    by a whole of 0 beside it)."""
    shown = links.shown
    by_key: dict[Key, list[int]] = defaultdict(list)
    for index, relation in enumerate(links.relations):
        for key in relation:
            by_key[key].append(index)
    seen: set[Key] = {target}
    frontier = [target]
    found: list[tuple[bool, bool, int, int, Key]] = []
    layer = 0
    while frontier:
        next_frontier: list[Key] = []
        for key in frontier:
            for index in by_key[key]:
                for other in links.relations[index]:
                    if other in seen:
                        continue
                    seen.add(other)
                    if other in known and other not in suppressed:
                        value = links.values.get(other, 0)
                        found.append((other in shown, value == 0, layer, value, other))
                    elif other not in known:
                        next_frontier.append(other)
        frontier = next_frontier
        layer += 1
    return [key for *_, key in sorted(found)]


def _publish_table(
    s: int, t: int, table: Table, links: Links, hidden: set[Key], small: _Small
) -> Table:
    shown = links.shown
    columns = [column for column in table.columns if column.kind != "text"]
    rows: list[dict[str, Any]] = []
    for r, row in enumerate(table.rows):
        out: dict[str, Any] = {column.key: row.get(column.key) for column in columns}
        for column in columns:
            cell: Cell = (s, t, r, column.key)
            if cell in links.counts:
                if links.counts[cell] in hidden:
                    out[column.key] = SUPPRESSED
            elif cell in links.rates:
                part, whole = links.rates[cell]
                if out[column.key] is None:
                    continue
                if not _rate_shown(links, part, whole, shown, hidden, small):
                    out[column.key] = SUPPRESSED
            elif cell in links.derived:
                derived = links.derived[cell]
                if out[column.key] is None:
                    continue
                too_few = derived.n is not None and links.values.get(derived.n, 0) < derived.min_n
                if too_few or any(key in hidden for key in derived.keys):
                    out[column.key] = SUPPRESSED
            elif (
                cell in links.labels
                and out[column.key]
                and any(key in hidden for key in links.labels[cell])
            ):
                out[column.key] = None
        for column in columns:
            if column.kind == "pct" and out[column.key] not in (None, SUPPRESSED):
                # A shown rate keeps its interval: it rests on nothing the rate does not.
                for extra in (column.key + CI_SUFFIX, column.key + SMALL_SUFFIX):
                    if extra in row:
                        out[extra] = row[extra]
        rows.append(out)
    return replace(table, columns=columns, rows=rows)
