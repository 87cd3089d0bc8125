"""The audit report's figures against a store small enough to count by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import Cli, make_context, write_csv
from qaudit.domain.periods import parse_period
from qaudit.reports.model import Section, Table
from qaudit.services.report_audits import audit_sections, balance_section
from qaudit.store.engine import Store

STAFF = [
    ["name", "role", "team"],
    ["Ann Auditor", "auditor", "Quality Assurance"],
    ["Hal Head", "head_of_service", "Team A;Team B"],
    ["Hana Head", "head_of_service", "Team C"],
    ["Quinn Lead", "qa_lead", "Quality Assurance"],
]
# N: open before November, all drawn into November's sample (N5 never graded).
# D: opened mid-November, so only December's sample can draw them (D7 never graded).
# X: ad hoc audits, audited within 12 months and so drawn into no sample.
CASES = [
    ["case_ref", "team", "worker", "category", "open_date", "close_date"],
    ["N1", "Team A", "", "CLA", "2025-01-01", ""],
    ["N2", "Team B", "", "CP", "2025-01-01", ""],
    ["N3", "Team C", "", "CIN", "2025-01-01", ""],
    ["N4", "Team A", "", "CL", "2025-01-01", ""],
    ["N5", "Team B", "", "CLA", "2025-01-01", ""],
    ["D1", "Team A", "", "CP", "2026-11-15", ""],
    ["D2", "Team B", "", "CIN", "2026-11-15", ""],
    ["D3", "Team C", "", "CLA", "2026-11-15", ""],
    ["D4", "Team A", "", "CIN", "2026-11-15", ""],
    ["D5", "Team C", "", "CP", "2026-11-15", ""],
    ["D6", "Team B", "", "CL", "2026-11-15", ""],
    ["D7", "Team A", "", "CLA", "2026-11-15", ""],
    ["X1", "Team C", "", "CIN", "2025-01-01", ""],
    ["X2", "Team B", "", "CP", "2025-01-01", ""],
    ["X3", "", "", "CLA", "2025-01-01", ""],
]

# The 14 audits, with their grade after moderation:
#   X2 2025-12-10 RI (B, CP)          outside the trend's 12 months
#   X1 2026-06-15 good (C, CIN)
#   X3 2026-10-20 good (no team, CLA) family-feedback; views
#   N1 2026-11-05 good (A, CLA)       planning, voice; views; strength
#   N2 2026-11-10 inadequate (B, CP)  planning, management; development; agreed in time
#   N3 2026-11-20 outstanding (C, CIN) voice; views; strength
#   N4 2026-11-25 RI (A, CL)          blank strength; development
#   D1 2026-12-02 good (A, CP)        timeliness, voice; views; strength
#   D2 2026-12-03 inadequate -> RI (B, CIN) development; regraded in time, re-audit cancelled
#   D3 2026-12-07 inadequate (C, CLA) planning; development; agreed late
#   D4 2026-12-08 outstanding (A, CIN) voice; views; strength
#   D5 2026-12-09 RI (C, CP)          development
#   D6 2026-12-10 good (B, CL)        strength
#   N2 2026-12-22 good (B, CP)        the re-audit (improved): management, planning; strength


def _ok(cli: Cli, *args: str, today: str) -> None:
    result = cli(*args, today=today)
    assert result.exit_code == 0, result.stderr


def _grade(cli: Cli, case: str, grade: str, when: str, *args: str) -> int:
    result = cli(
        "grade",
        case,
        "--grade",
        grade,
        "--auditor",
        "Ann Auditor",
        "--date",
        when,
        "--format",
        "json",
        *args,
        today=when,
    )
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert isinstance(data, dict)
    return int(data["audit_id"])


def _sample(cli: Cli, month: str, size: int, today: str) -> set[str]:
    result = cli(
        "sample", "--month", month, "--size", str(size), "--seed", "1", "--format", "json",
        today=today,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert isinstance(data, dict)
    return {c["case_ref"] for c in data["cases"]}


@pytest.fixture
def built(cli: Cli, store: Store, tmp_path: Path) -> Store:
    _ok(cli, "staff", "import", str(write_csv(tmp_path / "staff.csv", STAFF)), today="2025-12-01")
    _ok(cli, "cases", "import", str(write_csv(tmp_path / "cases.csv", CASES)), today="2025-12-01")
    _grade(cli, "X2", "requires-improvement", "2025-12-10", "--adhoc")
    _grade(cli, "X1", "good", "2026-06-15", "--adhoc")
    _grade(
        cli, "X3", "good", "2026-10-20", "--adhoc", "--theme", "family-feedback",
        "--family-feedback", "Dad says plans are clearer",
    )  # fmt: skip

    assert _sample(cli, "2026-11", 5, "2026-11-01") == {"N1", "N2", "N3", "N4", "N5"}
    _grade(
        cli, "N1", "good", "2026-11-05", "--theme", "planning", "--theme", "voice-of-the-child",
        "--strength", "S-N1", "--family-feedback", "Mum felt listened to",
    )  # fmt: skip
    n2 = _grade(
        cli, "N2", "inadequate", "2026-11-10", "--theme", "planning",
        "--theme", "management-oversight", "--development", "D-N2",
    )  # fmt: skip
    # Due 2026-11-17 (5 working days); complete on 2026-11-12.
    _ok(
        cli, "moderate", str(n2), "--moderator", "Hal Head", "--agree",
        "--conversation-date", "2026-11-12", today="2026-11-12",
    )  # fmt: skip
    _grade(
        cli, "N3", "outstanding", "2026-11-20", "--theme", "voice-of-the-child",
        "--strength", "S-N3", "--views-gathered",
    )  # fmt: skip
    _grade(
        cli, "N4", "requires-improvement", "2026-11-25", "--strength", "  ",
        "--development", "D-N4",
    )  # fmt: skip

    expected = {"D1", "D2", "D3", "D4", "D5", "D6", "D7"}
    assert _sample(cli, "2026-12", 7, "2026-12-01") == expected
    _grade(
        cli, "D1", "good", "2026-12-02", "--theme", "timeliness", "--theme", "voice-of-the-child",
        "--strength", "S-D1", "--family-feedback", "Child liked the worker",
    )  # fmt: skip
    d2 = _grade(cli, "D2", "inadequate", "2026-12-03", "--development", "D-D2")
    # Due 2026-12-10; regraded with the conversation on 2026-12-04: the re-audit is cancelled.
    _ok(
        cli, "moderate", str(d2), "--moderator", "Hal Head", "--regrade", "requires-improvement",
        "--conversation-date", "2026-12-04", today="2026-12-04",
    )  # fmt: skip
    d3 = _grade(
        cli, "D3", "inadequate", "2026-12-07", "--theme", "planning", "--development", "D-D3"
    )
    # Due 2026-12-14; complete on 2026-12-16: late.
    _ok(
        cli, "moderate", str(d3), "--moderator", "Hana Head", "--agree",
        "--conversation-date", "2026-12-16", today="2026-12-16",
    )  # fmt: skip
    _grade(
        cli, "D4", "outstanding", "2026-12-08", "--theme", "voice-of-the-child",
        "--strength", "S-D4", "--views-gathered",
    )  # fmt: skip
    _grade(cli, "D5", "requires-improvement", "2026-12-09", "--development", "D-D5")
    _grade(cli, "D6", "good", "2026-12-10", "--strength", "S-D6")
    # N2's re-audit was due 2026-12-22 (six weeks after 2026-11-10).
    _grade(
        cli, "N2", "good", "2026-12-22", "--theme", "management-oversight", "--theme", "planning",
        "--strength", "S-N2R",
    )  # fmt: skip
    return store


def _tables(section: Section) -> dict[str, Table]:
    return {table.name: table for table in section.tables}


def _intervals_checked(tables: dict[str, Table]) -> None:
    """Every percentage carries its 95% Wilson interval (and the small-denominator flag under
    10), checked here against domain.stats from the row's own counts where the table has them;
    then set aside, so the tests below compare the figures as before."""
    from qaudit.domain.stats import wilson_percent

    counts = {  # table: (pct key, numerator key, denominator key)
        "summary": [("completion_pct", "completed", "sampled"),
                    ("good_or_better_pct", "good_or_better", "audits")],
        "by_team": [("good_or_better_pct", "good_or_better", "audits")],
        "by_category": [("good_or_better_pct", "good_or_better", "audits")],
        "moderation": [("in_time_pct", "moderated_in_time", "moderated")],
        "reaudits": [("improved_pct", "improved", "done")],
        "family_feedback": [("pct", "views_gathered", "audits")],
        "change": [("pct", "part", "whole"),
                   ("previous_pct", "previous_part", "previous_whole")],
    }  # fmt: skip
    for name, table in tables.items():
        for row in table.rows:
            for key, part, whole in counts.get(name, []):
                if row[key] is None:
                    assert f"{key}_ci95" not in row
                    continue
                interval = wilson_percent(row[part], row[whole])
                assert row[f"{key}_ci95"] == list(interval or ()), (name, key, row)
                assert row.get(f"{key}_small", False) == (row[whole] < 10), (name, row)
                assert row[f"{key}_of"] == (row[part], row[whole]), (name, row)
            for key in [k for k in row if k.endswith(("_ci95", "_small", "_of"))]:
                del row[key]


def _section(store: Store, period: str, team: str | None = None) -> dict[str, Table]:
    sections = audit_sections(
        store=store,
        ctx=make_context("2027-01-15"),
        period=parse_period(period, make_context().today),
        team=team,
    )
    assert [(s.name, s.title) for s in sections] == [("audits", "Case audits")]
    tables = _tables(sections[0])
    _intervals_checked(tables)
    assert list(tables) == [
        "summary",
        "change",
        "grades",
        "trend",
        "by_team",
        "by_category",
        "moderation",
        "reaudits",
        "actions",
        "themes",
        "family_feedback",
        "findings",
        "findings_shares",
        "findings_sections",
        "findings_section_shares",
        "sampling",
    ]
    return tables


def _trend(
    found: dict[str, tuple[int, int, float | None, float, float]], centre: float
) -> list[dict[str, Any]]:
    """The 12 months of 2026, zero but for ``found``: month -> audits, good or better, %, and
    the p-chart's lower and upper limits (%); ``centre``: the p-chart's centre line (%). No
    special cause in any month."""
    rows = []
    for n in range(1, 13):
        label = f"2026-{n:02d}"
        audits, good, pct, lower, upper = found.get(label, (0, 0, None, None, None))
        rows.append(
            {
                "month": label,
                "audits": audits,
                "good_or_better": good,
                "good_or_better_pct": pct,
                "centre_pct": centre,
                "lower_pct": lower,
                "upper_pct": upper,
                "signal": None,
            }
        )
    return rows


def _grades(o: int, g: int, ri: int, i: int) -> list[dict[str, Any]]:
    total = o + g + ri + i
    return [
        {"grade": label, "count": n, "pct": round(100 * n / total, 1) if total else None}
        for label, n in (
            ("Outstanding", o),
            ("Good", g),
            ("Requires improvement to be good", ri),
            ("Inadequate", i),
        )
    ]


def _row(key: str, name: str, audits: int, good: int, pct: float | None, bad: int) -> Any:
    return {
        key: name,
        "audits": audits,
        "good_or_better": good,
        "good_or_better_pct": pct,
        "inadequate": bad,
    }


def test_column_kinds_and_charts(built: Store) -> None:
    tables = _section(built, "2026-12")
    kinds = {name: {c.key: c.kind for c in t.columns} for name, t in tables.items()}
    assert kinds["summary"] == {
        "sampled": "count",
        "completed": "count",
        "completion_pct": "pct",
        "audits": "count",
        "good_or_better": "count",
        "good_or_better_pct": "pct",
        "inadequate": "count",
    }
    assert kinds["grades"] == {"grade": "label", "count": "count", "pct": "pct"}
    assert kinds["trend"]["month"] == "label"
    assert kinds["by_team"]["team"] == "label"
    assert kinds["by_category"]["good_or_better_pct"] == "pct"
    assert kinds["moderation"]["in_time_pct"] == "pct"
    assert kinds["reaudits"] == {
        "due": "count",
        "done": "count",
        "improved": "count",
        "improved_pct": "pct",
        "cancelled": "count",
    }
    assert kinds["themes"] == {"theme": "label", "audits": "count"}
    assert kinds["family_feedback"] == {"audits": "count", "views_gathered": "count", "pct": "pct"}
    assert (tables["grades"].chart, tables["trend"].chart) == ("bar", "pchart")
    assert [c.kind for c in tables["trend"].columns][4:] == ["pct", "pct", "pct", "label"]


def test_a_month(built: Store) -> None:
    t = _section(built, "2026-12")
    # Sampled D1-D7, D7 ungraded; audits D1-D6 and N2's re-audit; D2 regraded RI.
    assert t["summary"].rows == [
        {
            "sampled": 7,
            "completed": 6,
            "completion_pct": 85.7,
            "audits": 7,
            "good_or_better": 4,
            "good_or_better_pct": 57.1,
            "inadequate": 1,
        }
    ]
    assert t["grades"].rows == _grades(1, 3, 2, 1)
    assert t["grades"].rows[1]["pct"] == 42.9
    # The month's sampling certificate in a sentence (the draw's day is the real one).
    (row,) = t["sampling"].rows
    certificate = row["certificate"]
    assert row["month"] == "2026-12"
    assert row["drawn"] == 7 and certificate.startswith(f"7 of {row['eligible']} eligible")
    assert certificate.startswith("7 of ") and " eligible cases, drawn on " in certificate
    assert certificate.endswith("; verify with `qaudit sample --verify 2026-12`.")
    # The p-chart: centre 8/13 = 0.615385, c(1 - c) = 0.236686; for n = 7, 3 sigma =
    # 3 * sqrt(0.236686 / 7) = 0.551644: limits (0.063741, 1.167029) -> 6.4% and (clipped) 100%;
    # for n = 4, 3 * sqrt(0.236686 / 4) = 0.729756 and for n = 1, 1.459513: both clipped to
    # 0-100.
    assert t["trend"].rows == _trend(
        {"2026-06": (1, 1, 100.0, 0.0, 100.0), "2026-10": (1, 1, 100.0, 0.0, 100.0),
         "2026-11": (4, 2, 50.0, 0.0, 100.0), "2026-12": (7, 4, 57.1, 6.4, 100.0)},
        centre=61.5,
    )  # fmt: skip
    assert t["by_team"].rows == [
        _row("team", "Team A", 2, 2, 100.0, 0),  # D1, D4
        _row("team", "Team B", 3, 2, 66.7, 0),  # D2 (RI), D6, N2 re-audit
        _row("team", "Team C", 2, 0, 0.0, 1),  # D3, D5
    ]
    assert t["by_category"].rows == [
        _row("category", "CLA", 1, 0, 0.0, 1),  # D3
        _row("category", "CP", 3, 2, 66.7, 0),  # D1, D5, N2 re-audit
        _row("category", "CIN", 2, 1, 50.0, 0),  # D2, D4
        _row("category", "CL", 1, 1, 100.0, 0),  # D6
    ]
    # D2 (regraded, in time) and D3 (agreed, late).
    assert t["moderation"].rows == [
        {
            "inadequate": 2,
            "moderated": 2,
            "moderated_in_time": 1,
            "in_time_pct": 50.0,
            "recorded_after_due": 1,  # D3: conversation and record 2026-12-16, due 12-14
            "agreed": 1,
            "regraded": 1,
        }
    ]
    # N2's re-audit due and done 2026-12-22, improved; D2's cancelled on 2026-12-04.
    assert t["reaudits"].rows == [
        {"due": 1, "done": 1, "improved": 1, "improved_pct": 100.0, "cancelled": 1}
    ]
    assert t["themes"].rows == [
        {"theme": "Planning", "audits": 2},
        {"theme": "Voice of the child", "audits": 2},
        {"theme": "Management oversight", "audits": 1},
        {"theme": "Timeliness", "audits": 1},
    ]
    assert t["family_feedback"].rows == [{"audits": 7, "views_gathered": 2, "pct": 28.6}]


def test_a_quarter(built: Store) -> None:
    t = _section(built, "2026/27-Q3")
    # Sampled N1-N5 and D1-D7; audits X3, N1-N4 and December's seven.
    assert t["summary"].rows == [
        {
            "sampled": 12,
            "completed": 10,
            "completion_pct": 83.3,
            "audits": 12,
            "good_or_better": 7,
            "good_or_better_pct": 58.3,
            "inadequate": 2,
        }
    ]
    assert t["grades"].rows == _grades(2, 5, 3, 2)
    assert [r["pct"] for r in t["grades"].rows] == [16.7, 41.7, 25.0, 16.7]
    assert t["trend"].rows == _section(built, "2026-12")["trend"].rows
    assert t["by_team"].rows == [
        _row("team", "Team A", 4, 3, 75.0, 0),  # N1, N4, D1, D4
        _row("team", "Team B", 4, 2, 50.0, 1),  # N2, D2, D6, N2 re-audit
        _row("team", "Team C", 3, 1, 33.3, 1),  # N3, D3, D5
        _row("team", "(no team)", 1, 1, 100.0, 0),  # X3
    ]
    assert t["by_category"].rows == [
        _row("category", "CLA", 3, 2, 66.7, 1),  # N1, D3, X3
        _row("category", "CP", 4, 2, 50.0, 1),  # N2, D1, D5, N2 re-audit
        _row("category", "CIN", 3, 2, 66.7, 0),  # N3, D2, D4
        _row("category", "CL", 2, 1, 50.0, 0),  # N4, D6
    ]
    assert t["moderation"].rows == [
        {
            "inadequate": 3,
            "moderated": 3,
            "moderated_in_time": 2,
            "in_time_pct": 66.7,
            "recorded_after_due": 1,  # D3
            "agreed": 2,
            "regraded": 1,
        }
    ]
    assert t["reaudits"].rows == [
        {"due": 1, "done": 1, "improved": 1, "improved_pct": 100.0, "cancelled": 1}
    ]
    assert t["themes"].rows == [
        {"theme": "Planning", "audits": 4},
        {"theme": "Voice of the child", "audits": 4},
        {"theme": "Management oversight", "audits": 2},
        {"theme": "Family feedback", "audits": 1},
        {"theme": "Timeliness", "audits": 1},
    ]
    # X3, N1, N3, D1, D4.
    assert t["family_feedback"].rows == [{"audits": 12, "views_gathered": 5, "pct": 41.7}]


def test_a_team(built: Store) -> None:
    t = _section(built, "2026/27-Q3", team="Team B")
    # Sampled N2, N5, D2, D6; audits N2, D2 (RI), D6 and N2's re-audit.
    assert t["summary"].rows == [
        {
            "sampled": 4,
            "completed": 3,
            "completion_pct": 75.0,
            "audits": 4,
            "good_or_better": 2,
            "good_or_better_pct": 50.0,
            "inadequate": 1,
        }
    ]
    assert t["grades"].rows == _grades(0, 2, 1, 1)
    # X2 (2025-12) lies before the trend's first month.
    # Centre 2/4; for n = 3, 3 * sqrt(0.25 / 3) = 0.866025: limits clipped to 0-100.
    assert t["trend"].rows == _trend(
        {"2026-11": (1, 0, 0.0, 0.0, 100.0), "2026-12": (3, 2, 66.7, 0.0, 100.0)}, centre=50.0
    )
    assert t["by_team"].rows == [_row("team", "Team B", 4, 2, 50.0, 1)]
    assert t["by_category"].rows == [
        _row("category", "CLA", 0, 0, None, 0),
        _row("category", "CP", 2, 1, 50.0, 1),  # N2, N2 re-audit
        _row("category", "CIN", 1, 0, 0.0, 0),  # D2
        _row("category", "CL", 1, 1, 100.0, 0),  # D6
    ]
    assert t["moderation"].rows == [
        {
            "inadequate": 2,
            "moderated": 2,
            "moderated_in_time": 2,
            "in_time_pct": 100.0,
            "recorded_after_due": 0,
            "agreed": 1,
            "regraded": 1,
        }
    ]
    assert t["reaudits"].rows == [
        {"due": 1, "done": 1, "improved": 1, "improved_pct": 100.0, "cancelled": 1}
    ]
    assert t["themes"].rows == [
        {"theme": "Management oversight", "audits": 2},
        {"theme": "Planning", "audits": 2},
    ]
    assert t["family_feedback"].rows == [{"audits": 4, "views_gathered": 0, "pct": 0.0}]
    other = _section(built, "2026/27-Q3", team="Team C")
    # N3's and D3's: D3's re-audit is due in January, and none was cancelled.
    assert other["reaudits"].rows == [
        {"due": 0, "done": 0, "improved": 0, "improved_pct": None, "cancelled": 0}
    ]


def _balance(store: Store, period: str, team: str | None = None) -> Section:
    ctx = make_context()
    return balance_section(store=store, ctx=ctx, period=parse_period(period, ctx.today), team=team)


def test_balance(built: Store) -> None:
    month = _balance(built, "2026-12")
    assert (month.name, month.title) == (
        "balance",
        "What is working well and areas for development",
    )
    assert month.lists == {
        "What is working well": ["S-N2R", "S-D6", "S-D4", "S-D1"],
        "Areas for development": ["D-D5", "D-D3", "D-D2"],
    }
    table = month.tables[0]
    assert [t.name for t in month.tables] == ["balance", "strongest", "weakest", "themes_by_band"]
    assert {c.key: c.kind for c in table.columns} == {"band": "label", "audits": "count"}
    assert table.rows == [
        {"band": "Good or better", "audits": 4},
        {"band": "Requires improvement", "audits": 2},
        {"band": "Inadequate", "audits": 1},
    ]
    quarter = _balance(built, "2026/27-Q3")
    # N4's blank strength is left out.
    assert quarter.lists == {
        "What is working well": ["S-N2R", "S-D6", "S-D4", "S-D1", "S-N3", "S-N1"],
        "Areas for development": ["D-D5", "D-D3", "D-D2", "D-N4", "D-N2"],
    }
    assert [r["audits"] for r in quarter.tables[0].rows] == [7, 3, 2]
    team = _balance(built, "2026/27-Q3", team="Team B")
    assert team.lists == {
        "What is working well": ["S-N2R", "S-D6"],
        "Areas for development": ["D-D2", "D-N2"],
    }
    assert [r["audits"] for r in team.tables[0].rows] == [2, 1, 1]


def test_balance_keeps_an_empty_list_beside_the_other(built: Store) -> None:
    only = _balance(built, "2026-11", team="Team B")  # N2: a development, no strength
    assert only.lists == {"What is working well": [], "Areas for development": ["D-N2"]}
    assert [r["audits"] for r in only.tables[0].rows] == [0, 0, 1]


@pytest.fixture
def january(cli: Cli, store: Store, tmp_path: Path) -> Store:
    """Four Inadequate audits in January 2027, moderated at different times (1 January is a
    bank holiday, the rest of the month working days from Monday to Friday):

    | audit | dated       | due (5 wd) | conversation | recorded (both)  | in time | recorded late |
    | N1    | Mon 01-04   | Mon 01-11  | Fri 01-08    | Thu 01-14        | yes     | yes           |
    | N2    | Tue 01-05   | Tue 01-12  | Wed 01-13    | Wed 01-13        | no      | yes           |
    | N3    | Wed 01-06   | Wed 01-13  | none         | agreed 01-07     | (not moderated)  |
    | N4    | Thu 01-07   | Thu 01-14  | Mon 01-11    | Mon 01-11        | yes     | no            |
    """
    _ok(cli, "staff", "import", str(write_csv(tmp_path / "staff.csv", STAFF)), today="2026-12-01")
    _ok(cli, "cases", "import", str(write_csv(tmp_path / "cases.csv", CASES)), today="2026-12-01")
    n1 = _grade(cli, "N1", "inadequate", "2027-01-04", "--adhoc")
    n2 = _grade(cli, "N2", "inadequate", "2027-01-05", "--adhoc")
    n3 = _grade(cli, "N3", "inadequate", "2027-01-06", "--adhoc")
    n4 = _grade(cli, "N4", "inadequate", "2027-01-07", "--adhoc")
    _ok(
        cli, "moderate", str(n1), "--moderator", "Hal Head", "--agree",
        "--conversation-date", "2027-01-08", today="2027-01-14",
    )  # fmt: skip
    _ok(cli, "moderate", str(n2), "--moderator", "Hal Head", "--agree", today="2027-01-06")
    _ok(
        cli, "moderate", str(n2), "--moderator", "Hal Head",
        "--conversation-date", "2027-01-13", today="2027-01-13",
    )  # fmt: skip
    _ok(cli, "moderate", str(n3), "--moderator", "Hana Head", "--agree", today="2027-01-07")
    _ok(
        cli, "moderate", str(n4), "--moderator", "Hal Head", "--regrade", "requires-improvement",
        "--conversation-date", "2027-01-11", today="2027-01-11",
    )  # fmt: skip
    return store


def test_moderation_in_time_is_the_conversation_by_the_due_date(january: Store) -> None:
    # By hand, from the table in the fixture: Inadequate N1-N4 (4); moderated, outcome and
    # conversation both recorded: N1, N2, N4 (3); in time, the conversation by the due date:
    # N1 and N4 (2 of 3, 66.7%); recorded after the due date: N1 and N2 (2). Outcomes, with a
    # conversation or not: agreed N1, N2, N3 (3); regraded N4. Judged by the day the record was
    # completed (the old rule) N1 was late: 1 in time, 33.3%.
    t = _section(january, "2027-01")
    assert t["moderation"].rows == [
        {
            "inadequate": 4,
            "moderated": 3,
            "moderated_in_time": 2,
            "in_time_pct": 66.7,
            "recorded_after_due": 2,
            "agreed": 3,
            "regraded": 1,
        }
    ]
    assert "reflective conversation" in (t["moderation"].note or "")
    # Team A's N1 and N4 (Team B's N2 and Team C's N3 left out): both in time, N1 recorded late.
    team = _section(january, "2027-01", team="Team A")["moderation"].rows[0]
    assert (team["moderated"], team["moderated_in_time"], team["recorded_after_due"]) == (2, 2, 1)


def _change(part: int, whole: int, before: int, of: int) -> dict[str, Any]:
    return {"part": part, "whole": whole, "previous_part": before, "previous_whole": of}


def test_change_against_the_previous_month(built: Store) -> None:
    t = _section(built, "2026-12")
    change = t["change"]
    assert change.title == "Change against the previous period (2026-12 against 2026-11)"
    assert [c.kind for c in change.columns] == [
        "label", "count", "count", "pct", "count", "count", "pct", "number", "number", "number",
        "label",
    ]  # fmt: skip
    counts = [{k: row[k] for k in _change(0, 0, 0, 0)} for row in change.rows]
    # December against November (counted above: the trend, the summary, moderation, views).
    assert [row["measure"] for row in change.rows] == [
        "Audits graded good or better",
        "Sampled audits completed",
        "Inadequate audits moderated in time",
        "Audits that gathered the child's and family's views",
    ]
    assert counts == [
        _change(4, 7, 2, 4),  # D1, D4, D6, N2 re-audit of 7; N1, N3 of N1-N4
        _change(6, 7, 4, 5),  # D1-D6 of D1-D7; N1-N4 of N1-N5
        _change(1, 2, 1, 1),  # D2 in time, D3 late; N2 in time
        _change(2, 7, 2, 4),  # D1, D4; N1, N3
    ]
    # Good or better, by hand (z = 1.959964, z² = 3.841459):
    #   Wilson 4/7: centre (0.571429 + 0.274390) / 1.548780 = 0.546119, half-width
    #     1.959964 * sqrt(0.034985 + 0.019599) / 1.548780 = 0.295660 -> (0.250459, 0.841779);
    #   Wilson 2/4: centre 0.5, half-width 1.959964 * sqrt(0.0625 + 0.060023) / 1.960365
    #     = 0.349962 -> (0.150038, 0.849962);
    #   d = 4/7 - 2/4 = 0.071429 -> 7.1 points;
    #   L = d - sqrt(0.320970² + 0.349962²) = 0.071429 - 0.474863 = -0.403434 -> -40.3;
    #   U = d + sqrt(0.270350² + 0.349962²) = 0.071429 + 0.442224 = 0.513653 -> 51.4.
    good = change.rows[0]
    assert (good["pct"], good["previous_pct"]) == (57.1, 50.0)
    assert (good["difference"], good["difference_low"], good["difference_high"]) == (
        7.1,
        -40.3,
        51.4,
    )
    assert good["verdict"] == "no clear change"
    assert [row["difference"] for row in change.rows] == [7.1, 5.7, -50.0, -21.4]
    assert all(row["verdict"] == "no clear change" for row in change.rows)


def test_change_against_the_previous_quarter_and_a_team(built: Store) -> None:
    # 2026/27-Q3 against Q2 (July to September): no sample, no audit (X1 was in June, Q1).
    t = _section(built, "2026/27-Q3")
    change = t["change"]
    assert change.title.endswith("(2026/27-Q3 against 2026/27-Q2)")
    good = change.rows[0]
    assert {k: good[k] for k in _change(0, 0, 0, 0)} == _change(7, 12, 0, 0)
    assert good["previous_pct"] is None and "previous_pct_ci95" not in good
    assert (good["difference"], good["difference_low"], good["difference_high"]) == (
        None,
        None,
        None,
    )
    assert [row["verdict"] for row in change.rows] == [
        "no comparison: none to count in the previous period"
    ] * 4
    # Team C in 2026/27-Q2 against Q1: X1 (good) in June, nothing since.
    q2 = _section(built, "2026/27-Q2", team="Team C")["change"]
    assert {k: q2.rows[0][k] for k in _change(0, 0, 0, 0)} == _change(0, 0, 1, 1)
    assert q2.rows[0]["verdict"] == "no comparison: none to count this period"
    assert q2.rows[1]["verdict"] == "no comparison: none to count in either period"
