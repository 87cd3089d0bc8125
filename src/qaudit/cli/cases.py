"""``qaudit cases``: import the council's case list, list cases."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from qaudit.cli.limits import AllOption, LimitOption, WideOption, emit_limited, row_limit
from qaudit.cli.output import emit_object
from qaudit.cli.params import QuietOption, date_option
from qaudit.cli.progress import row_progress
from qaudit.cli.state import Format, say, state, warn
from qaudit.cli.stdin import as_given, input_file, shown_name
from qaudit.display import counted
from qaudit.domain.cases import CATEGORIES


class SummaryFormat(StrEnum):
    table = "table"
    json = "json"


# The --category choices, from the one list of categories.
Category = StrEnum("Category", [(c, c) for c in CATEGORIES])  # type: ignore[misc]


app = typer.Typer(help="The case list: import it from CSV or Annex A, list cases.")

CASE_COLUMNS = [
    ("case_ref", "Case"),
    ("team", "Team"),
    ("worker", "Worker"),
    ("category", "Category"),
    ("open_date", "Opened"),
    ("close_date", "Closed"),
]


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="A case CSV or an Ofsted Annex A workbook; - for standard input.")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check the file and count; write nothing.")
    ] = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Refuse case refs that differ only in letter case (X1 and x1), in the file or "
            "from a stored ref, instead of warning.",
        ),
    ] = False,
    fmt: Annotated[
        SummaryFormat,
        typer.Option("--format", "-f", help="table: a summary for people; json: the counts."),
    ] = SummaryFormat.table,
    quiet: QuietOption = False,
) -> None:
    """Import cases from the canonical CSV or an Annex A workbook: all rows or none.

    CSV header: case_ref,team,worker,category,open_date,close_date (+ date_of_birth).
    Re-importing the same file changes nothing; a later file updates cases.

    FILE '-' reads standard input: `qaudit cases import - < cases.csv`.

    Example: `qaudit cases import data/demo-cases.csv`
    """
    from qaudit.services.cases import import_cases

    st = state(ctx)
    run = st.context()
    with (
        input_file(file, max_bytes=run.policy.imports.max_file_bytes) as path,
        row_progress(f"Importing {path.name}") as on_progress,
    ):
        summary = import_cases(
            store=st.store,
            path=path,
            ctx=run,
            dry_run=dry_run,
            on_progress=on_progress,
            strict=strict,
        )
    for message in summary.warnings:
        warn(as_given(message, path))
    if fmt is SummaryFormat.json:
        emit_object(
            {
                "file": shown_name(summary.file, file),
                "sha256": summary.sha256,
                "kind": summary.kind,
                "dry_run": summary.dry_run,
                "rows": summary.rows,
                "added": summary.added,
                "updated": summary.updated,
                "closed": summary.closed,
                "unchanged": summary.unchanged,
                "open_not_in_file": summary.open_not_in_file,
                "teams_added": summary.teams_added,
                "workers_added": summary.workers_added,
            }
        )
        return
    lead = "Checked (dry run, nothing written)" if dry_run else "Imported"
    say(
        f"{lead} {shown_name(summary.file, file)}: {counted(summary.rows, 'row')}; "
        f"{summary.added:,} added, {summary.updated:,} updated, {summary.closed:,} closed, "
        f"{summary.unchanged:,} unchanged; {counted(summary.teams_added, 'new team')}, "
        f"{counted(summary.workers_added, 'new worker')}."
    )
    if summary.open_not_in_file:
        say(
            f"{summary.open_not_in_file:,} open cases in the store are not in this file "
            "(left as they were)."
        )


@app.command("list")
def list_(
    ctx: typer.Context,
    open_on: Annotated[
        str | None,
        typer.Option(
            "--open-on", help="Only cases open on this date (YYYY-MM-DD).", show_default=False
        ),
    ] = None,
    team: Annotated[str | None, typer.Option("--team", help="Only this team's cases.")] = None,
    category: Annotated[
        Category | None,
        typer.Option("--category", case_sensitive=False, help="Only cases of this category."),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
    limit: LimitOption = None,
    every: AllOption = False,
    wide: WideOption = False,
) -> None:
    """Every case, closed ones too, unless filtered. CSV and JSON stream every case; a table
    shows the first 1,000 unless --limit N or --all.

    Example: `qaudit cases list --open-on 2026-12-01 --format csv`
    """
    from qaudit.services.cases import count_cases, iter_cases

    most = row_limit(fmt, limit, every)
    store = state(ctx).store
    on = date_option(open_on, "--open-on")
    kind = category.value if category else None
    cases = iter_cases(store=store, open_on=on, team=team, category=kind, limit=most)
    rows = (case.as_dict() for case in cases)
    count, hidden = emit_limited(
        rows,
        fmt=fmt,
        columns=CASE_COLUMNS,
        title="Cases",
        keep=("case_ref", "team", "category", "open_date", "close_date"),
        limit=most,
        total=lambda: count_cases(store=store, open_on=on, team=team, category=kind),
        noun="cases",
    )
    if fmt is Format.table and not hidden:
        say(f"{count:,} case{'s' if count != 1 else ''}")
