"""``qaudit export``: the store as tidy tables for analysts, to a workbook or CSV files."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from qaudit.cli.params import QuietOption
from qaudit.cli.state import say, state
from qaudit.errors import RuleError

app = typer.Typer()


class ExportFormat(StrEnum):
    xlsx = "xlsx"
    csv = "csv"


def _chosen_format(out: str, fmt: ExportFormat | None) -> ExportFormat:
    if fmt is not None:
        return fmt
    if out.lower().endswith(".xlsx"):
        return ExportFormat.xlsx
    if out.endswith("/") or Path(out).is_dir():
        return ExportFormat.csv
    raise RuleError(
        f"cannot tell what to write to {out}: name a .xlsx file, or a folder for CSV files "
        "(or give --format xlsx or --format csv)"
    )


@app.command()
def export(
    ctx: typer.Context,
    out: Annotated[
        str,
        typer.Option(
            "--out",
            help="A .xlsx workbook, or a folder for one CSV file a table (made if missing); "
            "- for the workbook on standard output.",
        ),
    ],
    publish: Annotated[
        bool,
        typer.Option(
            "--publish",
            help="For outside the service: no free text, and no column naming or pointing to "
            "a person (case refs, dates of birth, staff names, complaint refs).",
        ),
    ] = False,
    fmt: Annotated[
        ExportFormat | None,
        typer.Option(
            "--format", "-f", help="xlsx or csv; by default from --out (.xlsx, or a folder)."
        ),
    ] = None,
    quiet: QuietOption = False,
) -> None:
    """Every record as tidy tables for analysts, with a data dictionary: a workbook or CSV.

    One table per entity (cases, audits, answers, moderations, re-audits, complaints, complaint
    stages, survey responses and cohorts, advocacy, scrutiny sessions and resolutions), typed,
    for analysts' own spreadsheets and notebooks. An erased case's free text and personal
    details are blank. Files are written whole, readable by their owner only (0600).

    Example: `qaudit export --out qa-data.xlsx --publish`
    """
    from qaudit.files import PRIVATE_MODE, PathError, checked_target, store_files, write_atomically
    from qaudit.services.export import TABLE_NAMES, read_export, to_csv_files, to_xlsx

    st = state(ctx)
    if out == "-":  # the workbook to standard output: a file or a program, not a terminal
        if fmt is ExportFormat.csv:
            raise RuleError("a CSV export is a folder of files, one a table: --out - is for xlsx")
        from qaudit.cli.report import stdout_is_terminal

        if stdout_is_terminal():
            raise RuleError(
                "an XLSX workbook is binary and would garble the terminal: send it to a file "
                "or a program (--out - > qa-data.xlsx), or give --out PATH"
            )
        exported = read_export(st.store, publish=publish)
        sys.stdout.flush()
        sys.stdout.buffer.write(to_xlsx(exported))
        sys.stdout.buffer.flush()
        say(
            f"Exported {len(exported.tables)} tables as a workbook to standard output; "
            f"change log head {exported.log_head or 'none'}"
        )
        return
    chosen = _chosen_format(out, fmt)
    protect = store_files(st.store.path) if st.store.is_sqlite else ()
    # Every path is checked before the store is read and anything is written: never the
    # store's own files, a missing folder or a read-only file.
    if chosen is ExportFormat.xlsx:
        targets = {"": checked_target(out, protect=protect)}
        folder = None
    else:
        folder = Path(out)
        if folder.exists() and not folder.is_dir():
            raise PathError(f"cannot write CSV files into {out}: it is a file, not a folder")
        if not folder.exists() and not folder.parent.is_dir():
            raise PathError(f"cannot write CSV files into {out}: {folder.parent} is not a folder")
        names = ("dictionary", *TABLE_NAMES)
        if folder.is_dir():
            targets = {
                f"{n}.csv": checked_target(folder / f"{n}.csv", protect=protect) for n in names
            }
        else:
            targets = {}
    exported = read_export(st.store, publish=publish)
    if chosen is ExportFormat.xlsx:
        write_atomically(targets[""], to_xlsx(exported), mode=PRIVATE_MODE)
    else:
        assert folder is not None
        if not folder.exists():
            try:
                folder.mkdir(mode=0o700)
            except OSError as exc:
                raise PathError(
                    f"cannot make the folder {out}: {exc.strerror or exc}; nothing written"
                ) from None
        for name, text in to_csv_files(exported).items():
            target = targets.get(name) or checked_target(folder / name, protect=protect)
            write_atomically(target, text, mode=PRIVATE_MODE)
    rows = sum(len(table.rows) for table in exported.tables)
    what = "a workbook" if chosen is ExportFormat.xlsx else "CSV files"
    say(
        f"Exported {len(exported.tables)} tables ({rows} rows) and their data dictionary as "
        f"{what} to {out}"
        + (" (published: no free text or personal identifiers)" if publish else "")
        + f"; change log head {exported.log_head or 'none'}"
    )
