"""Lay a report (reports/model.py) out as Markdown, CSV, JSON, XLSX or HTML, and write it safely.

Renderers only lay out: figures, suppression and what is left out are decided before them.
"""

from __future__ import annotations

import csv
import io
import json
import math
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from qaudit.display import neutralise, visible
from qaudit.reports.model import Column, Kind, Report, Section, Table

NUMERIC_KINDS: frozenset[Kind] = frozenset({"count", "number", "pct"})
SHEET_TITLE_MAX = 31
SHEET_FORBIDDEN = set("[]:*?/\\")
XLSX_WIDTH_MAX = 60


# --- values shared by every renderer -------------------------------------------------------


def _plain(value: Any) -> Any:
    """A cell as a plain Python value: numpy scalars unwrapped, NaN and infinities as None."""
    if value is None or isinstance(value, bool | str | date):
        return value
    if isinstance(value, int | float):
        return None if isinstance(value, float) and not math.isfinite(value) else value
    item = getattr(value, "item", None)  # numpy and pandas scalars
    if callable(item):
        return _plain(item())
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _display(value: Any, kind: Kind) -> str:
    """A cell as people read it in Markdown and HTML."""
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if _is_number(value):
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
    if column.kind != "pct" or not _is_number(_plain(row.get(column.key))):
        return None
    pair = row.get(column.key + CI_SUFFIX)
    if not isinstance(pair, list | tuple) or len(pair) != 2:
        return None
    low, high = (_plain(v) for v in pair)
    if not (_is_number(low) and _is_number(high)):
        return None
    return float(low), float(high)


def is_small(row: Mapping[str, Any], column: Column) -> bool:
    """Whether a pct cell's figure rests on fewer than 10 (flagged by the row)."""
    return (
        column.kind == "pct"
        and row.get(column.key + SMALL_SUFFIX) is True
        and _is_number(_plain(row.get(column.key)))
    )


def _interval_text(low: float, high: float) -> str:
    return f"({low:.1f}–{high:.1f})"


def cell_text(row: Mapping[str, Any], column: Column, shown: str | None = None) -> str:
    """A cell as people read it, with its interval and small-number mark when the row has them:
    "60.0% (46.2–72.4)", "50.0% (23.7–76.3) †". ``shown`` replaces the figure's own text."""
    text = _display(row.get(column.key), column.kind) if shown is None else shown
    pair = interval(row, column)
    if pair is not None:
        text += " " + _interval_text(*pair)
    if is_small(row, column):
        text += " " + SMALL_MARK
    return text


def table_notes(table: Table) -> list[str]:
    """The table's note, and the small-number one when a cell is marked."""
    notes = [table.note] if table.note else []
    if any(is_small(row, column) for row in table.rows for column in table.columns):
        notes.append(SMALL_NOTE)
    return notes


def _has_interval(table: Table, column: Column) -> bool:
    return any(interval(row, column) is not None for row in table.rows)


def _empty_list(report: Report) -> str:
    # A published report keeps a list's name but not its free text (see publish.py).
    return "Withheld: free text is not published." if report.published else "None recorded."


def _iso(value: date) -> str:
    return value.isoformat()


# --- Markdown ------------------------------------------------------------------------------


def _md_line(text: str) -> str:
    # A newline would end the line (or table row); "<" could start raw HTML in a viewer; a
    # control character (ESC…) would be obeyed by the terminal a report is printed to.
    return visible(text.replace("\r", " ").replace("\n", " "), keep="").replace("<", "\\<")


def _md_escape(text: str) -> str:
    # A bare pipe would end a Markdown table cell.
    return _md_line(text.replace("\\", "\\\\")).replace("|", "\\|")


def _md_table(table: Table) -> list[str]:
    lines = [f"### {_md_line(table.title)}", ""]
    if not table.columns:
        return lines
    lines.append("| " + " | ".join(_md_escape(c.title) for c in table.columns) + " |")
    lines.append(
        "| "
        + " | ".join("---:" if c.kind in NUMERIC_KINDS else "---" for c in table.columns)
        + " |"
    )
    for row in table.rows:
        shown = [_md_escape(cell_text(row, c)) for c in table.columns]
        lines.append("| " + " | ".join(shown) + " |")
    if not table.rows:
        lines.append("| " + " | ".join("" for _ in table.columns) + " |")
    for note in table_notes(table):
        lines += ["", f"_{_md_line(note)}_"]
    lines.append("")
    return lines


def to_markdown(report: Report) -> str:
    """The report as one Markdown document: a title, its period and notes, a heading a section."""
    lines = [f"# {_md_line(report.title)}", ""]
    lines.append(
        f"**Period:** {_md_line(report.period_label)} "
        f"({_iso(report.start)} to {_iso(report.end)})  "
    )
    if report.team:
        lines.append(f"**Team:** {_md_line(report.team)}  ")
    lines.append(f"**Generated:** {_iso(report.generated_on)}  ")
    lines.append(f"**Published:** {'yes' if report.published else 'no (internal)'}  ")
    lines.append(f"**Change log head:** `{report.log_head or 'none'}`")
    lines.append("")
    for note in report.notes:
        lines.append(f"- {_md_line(note)}")
    if report.notes:
        lines.append("")
    for section in report.sections:
        lines += [f"## {_md_line(section.title)}", ""]
        for table in section.tables:
            lines += _md_table(table)
        for name, items in section.lists.items():
            lines += [f"**{_md_line(name)}**", ""]
            lines += [f"- {_md_line(item)}" for item in items] or [f"_{_empty_list(report)}_"]
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


# --- CSV -----------------------------------------------------------------------------------

CSV_HEADER = ("section", "table", "row", "column", "value")


def _csv_value(value: Any) -> Any:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):  # for people, as in the HTML and XLSX: not Python's True
        return "Yes" if value else "No"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise(value)
    return value  # numbers stay numbers, negative ones included


def to_csv(report: Report) -> str:
    """One long-form CSV: ``section,table,row,column,value``, one line a cell.

    ``row`` counts from 1 within its table. A section's free-text lists come as
    table = the list's name, column = ``item``; the report's notes as section ``report``,
    table ``notes``. Every text field that starts like a formula gets a leading quote.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)

    def write(section: str, table: str, row: int, column: str, value: Any) -> None:
        writer.writerow(
            [neutralise(section), neutralise(table), row, neutralise(column), _csv_value(value)]
        )

    for number, note in enumerate(report.notes, start=1):
        write("report", "notes", number, "note", note)
    for section in report.sections:
        for table in section.tables:
            for number, row in enumerate(table.rows, start=1):
                for column in table.columns:
                    write(section.name, table.name, number, column.key, row.get(column.key))
                    pair = interval(row, column)
                    if pair is not None:  # two more columns, only where there is an interval
                        write(section.name, table.name, number, f"{column.key}_low", pair[0])
                        write(section.name, table.name, number, f"{column.key}_high", pair[1])
        for name, items in section.lists.items():
            for number, item in enumerate(items, start=1):
                write(section.name, name, number, "item", item)
    return out.getvalue()


# --- JSON ----------------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    value = _plain(value)
    return value.isoformat() if isinstance(value, date) else value


def _json_row(row: Mapping[str, Any], table: Table) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in table.columns:
        out[column.key] = _json_value(row.get(column.key))
        if column.kind != "pct":
            continue
        for extra in (column.key + CI_SUFFIX, column.key + SMALL_SUFFIX):
            if extra in row:  # kept as the model has it
                value = row[extra]
                out[extra] = (
                    [_json_value(v) for v in value]
                    if isinstance(value, list | tuple)
                    else _json_value(value)
                )
    return out


def _json_table(table: Table) -> dict[str, Any]:
    return {
        "name": table.name,
        "title": table.title,
        "columns": [{"key": c.key, "title": c.title, "kind": c.kind} for c in table.columns],
        "rows": [_json_row(row, table) for row in table.rows],
        "note": table.note,
        "chart": table.chart,
    }


def report_dict(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data (dates as ISO strings)."""
    return {
        "kind": report.kind,
        "title": report.title,
        "period": report.period_label,
        "start": _iso(report.start),
        "end": _iso(report.end),
        "generated_on": _iso(report.generated_on),
        "published": report.published,
        "team": report.team,
        "log_head": report.log_head,
        "notes": list(report.notes),
        "sections": [
            {
                "name": section.name,
                "title": section.title,
                "tables": [_json_table(table) for table in section.tables],
                "lists": {name: list(items) for name, items in section.lists.items()},
            }
            for section in report.sections
        ],
    }


def to_json(report: Report) -> str:
    """The report as one JSON document."""
    return json.dumps(report_dict(report), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# --- XLSX ----------------------------------------------------------------------------------


def _sheet_title(wanted: str, taken: set[str]) -> str:
    base = "".join(" " if ch in SHEET_FORBIDDEN else ch for ch in wanted).strip(" '") or "Sheet"
    base = base[:SHEET_TITLE_MAX]
    title, n = base, 2
    while title.lower() in taken:  # Excel compares sheet names ignoring case
        suffix = f" ({n})"
        title = base[: SHEET_TITLE_MAX - len(suffix)] + suffix
        n += 1
    taken.add(title.lower())
    return title


def _xlsx_text(text: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    # Control characters make openpyxl refuse the cell (and Excel the file).
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", text))


@dataclass
class _SheetWriter:
    """Writes rows down one worksheet, tracking each column's widest text."""

    sheet: Any
    row: int = 1
    widths: dict[int, int] = field(default_factory=dict)

    def put(self, col: int, value: Any, kind: Kind = "label", *, fit: bool = True) -> Any:
        cell = self.sheet.cell(row=self.row, column=col)
        value = _plain(value)
        if value is None:
            return cell
        if isinstance(value, bool):
            value = "Yes" if value else "No"
        if isinstance(value, date):
            cell.value = value
            cell.number_format = "yyyy-mm-dd"
            shown = 10
        elif _is_number(value):
            cell.value = value
            if kind == "pct":
                cell.number_format = "0.0"
            shown = len(_display(value, kind))
        else:
            text = _xlsx_text(str(value))
            cell.value = text
            cell.data_type = "s"  # never a formula, whatever the text
            shown = max((len(part) for part in text.splitlines()), default=0)
        if fit:
            self.widths[col] = max(self.widths.get(col, 0), shown)
        return cell

    def fit_columns(self) -> None:
        from openpyxl.utils import get_column_letter

        for col, width in self.widths.items():
            letter = get_column_letter(col)
            self.sheet.column_dimensions[letter].width = min(max(width + 2, 8), XLSX_WIDTH_MAX)


def to_xlsx(report: Report) -> bytes:
    """The report as a workbook: an "About" sheet, then one sheet a section, tables down it."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    bold = Font(bold=True)
    header_fill = PatternFill(fill_type="solid", start_color="FFD9E1F2", end_color="FFD9E1F2")
    wb = Workbook()
    taken: set[str] = set()

    about = _SheetWriter(wb.active)
    about.sheet.title = _sheet_title("About", taken)
    about.put(1, report.title, fit=False).font = Font(bold=True, size=14)
    about.row += 2
    facts: list[tuple[str, Any]] = [
        ("Period", report.period_label),
        ("Start", report.start),
        ("End", report.end),
        ("Team", report.team),
        ("Generated", report.generated_on),
        ("Published", "yes" if report.published else "no (internal)"),
        ("Change log head", report.log_head),
    ]
    for label, value in facts:
        about.put(1, label).font = bold
        about.put(2, value)
        about.row += 1
    if report.notes:
        about.row += 1
        about.put(1, "Notes").font = bold
        about.row += 1
        for note in report.notes:
            about.put(1, note, fit=False)
            about.row += 1
    about.fit_columns()

    for section in report.sections:
        out = _SheetWriter(wb.create_sheet(_sheet_title(section.title or section.name, taken)))
        out.put(1, section.title, fit=False).font = Font(bold=True, size=13)
        out.row += 2
        for table in section.tables:
            _xlsx_table(out, table, bold, header_fill)
        for name, items in section.lists.items():
            out.put(1, name, fit=False).font = bold
            out.row += 1
            for item in items:
                out.put(1, item).alignment = Alignment(wrap_text=True, vertical="top")
                out.row += 1
            if not items:
                out.put(1, _empty_list(report), fit=False).font = Font(italic=True)
                out.row += 1
            out.row += 1
        out.fit_columns()

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _xlsx_table(out: _SheetWriter, table: Table, bold: Any, fill: Any) -> None:
    out.put(1, table.title, fit=False).font = bold
    out.row += 1
    # Each column with an interval in any row is followed by its "low" and "high" columns.
    layout: list[tuple[str, Column, int | None]] = []
    for column in table.columns:
        layout.append((column.title, column, None))
        if _has_interval(table, column):
            layout.append((f"{column.title} low", column, 0))
            layout.append((f"{column.title} high", column, 1))
    for col, (title, _, _) in enumerate(layout, start=1):
        cell = out.put(col, title)
        cell.font = bold
        cell.fill = fill
    out.row += 1
    for row in table.rows:
        for col, (_, column, end) in enumerate(layout, start=1):
            if end is None:
                out.put(col, row.get(column.key), column.kind)
            else:
                pair = interval(row, column)
                out.put(col, None if pair is None else pair[end], column.kind)
        out.row += 1
    if table.note:  # the small-number mark is the HTML's and Markdown's: cells stay numbers
        out.put(1, table.note, fit=False)
        out.row += 1
    out.row += 1


# --- HTML ----------------------------------------------------------------------------------

CHART_WIDTH = 480
TEXT_LINE = 17  # a line of 14px chart text
BAR_THICK = 16
BAR_GAP = 12
BAR_LEFT = 16  # room for half the first axis label
BAR_RIGHT = 76  # room for the figure after the longest bar
LINE_HEIGHT = 240
LINE_LEFT = 48
LINE_RIGHT = 28
LABEL_CHARS = 56  # a bar's label is written above it, wrapped at this many characters
AXIS_LABELS = 6  # a line chart labels at most this many of its points


@dataclass
class _Point:
    label: str
    value: float | None  # None: no figure (empty or suppressed): a gap
    shown: str
    ci: tuple[float, float] | None = None
    small: bool = False


def _chart_points(table: Table) -> tuple[list[_Point], Column] | None:
    label = next((c for c in table.columns if c.kind == "label"), None)
    figure = next(
        (
            c
            for c in table.columns
            if (c.key == table.chart_value if table.chart_value else c.kind in NUMERIC_KINDS)
        ),
        None,
    )
    if label is None or figure is None:
        return None
    points = []
    for row in table.rows:
        raw = _plain(row.get(figure.key))
        value = float(raw) if _is_number(raw) else None
        small = is_small(row, figure)
        shown = (_display(raw, figure.kind) or "–") + (f" {SMALL_MARK}" if small else "")
        pair = interval(row, figure)
        points.append(_Point(_display(row.get(label.key), label.kind), value, shown, pair, small))
    if not any(p.value is not None for p in points):
        return None
    return points, figure


def _axis(lowest: float, highest: float, kind: Kind) -> list[float]:
    """The gridlines' values, from the axis's start (0 or below) to its end: 0 to 100 in
    quarters for percentages; else a "nice" step (1, 2, 2.5 or 5 times a power of ten; whole
    for counts) giving four or five gridlines."""
    if kind == "pct" and lowest >= 0 and highest <= 100:
        return [0.0, 25.0, 50.0, 75.0, 100.0]
    low, high = min(0.0, lowest), max(0.0, highest)
    if high <= low:
        high = low + 1
    raw = (high - low) / 4
    power = 10.0 ** math.floor(math.log10(raw))
    multiples = (1.0, 2.0, 5.0, 10.0) if kind == "count" else (1.0, 2.0, 2.5, 5.0, 10.0)
    step = next(m * power for m in multiples if m * power >= raw * (1 - 1e-9))
    if kind == "count":
        step = max(1.0, round(step))
    start = math.floor(low / step + 1e-9) * step
    count = max(math.ceil((high - start) / step - 1e-9), 3)
    return [round(start + i * step, 9) for i in range(count + 1)]


def _tick_text(value: float, kind: Kind) -> str:
    text = str(int(value)) if float(value).is_integer() else f"{value:g}"
    return text + "%" if kind == "pct" else text


def _wrap(text: str, chars: int) -> list[str]:
    """A label as lines of at most ``chars`` characters, broken between words where it can:
    never cut short."""
    return textwrap.wrap(text, width=max(chars, 1), break_on_hyphens=False) or [""]


def _extent(points: list[_Point]) -> tuple[float, float]:
    values = [p.value for p in points if p.value is not None]
    values += [end for p in points if p.ci for end in p.ci]
    return min(values), max(values)


def _bar_chart(table: Table) -> dict[str, Any] | None:
    found = _chart_points(table)
    if found is None:
        return None
    points, figure = found
    ticks = _axis(*_extent(points), figure.kind)
    low, high = ticks[0], ticks[-1]
    left, right = BAR_LEFT, CHART_WIDTH - BAR_RIGHT

    def x_of(value: float) -> float:
        return left + (min(max(value, low), high) - low) / (high - low) * (right - left)

    zero = x_of(0.0)
    bars = []
    y = 4.0
    for p in points:
        lines = _wrap(p.label, LABEL_CHARS)
        bar_y = y + len(lines) * TEXT_LINE + 2
        bar: dict[str, Any] = {
            "lines": lines,
            "full": p.label,
            "shown": p.shown,
            "tip": p.shown if p.ci is None else f"{p.shown} {_interval_text(*p.ci)}",
            "ly": y + 12,
            "y": bar_y,
            "h": BAR_THICK,
            "ty": bar_y + BAR_THICK - 4,
            "small": p.small,
            "whisker": None,
        }
        ends = [zero]
        if p.value is None:
            bar.update(x=zero, w=0)
        else:
            end = x_of(p.value)
            bar.update(x=min(zero, end), w=abs(end - zero))
            ends.append(end)
        if p.ci is not None and p.value is not None:
            x1, x2 = x_of(p.ci[0]), x_of(p.ci[1])
            mid = bar_y + BAR_THICK / 2
            bar["whisker"] = {"x1": x1, "x2": x2, "y": mid, "y1": mid - 6, "y2": mid + 6}
            ends.append(x2)
        bar["vx"] = max(ends) + 5
        bars.append(bar)
        y = bar_y + BAR_THICK + BAR_GAP
    bottom = y - BAR_GAP + 4
    return {
        "kind": "bar",
        "title": table.title,
        "width": CHART_WIDTH,
        "height": round(bottom + TEXT_LINE + 4),
        "zero": zero,
        "top": 0,
        "bottom": bottom,
        "label_x": left,
        "label_y": bottom + TEXT_LINE,
        "grid": [{"x": x_of(v), "label": _tick_text(v, figure.kind)} for v in ticks],
        "bars": bars,
    }


def _line_chart(table: Table) -> dict[str, Any] | None:
    found = _chart_points(table)
    if found is None:
        return None
    points, figure = found
    ticks = _axis(*_extent(points), figure.kind)
    low, high = ticks[0], ticks[-1]
    left, right, top = LINE_LEFT, CHART_WIDTH - LINE_RIGHT, 12
    plot_w = right - left
    step = plot_w / max(len(points) - 1, 1)
    every = max(1, math.ceil(len(points) / AXIS_LABELS))
    chars = max(6, int(step * every / 7))  # about 7px a character at 14px
    wrapped = [_wrap(p.label, chars) for p in points]
    label_lines = max(len(lines) for i, lines in enumerate(wrapped) if i % every == 0)
    height = LINE_HEIGHT + (label_lines - 1) * TEXT_LINE
    bottom = 12 + label_lines * TEXT_LINE
    plot_h = height - top - bottom

    def y_of(value: float) -> float:
        return top + (high - min(max(value, low), high)) / (high - low) * plot_h

    segments: list[list[tuple[float, float]]] = [[]]
    dots, ticks_x, whiskers = [], [], []
    for i, p in enumerate(points):
        x = left + (i * step if len(points) > 1 else plot_w / 2)
        if i % every == 0:
            ticks_x.append({"x": x, "lines": wrapped[i], "full": p.label})
        if p.value is None:
            if segments[-1]:
                segments.append([])  # a gap where the figure is missing or suppressed
            continue
        y = y_of(p.value)
        segments[-1].append((x, y))
        tip = f"{p.label}: {p.shown}"
        if p.ci is not None:
            tip += f" {_interval_text(*p.ci)}"
            whiskers.append({"x": x, "y1": y_of(p.ci[1]), "y2": y_of(p.ci[0])})
        dots.append({"x": x, "y": y, "title": tip, "small": p.small})
    polylines = [
        " ".join(f"{x:.1f},{y:.1f}" for x, y in segment) for segment in segments if len(segment) > 1
    ]
    return {
        "kind": "line",
        "title": table.title,
        "width": CHART_WIDTH,
        "height": height,
        "left": left,
        "right": right,
        "axis_y": height - bottom,
        "label_y": height - bottom + TEXT_LINE,
        "grid": [{"y": y_of(v), "label": _tick_text(v, figure.kind)} for v in ticks],
        "polylines": polylines,
        "whiskers": whiskers,
        "dots": dots,
        "ticks": ticks_x,
    }


def _html_table(table: Table) -> dict[str, Any]:
    chart = None
    if table.chart == "bar":
        chart = _bar_chart(table)
    elif table.chart == "line":
        chart = _line_chart(table)
    elif table.chart == "pchart":  # drawn whole, with its words, by reports/pchart.py
        from qaudit.reports.pchart import pchart_figure

        figure = pchart_figure(table)
        chart = None if figure is None else {"kind": "pchart", "figure": figure}
    return {
        "title": table.title,
        "notes": table_notes(table),
        "columns": [{"title": c.title, "numeric": c.kind in NUMERIC_KINDS} for c in table.columns],
        "rows": [[cell_text(row, c) for c in table.columns] for row in table.rows],
        "chart": chart,
    }


def _html_section(section: Section) -> dict[str, Any]:
    return {
        "title": section.title,
        "tables": [_html_table(table) for table in section.tables],
        "lists": list(section.lists.items()),
    }


HTML_TEMPLATE = """<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ r.title }} – {{ r.period_label }}</title>
<style>
  body { font-family: Arial, Helvetica, sans-serif; color: #0b0c0c; margin: 2rem auto;
         max-width: 60rem; padding: 0 1rem; line-height: 1.4; }
  h1 { font-size: 1.8rem; margin-bottom: .25rem; }
  h2 { font-size: 1.4rem; border-bottom: 3px solid #1d70b8; padding-bottom: .2rem;
       margin-top: 2.5rem; }
  h3 { font-size: 1.1rem; margin-top: 1.5rem; }
  .meta { color: #505a5f; margin: 0 0 1rem; }
  .notes { background: #f3f2f1; border-left: 5px solid #1d70b8; padding: .5rem 1rem; }
  .table-wrap { overflow-x: auto; max-width: 100%; margin: .5rem 0; }
  table { border-collapse: collapse; min-width: 50%; }
  th, td { border-bottom: 1px solid #b1b4b6; padding: .3rem .6rem; text-align: left;
           vertical-align: top; }
  th { background: #f3f2f1; }
  .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
  .note { font-style: italic; color: #505a5f; }
  figure { margin: .5rem 0 1rem; max-width: 100%; }
  svg { display: block; max-width: 100%; height: auto; }
  svg text { font-family: Arial, Helvetica, sans-serif; font-size: 14px; fill: #0b0c0c; }
  svg .label { paint-order: stroke; stroke: #fff; stroke-width: 4px; stroke-linejoin: round; }
  .bar { fill: #1d70b8; }
  .bar.small { fill: #8eb8dc; }
  .line { fill: none; stroke: #1d70b8; stroke-width: 2; }
  .dot { fill: #1d70b8; }
  .dot.small { fill: #fff; stroke: #1d70b8; stroke-width: 2; }
  .whisker { stroke: #0b0c0c; stroke-width: 1.5; }
  .axis { stroke: #505a5f; stroke-width: 1; }
  .grid { stroke: #b1b4b6; stroke-width: 1; stroke-dasharray: 3 3; }
  @media (max-width: 30rem) {
    body { margin: 1rem auto; padding: 0 .75rem; }
    th, td { padding: .25rem .4rem; }
    .lists.two { grid-template-columns: 1fr; gap: 0; }
  }
  .lists.two { display: grid; grid-template-columns: 1fr 1fr; gap: 2rem; }
  .lists h3 { margin-top: .5rem; }
  code { overflow-wrap: anywhere; }
  @media print {
    body { margin: 0; max-width: none; font-size: 10pt; }
    h2 { break-before: auto; break-after: avoid; }
    h3 { break-after: avoid; }
    table, figure, .lists li { break-inside: avoid; }
    th, .notes { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
    .bar, .dot { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
    .table-wrap { overflow: visible; }
  }
</style>
</head>
<body>
<header>
<h1>{{ r.title }}</h1>
<p class="meta">{{ r.period_label }} ({{ r.start.isoformat() }} to {{ r.end.isoformat() }})
{%- if r.team %} · {{ r.team }}{% endif %} · generated {{ r.generated_on.isoformat() }}
{%- if r.published %} · published{% else %} · internal{% endif %}</p>
{% if r.notes %}<div class="notes"><ul>
{% for note in r.notes %}<li>{{ note }}</li>
{% endfor %}</ul></div>{% endif %}
</header>
<main>
{% for s in sections %}
<section>
<h2>{{ s.title }}</h2>
{% for t in s.tables %}
<h3>{{ t.title }}</h3>
{% if t.chart and t.chart.kind == "pchart" %}{{ t.chart.figure }}
{% elif t.chart %}{% set c = t.chart %}
<figure>
<svg viewBox="0 0 {{ c.width }} {{ c.height }}" width="{{ c.width }}" height="{{ c.height }}"
 role="img" aria-label="{{ c.title }}"><title>{{ c.title }}</title>
{% if c.kind == "bar" %}
{% for g in c.grid %}<line class="grid" x1="{{ '%.1f' % g.x }}" y1="{{ c.top }}" \
x2="{{ '%.1f' % g.x }}" y2="{{ '%.1f' % c.bottom }}"></line>
<text x="{{ '%.1f' % g.x }}" y="{{ '%.1f' % c.label_y }}" text-anchor="middle">{{ g.label }}</text>
{% endfor %}
{% for b in c.bars %}<g><title>{{ b.full }}: {{ b.tip }}</title>
<text class="label" x="{{ c.label_x }}" y="{{ '%.1f' % b.ly }}">\
{% for line in b.lines %}<tspan x="{{ c.label_x }}"{% if not loop.first %} dy="17"{% endif %}>\
{{ line }}</tspan>{% endfor %}</text>
{% if b.w %}<rect class="bar{% if b.small %} small{% endif %}" x="{{ '%.1f' % b.x }}" \
y="{{ '%.1f' % b.y }}" width="{{ '%.1f' % b.w }}" height="{{ b.h }}"></rect>{% endif %}
{% if b.whisker %}{% set w = b.whisker %}<g class="whisker">\
<line x1="{{ '%.1f' % w.x1 }}" y1="{{ '%.1f' % w.y }}" x2="{{ '%.1f' % w.x2 }}" \
y2="{{ '%.1f' % w.y }}"></line>\
<line x1="{{ '%.1f' % w.x1 }}" y1="{{ '%.1f' % w.y1 }}" x2="{{ '%.1f' % w.x1 }}" \
y2="{{ '%.1f' % w.y2 }}"></line>\
<line x1="{{ '%.1f' % w.x2 }}" y1="{{ '%.1f' % w.y1 }}" x2="{{ '%.1f' % w.x2 }}" \
y2="{{ '%.1f' % w.y2 }}"></line></g>{% endif %}
<text x="{{ '%.1f' % b.vx }}" y="{{ '%.1f' % b.ty }}">{{ b.shown }}</text></g>
{% endfor %}
<line class="axis" x1="{{ '%.1f' % c.zero }}" y1="{{ c.top }}" x2="{{ '%.1f' % c.zero }}" \
y2="{{ '%.1f' % c.bottom }}"></line>
{% else %}
{% for g in c.grid %}<line class="grid" x1="{{ c.left }}" y1="{{ '%.1f' % g.y }}" \
x2="{{ c.right }}" y2="{{ '%.1f' % g.y }}"></line>
<text x="{{ c.left - 6 }}" y="{{ '%.1f' % (g.y + 4) }}" text-anchor="end">{{ g.label }}</text>
{% endfor %}
<line class="axis" x1="{{ c.left }}" y1="{{ c.axis_y }}" x2="{{ c.right }}" \
y2="{{ c.axis_y }}"></line>
{% for p in c.polylines %}<polyline class="line" points="{{ p }}"></polyline>
{% endfor %}
{% for w in c.whiskers %}<g class="whisker">\
<line x1="{{ '%.1f' % w.x }}" y1="{{ '%.1f' % w.y1 }}" x2="{{ '%.1f' % w.x }}" \
y2="{{ '%.1f' % w.y2 }}"></line>\
<line x1="{{ '%.1f' % (w.x - 4) }}" y1="{{ '%.1f' % w.y1 }}" x2="{{ '%.1f' % (w.x + 4) }}" \
y2="{{ '%.1f' % w.y1 }}"></line>\
<line x1="{{ '%.1f' % (w.x - 4) }}" y1="{{ '%.1f' % w.y2 }}" x2="{{ '%.1f' % (w.x + 4) }}" \
y2="{{ '%.1f' % w.y2 }}"></line></g>
{% endfor %}
{% for d in c.dots %}<circle class="dot{% if d.small %} small{% endif %}" \
cx="{{ '%.1f' % d.x }}" cy="{{ '%.1f' % d.y }}" r="3.5"><title>{{ d.title }}</title></circle>
{% endfor %}
{% for k in c.ticks %}<text x="{{ '%.1f' % k.x }}" y="{{ c.label_y }}" text-anchor="middle">\
<title>{{ k.full }}</title>{% for line in k.lines %}<tspan x="{{ '%.1f' % k.x }}"\
{% if not loop.first %} dy="17"{% endif %}>{{ line }}</tspan>{% endfor %}</text>
{% endfor %}
{% endif %}
</svg>
</figure>
{% endif %}
<div class="table-wrap"><table>
<thead><tr>{% for col in t.columns %}<th scope="col"{% if col.numeric %} class="num"{% endif %}>\
{{ col.title }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in t.rows %}<tr>{% for value in row %}\
<td{% if t.columns[loop.index0].numeric %} class="num"{% endif %}>{{ value }}</td>\
{% endfor %}</tr>
{% endfor %}</tbody>
</table></div>
{% for note in t.notes %}<p class="note">{{ note }}</p>
{% endfor %}
{% endfor %}
{% if s.lists %}
<div class="lists{% if s.lists|length == 2 %} two{% endif %}">
{% for name, items in s.lists %}<div>
<h3>{{ name }}</h3>
{% if items %}<ul>
{% for item in items %}<li>{{ item }}</li>
{% endfor %}</ul>{% else %}<p class="note">{{ empty_list }}</p>{% endif %}
</div>
{% endfor %}</div>
{% endif %}
</section>
{% endfor %}
</main>
<footer class="meta">Change log head when the figures were read:
<code>{{ r.log_head or "none" }}</code>
(check it with <code>qaudit db verify --expect</code>)</footer>
</body>
</html>
"""


def to_html(report: Report) -> str:
    """The report as one self-contained HTML page: inline CSS and SVG, no scripts or links."""
    import jinja2
    import markupsafe

    def shown(value: Any) -> Any:
        # Text from the store with its control characters escaped (a page may be printed to a
        # terminal); markup qaudit built itself, the charts, is left as it is.
        if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
            return visible(value)
        return value

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, finalize=shown)
    template = env.from_string(HTML_TEMPLATE)
    return template.render(
        r=report,
        sections=[_html_section(s) for s in report.sections],
        empty_list=_empty_list(report),
    )


def expand_out_path(template: str, period_file_label: str) -> Path:
    """``--out``'s path with ``{period}`` replaced by the period's file label.

    A ``/`` left in the label would name a folder, so it becomes ``-`` as cli.md says.
    """
    return Path(template.replace("{period}", period_file_label.replace("/", "-")))


__all__ = [
    "cell_text",
    "expand_out_path",
    "interval",
    "is_small",
    "neutralise",
    "report_dict",
    "table_notes",
    "to_csv",
    "to_html",
    "to_json",
    "to_markdown",
    "to_xlsx",
]
