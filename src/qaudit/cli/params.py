"""Option values parsed the one way: a bad date, period or text is a usage error (exit 2).

Every date an option gives is bounded like a date in a file (domain.dates.check_date_bounds):
from 1900-01-01 to five years after the day treated as today (``--today``, else the clock).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from qaudit.domain.dates import LONDON, check_date_bounds, parse_date
from qaudit.domain.text import check_text
from qaudit.errors import RuleError

MAX_RECORD_ID = 2**63 - 1
"""The largest number a record can have (a 64-bit id, in SQLite and PostgreSQL alike)."""


def record_id(what: str) -> Any:
    """A record's number as an argument: 1 or more, and no larger than any id can be."""
    return typer.Argument(min=1, max=MAX_RECORD_ID, help=what)


if TYPE_CHECKING:
    from qaudit.domain.grades import Grade
    from qaudit.domain.periods import Period


def state_flag(attribute: str) -> Callable[[typer.Context, typer.CallbackParam, bool], bool]:
    """An option callback that sets the run's ``State.<attribute>`` when the flag is given
    (``--quiet``, ``--wide``): read wherever the run's output is made."""

    def callback(ctx: typer.Context, param: typer.CallbackParam, value: bool) -> bool:
        if value:
            from qaudit.cli.state import State

            found = ctx.find_object(State)
            if isinstance(found, State):
                setattr(found, attribute, True)
        return value

    return callback


QuietOption = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        help="No messages when all went well (for cron): warnings and errors still go to "
        "stderr, and data asked for with --format to stdout.",
        callback=state_flag("quiet"),  # messages for people (say) are left out
    ),
]


def _bad(message: str, option: str) -> typer.BadParameter:
    return typer.BadParameter(message, param_hint=f"'{option}'")


def option_today() -> date:
    """The day treated as today by the command running: ``--today``, else the clock's day."""
    from qaudit.cli.state import State

    current = _current_context()
    found = current.find_object(State) if current is not None else None
    if isinstance(found, State) and found.today is not None:
        return found.today.date()
    return datetime.now(LONDON).date()


def _current_context() -> Any:
    """The running command's context: Typer 0.25 and later carry their own copy of Click."""
    for name in ("typer._click.globals", "click.globals"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        return module.get_current_context(silent=True)
    return None


def bounded_date(day: date, option: str, *, today: date | None = None, shown: str = "") -> date:
    """``day`` if it is in the range qaudit accepts, else a usage error naming the range."""
    try:
        return check_date_bounds(day, today or option_today(), shown=shown or None)
    except ValueError as exc:
        raise _bad(str(exc), option) from None


def date_option(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        day = parse_date(value)
    except ValueError as exc:
        raise _bad(str(exc), option) from None
    return bounded_date(day, option, shown=value)


def period_option(value: str, today: date, option: str = "--period") -> Period:
    from qaudit.domain.periods import parse_period

    try:
        period = parse_period(value, today)
    except ValueError as exc:
        raise _bad(str(exc), option) from None
    for day in (period.start, period.end):
        try:
            check_date_bounds(day, today)
        except ValueError:
            raise _bad(
                f"'{value.strip()}' is out of range: it runs from {period.start} to {period.end}, "
                f"and dates must be {_range(today)}",
                option,
            ) from None
    return period


def month_option(value: str, option: str = "--month") -> str:
    """A month ``YYYY-MM`` whose days are all in the accepted range; the text as given."""
    from qaudit.domain.workdays import month_bounds

    try:
        first, last = month_bounds(value)
    except ValueError as exc:
        raise _bad(str(exc), option) from None
    today = option_today()
    for day in (first, last):
        try:
            check_date_bounds(day, today)
        except ValueError:
            raise _bad(
                f"'{value.strip()}' is out of range: dates must be {_range(today)}", option
            ) from None
    return value


def _range(today: date) -> str:
    from qaudit.domain.dates import allowed_range

    return allowed_range(today)


def text_option(value: Any, option: str, *, limit: int | None = None) -> Any:
    """Text to be stored or looked up, as given: refused (exit 2) if it holds a NUL byte
    (PostgreSQL cannot hold one) or is longer than ``limit`` characters. Lists are checked
    item by item; None and non-text values pass through."""
    problem = _text_problem(value, limit)
    if problem is not None:
        raise _bad(problem, option)
    return value


def _text_problem(value: Any, limit: int | None) -> str | None:
    if isinstance(value, str):
        try:
            check_text(value, limit=limit)
        except ValueError as exc:
            return str(exc)
    elif isinstance(value, list | tuple):
        for item in value:
            if (problem := _text_problem(item, limit)) is not None:
                return problem
    return None


def _checked(param: typer.CallbackParam, value: Any, limit: int | None) -> Any:
    problem = _text_problem(value, limit)
    if problem is not None:
        raise _bad(problem, _name(param))
    return value


def checked_text(ctx: typer.Context, param: typer.CallbackParam, value: Any) -> Any:
    """A Typer ``callback=`` for text that is stored or looked up: no NUL byte."""
    return _checked(param, value, None)


def checked_name(ctx: typer.Context, param: typer.CallbackParam, value: Any) -> Any:
    """A Typer ``callback=`` for a stored name or title: no NUL byte, at most 200 characters."""
    from qaudit.domain.text import NAME_LIMIT

    return _checked(param, value, NAME_LIMIT)


def _name(param: typer.CallbackParam) -> str:
    """How Click names the parameter in a usage error: the long option, or the argument."""
    if getattr(param, "param_type_name", "") == "option":
        return str(max(param.opts, key=len))
    return str(getattr(param, "metavar", None) or (param.name or "value").upper())


def grade_value(value: str) -> Grade:
    """A grade as an option gives it: the slug, the label or its short form, any case."""
    from qaudit.domain.grades import parse_grade

    try:
        return parse_grade(value)
    except ValueError as exc:
        # A grade off the scale is refused as bad input (exit 1), as issue 3 asks.
        raise RuleError(str(exc)) from None
