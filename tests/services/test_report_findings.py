"""Findings by question and section, the balance built from them, and actions: the figures of a
store small enough to count by hand, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from conftest import Cli, make_context, write_csv
from qaudit.domain.grades import Grade
from qaudit.domain.periods import parse_period
from qaudit.reports.model import Table
from qaudit.services.audits import record_grade
from qaudit.services.grading import GradeInput
from qaudit.services.report_audits import audit_sections, balance_section
from qaudit.services.vocabulary import framework_in_force
from qaudit.store.engine import Store
from qaudit.store.models import Action

STAFF = [
    ["name", "role", "team"],
    ["Ann Auditor", "auditor", "Quality Assurance"],
    ["Hal Head", "head_of_service", "Team A;Team B"],
]
CASES = [
    ["case_ref", "team", "worker", "category", "open_date", "close_date"],
    *[[f"A{i}", "Team A", "", "CIN", "2025-01-01", ""] for i in range(1, 7)],
    *[[f"B{i}", "Team B", "", "CP", "2025-01-01", ""] for i in range(1, 5)],
    ["Z1", "", "", "CLA", "2025-01-01", ""],
]
G, OU, RI, IN, NA = "good", "outstanding", "requires-improvement", "inadequate", "not-applicable"
# Ten audits in November 2026 (six of Team A, four of Team B), each answering the chronology
# question: 1 Outstanding, 3 Good, 2 RI, 2 Inadequate, 2 not applicable -> 8 answered, 3 of 8
# Good. Team A's four answer the assessment question: 2 Good, 1 RI, 1 Inadequate. Two answer
# a question of an earlier framework, and one an answer no framework allows (not counted).
AUDITS: list[tuple[str, str, dict[str, str], list[str]]] = [
    ("A1", "good", {"chronology": OU, "assessment-current": G, "old-question": G}, ["planning"]),
    ("A2", "good", {"chronology": G, "assessment-current": G, "old-question": RI}, ["planning"]),
    ("A3", "requires-improvement", {"chronology": G, "assessment-current": RI}, ["planning"]),
    (
        "A4",
        "inadequate",
        {"chronology": RI, "assessment-current": IN},
        ["planning", "risk-and-safety"],
    ),
    ("A5", "good", {"chronology": NA}, []),
    ("A6", "outstanding", {"chronology": IN, "plan-on-file": "excellent"}, ["risk-and-safety"]),
    ("B1", "good", {"chronology": G}, ["planning"]),
    ("B2", "requires-improvement", {"chronology": RI}, ["risk-and-safety"]),
    ("B3", "inadequate", {"chronology": IN}, []),
    ("B4", "good", {"chronology": NA}, []),
]
NOVEMBER = "2026-11"


@pytest.fixture
def built(cli: Cli, store: Store, tmp_path: Path) -> Store:
    for what, rows in (("staff", STAFF), ("cases", CASES)):
        result = cli(what, "import", str(write_csv(tmp_path / f"{what}.csv", rows)))
        assert result.exit_code == 0, result.stderr
    for day, (case_ref, grade, answers, themes) in enumerate(AUDITS, start=2):
        when = date(2026, 11, day)
        record_grade(
            store=store,
            ctx=make_context(when.isoformat()),
            entry=GradeInput(
                case_ref=case_ref,
                grade=Grade(grade),
                auditor="Ann Auditor",
                audit_date=when,
                answers=answers,
                themes=themes,
                adhoc=True,
            ),
        )
    # One audit in October, outside the period, answering the chronology question.
    record_grade(
        store=store,
        ctx=make_context("2026-10-20"),
        entry=GradeInput(
            case_ref="Z1",
            grade=Grade.GOOD,
            auditor="Ann Auditor",
            audit_date=date(2026, 10, 20),
            answers={"chronology": G},
            adhoc=True,
        ),
    )
    return store


def _audits(store: Store, period: str, team: str | None = None) -> dict[str, Table]:
    ctx = make_context("2026-12-14")
    [section] = audit_sections(
        store=store, ctx=ctx, period=parse_period(period, ctx.today), team=team
    )
    return {table.name: table for table in section.tables}


def _balance(store: Store, period: str, team: str | None = None) -> dict[str, Table]:
    ctx = make_context("2026-12-14")
    section = balance_section(
        store=store, ctx=ctx, period=parse_period(period, ctx.today), team=team
    )
    return {table.name: table for table in section.tables}


def _row(table: Table, key: str, value: str) -> dict[str, Any]:
    return next(row for row in table.rows if row[key] == value)


CHRONOLOGY = (
    "Is there an up-to-date chronology of significant events and their impact on the child?"
)
ASSESSMENT = "Is there an up-to-date assessment that reflects the child's current circumstances?"
STATUTORY = "Statutory documentation"


def test_findings_by_question_count_each_grade_and_not_applicable_apart(built: Store) -> None:
    tables = _audits(built, NOVEMBER)
    findings = tables["findings"]
    assert [c.key for c in findings.columns] == [
        "question", "answered", "outstanding", "good", "requires_improvement", "inadequate",
        "not_applicable",
    ]  # fmt: skip
    row = _row(findings, "question", CHRONOLOGY)
    assert {k: row[k] for k in ("answered", "outstanding", "good", "requires_improvement")} == {
        "answered": 8,
        "outstanding": 1,
        "good": 3,
        "requires_improvement": 2,
    }
    assert (row["inadequate"], row["not_applicable"], row["section"]) == (2, 2, STATUTORY)
    assessment = _row(findings, "question", ASSESSMENT)
    assert (assessment["answered"], assessment["good"], assessment["not_applicable"]) == (4, 2, 0)
    # "excellent" is no answer: plan-on-file has none; every question of the framework is listed.
    assert _row(findings, "question", findings.rows[1]["question"])["answered"] == 0
    assert len(findings.rows) == len(framework_in_force(make_context()).questions) + 1
    # The question no longer in the framework, by its id, last.
    assert findings.rows[-1] == {
        "question": "old-question (earlier framework)",
        "section": "(earlier framework)",
        "answered": 2,
        "outstanding": 0,
        "good": 1,
        "requires_improvement": 1,
        "inadequate": 0,
        "not_applicable": 0,
    }


def test_shares_are_of_the_answered_with_wilson_intervals(built: Store) -> None:
    shares = _row(_audits(built, NOVEMBER)["findings_shares"], "question", CHRONOLOGY)
    # 3 of 8 Good: 37.5%, Wilson 95% interval 13.7 to 69.4 (worked by hand), under 10: small.
    assert shares["good_pct"] == 37.5
    assert shares["good_pct_ci95"] == [13.7, 69.4]
    assert shares["good_pct_small"] is True
    assert shares["good_pct_of"] == (3, 8)
    assert (shares["outstanding_pct"], shares["inadequate_pct"]) == (12.5, 25.0)
    assert shares["outstanding_pct_ci95"] == [2.2, 47.1]  # 1 of 8
    # No question answered: no share, no interval.
    unanswered = _audits(built, NOVEMBER)["findings_shares"].rows[1]
    assert unanswered["good_pct"] is None and "good_pct_ci95" not in unanswered


def test_sections_add_up_their_questions(built: Store) -> None:
    tables = _audits(built, NOVEMBER)
    sections = tables["findings_sections"]
    statutory = _row(sections, "section", STATUTORY)
    # Chronology 8 + assessment 4: 12 answers; Good 3 + 2 = 5 of 12; RI 2 + 1; Inadequate 2 + 1.
    assert statutory == {
        "section": STATUTORY,
        "answers": 12,
        "outstanding": 1,
        "good": 5,
        "requires_improvement": 3,
        "inadequate": 3,
    }
    shares = _row(tables["findings_section_shares"], "section", STATUTORY)
    assert shares["good_pct_of"] == (5, 12)
    assert shares["good_pct"] == 41.7
    assert shares["good_pct_ci95"] == [19.3, 68.0]
    assert _row(sections, "section", "(earlier framework)")["answers"] == 2
    every = sections.rows[-1]
    assert (every["section"], every["answers"], every["good"]) == ("All sections", 14, 6)
    assert [r["section"] for r in sections.rows][:2] == [
        STATUTORY,
        "The child's journey over the last six months",
    ]


def test_a_team_report_counts_only_its_cases(built: Store) -> None:
    row = _row(_audits(built, NOVEMBER, team="Team B")["findings"], "question", CHRONOLOGY)
    assert (row["answered"], row["good"], row["requires_improvement"], row["inadequate"]) == (
        3,
        1,
        1,
        1,
    )
    assert row["not_applicable"] == 1
    # October's audit is in October's figures only.
    october = _row(_audits(built, "2026-10")["findings"], "question", CHRONOLOGY)
    assert (october["answered"], october["good"]) == (1, 1)


def test_the_balance_names_the_strongest_and_weakest_questions_with_counts(built: Store) -> None:
    tables = _balance(built, NOVEMBER)
    assert list(tables) == ["balance", "strongest", "weakest", "themes_by_band"]
    strongest = tables["strongest"]
    # Chronology: 4 good or better (of 8); assessment: 2 of 4; old-question: 1 of 2.
    assert [(r["question"], r["answered"], r["good_or_better"]) for r in strongest.rows] == [
        (CHRONOLOGY, 8, 4),
        (ASSESSMENT, 4, 2),
        ("old-question (earlier framework)", 2, 1),
    ]
    assert strongest.rows[0]["good_or_better_pct"] == 50.0
    weakest = tables["weakest"]
    assert [(r["question"], r["concerns"]) for r in weakest.rows] == [
        (CHRONOLOGY, 4),
        (ASSESSMENT, 2),
        ("old-question (earlier framework)", 1),
    ]
    assert weakest.rows[1]["concerns_pct"] == 50.0
    assert weakest.rows[1]["section"] == STATUTORY


def test_themes_by_grade_band_after_moderation(built: Store) -> None:
    themes = _balance(built, NOVEMBER)["themes_by_band"]
    assert themes.rows == [
        # planning: A1 A2 B1 good, A3 RI, A4 inadequate; risk: A6 outstanding, B2 RI, A4.
        {
            "theme": "Planning",
            "audits": 5,
            "good_or_better": 3,
            "requires_improvement": 1,
            "inadequate": 1,
        },
        {
            "theme": "Risk and safety",
            "audits": 3,
            "good_or_better": 1,
            "requires_improvement": 1,
            "inadequate": 1,
        },
    ]


def _action(
    case_id: int, audit_id: int, owner: int, set_on: str, due: str, done_on: str | None
) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "audit_id": audit_id,
        "text": "Update the chronology",
        "owner_id": owner,
        "due": date.fromisoformat(due),
        "status": "done" if done_on else "open",
        "set_on": date.fromisoformat(set_on),
        "set_by": "Ann Auditor",
        "done_on": date.fromisoformat(done_on) if done_on else None,
        "done_by": "Ann Auditor" if done_on else None,
        "recorded_at": datetime(2026, 11, 1, 9, 0, tzinfo=UTC),
    }


def _add_actions(store: Store) -> None:
    with store.engine.begin() as conn:
        found = {
            ref: (case_id, audit_id, auditor)
            for ref, case_id, audit_id, auditor in conn.exec_driver_sql(
                "SELECT c.case_ref, c.id, a.id, a.auditor_id FROM audits a "
                "JOIN cases c ON c.id = a.case_id"
            )
        }
        rows = []
        for ref, set_on, due, done_on in (
            ("A1", "2026-11-02", "2026-11-20", "2026-11-19"),  # done in time
            ("A2", "2026-11-03", "2026-11-20", "2026-11-20"),  # done in time: on the due day
            ("A3", "2026-11-04", "2026-11-10", "2026-11-12"),  # done late
            ("A4", "2026-11-05", "2026-11-25", None),  # open, overdue on 30 November
            ("A5", "2026-11-06", "2026-11-30", None),  # open, due on the day: not yet due
            ("B1", "2026-11-07", "2026-11-15", "2026-12-05"),  # done after the period: overdue
            ("B2", "2026-11-08", "2026-12-20", None),  # open, not yet due
            ("Z1", "2026-10-20", "2026-10-30", None),  # set in October: not November's
        ):
            case_id, audit_id, owner = found[ref]
            rows.append(_action(case_id, audit_id, owner, set_on, due, done_on))
        conn.execute(insert(Action.__table__), rows)  # type: ignore[attr-defined]


ACTION_KEYS = ("set", "done_in_time", "done_late", "open_overdue", "open_not_due")


def test_actions_by_team_as_of_the_period_end(built: Store) -> None:
    _add_actions(built)
    actions = _audits(built, NOVEMBER)["actions"]
    assert [c.key for c in actions.columns] == ["team", *ACTION_KEYS]
    by_team = {row["team"]: tuple(row[k] for k in ACTION_KEYS) for row in actions.rows}
    assert by_team == {
        "Quality Assurance": (0, 0, 0, 0, 0),  # every team is listed, with or without actions
        "Team A": (5, 2, 1, 1, 1),
        "Team B": (2, 0, 0, 1, 1),
        "Total": (7, 2, 1, 2, 2),
    }
    assert any("As of 2026-11-30" in line for line in actions.definitions)
    # December's report has no actions set; every team is listed, with a total of 0.
    december = _audits(built, "2026-12")["actions"]
    assert [tuple(r[k] for k in ACTION_KEYS) for r in december.rows] == [(0,) * 5] * 4
    # October's: Z1's case has no team; as of 2026-10-31 it is overdue.
    october = {r["team"]: r for r in _audits(built, "2026-10")["actions"].rows}
    assert (october["(no team)"]["set"], october["(no team)"]["open_overdue"]) == (1, 1)
    # A team's report: its own row and the total.
    team = _audits(built, NOVEMBER, team="Team B")["actions"]
    assert [(r["team"], r["set"]) for r in team.rows] == [("Team B", 2), ("Total", 2)]


def test_actions_as_of_today_when_the_period_has_not_ended(built: Store) -> None:
    _add_actions(built)
    ctx = make_context("2026-11-16")
    [section] = audit_sections(store=built, ctx=ctx, period=parse_period(NOVEMBER, ctx.today))
    actions = next(t for t in section.tables if t.name == "actions")
    total = actions.rows[-1]
    # As of 16 November: B1 (due 15th) and A3's done late; A4, A5, B2 not yet due; A1, A2 open.
    assert tuple(total[k] for k in ACTION_KEYS) == (7, 0, 1, 1, 5)
    assert any("As of 2026-11-16" in line for line in actions.definitions)


def test_the_cli_report_shows_findings_and_actions(cli: Cli, built: Store) -> None:
    _add_actions(built)
    result = cli("report", "audits", "--period", NOVEMBER, "--format", "json", today="2026-12-14")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    names = [t["name"] for s in data["sections"] for t in s["tables"]]
    for name in (
        "findings",
        "findings_shares",
        "findings_sections",
        "actions",
        "strongest",
        "weakest",
        "themes_by_band",
    ):
        assert name in names
    published = cli(
        "report",
        "audits",
        "--period",
        NOVEMBER,
        "--format",
        "json",
        "--publish",
        today="2026-12-14",
    )
    assert published.exit_code == 0, published.stderr
    out = json.loads(published.stdout)
    tables = {t["name"]: t for s in out["sections"] for t in s["tables"]}
    # By question (and the lists drawn from it) is for the service; the sections are published.
    for name in ("findings", "findings_shares", "strongest", "weakest"):
        assert name not in tables
    statutory = _row_of(tables["findings_sections"], STATUTORY)
    assert statutory["good"] == "c"  # 5: small
    assert _row_of(tables["actions"], "Team A")["set"] == "c"  # 5: small
    assert "Free text, names and case references are withheld." in out["notes"]


def _row_of(table: dict[str, Any], label: str) -> dict[str, Any]:
    return next(r for r in table["rows"] if label in r.values())
