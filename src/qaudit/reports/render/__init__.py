"""Lay a report (reports/model.py) out as Markdown, CSV, JSON, XLSX or HTML: a module a format.

Renderers only lay out: figures, suppression and what is left out are decided before them.
common.py holds what they share (a cell's text, a rate's interval); charts.py the HTML's SVG
charts; the HTML page itself is templates/report.html.j2 in the reports package.
"""

from __future__ import annotations

from pathlib import Path

from qaudit.display import neutralise
from qaudit.reports.render.charts import _axis
from qaudit.reports.render.common import (
    CI_SUFFIX,
    SMALL_MARK,
    SMALL_NOTE,
    SMALL_SUFFIX,
    cell_text,
    interval,
    is_small,
    table_notes,
)
from qaudit.reports.render.csvfile import CSV_HEADER, _csv_value, to_csv
from qaudit.reports.render.html import to_html
from qaudit.reports.render.jsonfile import report_dict, to_json
from qaudit.reports.render.markdown import to_markdown
from qaudit.reports.render.xlsx import to_xlsx


def expand_out_path(template: str, period_file_label: str) -> Path:
    """``--out``'s path with ``{period}`` replaced by the period's file label.

    A ``/`` left in the label would name a folder, so it becomes ``-`` as cli.md says.
    """
    return Path(template.replace("{period}", period_file_label.replace("/", "-")))


__all__ = [
    "CI_SUFFIX",
    "CSV_HEADER",
    "SMALL_MARK",
    "SMALL_NOTE",
    "SMALL_SUFFIX",
    "_axis",  # for tests written against the one-module renderer
    "_csv_value",
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
