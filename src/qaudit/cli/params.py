"""Option values parsed the one way: a bad date or period is a usage error (exit 2)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import typer

from qaudit.domain.dates import parse_date

if TYPE_CHECKING:
    from qaudit.domain.periods import Period


def date_option(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=f"'{option}'") from None


def period_option(value: str, today: date, option: str = "--period") -> Period:
    from qaudit.domain.periods import parse_period

    try:
        return parse_period(value, today)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=f"'{option}'") from None
