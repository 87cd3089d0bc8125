"""The report as one Markdown document."""

from __future__ import annotations

from qaudit.display import visible
from qaudit.reports.model import Report, Table
from qaudit.reports.render.common import NUMERIC_KINDS, cell_text, empty_list, iso, table_notes


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
    if table.definitions:
        lines.append("")
        lines += [f"- {_md_line(line)}" for line in table.definitions]
    for note in table_notes(table):
        lines += ["", f"_{_md_line(note)}_"]
    lines.append("")
    return lines


def to_markdown(report: Report) -> str:
    """The report as one Markdown document: a title, its period and notes, a heading a section."""
    lines = [f"# {_md_line(report.title)}", ""]
    lines.append(
        f"**Period:** {_md_line(report.period_label)} ({iso(report.start)} to {iso(report.end)})  "
    )
    if report.team:
        lines.append(f"**Team:** {_md_line(report.team)}  ")
    lines.append(f"**Generated:** {iso(report.generated_on)}  ")
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
            lines += [f"- {_md_line(item)}" for item in items] or [f"_{empty_list(report)}_"]
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
