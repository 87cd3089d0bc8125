"""Lay a report (reports/model.py) out as Markdown, CSV, JSON, XLSX or HTML, and write it safely.

Renderers only lay out: figures, suppression and what is left out are decided before them.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from qaudit.display import neutralise, visible
from qaudit.reports.model import Kind, Report, Section, Table

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


def _cells(table: Table) -> Iterator[list[Any]]:
    """Each row's values in column order (missing keys as None)."""
    for row in table.rows:
        yield [_plain(row.get(column.key)) for column in table.columns]


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
    for values in _cells(table):
        shown = [
            _md_escape(_display(v, c.kind)) for v, c in zip(values, table.columns, strict=True)
        ]
        lines.append("| " + " | ".join(shown) + " |")
    if not table.rows:
        lines.append("| " + " | ".join("" for _ in table.columns) + " |")
    if table.note:
        lines += ["", f"_{_md_line(table.note)}_"]
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
            for number, values in enumerate(_cells(table), start=1):
                for column, value in zip(table.columns, values, strict=True):
                    write(section.name, table.name, number, column.key, value)
        for name, items in section.lists.items():
            for number, item in enumerate(items, start=1):
                write(section.name, name, number, "item", item)
    return out.getvalue()


# --- JSON ----------------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    value = _plain(value)
    return value.isoformat() if isinstance(value, date) else value


def _json_table(table: Table) -> dict[str, Any]:
    return {
        "name": table.name,
        "title": table.title,
        "columns": [{"key": c.key, "title": c.title, "kind": c.kind} for c in table.columns],
        "rows": [
            {c.key: _json_value(v) for c, v in zip(table.columns, values, strict=True)}
            for values in _cells(table)
        ],
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
    for col, column in enumerate(table.columns, start=1):
        cell = out.put(col, column.title)
        cell.font = bold
        cell.fill = fill
    out.row += 1
    for values in _cells(table):
        for col, (column, value) in enumerate(zip(table.columns, values, strict=True), start=1):
            out.put(col, value, column.kind)
        out.row += 1
    if table.note:
        out.put(1, table.note, fit=False)
        out.row += 1
    out.row += 1


# --- HTML ----------------------------------------------------------------------------------

CHART_WIDTH = 640
BAR_HEIGHT = 22
BAR_LABEL_WIDTH = 200
LINE_HEIGHT = 240
LINE_MARGIN = 40
LABEL_CHARS = 28


@dataclass
class _Point:
    label: str
    value: float | None  # None: no figure (empty or suppressed): a gap
    shown: str


def _chart_points(table: Table) -> list[_Point] | None:
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
        shown = _display(raw, figure.kind) or "–"
        points.append(_Point(_display(row.get(label.key), label.kind), value, shown))
    if not any(p.value is not None for p in points):
        return None
    return points


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def _bar_chart(table: Table) -> dict[str, Any] | None:
    points = _chart_points(table)
    if points is None:
        return None
    values = [p.value for p in points if p.value is not None]
    low, high = min(0.0, *values), max(0.0, *values)
    span = (high - low) or 1.0
    plot = CHART_WIDTH - BAR_LABEL_WIDTH - 60
    zero = BAR_LABEL_WIDTH + (0 - low) / span * plot
    bars = []
    for i, p in enumerate(points):
        y = 4 + i * BAR_HEIGHT
        bar: dict[str, Any] = {
            "label": _short(p.label),
            "full": p.label,
            "shown": p.shown,
            "ty": y + BAR_HEIGHT * 0.7,
            "y": y + 3,
            "h": BAR_HEIGHT - 6,
        }
        if p.value is None:
            bar.update(x=zero, w=0, vx=zero + 4)
        else:
            end = BAR_LABEL_WIDTH + (p.value - low) / span * plot
            bar.update(x=min(zero, end), w=abs(end - zero), vx=max(zero, end) + 4)
        bars.append(bar)
    return {
        "kind": "bar",
        "title": table.title,
        "width": CHART_WIDTH,
        "height": 8 + len(points) * BAR_HEIGHT,
        "zero": zero,
        "label_x": BAR_LABEL_WIDTH - 6,
        "bars": bars,
    }


def _line_chart(table: Table) -> dict[str, Any] | None:
    points = _chart_points(table)
    if points is None:
        return None
    values = [p.value for p in points if p.value is not None]
    low, high = min(0.0, *values), max(0.0, *values)
    span = (high - low) or 1.0
    left, right, top, bottom = LINE_MARGIN + 10, LINE_MARGIN, 16, LINE_MARGIN + 20
    plot_w = CHART_WIDTH - left - right
    plot_h = LINE_HEIGHT - top - bottom
    step = plot_w / max(len(points) - 1, 1)
    every = max(1, math.ceil(len(points) / 12))  # at most about twelve axis labels

    def y_of(value: float) -> float:
        return top + (high - value) / span * plot_h

    segments: list[list[tuple[float, float]]] = [[]]
    dots, ticks = [], []
    for i, p in enumerate(points):
        x = left + (i * step if len(points) > 1 else plot_w / 2)
        if i % every == 0:
            ticks.append({"x": x, "label": _short(p.label), "full": p.label})
        if p.value is None:
            if segments[-1]:
                segments.append([])  # a gap where the figure is missing or suppressed
            continue
        y = y_of(p.value)
        segments[-1].append((x, y))
        dots.append({"x": x, "y": y, "title": f"{p.label}: {p.shown}"})
    polylines = [
        " ".join(f"{x:.1f},{y:.1f}" for x, y in segment) for segment in segments if len(segment) > 1
    ]
    figure = next(c for c in table.columns if c.kind in NUMERIC_KINDS)
    return {
        "kind": "line",
        "title": table.title,
        "width": CHART_WIDTH,
        "height": LINE_HEIGHT,
        "left": left,
        "right": CHART_WIDTH - right,
        "axis_y": LINE_HEIGHT - bottom,
        "label_y": LINE_HEIGHT - bottom + 16,
        "grid": [{"y": y_of(v), "label": _display(v, figure.kind)} for v in sorted({low, high})],
        "polylines": polylines,
        "dots": dots,
        "ticks": ticks,
    }


def _html_table(table: Table) -> dict[str, Any]:
    chart = None
    if table.chart == "bar":
        chart = _bar_chart(table)
    elif table.chart == "line":
        chart = _line_chart(table)
    return {
        "title": table.title,
        "note": table.note,
        "columns": [{"title": c.title, "numeric": c.kind in NUMERIC_KINDS} for c in table.columns],
        "rows": [
            [_display(v, c.kind) for c, v in zip(table.columns, values, strict=True)]
            for values in _cells(table)
        ],
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
  table { border-collapse: collapse; margin: .5rem 0; min-width: 50%; }
  th, td { border-bottom: 1px solid #b1b4b6; padding: .3rem .6rem; text-align: left;
           vertical-align: top; }
  th { background: #f3f2f1; }
  .num { text-align: right; font-variant-numeric: tabular-nums; }
  .note { font-style: italic; color: #505a5f; }
  figure { margin: .5rem 0 1rem; }
  svg { max-width: 100%; height: auto; }
  svg text { font-family: Arial, Helvetica, sans-serif; font-size: 12px; fill: #0b0c0c; }
  .bar { fill: #1d70b8; }
  .line { fill: none; stroke: #1d70b8; stroke-width: 2; }
  .dot { fill: #1d70b8; }
  .axis { stroke: #505a5f; stroke-width: 1; }
  .grid { stroke: #b1b4b6; stroke-width: 1; stroke-dasharray: 3 3; }
  .lists.two { display: grid; grid-template-columns: 1fr 1fr; gap: 2rem; }
  .lists h3 { margin-top: .5rem; }
  @media print {
    body { margin: 0; max-width: none; font-size: 10pt; }
    h2 { break-before: auto; break-after: avoid; }
    h3 { break-after: avoid; }
    table, figure, .lists li { break-inside: avoid; }
    th, .notes { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
    .bar, .dot { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
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
{% if t.chart %}{% set c = t.chart %}
<figure>
<svg viewBox="0 0 {{ c.width }} {{ c.height }}" width="{{ c.width }}" height="{{ c.height }}"
 role="img" aria-label="{{ c.title }}"><title>{{ c.title }}</title>
{% if c.kind == "bar" %}
{% for b in c.bars %}<g><title>{{ b.full }}: {{ b.shown }}</title>
<text x="{{ c.label_x }}" y="{{ '%.1f' % b.ty }}" text-anchor="end">{{ b.label }}</text>
{% if b.w %}<rect class="bar" x="{{ '%.1f' % b.x }}" y="{{ '%.1f' % b.y }}" \
width="{{ '%.1f' % b.w }}" height="{{ b.h }}"></rect>{% endif %}
<text x="{{ '%.1f' % b.vx }}" y="{{ '%.1f' % b.ty }}">{{ b.shown }}</text></g>
{% endfor %}
<line class="axis" x1="{{ '%.1f' % c.zero }}" y1="0" x2="{{ '%.1f' % c.zero }}" \
y2="{{ c.height }}"></line>
{% else %}
{% for g in c.grid %}<line class="grid" x1="{{ c.left }}" y1="{{ '%.1f' % g.y }}" \
x2="{{ c.right }}" y2="{{ '%.1f' % g.y }}"></line>
<text x="{{ c.left - 6 }}" y="{{ '%.1f' % (g.y + 4) }}" text-anchor="end">{{ g.label }}</text>
{% endfor %}
<line class="axis" x1="{{ c.left }}" y1="{{ c.axis_y }}" x2="{{ c.right }}" \
y2="{{ c.axis_y }}"></line>
{% for p in c.polylines %}<polyline class="line" points="{{ p }}"></polyline>
{% endfor %}
{% for d in c.dots %}<circle class="dot" cx="{{ '%.1f' % d.x }}" cy="{{ '%.1f' % d.y }}" r="3">\
<title>{{ d.title }}</title></circle>
{% endfor %}
{% for k in c.ticks %}<text x="{{ '%.1f' % k.x }}" y="{{ c.label_y }}" text-anchor="middle">\
<title>{{ k.full }}</title>{{ k.label }}</text>
{% endfor %}
{% endif %}
</svg>
</figure>
{% endif %}
<table>
<thead><tr>{% for col in t.columns %}<th scope="col"{% if col.numeric %} class="num"{% endif %}>\
{{ col.title }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in t.rows %}<tr>{% for value in row %}\
<td{% if t.columns[loop.index0].numeric %} class="num"{% endif %}>{{ value }}</td>\
{% endfor %}</tr>
{% endfor %}</tbody>
</table>
{% if t.note %}<p class="note">{{ t.note }}</p>{% endif %}
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
    "expand_out_path",
    "neutralise",
    "report_dict",
    "to_csv",
    "to_html",
    "to_json",
    "to_markdown",
    "to_xlsx",
]
