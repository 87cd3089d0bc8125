"""What the ``qaudit complaints`` commands share: the table's columns, the choices (built from
the domain's lists), how a complaint is shown, and refusals named by the options that answer
them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from qaudit.cli.output import emit_record
from qaudit.cli.state import Format
from qaudit.domain.complaints import OUTCOMES, RELATIONSHIPS
from qaudit.errors import RuleError

if TYPE_CHECKING:
    from qaudit.services.worklists import ComplaintView

COLUMNS = [
    ("ref", "Ref"),
    ("stage", "Stage"),
    ("received", "Received"),
    ("response_due", "Due"),
    ("status", "Status"),
    ("case_ref", "Case"),
    ("team", "Team"),
    ("letter_on", "Letter"),
    ("outcome", "Outcome"),
]

# The choices are the domain's lists: a value added there is accepted here.
Relationship = StrEnum("Relationship", [(v.replace("-", "_"), v) for v in RELATIONSHIPS])  # type: ignore[misc]
Outcome = StrEnum("Outcome", [(v.replace("-", "_"), v) for v in OUTCOMES])  # type: ignore[misc]
FROM_PARENT = Relationship("parent")

FormatOption = Annotated[Format, typer.Option("--format", "-f")]


def report(view: ComplaintView, fmt: Format, message: str) -> None:
    emit_record(view.as_dict(), fmt=fmt, columns=COLUMNS, message=message)


@contextmanager
def naming_options(options: Mapping[str, str]) -> Iterator[None]:
    """A complaint rule's refusal followed by this command's options that answer it (by the
    refusal's ``remedy``; a remedy every command answers alike is cli/app.py ``REMEDIES``)."""
    try:
        yield
    except RuleError as exc:
        hint = options.get(exc.remedy or "")
        if hint is None:
            raise
        raise RuleError(f"{exc.message} ({hint})") from None
