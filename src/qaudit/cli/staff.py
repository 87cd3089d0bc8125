"""``qaudit staff``: import the staff list (roles and teams), list staff."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from qaudit.cli.limits import AllOption, LimitOption, WideOption, emit_limited, row_limit
from qaudit.cli.params import QuietOption
from qaudit.cli.state import Format, say, state, warn
from qaudit.cli.stdin import as_given, input_file, shown_name
from qaudit.display import counted

app = typer.Typer(help="Staff: auditors, team managers, heads of service, the QA lead.")


class Role(StrEnum):
    """The roles a staff list gives (importers.staff_csv.ROLES)."""

    auditor = "auditor"
    team_manager = "team_manager"
    head_of_service = "head_of_service"
    qa_lead = "qa_lead"
    social_worker = "social_worker"


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV with header name,role,team and optionally email; - for standard input."
        ),
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only; write nothing.")] = False,
    quiet: QuietOption = False,
) -> None:
    """Import staff: roles auditor, team_manager, head_of_service, qa_lead (or social_worker).

    A head of service's team may list several teams separated by ';': they answer for each.
    An email column gives the addresses reminders go to (qaudit notify); a blank one clears
    the address, and a file without the column leaves the addresses as they are.

    Example: `qaudit staff import data/demo-staff.csv`
    """
    from qaudit.services.staff import import_staff

    st = state(ctx)
    run = st.context()
    with input_file(file, max_bytes=run.policy.imports.max_file_bytes) as path:
        summary = import_staff(store=st.store, path=path, ctx=run, dry_run=dry_run)
    for message in summary.warnings:
        warn(as_given(message, path))
    lead = "Checked (dry run, nothing written)" if dry_run else "Imported"
    say(
        f"{lead} {shown_name(summary.file, file)}: {summary.rows} staff; "
        f"{len(summary.added)} added, {len(summary.updated)} updated, "
        f"{summary.unchanged} unchanged; {counted(len(summary.teams_added), 'new team')}."
    )


@app.command("list")
def list_(
    ctx: typer.Context,
    role: Annotated[Role | None, typer.Option("--role", help="Only this role.")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
    limit: LimitOption = None,
    every: AllOption = False,
    wide: WideOption = False,
) -> None:
    """Everyone known to the store, with role, team and the teams a head of service heads.
    A table shows the first 1,000 unless --limit N or --all.

    Example: `qaudit staff list --role auditor`
    """
    from qaudit.services.staff import list_staff

    people = list_staff(store=state(ctx).store, role=role.value if role else None)
    emit_limited(
        (s.as_dict() for s in people),
        fmt=fmt,
        columns=[
            ("name", "Name"),
            ("role", "Role"),
            ("team", "Team"),
            ("heads", "Heads"),
            ("email", "Email"),
        ],
        title="Staff",
        limit=row_limit(fmt, limit, every),
        total=lambda: len(people),
        noun="staff",
    )
