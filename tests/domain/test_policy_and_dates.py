"""The policy's defaults and overrides, and the date forms the CLI contract accepts."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from qaudit.domain.dates import LONDON, parse_date, parse_file_date, parse_moment
from qaudit.domain.policy import Policy, PolicyError, policy_from_mapping


def test_defaults_are_those_of_domain_md() -> None:
    policy = Policy()
    assert policy.audit.sample_size == 50
    assert policy.audit.exclusion_months == 12
    assert policy.audit.moderation_working_days == 5
    assert policy.audit.reaudit_weeks == 6
    assert (policy.complaints.statutory.stage1_days, policy.complaints.statutory.stage2_days,
            policy.complaints.statutory.stage3_days) == (10, 25, 30)  # fmt: skip
    assert policy.voice.review_hours == 24
    assert policy.reports.suppression_threshold == 5
    assert policy.reports.run_length == 6


def test_every_default_lies_in_its_range() -> None:
    import dataclasses

    def walk(obj: object) -> list[tuple[str, int, tuple[int, int]]]:
        out = []
        for f in dataclasses.fields(obj):  # type: ignore[arg-type]
            value = getattr(obj, f.name)
            if dataclasses.is_dataclass(value):
                out.extend(walk(value))
            elif "range" in f.metadata:
                out.append((f.name, value, f.metadata["range"]))
        return out

    found = walk(Policy())
    assert len(found) >= 20
    assert all(low <= value <= high for _, value, (low, high) in found), found


def test_a_mapping_overrides_only_what_it_names() -> None:
    policy = policy_from_mapping(
        {"audit": {"reaudit_weeks": 12}, "calendar": {"closure_days": [date(2026, 12, 29)]}}
    )
    assert policy.audit.reaudit_weeks == 12
    assert policy.audit.sample_size == 50
    assert policy.calendar.closure_days == (date(2026, 12, 29),)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"audit": {"sample_size": True}}, "'audit.sample_size' must be a whole number"),
        ({"audit": {"sample_size": -1}}, "'audit.sample_size' must be a whole number"),
        ({"audit": {"sample_size": 0}}, "'audit.sample_size' must be a whole number from 1 to "
         "10,000, not 0"),
        ({"audit": {"sample_size": 50_000}}, "from 1 to 10,000, not 50,000"),
        ({"audit": {"moderation_working_days": 10**9}}, "from 1 to 60, not 1,000,000,000"),
        ({"audit": {"exclusion_months": 2**70}}, "from 0 to 120, not a number that large"),
        ({"voice": {"review_hours": 9_999_999_999_999}}, "'voice.review_hours' must be a whole "
         "number from 1 to 744"),
        ({"complaints": {"statutory": {"stage1_days": 99_999_999}}},
         "'complaints.statutory.stage1_days' must be a whole number from 1 to 260"),
        ({"audit": 5}, "audit must be a table"),
        ({"reports": {"run_length": 1}},
         "'reports.run_length' must be a whole number from 2 to 24"),
        ({"complaints": {"statutory": {"stage9_days": 1}}},
         "unknown policy key 'complaints.statutory.stage9_days'"),
    ],
)  # fmt: skip
def test_bad_policy_values(values: dict[str, object], message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        policy_from_mapping(values)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-23", datetime(2026, 12, 23, 0, 0, tzinfo=LONDON)),
        ("2026-07-01T09:15", datetime(2026, 7, 1, 9, 15, tzinfo=LONDON)),
    ],
)
def test_moments(text: str, expected: datetime) -> None:
    assert parse_moment(text) == expected


@pytest.mark.parametrize("text", ["2026-13-01", "2026-02-29", "1/2/2026", "2026-1-05", ""])
def test_bad_iso_dates(text: str) -> None:
    with pytest.raises(ValueError, match="is not a date"):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-04-03", "2026-04-03"),
        ("03/04/2026", "2026-04-03"),  # 3 April: UK day-first, never US
        ("3/4/2026", "2026-04-03"),
        (" 29/02/2024 ", "2024-02-29"),
    ],
)
def test_file_dates_are_day_first(text: str, expected: str) -> None:
    assert parse_file_date(text) == expected


@pytest.mark.parametrize(
    "text", ["04/31/2026", "31/02/2026", "2026/04/03", "3 April 2026", "1900-01-00"]
)
def test_file_dates_that_do_not_exist_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_file_date(text)


def test_suppress_zero_is_a_true_or_false_policy_value() -> None:
    assert policy_from_mapping({"reports": {"suppress_zero": True}}).reports.suppress_zero
    with pytest.raises(PolicyError, match=r"'reports\.suppress_zero' must be true or false"):
        policy_from_mapping({"reports": {"suppress_zero": 1}})
