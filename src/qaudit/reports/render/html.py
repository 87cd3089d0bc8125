"""The report as one self-contained HTML page: inline CSS and SVG, no scripts or links. The page
is templates/report.html.j2 in this package (Jinja2, autoescaped)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from qaudit.display import visible
from qaudit.reports.model import Column, Report, Section, Table
from qaudit.reports.render.charts import bar_chart, line_chart
from qaudit.reports.render.common import (
    NUMERIC_KINDS,
    cell_text,
    display,
    empty_list,
    interval,
    table_notes,
)

if TYPE_CHECKING:
    import jinja2

TEMPLATE = "report.html.j2"


def _html_table(table: Table) -> dict[str, Any]:
    chart = None
    if table.chart == "bar":
        chart = bar_chart(table)
    elif table.chart == "line":
        chart = line_chart(table)
    elif table.chart == "pchart":  # drawn whole, with its words, by reports/pchart.py
        from qaudit.reports.pchart import pchart_figure

        figure = pchart_figure(table)
        chart = None if figure is None else {"kind": "pchart", "figure": figure}
    return {
        "title": table.title,
        "notes": table_notes(table),
        "definitions": list(table.definitions),
        "columns": [
            {
                "title": c.title,
                "numeric": c.kind in NUMERIC_KINDS,
                # one word each (2026-01, 11-18, CLA): kept on one line on a phone
                "nowrap": all(" " not in cell_text(row, c).strip() for row in table.rows),
            }
            for c in table.columns
        ],
        "rows": [[_cell(row, c) for c in table.columns] for row in table.rows],
        "chart": chart,
    }


def _cell(row: Mapping[str, Any], column: Column) -> str:
    """A cell's text; a rate's interval (and small-number mark) in a span of class "ci", which a
    phone shows on a line of its own below the figure."""
    pair = interval(row, column)
    if pair is None:
        return cell_text(row, column)
    import markupsafe

    figure = display(row.get(column.key), column.kind)
    rest = cell_text(row, column, shown="").strip()  # "(46.2–72.4)", "(18.8–81.2) †"
    return markupsafe.Markup('{} <span class="ci">{}</span>').format(figure, rest)


def _html_section(section: Section) -> dict[str, Any]:
    return {
        "title": section.title,
        "tables": [_html_table(table) for table in section.tables],
        "lists": list(section.lists.items()),
    }


@cache
def _template() -> jinja2.Template:
    import jinja2
    import markupsafe

    def shown(value: Any) -> Any:
        # Text from the store with its control characters escaped (a page may be printed to a
        # terminal); markup qaudit built itself, the charts, is left as it is.
        if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
            return visible(value)
        return value

    source = files("qaudit.reports").joinpath("templates", TEMPLATE).read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, finalize=shown)
    return env.from_string(source)


def to_html(report: Report) -> str:
    """The report as one self-contained HTML page: inline CSS and SVG, no scripts or links."""
    return _template().render(
        r=report,
        sections=[_html_section(s) for s in report.sections],
        empty_list=empty_list(report),
    )
