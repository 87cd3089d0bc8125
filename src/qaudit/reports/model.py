"""A report as plain data: sections of tables, each cell typed, ready for any renderer.

Figures are computed once into this shape; the table, Markdown, CSV, JSON, XLSX and HTML
renderers only lay it out, and publishing (small-number suppression) rewrites it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

# How a column's values are meant: a renderer formats and a publisher suppresses by it.
#   count: a whole number of children, cases or complaints (suppressed 1-5 when published)
#   pct: a percentage 0-100 (suppressed when a count it rests on is)
#   number: any other figure (days, rates)
#   text: free text, names or case refs (never published)
#   label: a category name (team, grade, theme, month): published as it is
#   date: a date
Kind = Literal["count", "pct", "number", "text", "label", "date"]


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    kind: Kind = "label"


@dataclass
class Table:
    """Rows of values keyed by column key; None is an empty cell; a published suppressed
    count is the string "c"."""

    name: str  # a stable id, e.g. "grades"
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    note: str | None = None
    # What each figure a board member would query means, a line each ("Received: ..."), shown
    # under the table before its note (every format but CSV); true to the code computing it.
    definitions: list[str] = field(default_factory=list)
    # For HTML: the first label against... (a "pchart" also reads the rows' centre_pct,
    # lower_pct, upper_pct and signal: reports/pchart.py)
    chart: Literal["bar", "line", "pchart"] | None = None
    chart_value: str | None = None  # ...this column (default: the first number)
    # False: the table is for the service only (names, free text) and a published report
    # leaves it out whole.
    public: bool = True


@dataclass
class Section:
    name: str  # audits, complaints, voice, balance, scrutiny
    title: str
    tables: list[Table] = field(default_factory=list)
    # Free-text lists such as "What is working well": dropped when published.
    lists: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Report:
    kind: str  # audits, complaints, voice, board
    title: str
    period_label: str
    start: date
    end: date
    generated_on: date
    published: bool = False
    team: str | None = None
    sections: list[Section] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # The change log's newest hash when the figures were read: keep it, and `qaudit db verify
    # --expect` shows whether the history behind them was rewritten since.
    log_head: str | None = None


def rate(key: str, part: int, whole: int) -> dict[str, Any]:
    """A rate's cells in a row: the percentage under ``key`` (one decimal, half up), its 95%
    Wilson interval under ``key_ci95`` ([low, high] in percent), and ``key_small`` when the
    denominator is under 10 (shown with its interval and a note; too few to judge). The
    renderers show the interval beside the value and as a whisker; publishing drops both."""
    from qaudit.domain.stats import percent, small_denominator, wilson_percent

    # ``key_of`` keeps what the rate rests on, for publishing (a rate of a suppressed count is
    # suppressed too); no renderer shows it.
    cells: dict[str, Any] = {key: percent(part, whole), f"{key}_of": (part, whole)}
    interval = wilson_percent(part, whole)
    if interval is not None:
        cells[f"{key}_ci95"] = list(interval)
        if small_denominator(whole):
            cells[f"{key}_small"] = True
    return cells
