"""``qaudit report``: the audits, complaints, voice and board reports, for people or cron."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from qaudit.cli.params import QuietOption, period_option
from qaudit.cli.state import out_console, say, state
from qaudit.display import visible
from qaudit.errors import RuleError

if TYPE_CHECKING:
    from qaudit.reports.model import Column, Report

app = typer.Typer()


class ReportKind(StrEnum):
    audits = "audits"
    complaints = "complaints"
    voice = "voice"
    board = "board"


class ReportFormat(StrEnum):
    table = "table"
    md = "md"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"
    html = "html"


def _cell(row: Mapping[str, Any], column: Column) -> str:
    """A cell as written, with its interval and small-number mark when the row has them; at a
    terminal the interval goes on a line of its own, so a narrow column never splits a figure
    ("52.0% †" over "33.5–70.0")."""
    from qaudit.reports.render import cell_text, interval, is_small
    from qaudit.reports.render.common import SMALL_MARK, display

    value = row.get(column.key)
    pair = interval(row, column)
    if pair is None and not is_small(row, column):
        return "" if value is None else str(value)
    if pair is None:
        return cell_text(row, column)
    figure = display(value, column.kind) + (" " + SMALL_MARK if is_small(row, column) else "")
    low, high = pair
    return f"{figure}\n{low:.1f}–{high:.1f}"


def _print_table(report: Report) -> None:
    from rich.table import Table as RichTable
    from rich.text import Text

    from qaudit.reports.render import table_notes

    console = out_console()
    # Names, themes and free text are shown as written: no markup, control characters escaped.
    console.print(
        Text.assemble(
            (visible(report.title), "bold"),
            f" — {report.period_label} ({report.start} to {report.end})",
        )
    )
    for note in report.notes:
        console.print(Text(visible(note), style="dim"))
    for section in report.sections:
        console.rule(section.title)
        for table in section.tables:
            rich = RichTable(title=Text(visible(table.title)), title_justify="left")
            for column in table.columns:
                right = column.kind in ("count", "pct", "number")
                rich.add_column(
                    Text(visible(column.title)),
                    justify="right" if right else "left",
                    overflow="fold",
                )
            for row in table.rows:
                rich.add_row(*(Text(visible(_cell(row, c))) for c in table.columns))
            if _too_wide(console, rich) and 0 < len(table.rows) < len(table.columns) - 1:
                rich = _down_the_side(table)  # a figure a line, rather than figures cut up
            console.print(rich)
            for line in table.definitions:
                console.print(Text(visible(line), style="dim"))
            for note in table_notes(table):
                console.print(Text(visible(note), style="dim"))
        for heading, items in section.lists.items():
            console.print(Text(visible(heading), style="bold"))
            for item in items or ["(none recorded)"]:
                console.print(Text(f"  • {visible(item)}"))


def _too_wide(console: Any, rich: Any) -> bool:
    """Whether a table is wider than the terminal even with every column folded at its spaces
    (its least width: each column's longest word), so that its headings and figures would be
    cut inside words ("Rece" / "ived", "71." / "4%"). A long question or comment folds at its
    spaces and does not count."""
    from rich.measure import Measurement

    unbounded = console.options.update_width(10_000)  # (a measurement is clamped to its width)
    return bool(Measurement.get(console, unbounded, rich).minimum > console.width)


def _down_the_side(table: Any) -> Any:
    """``table`` turned on its side: a line per column (its heading, then its cell in each
    row), a column per row headed by the row's first cell. For a wide table of few rows, such
    as a period's complaint figures at an 80-column terminal."""
    from rich.table import Table as RichTable
    from rich.text import Text

    first, rest = table.columns[0], table.columns[1:]
    side = RichTable(title=Text(visible(table.title)), title_justify="left")
    side.add_column(Text(visible(first.title)), overflow="fold")
    for row in table.rows:
        side.add_column(Text(visible(_cell(row, first))), justify="right", overflow="fold")
    for column in rest:
        side.add_row(
            Text(visible(column.title)), *(Text(visible(_cell(row, column))) for row in table.rows)
        )
    return side


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def _file_mode(text: str) -> int:
    from qaudit.files import parse_mode

    try:
        return parse_mode(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--mode'") from None


@app.command()
def report(
    ctx: typer.Context,
    kind: Annotated[ReportKind, typer.Argument(help="audits, complaints, voice or board.")],
    period: Annotated[
        str,
        typer.Option(
            "--period",
            help="YYYY-MM, YYYY/YY-Qn (financial quarter), YYYY/YY, DATE..DATE, last-month, "
            "last-quarter…",
        ),
    ] = "last-month",
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f")] = ReportFormat.table,
    out: Annotated[
        str | None,
        typer.Option(
            "--out",
            help="Write to this file, atomically; {period} becomes e.g. 2026-27-Q3. "
            "- for standard output.",
        ),
    ] = None,
    publish: Annotated[
        bool,
        typer.Option(
            "--publish",
            help="For outside the service: counts 1-5 as c, no free text, no case refs.",
        ),
    ] = False,
    team: Annotated[str | None, typer.Option("--team", help="One team, for its meeting.")] = None,
    mode: Annotated[
        str | None,
        typer.Option(
            "--mode",
            help="The --out file's permissions, in octal (e.g. 0640 to let the group read it); "
            "0600, the owner only, unless given here or as reports.file_mode in the policy.",
        ),
    ] = None,
    quiet: QuietOption = False,
) -> None:
    """A report for the board, a team or the committee: figures for the period, what works
    well beside the areas for development, member scrutiny.

    `--out -` writes to standard output, an XLSX workbook too when that is not a terminal.

    Example: `qaudit report board --period 2026/27-Q3 --format html --out board-{period}.html`
    """
    import qaudit.reports.render as render
    from qaudit.files import write_atomically
    from qaudit.services.reports import build_report

    st = state(ctx)
    run = st.context()
    chosen = period_option(period, run.today)
    to_stdout = out == "-"
    if to_stdout:
        if mode is not None:
            raise RuleError(
                "--mode sets the permissions of the --out file: standard output has none"
            )
        if fmt is ReportFormat.xlsx and stdout_is_terminal():
            raise RuleError(
                "an XLSX report is binary and would garble the terminal: send it to a file or a "
                "program (--out - > report.xlsx), or give --out PATH"
            )
        out = None
    if fmt is ReportFormat.table and out is not None:
        raise RuleError(
            "the table format is for the terminal: with --out choose md, csv, json, html or xlsx"
        )
    if fmt is ReportFormat.xlsx and out is None and not to_stdout:
        raise RuleError("an XLSX report needs --out PATH")
    file_mode = run.policy.reports.file_mode if mode is None else _file_mode(mode)
    target = None
    if out is not None:
        # Checked before the report is built: never the store's own files, a folder, a
        # missing folder or a read-only file.
        from qaudit.files import checked_target, store_files

        path = render.expand_out_path(out, chosen.file_label)
        protect = store_files(st.store.path) if st.store.is_sqlite else ()
        # (A Path drops a final "/", which says the name is a folder's.)
        target = checked_target(f"{path}/" if out.endswith("/") else path, protect=protect)
    elif mode is not None:
        raise RuleError("--mode sets the permissions of the --out file: give --out too")
    built = build_report(
        store=st.store, ctx=run, kind=kind.value, period=chosen, team=team, publish=publish
    )
    head = f"change log head {built.log_head or 'none'}"
    if fmt is ReportFormat.table:
        _print_table(built)
        say(head.capitalize())
        return
    data: str | bytes
    if fmt is ReportFormat.md:
        data = render.to_markdown(built)
    elif fmt is ReportFormat.csv:
        data = render.to_csv(built)
    elif fmt is ReportFormat.json:
        data = render.to_json(built)
    elif fmt is ReportFormat.html:
        data = render.to_html(built)
    else:
        data = render.to_xlsx(built)
    if out is None:
        if isinstance(data, bytes):  # an XLSX workbook, to a file or a pipe (--out -)
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            sys.stdout.write(data if data.endswith("\n") else data + "\n")
        say(head.capitalize())
        return
    assert target is not None
    write_atomically(target, data, mode=file_mode)
    say(
        f"Wrote the {kind.value} report for {chosen.label} to {path}"
        + (" (published: small numbers suppressed)" if publish else "")
        + f"; {head}"
    )
