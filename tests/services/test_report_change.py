"""The complaints and voice reports' change tables (and the board's), against a store small
enough to count by hand: November 2026 against October."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import Cli, make_context, write_csv
from qaudit.domain.periods import parse_period
from qaudit.reports.model import Report, Table
from qaudit.services.reports import build_report
from qaudit.store.engine import Store

STAFF = [
    ["name", "role", "team"],
    ["Ann Auditor", "auditor", "Quality Assurance"],
    ["Hal Head", "head_of_service", "Team A"],
    ["Quinn Lead", "qa_lead", "Quality Assurance"],
]
CASES = [
    ["case_ref", "team", "worker", "category", "open_date", "close_date"],
    *[[f"A{n}", "Team A", "", "CP", "2020-01-01", ""] for n in range(1, 10)],
]
COUNTS = ("part", "whole", "previous_part", "previous_whole")


def _ok(cli: Cli, *args: str, today: str) -> Any:
    result = cli(*args, "--format", "json", today=today)
    assert result.exit_code == 0, result.stderr
    return result.json()


@pytest.fixture
def built(cli: Cli, store: Store, tmp_path: Path) -> Store:
    for what, rows in (("staff", STAFF), ("cases", CASES)):
        path = write_csv(tmp_path / f"{what}.csv", rows)
        assert cli(what, "import", str(path), today="2026-09-01").exit_code == 0

    def complaint(received: str, letter: str) -> None:
        ref = _ok(cli, "complaints", "log", "--received", received, today=received)["ref"]
        assert cli("complaints", "letter", ref, "--date", letter, today=letter).exit_code == 0

    # Stage 1: 10 working days. October: three answered, two in time (due 2026-10-15).
    complaint("2026-10-01", "2026-10-05")
    complaint("2026-10-01", "2026-10-06")
    complaint("2026-10-01", "2026-10-30")
    # November: two answered, one in time; the late one was received in October.
    complaint("2026-11-02", "2026-11-03")
    complaint("2026-10-20", "2026-11-25")

    def conference(case: str, day: str, told: bool) -> None:
        offered = "--offered" if told else "--not-offered"
        _ok(cli, "advocacy", "record", case, "--conference-date", day, offered,
            "--not-requested", today=day)  # fmt: skip

    # October: four conferences, every child told; November: five, one told.
    for case in ("A1", "A2", "A3", "A4"):
        conference(case, "2026-10-12", True)
    for case, told in (("A5", True), ("A6", False), ("A7", False), ("A8", False), ("A9", False)):
        conference(case, "2026-11-16", told)

    def audit(case: str, day: str, *views: str) -> None:
        _ok(cli, "grade", case, "--grade", "good", "--auditor", "Ann Auditor", "--date", day,
            "--adhoc", *views, today=day)  # fmt: skip

    # Views gathered: one of two audits in October, the one audit of November.
    audit("A1", "2026-10-14", "--views-gathered")
    audit("A2", "2026-10-15")
    audit("A3", "2026-11-10", "--views-gathered")
    return store


def _change(report: Report, section: str) -> Table:
    found = next(s for s in report.sections if s.name == section)
    return next(t for t in found.tables if t.name == "change")


def _report(store: Store, kind: str, period: str = "2026-11") -> Report:
    ctx = make_context("2026-12-01")
    return build_report(store=store, ctx=ctx, kind=kind, period=parse_period(period, ctx.today))


def test_complaints_answered_in_time_against_the_month_before(built: Store) -> None:
    change = _change(_report(built, "complaints"), "complaints")
    assert change.title == "Change against the previous period (2026-11 against 2026-10)"
    (row,) = change.rows
    assert row["measure"] == "Complaints answered in time"
    assert [row[k] for k in COUNTS] == [1, 2, 2, 3]
    # By hand (z² = 3.841459): Wilson 1/2 = 0.5 ± 1.959964 * sqrt(0.125 + 0.240091) / 2.920729
    #   = (0.094531, 0.905469); Wilson 2/3: centre (0.666667 + 0.640243) / 2.280486 = 0.573084,
    #   half-width 1.959964 * sqrt(0.074074 + 0.106707) / 2.280486 = 0.365424 -> (0.207660,
    #   0.938508). d = 1/2 - 2/3 = -0.166667 -> -16.7 points;
    #   L = d - sqrt(0.405469² + 0.271841²) = -0.166667 - 0.488163 = -0.654829 -> -65.5;
    #   U = d + sqrt(0.405469² + 0.459007²) = -0.166667 + 0.612448 = 0.445781 -> 44.6.
    assert (row["pct"], row["previous_pct"]) == (50.0, 66.7)
    assert (row["difference"], row["difference_low"], row["difference_high"]) == (
        -16.7,
        -65.5,
        44.6,
    )
    assert row["verdict"] == "no clear change"


def test_views_and_advocacy_against_the_month_before(built: Store) -> None:
    change = _change(_report(built, "voice"), "voice")
    views, told = change.rows
    assert views["measure"] == "Audits that gathered the child's and family's views"
    assert [views[k] for k in COUNTS] == [1, 1, 1, 2]
    assert (views["pct"], views["previous_pct"], views["difference"]) == (100.0, 50.0, 50.0)
    assert told["measure"] == "Children told they may have an advocate"
    assert [told[k] for k in COUNTS] == [1, 5, 4, 4]
    # By hand: Wilson 1/5: centre (0.2 + 0.384146) / 1.768292 = 0.330345, half-width
    #   1.959964 * sqrt(0.032 + 0.038415) / 1.768292 = 0.294121 -> (0.036224, 0.624466);
    #   Wilson 4/4 = (4 / (4 + 3.841459) = 0.510109, 1). d = 0.2 - 1 = -0.8 -> -80.0 points;
    #   L = d - sqrt(0.163776² + 0²) = -0.963776 -> -96.4;
    #   U = d + sqrt(0.424466² + 0.489891²) = -0.8 + 0.648201 = -0.151799 -> -15.2.
    assert (told["pct"], told["previous_pct"], told["difference"]) == (20.0, 100.0, -80.0)
    assert (told["difference_low"], told["difference_high"]) == (-96.4, -15.2)
    assert told["verdict"] == "clearly lower"


def test_the_board_report_has_every_change_table(built: Store) -> None:
    board = _report(built, "board")
    measures = {
        section: [row["measure"] for row in _change(board, section).rows]
        for section in ("audits", "complaints", "voice")
    }
    assert measures == {
        "audits": [
            "Audits graded good or better",
            "Sampled audits completed",
            "Inadequate audits moderated in time",
            "Audits that gathered the child's and family's views",
        ],
        "complaints": ["Complaints answered in time"],
        "voice": [
            "Audits that gathered the child's and family's views",
            "Children told they may have an advocate",
        ],
    }
    # The same figure in the audits' and the voice's tables.
    audits_views = _change(board, "audits").rows[3]
    assert [audits_views[k] for k in COUNTS] == [1, 1, 1, 2]


def test_the_change_table_in_json(cli: Cli, built: Store) -> None:
    result = cli("report", "voice", "--period", "2026-11", "--format", "json", today="2026-12-01")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    voice = next(s for s in data["sections"] if s["name"] == "voice")
    table = next(t for t in voice["tables"] if t["name"] == "change")
    assert [(c["key"], c["kind"]) for c in table["columns"]] == [
        ("measure", "label"),
        ("part", "count"),
        ("whole", "count"),
        ("pct", "pct"),
        ("previous_part", "count"),
        ("previous_whole", "count"),
        ("previous_pct", "pct"),
        ("difference", "number"),
        ("difference_low", "number"),
        ("difference_high", "number"),
        ("verdict", "label"),
    ]
    told = table["rows"][1]
    assert told == {
        "measure": "Children told they may have an advocate",
        "part": 1,
        "whole": 5,
        "pct": 20.0,
        "pct_ci95": [3.6, 62.4],
        "pct_small": True,
        "previous_part": 4,
        "previous_whole": 4,
        "previous_pct": 100.0,
        "previous_pct_ci95": [51.0, 100.0],
        "previous_pct_small": True,
        "difference": -80.0,
        "difference_low": -96.4,
        "difference_high": -15.2,
        "verdict": "clearly lower",
    }
    assert "Newcombe" in table["note"]
