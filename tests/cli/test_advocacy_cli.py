"""Advocacy at child protection conferences, and family feedback in audits, as the voice and
participation team records them, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from conftest import Cli, plain, snapshot, write_csv
from qaudit.domain.periods import parse_period
from qaudit.domain.workdays import WorkingCalendar
from qaudit.services.family_feedback import family_feedback_stats
from qaudit.services.overdue import overdue_advocacy
from qaudit.store.engine import Store
from qaudit.store.lite import AlchemyRows

STAFF = [
    ["name", "role", "team"],
    ["Ann Auditor", "auditor", "Quality Assurance"],
    ["Hal Head", "head_of_service", "Team A"],
    ["Hana Head", "head_of_service", "Team B"],
    ["Quinn Lead", "qa_lead", "Quality Assurance"],
]
HEADER = ["case_ref", "team", "worker", "category", "open_date", "close_date"]
CASES = [
    HEADER,
    ["A1", "Team A", "", "CP", "2020-01-01", ""],
    ["A2", "Team A", "", "CP", "2020-01-01", ""],
    ["A3", "Team A", "", "CIN", "2020-01-01", ""],
    ["B1", "Team B", "", "CP", "2020-01-01", ""],
    ["B2", "Team B", "", "CP", "2020-01-01", ""],
    ["B3", "Team B", "", "CIN", "2020-01-01", ""],
    ["C1", "Team C", "", "CP", "2020-01-01", ""],  # no head of service for Team C
]


@pytest.fixture
def desk(cli: Cli, tmp_path: Path) -> Cli:
    assert cli("staff", "import", str(write_csv(tmp_path / "s.csv", STAFF))).exit_code == 0
    assert cli("cases", "import", str(write_csv(tmp_path / "c.csv", CASES))).exit_code == 0
    return cli


def _record(
    cli: Cli, case: str, conference: str, *flags: str, today: str = "2026-12-01"
) -> dict[str, Any]:
    result = cli(
        "advocacy",
        "record",
        case,
        "--conference-date",
        conference,
        *flags,
        "--format",
        "json",
        today=today,
    )
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize(
    ("conference", "flags", "status", "met"),
    [
        ("2026-11-20", ["--not-offered", "--not-requested"], "not-offered", None),
        ("2026-11-20", ["--offered", "--not-requested"], "not-requested", None),
        # An advocate is often provided before the conference.
        (
            "2026-11-20",
            ["--offered", "--requested", "--provided-date", "2026-11-18"],
            "provided",
            True,
        ),
        # Provided on the day, to a child who asked without being told.
        (
            "2026-11-20",
            ["--not-offered", "--requested", "--provided-date", "2026-11-20"],
            "provided",
            True,
        ),
        # Provided, but after the conference: the promise was not kept.
        (
            "2026-11-20",
            ["--offered", "--requested", "--provided-date", "2026-11-23"],
            "provided",
            False,
        ),
        ("2026-12-01", ["--offered", "--requested"], "awaiting", None),  # today: still in time
        ("2026-11-30", ["--offered", "--requested"], "not-met", False),
    ],
)
def test_record_and_status(
    desk: Cli, conference: str, flags: list[str], status: str, met: bool | None
) -> None:
    data = _record(desk, "A1", conference, *flags)
    assert (data["case_ref"], data["team"], data["conference_date"]) == ("A1", "Team A", conference)
    assert (data["status"], data["met"], data["recorded_by"]) == (status, met, "tester")
    assert data["offered"] is ("--offered" in flags)
    assert data["requested"] is ("--requested" in flags)
    events = desk("log", "--action", "advocacy.", "--format", "json").json()
    assert [(e["action"], e["entity_ref"]) for e in events] == [  # type: ignore[union-attr,index]
        ("advocacy.record", str(data["id"]))
    ]


def test_provide_and_the_status_over_time(desk: Cli) -> None:
    made = _record(desk, "B1", "2026-11-20", "--offered", "--requested", today="2026-11-20")
    assert made["status"] == "awaiting"

    def listed(today: str) -> list[Any]:
        result = desk("advocacy", "list", "--format", "json", today=today)
        assert result.exit_code == 0, result.stderr
        return [(v["id"], v["status"], v["met"]) for v in result.json()]  # type: ignore[union-attr,index]

    assert listed("2026-11-20") == [(made["id"], "awaiting", None)]  # the conference day
    assert listed("2026-11-23") == [(made["id"], "not-met", False)]
    result = desk(
        "advocacy", "provide", str(made["id"]), "--date", "2026-11-19", today="2026-11-23"
    )
    assert result.exit_code == 0, result.stderr
    assert (
        f"Advocacy {made['id']} (B1, conference 2026-11-20): advocate provided 2026-11-19 "
        "(by the conference)." in plain(result.stderr)
    )
    assert listed("2026-11-23") == [(made["id"], "provided", True)]
    events = desk("log", "--action", "advocacy.provide", "--format", "json").json()
    assert [(e["before"], e["after"]) for e in events] == [  # type: ignore[union-attr,index]
        ({"provided_on": None}, {"provided_on": "2026-11-19", "by_conference": True})
    ]


def test_list_by_period_and_formats(desk: Cli) -> None:
    _record(desk, "A1", "2026-09-30", "--offered", "--not-requested")
    inside = _record(desk, "B2", "2026-10-01", "--not-offered", "--not-requested")
    q3 = desk("advocacy", "list", "--period", "2026/27-Q3", "--format", "json").json()
    assert [v["id"] for v in q3] == [inside["id"]]  # type: ignore[union-attr,index]
    csv = desk("advocacy", "list", "--period", "2026/27-Q3", "--format", "csv")
    assert csv.stdout.splitlines() == [
        "id,case_ref,team,conference_date,offered,requested,provided_on,status",
        f"{inside['id']},B2,Team B,2026-10-01,No,No,,not-offered",
    ]
    table = desk("advocacy", "list")
    assert table.exit_code == 0 and "not-offered" in table.stdout


BAD = [
    (
        ["advocacy", "record", "Z9", "--conference-date", "2026-11-20", "--offered", "--requested"],
        "no case 'Z9' in the store (see qaudit cases list)",
    ),
    (
        ["advocacy", "provide", "999", "--date", "2026-11-25"],
        "no advocacy record 999 (see qaudit advocacy list)",
    ),
    (
        ["advocacy", "provide", "{not_asked}", "--date", "2026-11-25"],
        "the child did not ask for an advocate for the conference on 2026-11-20; nothing to "
        "provide",
    ),
    (
        ["advocacy", "provide", "{provided}", "--date", "2026-11-25"],
        "an advocate was already provided on 2026-11-19",
    ),
    (
        [
            "advocacy",
            "record",
            "A2",
            "--conference-date",
            "2026-11-20",
            "--offered",
            "--not-requested",
            "--provided-date",
            "2026-11-19",
        ],
        "an advocate is provided only when the child asked for one",
    ),
    (
        ["advocacy", "record", "A2", "--conference-date", "2027-12-03", "--offered", "--requested"],
        "the conference date 2027-12-03 is more than a year ahead: is it a typo?",
    ),
    (
        [
            "advocacy",
            "record",
            "A2",
            "--conference-date",
            "2026-11-20",
            "--offered",
            "--requested",
            "--provided-date",
            "2026-12-02",
        ],
        "the provided date 2026-12-02 is after today (2026-12-01)",
    ),
    (
        ["advocacy", "provide", "{asked}", "--date", "2026-12-02"],
        "the provided date 2026-12-02 is after today (2026-12-01)",
    ),
    (
        ["advocacy", "record", "A1", "--conference-date", "2026-11-20", "--offered", "--requested"],
        "case A1's conference on 2026-11-20 is already recorded (advocacy {not_asked}",
    ),
]


@pytest.mark.parametrize(("args", "message"), BAD)
def test_bad_input_is_refused_and_nothing_is_written(
    desk: Cli, args: list[str], message: str
) -> None:
    ids = {
        "not_asked": _record(desk, "A1", "2026-11-20", "--offered", "--not-requested")["id"],
        "provided": _record(
            desk, "B1", "2026-11-20", "--offered", "--requested", "--provided-date", "2026-11-19"
        )["id"],
        "asked": _record(desk, "B2", "2026-11-20", "--offered", "--requested")["id"],
    }
    before = snapshot(desk.url)
    result = desk(*[a.format(**ids) for a in args])
    assert result.exit_code == 1, result.stderr
    assert result.stderr.startswith("Error: ")
    assert message.format(**ids) in result.stderr
    assert snapshot(desk.url) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["record", "A1", "--conference-date", "2026-02-30", "--offered", "--requested"],
            "'2026-02-30' is not a date (YYYY-MM-DD)",
        ),
        (
            ["record", "A1", "--conference-date", "20/11/2026", "--offered", "--requested"],
            "'20/11/2026' is not a date (YYYY-MM-DD)",
        ),
        (["record", "A1", "--conference-date", "2026-11-20", "--requested"], "--offered"),
        (["provide", "1", "--date", "tomorrow"], "'tomorrow' is not a date (YYYY-MM-DD)"),
        (["stats", "--period", "2026-Q3"], "'2026-Q3' is not a period"),
        (["list", "--period", "2026/28"], "is 2026/27"),
    ],
)
def test_usage_errors(desk: Cli, args: list[str], message: str) -> None:
    before = snapshot(desk.url)
    result = desk("advocacy", *args)
    assert result.exit_code == 2
    assert message in plain(result.stderr)
    assert snapshot(desk.url) == before


def test_quarterly_figures_match_a_hand_count(desk: Cli) -> None:
    """Six conferences in 2026/27 Q3 (October–December), one either side of it."""
    today = "2027-01-15"

    def rec(case: str, day: str, *flags: str) -> int:
        return int(_record(desk, case, day, *flags, today=today)["id"])

    rec("A1", "2026-09-30", "--not-offered", "--not-requested")  # Q2
    rec("A1", "2026-10-05", "--offered", "--requested", "--provided-date", "2026-10-01")  # met
    rec("A2", "2026-10-20", "--offered", "--requested", "--provided-date", "2026-10-20")  # met
    late = rec("B1", "2026-11-10", "--offered", "--requested", "--provided-date", "2026-11-12")
    rec("B2", "2026-11-25", "--offered", "--not-requested")
    untold = rec("B3", "2026-12-15", "--not-offered", "--not-requested")
    rec("A3", "2026-12-31", "--offered", "--not-requested")  # the quarter's last day
    rec("A2", "2027-01-04", "--offered", "--requested")  # Q4, not provided
    result = desk("advocacy", "stats", "--period", "2026/27-Q3", "--format", "json", today=today)
    assert result.exit_code == 0, result.stderr
    figures = result.json()
    assert figures == {
        "period": "2026/27-Q3",
        "start": "2026-10-01",
        "end": "2026-12-31",
        "conferences": 6,
        "told": 5,
        "told_pct": 83.3,
        "requests": 3,
        "requests_when_told": 3,
        "uptake_pct": 60.0,
        "met": 2,
        "met_pct": 66.7,
        "met_late": 1,
        "not_provided": 0,
        "awaiting": 0,
        "ahead": 0,
        "exceptions": [
            {"id": untold, "case_ref": "B3", "conference_date": "2026-12-15", "provided_on": None}
        ],
        "unmet": [
            {
                "id": late,
                "case_ref": "B1",
                "conference_date": "2026-11-10",
                "provided_on": "2026-11-12",
            }
        ],
    }
    q4 = desk("advocacy", "stats", "--period", "2026/27-Q4", "--format", "json", today=today)
    assert (q4.json()["requests"], q4.json()["met_pct"], q4.json()["not_provided"]) == (1, 0.0, 1)  # type: ignore[index]
    table = desk("advocacy", "stats", "--period", "2026/27-Q3", today=today)
    assert table.exit_code == 0
    assert "Children not told" in table.stdout
    assert "66.7%" in table.stdout
    csv = desk("advocacy", "stats", "--period", "2026/27-Q3", "--format", "csv", today=today)
    assert csv.stdout.splitlines()[0].startswith("period,start,end,conferences,told,told_pct")
    empty = desk("advocacy", "stats", "--period", "2026-06", "--format", "json", today=today)
    assert (empty.json()["conferences"], empty.json()["told_pct"]) == (0, None)  # type: ignore[index]


def test_overdue_requests_and_who_answers_for_them(desk: Cli, db_url: str) -> None:
    def rec(case: str, day: str, *flags: str, user: str = "Vic Voice") -> int:
        result = desk(
            "--user",
            user,
            "advocacy",
            "record",
            case,
            "--conference-date",
            day,
            *flags,
            "--format",
            "json",
        )
        assert result.exit_code == 0, result.stderr
        return int(result.json()["id"])  # type: ignore[index]

    b1 = rec("B1", "2026-11-20", "--offered", "--requested")
    c1 = rec("C1", "2026-11-27", "--not-offered", "--requested", user="Val Voice")
    rec("A1", "2026-11-20", "--offered", "--requested", "--provided-date", "2026-11-23")  # late
    rec("A2", "2026-11-20", "--offered", "--not-requested")
    a3 = rec("A3", "2026-12-01", "--offered", "--requested")  # the conference is today
    # Asked for ahead of the conference: due 2 working days before it (Thu 3 Dec).
    ahead = rec("A2", "2026-12-07", "--offered", "--requested")
    store = Store(db_url)
    try:
        with store.reading() as session:
            items = overdue_advocacy(
                AlchemyRows(session.connection()), date(2026, 12, 1), WorkingCalendar()
            )
            later = overdue_advocacy(
                AlchemyRows(session.connection()), date(2026, 12, 4), WorkingCalendar()
            )
    finally:
        store.dispose()
    assert [i.as_dict() for i in items] == [
        {
            "kind": "advocacy",
            "ref": str(b1),
            "case_ref": "B1",
            "due": date(2026, 11, 18),  # two working days before Friday 20 November
            "days_overdue": 9,
            "owner": "Vic Voice",
            "escalate_to": "Hana Head",
            "detail": "advocate requested for the conference on 2026-11-20, not provided",
        },
        {
            "kind": "advocacy",
            "ref": str(c1),
            "case_ref": "C1",
            "due": date(2026, 11, 25),
            "days_overdue": 4,  # Thursday 26 November to Tuesday 1 December
            "owner": "Val Voice",
            "escalate_to": None,  # Team C has no head of service
            "detail": "advocate requested for the conference on 2026-11-27, not provided",
        },
        {
            "kind": "advocacy",
            "ref": str(a3),
            "case_ref": "A3",
            "due": date(2026, 11, 27),
            "days_overdue": 2,
            "owner": "Vic Voice",
            "escalate_to": "Hal Head",
            "detail": "conference on 2026-12-01 still ahead, no advocate yet",
        },
    ]
    # On Friday 4 December the request for Monday's conference is a day overdue: still time.
    [a2] = [i for i in later if i.ref == str(ahead)]
    assert (a2.due, a2.days_overdue, a2.detail) == (
        date(2026, 12, 3),
        1,
        "conference on 2026-12-07 still ahead, no advocate yet",
    )
    assert not any(i.urgent for i in items)


def _grade(cli: Cli, case: str, day: str, *flags: str) -> None:
    result = cli(
        "grade",
        case,
        "--grade",
        "good",
        "--auditor",
        "Ann Auditor",
        "--date",
        day,
        "--adhoc",
        *flags,
        today="2026-12-01",
    )
    assert result.exit_code == 0, result.stderr


def test_family_feedback_by_team(desk: Cli, db_url: str, tmp_path: Path) -> None:
    _grade(desk, "A1", "2026-11-02", "--views-gathered")
    _grade(desk, "A2", "2026-11-10", "--views-not-gathered")
    _grade(desk, "B1", "2026-11-30", "--family-feedback", "Mum felt listened to")
    _grade(desk, "B2", "2026-11-15", "--views-not-gathered")
    _grade(desk, "C1", "2026-11-16")  # no feedback: not gathered
    _grade(desk, "B3", "2026-10-31", "--views-gathered")  # October
    november = parse_period("2026-11", date(2026, 12, 1))

    def figures() -> dict[str, Any]:
        store = Store(db_url)
        try:
            return family_feedback_stats(store=store, period=november).as_dict()
        finally:
            store.dispose()

    first = figures()
    assert (first["audits"], first["views_gathered"], first["views_gathered_pct"]) == (5, 2, 40.0)
    assert [
        (t["team"], t["audits"], t["views_gathered"], t["views_gathered_pct"])
        for t in first["by_team"]
    ] == [
        ("Team A", 2, 1, 50.0),
        ("Team B", 2, 1, 50.0),
        ("Team C", 1, 0, 0.0),
    ]
    # A case that moves team is counted with the team it is in now.
    moved = [
        row if row[0] != "A2" else ["A2", "Team B", "", "CP", "2020-01-01", ""] for row in CASES
    ]
    result = desk("cases", "import", str(write_csv(tmp_path / "moved.csv", moved)))
    assert result.exit_code == 0, result.stderr
    again = figures()
    assert [(t["team"], t["audits"], t["views_gathered"]) for t in again["by_team"]] == [
        ("Team A", 1, 1),
        ("Team B", 3, 1),
        ("Team C", 1, 0),
    ]
    october = parse_period("2026-10", date(2026, 12, 1))
    store = Store(db_url)
    try:
        assert family_feedback_stats(store=store, period=october).as_dict()["by_team"] == [
            {"team": "Team B", "audits": 1, "views_gathered": 1, "views_gathered_pct": 100.0}
        ]
        empty = family_feedback_stats(
            store=store, period=parse_period("2026-09", date(2026, 12, 1))
        )
        assert (empty.audits, empty.views_gathered_pct, empty.by_team) == (0, None, ())
    finally:
        store.dispose()


def test_a_conference_recorded_ahead_counts_once_it_is_held(desk: Cli) -> None:
    """A mid-month report counts what has happened: a request recorded for a conference next
    week is not yet a conference, a child told or a request."""
    _record(desk, "A1", "2026-12-01", "--offered", "--not-requested", today="2026-12-01")
    _record(desk, "A2", "2026-12-10", "--not-offered", "--requested", today="2026-12-01")

    def figures(today: str) -> dict[str, object]:
        found = desk("advocacy", "stats", "--period", "2026-12", "--format", "json", today=today)
        data = found.json()
        assert isinstance(data, dict)
        return data

    early = figures("2026-12-04")
    assert (early["conferences"], early["told"], early["requests"], early["ahead"]) == (1, 1, 0, 1)
    assert early["exceptions"] == []
    held = figures("2026-12-10")  # the conference day: held, its request awaiting
    assert (held["conferences"], held["requests"], held["awaiting"], held["ahead"]) == (2, 1, 1, 0)
    assert [e["case_ref"] for e in held["exceptions"]] == ["A2"]  # type: ignore[union-attr]
