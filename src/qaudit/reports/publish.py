"""Make a report fit to leave the service: small counts shown as "c", no free text.

A pure function over the report model (reports/model.py); renderers lay the result out unchanged.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from qaudit.reports.model import Column, Report, Section, Table

SUPPRESSED = "c"
# A row is a totals row when its first label cell is one of these (case-insensitive); a column is
# a totals column when its key or title is. A table named "summary" is all totals.
TOTAL_WORDS = frozenset({"total", "all"})
SUMMARY_TABLE = "summary"
TEXT_WITHHELD_NOTE = "Free text and case references are withheld."

Cell = tuple[int, str]  # (row index, column key)


def publish(report: Report, threshold: int = 5) -> Report:
    """A new report with counts of 1 to ``threshold`` shown as "c" and free text withheld.

    Primary suppression: every count cell from 1 to ``threshold`` becomes "c" (0 stays 0).
    Secondary suppression, only where a table shows totals (see ``_has_total_row`` and
    ``_total_columns``): a line of counts (a row when the table has a totals column, a count
    column when it has a totals row) with exactly one "c" would let the reader subtract it back
    out of the total, so the next-smallest non-zero count in that line is also shown as "c"
    (or, when the line has none, its total), repeated until no line has a lone "c".
    A percentage in a row with a suppressed count becomes "c" too. Text columns and free-text
    lists are dropped, and notes say so.
    """
    text_dropped = False
    sections: list[Section] = []
    for section in report.sections:
        tables: list[Table] = []
        for table in section.tables:
            if any(column.kind == "text" for column in table.columns):
                text_dropped = True
            tables.append(_publish_table(table, threshold))
        if any(section.lists.values()):
            text_dropped = True
        # Names stay with empty lists, so a reader sees what was withheld rather than nothing.
        lists: dict[str, list[str]] = {name: [] for name in section.lists}
        sections.append(replace(section, tables=tables, lists=lists))

    notes = list(report.notes)
    suppression_note = f"Counts of 1 to {threshold} are shown as c."
    if suppression_note not in notes:
        notes.append(suppression_note)
    if text_dropped and TEXT_WITHHELD_NOTE not in notes:
        notes.append(TEXT_WITHHELD_NOTE)
    return replace(report, published=True, sections=sections, notes=notes)


def _publish_table(table: Table, threshold: int) -> Table:
    columns = [column for column in table.columns if column.kind != "text"]
    keys = [column.key for column in columns]
    rows: list[dict[str, Any]] = [{key: row.get(key) for key in keys} for row in table.rows]
    count_keys = [column.key for column in columns if column.kind == "count"]

    suppressed: set[Cell] = set()
    for index, row in enumerate(rows):
        for key in count_keys:
            value = row[key]
            if _is_number(value) and 1 <= value <= threshold:
                suppressed.add((index, key))

    if suppressed:
        suppressed |= _secondary(table, rows, count_keys, suppressed)
        pct_keys = [column.key for column in columns if column.kind == "pct"]
        for index, key in suppressed:
            rows[index][key] = SUPPRESSED
            for pct_key in pct_keys:
                if rows[index][pct_key] is not None:
                    rows[index][pct_key] = SUPPRESSED
    return replace(table, columns=columns, rows=rows)


def _secondary(
    table: Table, rows: list[dict[str, Any]], count_keys: list[str], primary: set[Cell]
) -> set[Cell]:
    """The cells to suppress beside ``primary`` so that no total gives a suppressed one away."""
    summary = table.name.lower() == SUMMARY_TABLE
    label_key = next((c.key for c in table.columns if c.kind == "label"), None)
    total_rows = {
        index
        for index, row in enumerate(rows)
        if label_key is not None and _is_total_word(row.get(label_key))
    }
    total_cols = {c.key for c in table.columns if c.key in count_keys and _is_total_column(c)}

    # Each line is (its ordinary cells, its total cells).
    lines: list[tuple[list[Cell], list[Cell]]] = []
    if total_cols or summary:
        for index in range(len(rows)):
            cells = [(index, key) for key in count_keys]
            lines.append(
                (
                    [c for c in cells if c[1] not in total_cols],
                    [c for c in cells if c[1] in total_cols],
                )
            )
    if total_rows or summary:
        for key in count_keys:
            cells = [(index, key) for index in range(len(rows))]
            lines.append(
                (
                    [c for c in cells if c[0] not in total_rows],
                    [c for c in cells if c[0] in total_rows],
                )
            )

    suppressed = set(primary)
    changed = True
    while changed:  # each pass suppresses at least one more cell, so this ends
        changed = False
        for ordinary, totals in lines:
            if sum(cell in suppressed for cell in ordinary + totals) != 1:
                continue
            candidates = [
                cell
                for cell in ordinary
                if cell not in suppressed
                and _is_number(rows[cell[0]][cell[1]])
                and rows[cell[0]][cell[1]] != 0
            ]
            if not candidates:
                # Only zeros left: the total would equal the suppressed cell, so hide the total.
                candidates = [
                    cell
                    for cell in totals
                    if cell not in suppressed and _is_number(rows[cell[0]][cell[1]])
                ]
            if candidates:
                smallest = min(candidates, key=lambda cell: abs(rows[cell[0]][cell[1]]))
                suppressed.add(smallest)
                changed = True
    return suppressed - primary


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_total_word(value: object) -> bool:
    return isinstance(value, str) and value.strip().lower() in TOTAL_WORDS


def _is_total_column(column: Column) -> bool:
    return _is_total_word(column.key) or _is_total_word(column.title)
