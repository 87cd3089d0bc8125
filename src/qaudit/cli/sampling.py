"""``qaudit sample``: the month's draw, its top-up, redraw and replacements, and ``--verify``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from qaudit.cli.output import emit_object, emit_rows
from qaudit.cli.params import QuietOption, checked_text, month_option
from qaudit.cli.state import Format, State, say, state, warn
from qaudit.domain.policy import MAX_SAMPLE_SIZE
from qaudit.domain.sampling import SEED_LIMIT

app = typer.Typer()


class Stratum(StrEnum):
    team = "team"
    category = "category"


def _verify_sample(st: State, month: str, fmt: Format) -> None:
    """``sample --verify``: the certificate, then every pick drawn again and compared."""
    from qaudit.errors import QauditError
    from qaudit.services.sampling import verify_sample

    with st.rows() as rows:
        result = verify_sample(rows, month)
    if fmt is Format.json:
        emit_object(result.as_dict())
    say(f"Sampling certificate, {month}: {result.certificate.sentence()}")
    if not result.ok:
        raise QauditError(
            f"the {month} sample does not match its recorded draw: " + "; ".join(result.problems)
        )
    since = result.checked - result.certificate.picks
    say(
        f"Verified: all {result.checked} picks of the {month} sample are the draw's"
        + (f" ({since} since replaced or redrawn)" if since > 0 else "")
        + f", drawn again from the record of {_steps_text(result.steps)}."
    )


def _steps_text(steps: int) -> str:
    return "its one step" if steps == 1 else f"its {steps} steps"


SAMPLE_COLUMNS = [
    ("case_ref", "Case"),
    ("team", "Team"),
    ("category", "Category"),
    ("auditor", "Auditor"),
    ("due", "Due"),
    ("status", "Status"),
]


@app.command()
def sample(
    ctx: typer.Context,
    month: Annotated[
        str | None, typer.Option("--month", help="The month, YYYY-MM.", show_default=False)
    ] = None,
    size: Annotated[
        int | None,
        typer.Option(
            "--size",
            min=1,
            max=MAX_SAMPLE_SIZE,
            help="Cases to draw (policy: 50); larger tops up.",
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", min=0, max=SEED_LIMIT - 1, help="Draw from this seed.")
    ] = None,
    redraw: Annotated[
        bool, typer.Option("--redraw", help="Replace the cases not yet graded (new seed).")
    ] = False,
    stratify: Annotated[
        Stratum | None,
        typer.Option("--stratify", help="Sample each team or category in proportion."),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Show the draw; save no sample (the preview is logged)."),
    ] = False,
    replace: Annotated[
        str | None,
        typer.Option(
            "--replace",
            metavar="CASE",
            callback=checked_text,
            help="Replace this ungraded case (say, closed) with the next in the draw's order.",
        ),
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option("--reason", callback=checked_text, help="Why (with --replace)."),
    ] = None,
    verify: Annotated[
        str | None,
        typer.Option(
            "--verify",
            metavar="MONTH",
            help="Draw MONTH again from its record and check every pick (exit 1 if any differ).",
        ),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
    quiet: QuietOption = False,
) -> None:
    """Draw the month's audit sample from the cases open on its first day, and allocate it.

    Cases audited in the last 12 months, or with a re-audit pending, are left out. A month has
    one sample: running this again shows it unchanged (safe in cron). The draw is a simple
    random sample from a seed, with a certificate in the change log; a dry run is logged as a
    preview, so trying seeds shows.

    Examples: `qaudit sample --month 2026-12`; `qaudit sample --verify 2026-12`;
    `qaudit sample --replace C1234 --month 2026-12 --reason "closed on 3 Dec"`
    """
    st = state(ctx)
    if verify is not None:
        others = {
            "--month": month, "--size": size, "--seed": seed, "--redraw": redraw or None,
            "--stratify": stratify, "--dry-run": dry_run or None, "--replace": replace,
            "--reason": reason,
        }  # fmt: skip
        given = [name for name, value in others.items() if value is not None]
        if given:
            raise typer.BadParameter(f"--verify takes no other option ({', '.join(given)})")
        _verify_sample(st, month_option(verify, "--verify"), fmt)
        return
    if month is None:
        raise typer.BadParameter("give --month YYYY-MM (or --verify MONTH)", param_hint="--month")
    if replace is not None:
        others = {
            "--size": size, "--seed": seed, "--redraw": redraw or None, "--stratify": stratify,
            "--dry-run": dry_run or None,
        }  # fmt: skip
        given = [name for name, value in others.items() if value is not None]
        if given:
            raise typer.BadParameter(f"--replace takes only --month and --reason, not {given[0]}")
        if not reason or not reason.strip():
            raise typer.BadParameter(
                "say why the case is replaced (it goes on the sampling certificate)",
                param_hint="--reason",
            )
    elif reason is not None:
        raise typer.BadParameter("--reason goes with --replace CASE", param_hint="--reason")
    from qaudit.services.sampling import draw_sample_in, replace_case_in

    run = st.context()
    with st.writing(run) as tx:
        if replace is not None:
            result = replace_case_in(
                tx, run, month=month_option(month, "--month"), case_ref=replace, reason=reason or ""
            )
        else:
            result = draw_sample_in(
                tx,
                run,
                month=month_option(month, "--month"),
                size=size,
                seed=seed,
                redraw=redraw,
                stratify=stratify.value if stratify else None,
                dry_run=dry_run,
            )
    if fmt is Format.json:
        emit_object(result.as_dict())
    else:
        emit_rows(
            (line.as_dict() for line in result.lines),
            fmt=fmt,
            columns=SAMPLE_COLUMNS,
            title=f"Audit sample {result.month}",
        )
    if result.action == "replaced":
        say(
            f"Replaced {result.replaced[0]} in the {result.month} sample with "
            f"{result.added[0]}, the next of {result.eligible:,} eligible cases in the draw's "
            "order (logged with the reason)."
        )
    else:
        verb = {
            "drawn": "Drew",
            "redrawn": "Redrew",
            "topped-up": "Topped up",
            "unchanged": "Unchanged:",
            "dry-run": "Preview (no sample saved; the preview is logged):",
        }[result.action]
        of = f" from {result.eligible:,} eligible" if result.eligible else ""
        say(
            f"{verb} the {result.month} sample of {len(result.lines)} cases{of} "
            f"(seed {result.seed}"
            + (f", stratified by {result.stratify}" if result.stratify else "")
            + ")."
        )
    if result.replaced and result.action != "replaced":
        say(f"Replaced {len(result.replaced)} cases not yet graded.")
    if result.short_by:
        warn(
            f"only {len(result.added)} eligible cases: all of them were taken "
            f"({result.short_by} fewer than {len(result.added) + result.short_by})"
        )
    if result.spread:
        say("Allocation: " + ", ".join(f"{name} {n}" for name, n in result.spread.items()))
    if result.unallocated and not result.auditors:
        warn(
            f"{result.unallocated} cases have no auditor: the store has no auditors or team "
            "managers (qaudit staff import)"
        )
    elif result.unallocated:
        warn(
            f"{result.unallocated} cases have no auditor who may take them (an auditor never "
            "audits their own team's case): allocate them by hand"
        )
