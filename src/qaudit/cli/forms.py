"""``qaudit forms``: audit workbooks for auditors who never open a terminal: ``export`` one
workbook per auditor for a month, ``import`` the workbooks they send back."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from qaudit.cli.output import emit_rows
from qaudit.cli.params import QuietOption, month_option
from qaudit.cli.state import Format, say, state
from qaudit.display import counted, day
from qaudit.errors import RuleError

app = typer.Typer(help="Audit workbooks: export one per auditor for a month, import them back.")

_UNSAFE = re.compile(r"[^\w .,()'&-]+")


class _DryRun(Exception):
    """Ends a dry run's transaction without committing it."""


def _file_safe(name: str) -> str:
    """A staff member's name as part of a file name: letters, digits, spaces and a few marks;
    never a path, never hidden."""
    safe = _UNSAFE.sub("_", name).strip(" .") or "auditor"
    return safe[:120]


@app.command("export")
def export(
    ctx: typer.Context,
    month: Annotated[str, typer.Option("--month", help="The month, YYYY-MM.", show_default=False)],
    out: Annotated[
        str,
        typer.Option(
            "--out",
            help="Where to write each workbook: {auditor} becomes the auditor's name, {month} the "
            "month, e.g. 'forms/{auditor}.xlsx'.",
            show_default=False,
        ),
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Replace workbooks that exist already.")
    ] = False,
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
    quiet: QuietOption = False,
) -> None:
    """Write one audit workbook per auditor for a month: a sheet per open sample item and
    re-audit due, laid out as the audit form, with drop-downs for the answers and the grade.

    Each workbook carries a hidden reference, so `qaudit forms import` matches it to the
    cases it was sent for. An auditor with nothing allocated gets none.

    Example: `qaudit forms export --month 2026-12 --out 'forms/{auditor}.xlsx'`
    """
    from qaudit.files import PathError, checked_target, store_files, write_atomically
    from qaudit.importers.workbook import workbook_bytes
    from qaudit.services.forms import export_forms_in
    from qaudit.services.vocabulary import framework_in_force, themes_in_force

    st = state(ctx)
    run = st.context()
    month = month_option(month, "--month")
    if not out.lower().endswith(".xlsx"):
        raise RuleError(f"--out must name .xlsx files (not '{out}'), e.g. 'forms/{{auditor}}.xlsx'")
    framework = framework_in_force(run)
    themes = themes_in_force(run)
    protect = store_files(st.store.path) if st.store.is_sqlite else ()
    written: list[dict[str, object]] = []
    created: list[Path] = []
    try:
        with st.writing(run) as tx:
            books = export_forms_in(tx, run, month=month, framework=framework)
            if len(books) > 1 and "{auditor}" not in out:
                raise RuleError(
                    f"{len(books)} auditors have audits in {month}: put {{auditor}} in --out so "
                    "each gets a workbook of their own"
                )
            targets: dict[Path, str] = {}
            for exported in books:
                name = _file_safe(exported.auditor)
                raw = out.replace("{auditor}", name).replace("{month}", month)
                path = Path(raw)
                if path in targets:
                    raise RuleError(
                        f"{targets[path]} and {exported.auditor} would both be written to {raw}"
                    )
                targets[path] = exported.auditor
                if path.exists() and not force:
                    raise RuleError(f"{raw} exists: give --force to replace it (nothing written)")
            for path, exported in zip(targets, books, strict=True):
                if not path.parent.exists():
                    try:
                        path.parent.mkdir(parents=True, mode=0o700)
                    except OSError as exc:
                        raise PathError(
                            f"cannot create the folder {path.parent}: {exc.strerror or exc}"
                        ) from None
                target = checked_target(path, protect=protect)
                existed = target.exists()
                data = workbook_bytes(exported.book, framework, themes)
                write_atomically(target, data, mode=run.policy.reports.file_mode)
                if not existed:
                    created.append(target)
                written.append(
                    {
                        "auditor": exported.auditor,
                        "file": str(path),
                        "ref": exported.book.ref,
                        "sheets": len(exported.book.sheets),
                        "cases": exported.cases,
                    }
                )
    except BaseException:
        for made in created:  # the store keeps none of these exports: no file either
            made.unlink(missing_ok=True)
        raise
    if fmt is Format.json:
        from qaudit.cli.output import emit_object

        emit_object({"month": month, "workbooks": written})
    elif fmt is Format.csv:
        emit_rows(
            written,
            fmt=fmt,
            columns=[
                ("auditor", "Auditor"),
                ("file", "File"),
                ("ref", "Ref"),
                ("sheets", "Sheets"),
            ],
        )
    else:
        emit_rows(
            written,
            fmt=fmt,
            columns=[("auditor", "Auditor"), ("file", "File"), ("sheets", "Cases")],
            title=f"Audit workbooks, {month}",
        )
    cases = sum(int(str(w["sheets"])) for w in written)
    say(
        f"Wrote {counted(len(written), 'workbook')} for {month}: {counted(cases, 'case')} to audit."
    )


@app.command("import")
def import_(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="The returned workbooks (.xlsx).")],
    month: Annotated[
        str | None,
        typer.Option(
            "--month", help="Refuse a workbook exported for another month.", show_default=False
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check everything; record nothing.")
    ] = False,
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
    quiet: QuietOption = False,
) -> None:
    """Record the audits in returned workbooks: each sheet with an overall grade is that case's
    audit, by the same rules as `qaudit grade` (Inadequate: moderation and re-audit). Sheets
    without a grade are listed as not yet done.

    All the files or none: the first problem is named by file, sheet and cell, and nothing is
    recorded. Importing a workbook again changes nothing.

    Example: `qaudit forms import forms/*.xlsx --dry-run`
    """
    from qaudit.files import PathError, checked_source, store_files
    from qaudit.importers.workbook import read_workbook
    from qaudit.services.forms import SheetOutcome, import_forms_in
    from qaudit.services.vocabulary import framework_in_force, themes_in_force

    st = state(ctx)
    run = st.context()
    chosen = month_option(month, "--month") if month is not None else None
    framework = framework_in_force(run)
    themes = themes_in_force(run)
    protect = store_files(st.store.path) if st.store.is_sqlite else ()
    books = []
    for file in files:
        try:
            path = checked_source(file, protect=protect)
        except PathError as exc:
            raise RuleError(exc.message) from None
        books.append(
            read_workbook(
                path,
                max_bytes=run.policy.imports.max_file_bytes,
                max_unpacked=run.policy.imports.max_unpacked_bytes,
                shown=str(file),
            )
        )
    outcomes: list[SheetOutcome] = []
    try:
        with st.writing(run) as tx:
            outcomes = import_forms_in(
                tx, run, books=books, month=chosen, framework=framework, themes=themes
            )
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    rows = []
    for outcome in outcomes:
        row = outcome.as_dict()
        if outcome.result == "recorded" and dry_run:
            row["result"], row["audit_id"] = "would be recorded", None
        elif outcome.result != "not yet done" and fmt is Format.table:
            row["result"] = f"{outcome.result} (audit {outcome.audit_id})"
        rows.append(row)
    emit_rows(
        rows,
        fmt=fmt,
        columns=[
            ("file", "File"),
            ("sheet", "Sheet"),
            ("case_ref", "Case"),
            ("result", "Result"),
            ("grade", "Grade"),
        ],
        title="Audit workbooks",
        keep=("file", "sheet", "case_ref", "result"),
    )
    recorded = sum(1 for o in outcomes if o.result == "recorded")
    already = sum(1 for o in outcomes if o.result == "already recorded")
    waiting = sum(1 for o in outcomes if o.result == "not yet done")
    inadequate = [o for o in outcomes if o.result == "recorded" and o.moderation_due is not None]
    lead = "Checked (dry run, nothing recorded)" if dry_run else "Imported"
    verb = "would be recorded" if dry_run else "recorded"
    say(
        f"{lead} {counted(len(books), 'workbook')}: {counted(recorded, 'audit')} {verb}, "
        f"{already} already recorded, {waiting} not yet done."
    )
    for o in inadequate:
        assert o.moderation_due is not None and o.reaudit_due is not None
        owner = o.moderation_owner or "no head of service known for the case's team"
        say(
            f"{o.case_ref}: Inadequate: moderation due {day(o.moderation_due)} ({owner}); "
            f"re-audit due {day(o.reaudit_due)}."
        )
