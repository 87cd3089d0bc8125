"""The report as one JSON document."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from qaudit.reports.model import Report, Table
from qaudit.reports.render.common import CI_SUFFIX, SMALL_SUFFIX, iso, plain


def _json_value(value: Any) -> Any:
    value = plain(value)
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
        "definitions": list(table.definitions),
        "chart": table.chart,
    }


def report_dict(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data (dates as ISO strings)."""
    return {
        "kind": report.kind,
        "title": report.title,
        "period": report.period_label,
        "start": iso(report.start),
        "end": iso(report.end),
        "generated_on": iso(report.generated_on),
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
