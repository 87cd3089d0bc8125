"""``qaudit survey`` as the voice and participation team runs it, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from conftest import Cli, plain, snapshot, write_csv
from qaudit.domain.dates import LONDON
from qaudit.domain.workdays import WorkingCalendar
from qaudit.services.overdue import OverdueItem, overdue_surveys
from qaudit.store.engine import Store
from qaudit.store.lite import AlchemyRows

HEADER = ["response_id", "survey", "age_band", "received_at", "concern", "comment"]
YLYC = "your-life-your-care"
YLBC = "your-life-beyond-care"
STAFF = [
    ["name", "role", "team"],
    ["Val Voice", "team_manager", "Participation"],
    ["Quinn Lead", "qa_lead", "Quality Assurance"],
]
FIRST = [
    ["R1", YLYC, "8-11", "2026-12-01T09:00", "yes", "I do not feel safe at home"],
    ["R2", YLYC, "4-7", "2026-12-01T09:30", "no", "I like my school"],
    ["R3", YLBC, "16-25", "2026-12-01T10:00Z", "", ""],
    ["R4", YLYC, "11-17", "2026-11-30T16:00+00:00", "0", "More time with my worker"],
]


def _csv(path: Path, rows: list[list[str]]) -> Path:
    return write_csv(path, [HEADER, *rows])


def _ok(cli: Cli, *args: str, today: str = "2026-12-01T12:00") -> Any:
    result = cli(*args, today=today)
    assert result.exit_code == 0, result.stderr
    return result.json() if "json" in args else result


def _refused(cli: Cli, *args: str, today: str = "2026-12-01T12:00") -> str:
    before = snapshot(cli.url)
    result = cli(*args, today=today)
    assert result.exit_code == 1, result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert snapshot(cli.url) == before
    return result.stderr


def _events(cli: Cli, action: str) -> list[dict[str, Any]]:
    events = cli("log", "--action", action, "--limit", "0", "--format", "json").json()
    assert isinstance(events, list)
    return events


@pytest.fixture
def desk(cli: Cli, tmp_path: Path) -> Cli:
    assert cli("staff", "import", str(write_csv(tmp_path / "staff.csv", STAFF))).exit_code == 0
    return cli


@pytest.fixture
def loaded(desk: Cli, tmp_path: Path) -> Cli:
    _ok(desk, "survey", "import", str(_csv(tmp_path / "first.csv", FIRST)))
    return desk


# -- import -------------------------------------------------------------------------------


def test_import_then_the_same_file_again_changes_nothing(desk: Cli, tmp_path: Path) -> None:
    path = _csv(tmp_path / "first.csv", FIRST)
    result = desk("survey", "import", str(path), "--format", "json", today="2026-12-01T12:00")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert isinstance(data, dict)
    assert {k: data[k] for k in ("rows", "added", "unchanged", "added_ids", "dry_run")} == {
        "rows": 4,
        "added": 4,
        "unchanged": 0,
        "added_ids": ["R1", "R2", "R3", "R4"],
        "dry_run": False,
    }
    assert f"{path}: 2 timestamps had no time zone and were taken as Europe/London time" in plain(
        result.stderr
    )
    before = snapshot(desk.url)
    again = _ok(desk, "survey", "import", str(path), "--format", "json")
    assert (again["added"], again["unchanged"]) == (0, 4)
    assert snapshot(desk.url) == before  # no row touched, no change-log event
    [event] = _events(desk, "survey.import")
    assert event["entity_ref"] == "first.csv"
    assert event["detail"] == {
        "file": "first.csv",
        "sha256": data["sha256"],
        "rows": 4,
        "counts": {"added": 4, "unchanged": 0},
        "added": ["R1", "R2", "R3", "R4"],
    }


def test_responses_are_listed_as_read(loaded: Cli) -> None:
    listed = _ok(loaded, "survey", "list", "--format", "json")
    assert [
        (r["response_id"], r["survey"], r["age_band"], r["received_at"], r["concern"])
        for r in listed
    ] == [
        ("R4", YLYC, "11-18", "2026-11-30T16:00:00+00:00", False),
        ("R1", YLYC, "8-11", "2026-12-01T09:00:00+00:00", True),
        ("R2", YLYC, "4-7", "2026-12-01T09:30:00+00:00", False),
        ("R3", YLBC, "16-25", "2026-12-01T10:00:00+00:00", False),
    ]
    assert listed[1]["comment"] == "I do not feel safe at home"
    assert listed[1]["review_due"] == "2026-12-02T09:00:00+00:00"
    assert [r["status"] for r in listed] == ["due"] * 4
    late = _ok(loaded, "survey", "list", "--format", "json", today="2026-12-01T16:01")
    assert [r["status"] for r in late] == ["overdue", "due", "due", "due"]


def test_a_later_file_adds_responses(loaded: Cli, tmp_path: Path) -> None:
    later = [
        *FIRST[2:],
        # The same moment written with its zone: the same response.
        ["R1", YLYC, "8-11", "2026-12-01T09:00Z", "YES", " I do not feel safe at home "],
        ["R5", YLYC, "8-11", "2026-12-02T09:00", "no", ""],
        ["R6", YLBC, "16-25", "2026-12-02T10:00", "no", "Help with housing"],
    ]
    data = _ok(loaded, "survey", "import", str(_csv(tmp_path / "later.csv", later)), "-f", "json")
    assert (data["rows"], data["added"], data["unchanged"]) == (5, 2, 3)
    events = _events(loaded, "survey.import")
    assert [(e["entity_ref"], e["detail"]["added"]) for e in events] == [
        ("later.csv", ["R5", "R6"]),
        ("first.csv", ["R1", "R2", "R3", "R4"]),
    ]
    listed = _ok(loaded, "survey", "list", "--format", "json")
    assert len(listed) == 6


def test_a_response_already_stored_with_other_content_is_refused(
    loaded: Cli, tmp_path: Path
) -> None:
    path = _csv(
        tmp_path / "changed.csv",
        [
            ["R7", YLYC, "8-11", "2026-12-02T09:00", "no", ""],
            ["R2", YLYC, "4-7", "2026-12-01T09:30", "yes", "I like my school"],
        ],
    )
    message = _refused(loaded, "survey", "import", str(path))
    assert message == (
        f"Error: {path}, line 3, column 5 (concern): response R2 is already in the store "
        "with different content\n"
    )
    ids = [r["response_id"] for r in _ok(loaded, "survey", "list", "--format", "json")]
    assert "R7" not in ids


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param("", "the file is empty", id="empty"),
        pytest.param(",".join(HEADER) + "\n", "the file has a header but no responses", id="head"),
        pytest.param(
            ",".join(HEADER) + "\nR9,your-life-your-care,8-11,2026-12-01T09:00,perhaps,\n",
            "line 2, column 5 (concern): 'perhaps' is not a concern flag",
            id="concern",
        ),
        pytest.param(
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "this is a binary file, not a CSV or an Excel workbook",
            id="binary",
        ),
        pytest.param(
            b"PK\x03\x04 a workbook",
            "a survey export must be a CSV file",
            id="workbook",
        ),
    ],
)
def test_bad_files_are_refused_and_nothing_is_written(
    loaded: Cli, tmp_path: Path, content: str | bytes, message: str
) -> None:
    path = tmp_path / "bad.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    error = _refused(loaded, "survey", "import", str(path))
    assert error.startswith(f"Error: {path}")
    assert message in error


def test_a_dry_run_writes_nothing_not_even_a_store(cli: Cli, tmp_path: Path) -> None:
    before = snapshot(cli.url)
    result = cli("survey", "import", str(_csv(tmp_path / "s.csv", FIRST)), "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "Checked (dry run, nothing written)" in result.stderr
    assert "4 added" in result.stderr
    assert snapshot(cli.url) == before


# -- review -------------------------------------------------------------------------------


def test_a_flagged_concern_needs_an_action(loaded: Cli) -> None:
    message = _refused(loaded, "survey", "review", "R1", "--by", "Val Voice")
    assert message == (
        "Error: response R1 flags a concern: record what was done about it (give --action)\n"
    )
    assert _refused(loaded, "survey", "review", "R1", "--by", "Val Voice", "--action", " ")


def test_a_review_is_recorded_once(loaded: Cli) -> None:
    done = _ok(
        loaded,
        "survey",
        "review",
        "R1",
        "--by",
        "Val Voice",
        "--action",
        "Referred to the child's social worker the same morning",
        "--format",
        "json",
        today="2026-12-01T11:00",
    )
    assert {k: done[k] for k in ("response_id", "reviewed_by", "reviewed_at", "status")} == {
        "response_id": "R1",
        "reviewed_by": "Val Voice",
        "reviewed_at": "2026-12-01T11:00:00+00:00",
        "status": "reviewed",
    }
    [event] = _events(loaded, "survey.review")
    assert (event["entity_ref"], event["after"]["in_time"]) == ("R1", True)
    message = _refused(loaded, "survey", "review", "R1", "--by", "Quinn Lead", "--action", "again")
    assert message == (
        "Error: response R1 was already reviewed by Val Voice at 2026-12-01 11:00 (Europe/London)\n"
    )
    unreviewed = _ok(loaded, "survey", "list", "--unreviewed", "--format", "json")
    assert [r["response_id"] for r in unreviewed] == ["R4", "R2", "R3"]


def test_a_late_review_is_said_to_be_late(loaded: Cli) -> None:
    result = _ok(loaded, "survey", "review", "R2", "--by", "Val Voice", today="2026-12-02T09:31")
    assert "late; due 2026-12-02 09:30" in result.stderr
    [event] = _events(loaded, "survey.review")
    assert event["after"]["in_time"] is False


def test_the_reviewer_is_the_user_unless_named(loaded: Cli) -> None:
    assert _refused(loaded, "survey", "review", "R2") == (
        "Error: no staff member named 'tester' (see qaudit staff list)\n"
    )
    result = loaded(
        "--user",
        "Val Voice",
        "survey",
        "review",
        "R2",
        "--format",
        "json",
        today="2026-12-01T12:00",
    )
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert isinstance(data, dict)
    assert data["reviewed_by"] == "Val Voice"


@pytest.mark.parametrize(
    ("args", "today", "message"),
    [
        (
            ["R2", "--by", "Nobody"],
            "2026-12-01T12:00",
            "no staff member named 'Nobody' (see qaudit staff list)",
        ),
        (
            ["R99", "--by", "Val Voice"],
            "2026-12-01T12:00",
            "no survey response 'R99' (see qaudit survey list)",
        ),
        (
            ["R3", "--by", "Val Voice"],
            "2026-12-01T09:00",
            "response R3 was received at 2026-12-01 10:00, after the time of this review, "
            "2026-12-01 09:00 Europe/London (see --today)",
        ),
    ],
)
def test_review_refusals(loaded: Cli, args: list[str], today: str, message: str) -> None:
    assert _refused(loaded, "survey", "review", *args, today=today) == f"Error: {message}\n"


# -- cohorts ------------------------------------------------------------------------------


def _cohort(cli: Cli, survey_: str, band: str, period: str, invited: int) -> Any:
    return _ok(
        cli,
        "survey",
        "cohort",
        "--survey",
        survey_,
        "--band",
        band,
        "--period",
        period,
        "--invited",
        str(invited),
        "--format",
        "json",
    )


def test_a_cohort_is_recorded_and_replaced(desk: Cli) -> None:
    first = _cohort(desk, YLYC, "11-17", "2026/27-Q3", 20)
    assert {k: first[k] for k in ("age_band", "period", "start", "end", "invited", "before")} == {
        "age_band": "11-18",
        "period": "2026/27-Q3",
        "start": "2026-10-01",
        "end": "2026-12-31",
        "invited": 20,
        "before": None,
    }
    again = _cohort(desk, YLYC, "11-18", "2026/27 Q3", 25)
    assert (again["invited"], again["before"], again["changed"]) == (25, 20, True)
    before = snapshot(desk.url)
    same = _cohort(desk, YLYC, "11-18", "2026/27-Q3", 25)
    assert same["changed"] is False
    assert snapshot(desk.url) == before
    events = _events(desk, "survey.cohort")
    assert [(e["entity_ref"], e["before"], e["after"]["invited"]) for e in events] == [
        (f"{YLYC} 11-18 2026/27-Q3", {"invited": 20}, 25),
        (f"{YLYC} 11-18 2026/27-Q3", None, 20),
    ]


def test_a_band_of_the_other_survey_is_refused(desk: Cli) -> None:
    message = _refused(
        desk, "survey", "cohort", "--survey", YLBC, "--band", "8-11", "--period", "2026-11",
        "--invited", "5",
    )  # fmt: skip
    assert message == "Error: age band 8-11 is not a band of Your Life Beyond Care (16-25)\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--band", "12-15"], "'12-15' is not an age band; expected 4-7, 8-11, 11-18"),
        (["--invited", "0"], "Input should be greater than or equal to 1"),
        (["--period", "2026-13"], "there is no month 13"),
        (["--survey", "your-life"], "'your-life' is not one of"),
    ],
)
def test_cohort_usage_errors(desk: Cli, args: list[str], message: str) -> None:
    options = {"--survey": YLYC, "--band": "8-11", "--period": "2026-11", "--invited": "5"}
    options[args[0]] = args[1]
    result = desk("survey", "cohort", *[x for pair in options.items() for x in pair])
    assert result.exit_code == 2
    assert message in plain(result.stderr)


# -- figures ------------------------------------------------------------------------------

# Hand-counted for 2026/27-Q3 (October to December 2026), in clock hours on the London clock.
STATS_FILE = [
    # Your Life, Your Care 8-11: ten in the quarter.
    ["A01", YLYC, "8-11", "2026-11-02T09:00", "no", ""],  # reviewed at 24 h exactly: in time
    ["A02", YLYC, "8-11", "2026-11-02T09:00", "no", ""],  # reviewed at 24 h 1 min: late
    ["A03", YLYC, "8-11", "2026-10-24T12:00", "no", ""],  # over the clocks going back: late
    ["A04", YLYC, "8-11", "2026-10-24T12:30", "no", ""],  # over the clocks: 24 h, in time
    ["A05", YLYC, "8-11", "2026-11-10T10:00", "yes", "Sad"],  # flagged, reviewed in 5 h
    ["A06", YLYC, "8-11", "2026-11-11T10:00", "yes", ""],  # flagged, not reviewed
    ["A07", YLYC, "8-11", "2026-12-01T10:00", "no", ""],
    ["A08", YLYC, "8-11", "2026-12-15T10:00", "no", ""],
    ["A09", YLYC, "8-11", "2026-12-31T23:59", "no", ""],
    ["A10", YLYC, "8-11", "2026-09-30T23:30Z", "no", ""],  # 00:30 on 1 October in London
    # ... and two outside it.
    ["X01", YLYC, "8-11", "2026-09-30T23:59", "no", ""],
    ["X02", YLYC, "8-11", "2027-01-01T00:00", "no", ""],
    # Your Life, Your Care 4-7: three.
    ["B01", YLYC, "4-7", "2026-12-02T10:00", "no", ""],  # reviewed within the hour
    ["B02", YLYC, "4-7", "2026-12-03T10:00", "no", ""],
    ["B03", YLYC, "4-7", "2026-12-04T10:00", "no", ""],
    # Your Life, Your Care 11-18: one, and no cohort recorded.
    ["C01", YLYC, "11-17", "2026-10-05T10:00", "no", ""],
    # Your Life Beyond Care 16-25: one in October, one in November.
    ["L01", YLBC, "16-25", "2026-10-20T10:00", "no", ""],
    ["L02", YLBC, "16-25", "2026-11-20T10:00", "no", ""],
]
REVIEWS = [
    ("A01", "2026-11-03T09:00", []),
    ("A02", "2026-11-03T09:01", []),
    # 12:00 BST on the 24th is 11:00 GMT: 11:30 on the 25th is 24 h 30 min later, though the
    # clock on the wall moved only 23 h 30 min.
    ("A03", "2026-10-25T11:30", []),
    ("A04", "2026-10-25T11:30", []),  # 12:30 BST to 11:30 GMT: exactly 24 h
    ("A05", "2026-11-10T15:00", ["--action", "Passed to the child's social worker"]),
    ("B01", "2026-12-02T10:45", []),
]


@pytest.fixture
def surveyed(desk: Cli, tmp_path: Path) -> Cli:
    _ok(desk, "survey", "import", str(_csv(tmp_path / "stats.csv", STATS_FILE)))
    for ref, when, extra in REVIEWS:
        _ok(desk, "survey", "review", ref, "--by", "Val Voice", *extra, today=when)
    _cohort(desk, YLYC, "8-11", "2026/27-Q3", 25)
    _cohort(desk, YLYC, "4-7", "2026/27-Q3", 20)
    _cohort(desk, YLYC, "4-7", "2026-10", 99)  # the quarter's own cohort wins over a month's
    _cohort(desk, YLBC, "16-25", "2026-10", 3)
    _cohort(desk, YLBC, "16-25", "2026-11", 4)
    return desk


def _figures(cli: Cli, period: str) -> dict[tuple[str, str], dict[str, Any]]:
    data = _ok(cli, "survey", "stats", "--period", period, "--format", "json")
    assert data["period"] == period
    return {(f["survey"], f["age_band"]): f for f in data["figures"]}


def test_stats_match_a_hand_count(surveyed: Cli) -> None:
    figures = _figures(surveyed, "2026/27-Q3")
    keys = ("responses", "invited", "response_rate_pct", "below_floor", "flagged", "reviewed")
    keys += ("reviewed_in_time", "reviewed_in_time_pct")
    table = {k: tuple(f[key] for key in keys) for k, f in figures.items()}
    assert list(table) == [(YLYC, "4-7"), (YLYC, "8-11"), (YLYC, "11-18"), (YLBC, "16-25")]
    assert table == {
        (YLYC, "4-7"): (3, 20, 15.0, True, 0, 1, 1, 33.3),
        (YLYC, "8-11"): (10, 25, 40.0, False, 2, 5, 3, 30.0),
        (YLYC, "11-18"): (1, None, None, None, 0, 0, 0, 0.0),
        (YLBC, "16-25"): (2, 7, 28.6, True, 0, 0, 0, 0.0),  # the months' cohorts summed
    }


def test_stats_for_a_month_use_that_months_cohort(surveyed: Cli) -> None:
    figures = _figures(surveyed, "2026-11")
    assert {
        k: (f["responses"], f["invited"], f["response_rate_pct"]) for k, f in figures.items()
    } == {
        (YLYC, "8-11"): (4, None, None),  # the quarter's cohort is not the month's
        (YLBC, "16-25"): (1, 4, 25.0),
    }


def test_stats_as_a_table_and_for_an_empty_period(surveyed: Cli) -> None:
    result = _ok(surveyed, "survey", "stats", "--period", "2026/27-Q3", "--format", "csv")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("survey,age_band,responses,invited,response_rate_pct,below_floor")
    assert lines[2] == f"{YLYC},8-11,10,25,40.0,No,2,5,3,30.0"
    empty = _ok(surveyed, "survey", "stats", "--period", "2025/26")
    assert "No survey responses or cohorts in 2025/26." in empty.stderr


# -- overdue (called directly until `qaudit overdue` lists surveys) -----------------------

OVERDUE_FILE = [
    ["S1", YLYC, "8-11", "2026-12-01T09:00", "no", ""],
    ["S2", YLBC, "16-25", "2026-12-01T09:00", "yes", "Nowhere to live"],
    ["S3", YLYC, "4-7", "2026-10-24T12:00", "no", ""],  # BST; due 11:00 GMT on the 25th
    ["S4", YLYC, "4-7", "2026-10-20T12:00", "yes", ""],  # reviewed: never overdue
]


def _overdue(url: str, now: str) -> list[OverdueItem]:
    store = Store(url)
    try:
        with store.reading() as session:
            return overdue_surveys(
                AlchemyRows(session.connection()),
                datetime.fromisoformat(now).replace(tzinfo=LONDON),
                WorkingCalendar(),
                24,
                "Quinn Lead",
            )
    finally:
        store.dispose()


@pytest.fixture
def waiting(desk: Cli, tmp_path: Path) -> Cli:
    _ok(desk, "survey", "import", str(_csv(tmp_path / "o.csv", OVERDUE_FILE)))
    _ok(desk, "survey", "review", "S4", "--by", "Val Voice", "--action", "Called the carer")
    return desk


def test_overdue_after_24_clock_hours(waiting: Cli) -> None:
    assert [i.ref for i in _overdue(waiting.url, "2026-10-25T10:59")] == []
    # 23 h 30 min on the wall clock, but 24 h 30 min have passed.
    [s3] = _overdue(waiting.url, "2026-10-25T11:30")
    assert s3 == OverdueItem(
        kind="survey",
        ref="S3",
        case_ref="",
        due=datetime(2026, 10, 25, 11, 0, tzinfo=LONDON),
        days_overdue=0,
        owner=None,
        escalate_to="Quinn Lead",
        detail="Your Life, Your Care 4-7: not reviewed",
        urgent=False,
        key="S3",  # what a reminder records it by, and its escalation step: the day due
        stage="2026-10-25",
    )
    assert s3.due.isoformat() == "2026-10-25T11:00:00+00:00"
    assert s3.as_dict()["case_ref"] == ""


def test_overdue_at_24_hours_and_one_minute(waiting: Cli) -> None:
    assert [i.ref for i in _overdue(waiting.url, "2026-12-02T09:00")] == ["S3"]
    items = {i.ref: i for i in _overdue(waiting.url, "2026-12-02T09:01")}
    assert sorted(items) == ["S1", "S2", "S3"]
    assert (items["S2"].detail, items["S2"].urgent) == (
        "Your Life Beyond Care 16-25: flagged concern, not reviewed",
        True,
    )
    assert items["S1"].days_overdue == 0
    # Due on Wednesday 2 December: Thursday and Friday are two working days overdue.
    later = {i.ref: i.days_overdue for i in _overdue(waiting.url, "2026-12-04T10:00")}
    assert later["S1"] == 2
    # The child's flagged concern comes first, before responses far longer overdue.
    from qaudit.services.overdue import overdue_order

    order = [i.ref for i in sorted(_overdue(waiting.url, "2026-12-04T10:00"), key=overdue_order)]
    assert order[0] == "S2" and later["S3"] > later["S2"]
    # S3 was due on Sunday 25 October: every working day to 4 December counts.
    assert later["S3"] == 30


def test_a_review_takes_a_response_off_the_overdue_list(waiting: Cli) -> None:
    _ok(waiting, "survey", "review", "S1", "--by", "Val Voice", today="2026-12-03T10:00")
    assert [i.ref for i in _overdue(waiting.url, "2026-12-03T10:00")] == ["S3", "S2"]
