"""The audit cycle's rules from domain.md, pinned on the services, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from conftest import make_context, write_csv
from qaudit.domain.grades import Grade
from qaudit.errors import RuleError
from qaudit.services.audits import list_reaudits, record_grade
from qaudit.services.cases import import_cases
from qaudit.services.grading import GradeInput
from qaudit.services.sampling import draw_sample
from qaudit.services.staff import import_staff
from qaudit.store.engine import Store

STAFF = [
    ["name", "role", "team"],
    ["Ann Auditor", "auditor", "Quality Assurance"],
    ["Hal Head", "head_of_service", "Team A;Team B"],
]
HEADER = ["case_ref", "team", "worker", "category", "open_date", "close_date"]


@pytest.fixture
def loaded(store: Store, tmp_path: Path) -> Store:
    ctx = make_context("2026-11-01")
    import_staff(store=store, path=write_csv(tmp_path / "staff.csv", STAFF), ctx=ctx)
    rows = [HEADER] + [[f"R{i}", "Team A", "", "CIN", "2020-01-01", ""] for i in range(10)]
    import_cases(store=store, path=write_csv(tmp_path / "cases.csv", rows), ctx=ctx)
    return store


def _inadequate(store: Store, case: str, day: str) -> tuple[date | None, date | None]:
    result = record_grade(
        store=store,
        ctx=make_context(day),
        entry=GradeInput(
            case_ref=case,
            grade=Grade.INADEQUATE,
            auditor="Ann Auditor",
            audit_date=date.fromisoformat(day),
            adhoc=True,
        ),
    )
    return result.moderation_due, result.reaudit_due


@pytest.mark.parametrize(
    ("audit_date", "moderation_due", "reaudit_due"),
    [
        ("2026-12-23", "2027-01-04", "2027-02-03"),  # Christmas: 25, 28 Dec and 1 Jan
        ("2026-04-02", "2026-04-13", "2026-05-14"),  # Easter: Good Friday, Easter Monday
        ("2026-12-19", "2026-12-30", "2027-02-01"),  # a Saturday: counting starts on Monday;
        #                                              six weeks on is a Saturday too
        ("2027-02-15", "2027-02-22", "2027-03-30"),  # six weeks on is Easter Monday 2027
        ("2026-05-01", "2026-05-11", "2026-06-12"),  # the May bank holiday (4 May)
    ],
)
def test_inadequate_deadlines(
    loaded: Store, audit_date: str, moderation_due: str, reaudit_due: str
) -> None:
    got = _inadequate(loaded, "R1", audit_date)
    assert got == (date.fromisoformat(moderation_due), date.fromisoformat(reaudit_due))


def test_policy_closure_days_and_weeks_count(loaded: Store) -> None:
    from dataclasses import replace

    from qaudit.domain.policy import AuditPolicy, CalendarPolicy, Policy

    ctx = make_context("2026-12-23")
    policy = Policy(
        audit=AuditPolicy(reaudit_weeks=12),
        calendar=CalendarPolicy(closure_days=(date(2026, 12, 29), date(2026, 12, 30))),
    )
    result = record_grade(
        store=loaded,
        ctx=replace(ctx, policy=policy),
        entry=GradeInput(
            case_ref="R2",
            grade=Grade.INADEQUATE,
            auditor="Ann Auditor",
            audit_date=date(2026, 12, 23),
            adhoc=True,
        ),
    )
    assert result.moderation_due == date(2027, 1, 6)  # two more days closed
    assert result.reaudit_due == date(2027, 3, 17)  # 12 weeks


@pytest.mark.parametrize(
    ("audited_on", "eligible"),
    [("2025-11-30", True), ("2025-12-01", False), ("2026-11-30", False)],
    ids=["a-day-over-12-months", "exactly-12-months", "last-month"],
)
def test_the_twelve_month_exclusion_window(loaded: Store, audited_on: str, eligible: bool) -> None:
    record_grade(
        store=loaded,
        ctx=make_context(audited_on),
        entry=GradeInput(
            case_ref="R3",
            grade=Grade.GOOD,
            auditor="Ann Auditor",
            audit_date=date.fromisoformat(audited_on),
            adhoc=True,
        ),
    )
    sample = draw_sample(
        store=loaded, ctx=make_context("2026-12-01"), month="2026-12", size=10, seed=1
    )
    refs = {line.case_ref for line in sample.lines}
    assert ("R3" in refs) is eligible
    assert sample.short_by == (0 if eligible else 1)


def test_a_case_with_a_reaudit_pending_is_not_sampled(loaded: Store) -> None:
    _inadequate(loaded, "R4", "2024-10-01")  # long ago: only the pending re-audit excludes it
    assert [r.status for r in list_reaudits(store=loaded)] == ["pending"]
    sample = draw_sample(
        store=loaded, ctx=make_context("2026-12-01"), month="2026-12", size=10, seed=1
    )
    assert "R4" not in {line.case_ref for line in sample.lines}


def test_closed_and_not_yet_open_cases_are_not_sampled(store: Store, tmp_path: Path) -> None:
    ctx = make_context("2026-11-01")
    rows = [
        HEADER,
        ["OPEN", "Team A", "", "CIN", "2020-01-01", ""],
        ["CLOSES-ON-THE-1ST", "Team A", "", "CIN", "2020-01-01", "2026-12-01"],
        ["CLOSED", "Team A", "", "CIN", "2020-01-01", "2026-11-30"],
        ["OPENS-LATER", "Team A", "", "CIN", "2026-12-02", ""],
        ["UNKNOWN-START", "Team A", "", "CL", "", ""],
    ]
    import_cases(store=store, path=write_csv(tmp_path / "c.csv", rows), ctx=ctx)
    sample = draw_sample(
        store=store, ctx=make_context("2026-12-01"), month="2026-12", size=50, seed=3
    )
    assert sorted(line.case_ref for line in sample.lines) == [
        "CLOSES-ON-THE-1ST",
        "OPEN",
        "UNKNOWN-START",
    ]
    assert sample.short_by == 47
    assert all(line.auditor is None for line in sample.lines)  # no auditors in this store
    assert sample.unallocated == 3


def test_an_audit_completes_only_the_work_its_caller_names(loaded: Store) -> None:
    """A workbook's sheet names the sample item or re-audit it is for: the audit completes
    that one, or is refused; never whatever else the case has open."""
    from sqlalchemy import text

    draw_sample(store=loaded, ctx=make_context("2026-12-01"), month="2026-12", size=10, seed=1)
    _inadequate(loaded, "R2", "2026-12-02")  # completes R2's sample item; a re-audit pending
    with loaded.engine.connect() as conn:
        items = dict(conn.execute(text(
            "SELECT c.case_ref, i.id FROM sample_items i JOIN cases c ON c.id = i.case_id"
            " WHERE i.status = 'open'"
        )).all())  # fmt: skip
        reaudit = conn.execute(text("SELECT id FROM reaudits WHERE status = 'pending'")).scalar()

    def grade(case: str, work: tuple[Any, int], day: str = "2026-12-03") -> str:
        return record_grade(
            store=loaded,
            ctx=make_context(day),
            entry=GradeInput(
                case_ref=case, grade=Grade.GOOD, auditor="Ann Auditor",
                audit_date=date.fromisoformat(day), work=work,
            ),
        ).completes  # fmt: skip

    # R3's open sample item is not R3's re-audit, nor is R4's item R3's.
    with pytest.raises(RuleError, match="case R3 has no audit due"):
        grade("R3", ("reaudit", reaudit))
    with pytest.raises(RuleError, match="case R3 has no audit due"):
        grade("R3", ("sample", items["R4"]))
    assert grade("R3", ("sample", items["R3"])).startswith("sample")
    # R2's re-audit, named, is completed by a later audit; its sample item was done already.
    with pytest.raises(RuleError, match="case R2"):
        grade("R2", ("sample", items["R3"]), "2027-01-13")
    assert grade("R2", ("reaudit", reaudit), "2027-01-13") == "re-audit"
