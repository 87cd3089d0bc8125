"""The Bright Spots export: ``response_id,survey,age_band,received_at,concern,comment``.

Responses are anonymous: no column naming a child is read; unknown columns are ignored (and named).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

from qaudit.domain.dates import EARLIEST, LONDON, check_date_bounds
from qaudit.domain.text import REF_LIMIT, length_problem, ref_problem
from qaudit.errors import InputError
from qaudit.importers.files import header_positions, read_small_csv

SURVEYS: tuple[str, ...] = ("your-life-your-care", "your-life-beyond-care")
SURVEY_LABELS: dict[str, str] = {
    "your-life-your-care": "Your Life, Your Care",
    "your-life-beyond-care": "Your Life Beyond Care",
}
AGE_BANDS: tuple[str, ...] = ("4-7", "8-11", "11-18", "16-25")
SURVEY_BANDS: dict[str, tuple[str, ...]] = {
    "your-life-your-care": ("4-7", "8-11", "11-18"),
    "your-life-beyond-care": ("16-25",),
}
REQUIRED = ("response_id", "survey", "age_band", "received_at", "concern", "comment")

_YES = frozenset({"yes", "true", "1"})
_NO = frozenset({"no", "false", "0", ""})
# Bright Spots writes its oldest Your Life, Your Care band as 11–17(18).
_BAND_ALIASES = {"11-17": "11-18", "11-17(18)": "11-18"}
_MOMENT = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})"
    r"(?::([0-9]{2})(?:\.([0-9]{1,6}))?)?"
    r"\s*(Z|[+-][0-9]{2}:?[0-9]{2})?",
    re.ASCII | re.IGNORECASE,
)
_MOMENT_FORMS = (
    "YYYY-MM-DDTHH:MM[:SS], with an offset such as +00:00 or Z, or none for Europe/London"
)


@dataclass(frozen=True)
class SurveyRow:
    """One response as read; ``received_at`` is in UTC."""

    line: int
    response_id: str
    survey: str
    age_band: str
    received_at: datetime
    concern: bool
    comment: str | None

    def content(self) -> tuple[str, str, datetime, bool, str | None]:
        """What must match for two rows with one id to be the same response."""
        return (self.survey, self.age_band, self.received_at, self.concern, self.comment)


CONTENT_FIELDS = ("survey", "age_band", "received_at", "concern", "comment")
"""The names of ``SurveyRow.content()``'s values, in order."""


@dataclass
class SurveyFile:
    """A validated export: one row per response (exact repeats dropped), what to say."""

    rows: list[SurveyRow]
    warnings: list[str] = field(default_factory=list)
    # Where each field came from, for messages: field name -> (1-based column, header text).
    columns: dict[str, tuple[int, str]] = field(default_factory=dict)
    repeats: int = 0


def parse_survey(text: str) -> str:
    """A survey slug from its slug or its name ("Your Life, Your Care"), any case."""
    key = "-".join(text.strip().lower().replace(",", " ").replace("-", " ").split())
    if key in SURVEYS:
        return key
    raise ValueError(f"'{text.strip()}' is not a survey; expected {' or '.join(SURVEYS)}")


def parse_age_band(text: str) -> str:
    """An age band; ``11-17`` (as Bright Spots writes it) is ``11-18``."""
    key = "".join(text.strip().replace("–", "-").replace("—", "-").split())
    key = _BAND_ALIASES.get(key, key)
    if key in AGE_BANDS:
        return key
    raise ValueError(
        f"'{text.strip()}' is not an age band; expected 4-7, 8-11, 11-18 (or 11-17) or 16-25"
    )


def check_band(survey: str, band: str) -> None:
    """Each survey has its own bands: Your Life Beyond Care is for care leavers, 16-25."""
    bands = SURVEY_BANDS[survey]
    if band not in bands:
        raise ValueError(
            f"age band {band} is not a band of {SURVEY_LABELS[survey]} ({', '.join(bands)})"
        )


def parse_concern(text: str) -> bool:
    key = text.strip().lower()
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise ValueError(
        f"'{text.strip()}' is not a concern flag; expected yes or no "
        "(also true/false, 1/0; blank is no)"
    )


def parse_received_at(text: str) -> tuple[datetime, bool]:
    """An aware moment, and whether the text gave its offset (without one: Europe/London).

    Raises ValueError; a local time the clocks skipped is refused rather than guessed.
    """
    value = text.strip()
    match = _MOMENT.fullmatch(value)
    if not match:
        raise ValueError(f"'{value}' is not a date-time ({_MOMENT_FORMS})")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        at = datetime.combine(
            date(int(year), int(month), int(day)),
            time(int(hour), int(minute), int(second or 0), int((fraction or "").ljust(6, "0"))),
        )
    except ValueError:
        raise ValueError(f"'{value}' is not a date-time that exists") from None
    if offset is not None:
        return at.replace(tzinfo=_offset(value, offset)), True
    local = at.replace(tzinfo=LONDON)
    if local.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None) != at:
        raise ValueError(
            f"'{value}' is not a time in Europe/London: the clocks went forward over it; "
            "give its offset"
        )
    return local, False


def is_ambiguous(moment: datetime) -> bool:
    """A London wall time the clocks passed twice (October): read as its first, BST, instance."""
    return moment.tzinfo is LONDON and moment.replace(fold=1).utcoffset() != moment.utcoffset()


def _offset(value: str, text: str) -> timezone:
    if text.upper() == "Z":
        return UTC
    digits = text[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    if delta >= timedelta(hours=24) or int(digits[2:]) >= 60:
        raise ValueError(f"'{value}' has an offset ({text}) no place uses")
    return timezone(-delta if text[0] == "-" else delta)


def read_survey_csv(path: Path, *, today: date | None = None) -> SurveyFile:
    """Every response, validated. An export is a few hundred rows, read at once.

    A moment before 1900-01-01 or (given ``today``) more than five years after it is refused.
    """
    name = str(path)
    rows = read_small_csv(path)
    if not rows:
        raise InputError("the file has no header row and no responses", file=name)
    header_line, header = rows[0]
    positions, ignored = header_positions(header, required=REQUIRED, file=name, line=header_line)
    columns = {key: (index + 1, header[index].strip()) for key, index in positions.items()}
    found = _Reader(name, len(header), positions, today)
    for line, row in rows[1:]:
        found.add(line, row)
    if not found.rows:
        raise InputError("the file has a header but no responses", file=name)
    warnings = []
    if ignored:
        warnings.append(
            f"{name}: ignored column{'s' if len(ignored) > 1 else ''} qaudit does not use: "
            + ", ".join(ignored)
        )
    if found.unzoned:
        n = found.unzoned
        warnings.append(
            f"{name}: {n} timestamp{'s' if n > 1 else ''} had no time zone and "
            f"{'were' if n > 1 else 'was'} taken as Europe/London time"
        )
    if found.ambiguous:
        n = found.ambiguous
        warnings.append(
            f"{name}: {n} timestamp{'s' if n > 1 else ''} without a zone fell in the hour "
            "the clocks went back and " + ("were" if n > 1 else "was") + " read as BST (the first)"
        )
    if found.repeats:
        n = found.repeats
        warnings.append(
            f"{name}: {n} row{'s' if n > 1 else ''} repeated an earlier response exactly "
            "and " + ("were" if n > 1 else "was") + " counted once"
        )
    return SurveyFile(
        rows=list(found.rows.values()), warnings=warnings, columns=columns, repeats=found.repeats
    )


class _Reader:
    """Validates rows one by one, keeping the first of each response id."""

    def __init__(
        self, name: str, width: int, positions: dict[str, int], today: date | None = None
    ) -> None:
        self.name = name
        self.today = today
        self.width = width
        self.positions = positions
        self.rows: dict[str, SurveyRow] = {}
        self.unzoned = 0
        self.ambiguous = 0
        self.repeats = 0

    def _error(self, message: str, line: int, key: str) -> InputError:
        return InputError(
            message,
            file=self.name,
            line=line,
            column=self.positions[key] + 1,
            column_name=key,
        )

    def _parse(self, row: list[str], line: int, key: str, parse: Any) -> Any:
        try:
            return parse(row[self.positions[key]])
        except (ValueError, OverflowError) as exc:
            raise self._error(str(exc), line, key) from None

    def add(self, line: int, row: list[str]) -> None:
        if len(row) != self.width:
            raise InputError(
                f"expected {self.width} fields as in the header, found {len(row)}",
                file=self.name,
                line=line,
            )
        response_id = row[self.positions["response_id"]].strip()
        if not response_id:
            raise self._error("the response id is blank", line, "response_id")
        if (too_long := length_problem(response_id, "response id", REF_LIMIT)) is not None:
            raise self._error(too_long, line, "response_id")
        if (odd := ref_problem(response_id, "response id")) is not None:
            raise self._error(odd, line, "response_id")
        survey: str = self._parse(row, line, "survey", parse_survey)
        band: str = self._parse(row, line, "age_band", parse_age_band)
        try:
            check_band(survey, band)
        except ValueError as exc:
            raise self._error(str(exc), line, "age_band") from None
        received_at, zoned = self._parse(row, line, "received_at", parse_received_at)
        try:
            shown = row[self.positions["received_at"]]
            if self.today is not None:
                check_date_bounds(received_at.date(), self.today, shown=shown)
            elif received_at.date() < EARLIEST:
                raise ValueError(
                    f"'{shown.strip()}' is out of range: dates must be from {EARLIEST}"
                )
        except ValueError as exc:
            raise self._error(str(exc), line, "received_at") from None
        concern: bool = self._parse(row, line, "concern", parse_concern)
        comment = row[self.positions["comment"]].strip() or None
        ambiguous = not zoned and is_ambiguous(received_at)
        # In UTC: a London time in the repeated October hour never equals one in another zone.
        at = received_at.astimezone(UTC)
        entry = SurveyRow(line, response_id, survey, band, at, concern, comment)
        earlier = self.rows.get(response_id)
        if earlier is not None:
            differs = first_difference(earlier.content(), entry.content())
            if differs is not None:
                raise self._error(
                    f"response {response_id} is also on line {earlier.line} with "
                    f"a different {differs}",
                    line,
                    differs,
                )
            self.repeats += 1
            return
        self.rows[response_id] = entry
        self.unzoned += not zoned
        self.ambiguous += ambiguous


def first_difference(first: tuple[Any, ...], second: tuple[Any, ...]) -> str | None:
    """The first of ``CONTENT_FIELDS`` in which two contents differ (moments as instants)."""
    for key, a, b in zip(CONTENT_FIELDS, first, second, strict=True):
        if a != b:
            return key
    return None
