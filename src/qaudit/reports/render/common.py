"""What every renderer shares: a cell as a plain value and as people read it, a rate's interval
and small-number mark, a table's notes."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from qaudit.reports.model import Column, Kind, Report, Table

NUMERIC_KINDS: frozenset[Kind] = frozenset({"count", "number", "pct"})


def plain(value: Any) -> Any:
    """A cell as a plain Python value: numpy scalars unwrapped, NaN and infinities as None."""
    if value is None or isinstance(value, bool | str | date):
        return value
    if isinstance(value, int | float):
        return None if isinstance(value, float) and not math.isfinite(value) else value
    item = getattr(value, "item", None)  # numpy and pandas scalars
    if callable(item):
        return plain(item())
    return str(value)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def display(value: Any, kind: Kind) -> str:
    """A cell as people read it in Markdown and HTML."""
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if is_number(value):
        if kind == "pct":
            return f"{value:.1f}%"
        if isinstance(value, float) and not value.is_integer():
            return f"{value:.1f}"
        return str(int(value))
    return str(value)


# A row may carry, beside a pct column ``key``, its 95% interval as ``key + CI_SUFFIX``: a
# two-item list [low, high] in percent; and ``key + SMALL_SUFFIX``: True when the denominator is
# under 10. Neither is a column: renderers show them with the figure (HTML, Markdown, the
# terminal), as two more columns (CSV, XLSX) or as they are (JSON).
CI_SUFFIX = "_ci95"
SMALL_SUFFIX = "_small"
SMALL_MARK = "†"
SMALL_NOTE = f"{SMALL_MARK} fewer than 10: shown with its interval; too few to judge"


def interval(row: Mapping[str, Any], column: Column) -> tuple[float, float] | None:
    """A pct cell's 95% interval (low, high), when the row carries one and the cell a figure."""
    if column.kind != "pct" or not is_number(plain(row.get(column.key))):
        return None
    pair = row.get(column.key + CI_SUFFIX)
    if not isinstance(pair, list | tuple) or len(pair) != 2:
        return None
    low, high = (plain(v) for v in pair)
    if not (is_number(low) and is_number(high)):
        return None
    return float(low), float(high)


def is_small(row: Mapping[str, Any], column: Column) -> bool:
    """Whether a pct cell's figure rests on fewer than 10 (flagged by the row)."""
    return (
        column.kind == "pct"
        and row.get(column.key + SMALL_SUFFIX) is True
        and is_number(plain(row.get(column.key)))
    )


def interval_text(low: float, high: float) -> str:
    return f"({low:.1f}–{high:.1f})"


def cell_text(row: Mapping[str, Any], column: Column, shown: str | None = None) -> str:
    """A cell as people read it, with its interval and small-number mark when the row has them:
    "60.0% (46.2–72.4)", "50.0% (23.7–76.3) †". ``shown`` replaces the figure's own text."""
    text = display(row.get(column.key), column.kind) if shown is None else shown
    pair = interval(row, column)
    if pair is not None:
        text += " " + interval_text(*pair)
    if is_small(row, column):
        text += " " + SMALL_MARK
    return text


def table_notes(table: Table) -> list[str]:
    """The table's note, and the small-number one when a cell is marked."""
    notes = [table.note] if table.note else []
    if any(is_small(row, column) for row in table.rows for column in table.columns):
        notes.append(SMALL_NOTE)
    return notes


def has_interval(table: Table, column: Column) -> bool:
    return any(interval(row, column) is not None for row in table.rows)


def empty_list(report: Report) -> str:
    # A published report keeps a list's name but not its free text (see publish.py).
    return "Withheld: free text is not published." if report.published else "None recorded."


def iso(value: date) -> str:
    return value.isoformat()
