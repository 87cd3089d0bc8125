"""Complaints as a complaints officer runs them, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import Cli, plain, snapshot, write_csv
from qaudit.store.engine import Store

STAFF = [
    ["name", "role", "team"],
    ["Hal Head", "head_of_service", "Team A"],
    ["Hana Head", "head_of_service", "Team B"],
    ["Quinn Lead", "qa_lead", "Quality Assurance"],
]
CASES = [
    ["case_ref", "team", "worker", "category", "open_date", "close_date"],
    ["A1", "Team A", "", "CIN", "2020-01-01", ""],
    ["B1", "Team B", "", "CP", "2020-01-01", ""],
]


@pytest.fixture
def desk(cli: Cli, tmp_path: Path) -> Cli:
    assert cli("staff", "import", str(write_csv(tmp_path / "s.csv", STAFF))).exit_code == 0
    assert cli("cases", "import", str(write_csv(tmp_path / "c.csv", CASES))).exit_code == 0
    return cli


def _log(cli: Cli, received: str, *args: str, today: str | None = None) -> dict[str, Any]:
    result = cli(
        "complaints",
        "log",
        "--received",
        received,
        "--format",
        "json",
        *args,
        today=today or received,
    )
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize(
    ("received", "args", "due"),
    [
        ("2026-12-23", [], "2027-01-11"),  # Christmas: 25, 28 Dec and 1 Jan do not count
        ("2026-04-01", [], "2026-04-17"),  # Easter: Good Friday and Easter Monday
        ("2026-11-21", [], "2026-12-07"),  # a Saturday counts as the Monday
        ("2026-11-23", [], "2026-12-07"),  # ... that Monday
        ("2026-11-23", ["--stage", "2"], "2026-12-30"),  # 25 working days over Christmas
        ("2026-11-23", ["--stage", "3"], "2027-01-07"),  # the review panel: 30 working days
        ("2026-11-23", ["--corporate", "--stage", "2"], "2026-12-21"),  # corporate: 20
    ],
)
def test_response_due_dates(desk: Cli, received: str, args: list[str], due: str) -> None:
    data = _log(desk, received, *args)
    assert data["response_due"] == due
    assert data["ref"] == f"C-{received[:4]}-0001"
    assert data["status"] == "open"


def test_refs_count_up_within_the_year(desk: Cli) -> None:
    refs = [_log(desk, day)["ref"] for day in ("2026-03-01", "2026-03-02", "2027-01-05")]
    assert refs == ["C-2026-0001", "C-2026-0002", "C-2027-0001"]


@pytest.mark.parametrize(
    ("args", "steps", "message"),
    [
        ([], ["10"], None),
        ([], ["6", "4"], None),
        (
            [],
            ["11"],
            "stage 1 may be extended to 20 working days at most: 10 more days can be added",
        ),
        (
            [],
            ["6", "5"],
            "stage 1 may be extended to 20 working days at most: 4 more days can be added "
            "(already extended by 6)",
        ),
        (["--stage", "2"], ["40"], None),
        (["--stage", "2"], ["41"], "stage 2 may be extended to 65 working days at most"),
        (["--stage", "3"], ["1"], "stage 3 may be extended to 30 working days at most"),
        (["--corporate"], ["10"], None),
        (["--corporate", "--stage", "2"], ["1"], "stage 2 may be extended to 20 working days"),
    ],
)
def test_extension_limits(
    desk: Cli, args: list[str], steps: list[str], message: str | None
) -> None:
    ref = _log(desk, "2026-11-23", *args)["ref"]
    results = [desk("complaints", "extend", ref, "--days", n, today="2026-11-24") for n in steps]
    if message is None:
        assert all(r.exit_code == 0 for r in results)
        return
    assert results[-1].exit_code == 1
    assert message in results[-1].stderr


def test_an_extension_moves_the_due_date(desk: Cli) -> None:
    ref = _log(desk, "2026-11-23")["ref"]
    result = desk(
        "complaints", "extend", ref, "--days", "10", "--format", "json", today="2026-11-24"
    )
    assert result.json()["response_due"] == "2026-12-21"  # type: ignore[index]  # 20 days


def _extensions(url: str) -> list[tuple[Any, ...]]:
    """Every complaint extension as stored: (ref, stage, days, agreed on, due before, late,
    reason, recorded by)."""
    from sqlalchemy import text

    store = Store(url)
    try:
        with store.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT c.ref, s.stage, e.days, e.agreed_on, e.due_before, e.late, e.reason,"
                    " e.recorded_by FROM complaint_extensions e"
                    " JOIN complaint_stages s ON s.id = e.stage_id"
                    " JOIN complaints c ON c.id = s.complaint_id ORDER BY e.id"
                )
            ).all()
    finally:
        store.dispose()
    return [(*r[:3], str(r[3]), str(r[4]), bool(r[5]), *r[6:]) for r in rows]


def _due(cli: Cli, ref: str) -> str:
    shown = cli("complaints", "show", ref, "--format", "json").json()
    return shown["response_due"]  # type: ignore[index,no-any-return]


@pytest.mark.both_stores
def test_an_extension_agreed_in_time_is_recorded(desk: Cli) -> None:
    ref = _log(desk, "2026-11-23")["ref"]  # due Mon 7 December
    done = desk("complaints", "extend", ref, "--days", "5", "--date", "2026-12-07",
                today="2026-12-09")  # fmt: skip
    assert done.exit_code == 0, done.stderr
    assert done.stderr == f"{ref}: extended by 5 working days; due Mon 14 Dec 2026.\n"
    assert _extensions(desk.url) == [(ref, 1, 5, "2026-12-07", "2026-12-07", False, None, "tester")]
    assert _due(desk, ref) == "2026-12-14"


@pytest.mark.both_stores
def test_a_late_extension_is_refused_and_writes_nothing(desk: Cli) -> None:
    ref = _log(desk, "2026-11-23")["ref"]
    before = snapshot(desk.url)
    late = desk("complaints", "extend", ref, "--days", "5", today="2026-12-08")
    assert late.exit_code == 1
    assert late.stderr == (
        "Error: the response was due on 2026-12-07: an extension agreed on 2026-12-08 is late, "
        "and a late extension needs the complainant's agreement recorded, with the reason "
        "(--late-agreed --reason TEXT)\n"
    )
    assert snapshot(desk.url) == before
    assert _due(desk, ref) == "2026-12-07"


@pytest.mark.both_stores
def test_a_late_agreed_extension_is_recorded_with_its_reason(desk: Cli) -> None:
    ref = _log(desk, "2026-11-23", "--case", "A1")["ref"]
    done = desk(
        "complaints", "extend", ref, "--days", "5", "--late-agreed",
        "--reason", "Complainant abroad until 10 December", "--format", "json",
        today="2026-12-08",
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr
    assert (done.json()["response_due"], done.json()["extension_days"]) == ("2026-12-14", 5)  # type: ignore[index]
    assert _extensions(desk.url) == [
        (ref, 1, 5, "2026-12-08", "2026-12-07", True, "Complainant abroad until 10 December",
         "tester")
    ]  # fmt: skip
    # No longer overdue: the complainant agreed to wait.
    assert (
        desk("overdue", "--kind", "complaint", "--format", "json", today="2026-12-09").json() == []
    )
    # The log says it was late, and keeps a reference to the reason, not the text.
    events = desk("log", "--action", "complaint.extend", "--format", "json").stdout
    assert '"late": true' in events
    assert '"kept_in": "complaint_extensions"' in events
    assert "abroad" not in events
    assert "sound" in desk("db", "verify").stderr  # the extension's row is sealed in the log


@pytest.mark.both_stores
def test_a_letter_after_a_late_extension_counts_as_late(desk: Cli) -> None:
    """Answered by the extended date, but the timescale was missed on 7 December, before
    the extension was agreed: the report counts the letter late, and the extension apart."""
    ref = _log(desk, "2026-11-23", "--case", "A1")["ref"]
    done = desk(
        "complaints", "extend", ref, "--days", "5", "--late-agreed", "--reason", "Abroad",
        today="2026-12-08",
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr
    sent = desk("complaints", "letter", ref, "--date", "2026-12-11", today="2026-12-11")
    assert sent.stderr == (
        f"{ref}: final response letter 2026-12-11 (late: extended after it was due; due "
        "2026-12-14).\n"
    )
    figures = desk("complaints", "stats", "--period", "2026-12", "--format", "json").json()
    total = figures["figures"][-1]  # type: ignore[index]
    assert (total["answered"], total["answered_in_time"]) == (1, 0)
    assert (total["extensions_agreed"], total["extensions_agreed_late"]) == (1, 1)
    report = desk("report", "complaints", "--period", "2026-12", "--format", "json").json()
    row = report["sections"][0]["tables"][0]["rows"][0]  # type: ignore[index]
    assert (row["extensions_agreed"], row["extensions_agreed_late"]) == (1, 1)


@pytest.mark.parametrize(
    ("today", "args", "message"),
    [
        ("2026-12-08", ["--late-agreed"],
         "the extension was agreed after the response was due (2026-12-07): give the reason it "
         "was agreed late (--reason TEXT)"),
        ("2026-12-08", ["--late-agreed", "--reason", "   "], "give the reason it was agreed late"),
        ("2026-12-08", ["--reason", "Abroad"], "is late, and a late extension needs the "
         "complainant's agreement recorded, with the reason (--late-agreed --reason TEXT)"),
        ("2026-12-01", ["--reason", "Abroad"],
         "a reason is recorded only for an extension agreed after the response was due (due "
         "2026-12-07, agreed 2026-12-01) (--reason goes with --late-agreed)"),
        ("2026-12-01", ["--late-agreed", "--reason", "Abroad"],
         "the extension is not late: the response is due on 2026-12-07 and the extension was "
         "agreed on 2026-12-01 (leave out --late-agreed)"),
        ("2026-12-01", ["--date", "2026-12-02"],
         "the extension's agreement date 2026-12-02 is after today (2026-12-01)"),
        ("2026-12-01", ["--date", "2026-11-20"],
         "the extension's agreement date 2026-11-20 is before the stage was received"),
    ],
)  # fmt: skip
@pytest.mark.both_stores
def test_extension_refusals_say_why_and_write_nothing(
    desk: Cli, today: str, args: list[str], message: str
) -> None:
    ref = _log(desk, "2026-11-23")["ref"]
    before = snapshot(desk.url)
    refused = desk("complaints", "extend", ref, "--days", "5", *args, today=today)
    assert refused.exit_code == 1
    assert refused.stderr.startswith("Error: ")
    assert message in refused.stderr
    assert refused.stderr.count("\n") == 1
    assert snapshot(desk.url) == before


def test_the_letter_not_the_response_stops_the_clock(desk: Cli) -> None:
    ref = _log(desk, "2026-11-23", "--case", "A1")["ref"]
    assert (
        desk("complaints", "respond", ref, "--date", "2026-11-30", today="2026-11-30").exit_code
        == 0
    )
    overdue = desk("overdue", "--kind", "complaint", "--format", "json", today="2026-12-08").json()
    assert overdue == [
        {
            "kind": "complaint",
            "ref": ref,
            "case_ref": "A1",
            "due": "2026-12-07",
            "days_overdue": 1,
            "owner": "tester",
            "escalate_to": "Hal Head",
            "detail": "stage 1: resolved, letter outstanding (responded 2026-11-30)",
        }
    ]
    assert (
        desk("complaints", "letter", ref, "--date", "2026-12-08", today="2026-12-08").exit_code == 0
    )
    assert (
        desk("overdue", "--kind", "complaint", "--format", "json", today="2026-12-20").json() == []
    )


def test_no_response_and_the_right_head_of_service(desk: Cli) -> None:
    _log(desk, "2026-11-23", "--case", "B1")
    _log(desk, "2026-11-23")  # no case: escalates to the QA lead
    items = desk("overdue", "--kind", "complaint", "--format", "json", today="2026-12-09").json()
    assert [
        (i["case_ref"], i["escalate_to"], i["days_overdue"], i["detail"])  # type: ignore[index]
        for i in items
    ] == [  # type: ignore[union-attr]
        ("", "Quinn Lead", 2, "stage 1: no response"),
        ("B1", "Hana Head", 2, "stage 1: no response"),
    ]
    failing = desk("overdue", "--fail-if-any", today="2026-12-09")
    assert failing.exit_code == 3


def test_escalate_overdue_is_idempotent(desk: Cli) -> None:
    a = _log(desk, "2026-11-23", "--case", "A1")["ref"]
    b = _log(desk, "2026-11-30", "--case", "B1")["ref"]  # due 2026-12-14: not overdue yet
    first = desk("complaints", "escalate", "--overdue", "--format", "json", today="2026-12-09")
    assert [(e["ref"], e["escalated_to"], e["already"]) for e in first.json()] == [  # type: ignore[union-attr,index]
        (a, "Hal Head", False)
    ]
    before = snapshot(desk.url)
    again = desk("complaints", "escalate", "--overdue", today="2026-12-09")
    assert "No overdue complaint left to escalate." in again.stderr
    assert snapshot(desk.url) == before
    shown = desk("complaints", "show", a, "--format", "json").json()
    assert (shown["escalated_on"], shown["escalated_to"]) == ("2026-12-09", "Hal Head")  # type: ignore[index]
    one = desk("complaints", "escalate", b, today="2026-12-09")
    assert f"{b}: escalated to Hana Head" in one.stderr


def test_escalations_append_to_a_csv_without_repeating_its_header(desk: Cli) -> None:
    """The cron line: one header line at most, however many mornings append to the file."""
    a = _log(desk, "2026-11-23", "--case", "A1")["ref"]
    b = _log(desk, "2026-11-25", "--case", "B1")["ref"]  # due 2026-12-09: overdue on the 10th
    args = ("complaints", "escalate", "--overdue", "--format", "csv", "--no-header")
    first = desk(*args, today="2026-12-09")
    second = desk(*args, today="2026-12-10")
    assert (first.exit_code, second.exit_code) == (0, 0)
    assert first.stdout == f"{a},A1,Hal Head,2026-12-07,No\n"
    assert second.stdout == f"{b},B1,Hana Head,2026-12-09,No\n"
    before = snapshot(desk.url)
    refused = desk("complaints", "escalate", "--overdue", "--no-header", today="2026-12-11")
    assert refused.exit_code == 2
    assert "--no-header goes with --format csv" in plain(refused.stderr)
    assert snapshot(desk.url) == before


def test_next_stage_window(desk: Cli) -> None:
    ref = _log(desk, "2026-11-02")["ref"]
    assert (
        desk("complaints", "letter", ref, "--date", "2026-11-13", today="2026-11-13").exit_code == 0
    )
    late = desk("complaints", "next-stage", ref, "--requested", "2026-12-14", today="2026-12-14")
    assert late.exit_code == 1
    assert (
        "within 20 working days of the response letter (2026-11-13), that is by 2026-12-11"
        in late.stderr
    )
    accepted = desk(
        "complaints",
        "next-stage",
        ref,
        "--requested",
        "2026-12-14",
        "--late",
        "Complainant was in hospital",
        "--format",
        "json",
        today="2026-12-14",
    )
    assert accepted.exit_code == 0, accepted.stderr
    assert (accepted.json()["stage"], accepted.json()["response_due"]) == (2, "2027-01-21")  # type: ignore[index]
    other = _log(desk, "2026-11-02")["ref"]
    assert (
        desk("complaints", "letter", other, "--date", "2026-11-13", today="2026-11-13").exit_code
        == 0
    )
    ok = desk("complaints", "next-stage", other, "--requested", "2026-12-11", today="2026-12-11")
    assert ok.exit_code == 0, ok.stderr


BAD = [
    (
        ["complaints", "letter", "C-2026-9999", "--date", "2026-11-25"],
        "no complaint 'C-2026-9999' (see qaudit complaints list)",
    ),
    (
        ["complaints", "letter", "{ref}", "--date", "2026-11-20"],
        "the letter date 2026-11-20 is before the complaint was received (2026-11-23)",
    ),
    (
        ["complaints", "log", "--received", "2026-11-25", "--theme", "rudeness"],
        "'rudeness' is not a theme; known themes: communication-with-families",
    ),
    (
        ["complaints", "log", "--received", "2026-11-25", "--stage", "4"],
        "a statutory complaint has stages 1, 2, 3, not stage 4",
    ),
    (
        ["complaints", "log", "--received", "2026-11-25", "--corporate", "--stage", "3"],
        "a corporate complaint has stages 1, 2, not stage 3",
    ),
    (
        ["complaints", "log", "--received", "2026-11-26"],
        "the received date 2026-11-26 is after today",
    ),
    (
        ["complaints", "log", "--received", "2026-11-25", "--case", "Z9"],
        "no case 'Z9' in the store",
    ),
    (
        ["complaints", "close", "{ref}", "--outcome", "upheld"],
        "has no final response letter yet: send it before closing, or close it as withdrawn "
        "(send it with qaudit complaints letter)",
    ),
]


@pytest.mark.parametrize(("args", "message"), BAD)
def test_bad_input_is_refused_and_nothing_is_written(
    desk: Cli, args: list[str], message: str
) -> None:
    ref = _log(desk, "2026-11-23")["ref"]
    before = snapshot(desk.url)
    result = desk(*[a.format(ref=ref) for a in args], today="2026-11-25")
    assert result.exit_code == 1, result.stderr
    assert result.stderr.startswith("Error: ")
    assert message in result.stderr
    assert snapshot(desk.url) == before


def test_a_closed_complaint_takes_no_response(desk: Cli) -> None:
    ref = _log(desk, "2026-11-23")["ref"]
    assert (
        desk("complaints", "close", ref, "--outcome", "withdrawn", today="2026-11-24").exit_code
        == 0
    )
    before = snapshot(desk.url)
    result = desk("complaints", "respond", ref, "--date", "2026-11-25", today="2026-11-25")
    assert result.exit_code == 1
    assert f"complaint {ref} was closed on 2026-11-24 (withdrawn): no response can be recorded" in (
        result.stderr
    )
    assert snapshot(desk.url) == before
    listed = desk("complaints", "list", "--open", "--format", "json").json()
    assert listed == []
    everything = desk("complaints", "list", "--format", "json").json()
    assert [(c["ref"], c["status"], c["outcome"]) for c in everything] == [  # type: ignore[union-attr,index]
        (ref, "closed", "withdrawn")
    ]


def test_quarterly_figures_match_a_hand_count(desk: Cli) -> None:
    """Five complaints around the 31 March / 1 April boundary of the financial year."""

    def answer(ref: str, letter: str, responded: str | None = None) -> None:
        if responded:
            assert (
                desk("complaints", "respond", ref, "--date", responded, today=responded).exit_code
                == 0
            )
        assert desk("complaints", "letter", ref, "--date", letter, today=letter).exit_code == 0

    a = _log(desk, "2027-03-01", "--case", "A1", "--theme", "delay")["ref"]  # due 2027-03-15
    answer(a, "2027-03-15")  # on its due date: in time, 10 working days
    b = _log(desk, "2027-03-31", "--case", "B1", "--theme", "communication-with-families")[
        "ref"
    ]  # 31 March: Q4; due 2027-04-14
    answer(b, "2027-04-15", responded="2027-04-09")  # the day after: late (11 working days)
    c = _log(
        desk,
        "2027-04-01",
        "--case",
        "A1",
        "--theme",
        "communication-with-families",
        "--theme",
        "delay",
    )["ref"]  # 1 April: Q1
    assert desk("complaints", "extend", c, "--days", "5", today="2027-04-02").exit_code == 0
    desk("complaints", "respond", c, "--date", "2027-06-01", today="2027-06-01")
    d = _log(desk, "2027-05-10")["ref"]
    desk("complaints", "escalate", d, today="2027-06-01")
    _log(desk, "2027-06-30", "--corporate")

    def figures(period: str, by: str | None = None) -> list[dict[str, Any]]:
        args = ["complaints", "stats", "--period", period, "--format", "json"]
        result = desk(*args, *(["--by", by] if by else []), today="2027-07-15")
        assert result.exit_code == 0, result.stderr
        return result.json()["figures"]  # type: ignore[index,no-any-return]

    q4 = figures("2026/27-Q4")[-1]
    assert (q4["received"], q4["answered"], q4["answered_in_time"], q4["in_time_pct"]) == (
        2,
        1,
        1,
        100.0,
    )
    assert (q4["median_working_days"], q4["open_at_end"]) == (10.0, 1)  # B open on 31 March
    assert q4["by_theme"] == {"communication-with-families": 1, "delay": 1}
    assert q4["by_team"] == {"Team A": 1, "Team B": 1}
    q1 = figures("2027/28-Q1")[-1]
    assert (q1["received"], q1["answered"], q1["answered_in_time"]) == (3, 1, 0)  # B, late
    assert (q1["median_working_days"], q1["extended"], q1["escalated"]) == (11.0, 1, 1)
    assert (q1["open_at_end"], q1["letter_outstanding_at_end"]) == (3, 1)  # C, D, E; C responded
    assert q1["by_theme"] == {"communication-with-families": 1, "delay": 1}
    assert q1["by_team"] == {"(no case)": 2, "Team A": 1}
    by_quarter = figures("2027-01-01..2027-06-30", by="quarter")
    assert [f["period"] for f in by_quarter] == [
        "2026/27-Q4",
        "2027/28-Q1",
        "2027-01-01..2027-06-30",
    ]
    assert [f["received"] for f in by_quarter] == [2, 3, 5]
    by_month = figures("2027/28-Q1", by="month")
    assert [(f["period"], f["received"]) for f in by_month] == [
        ("2027-04", 1),
        ("2027-05", 1),
        ("2027-06", 1),
        ("2027/28-Q1", 3),
    ]
    bad = desk("complaints", "stats", "--period", "2027-Q1")
    assert bad.exit_code == 2


@pytest.fixture
def quarter_q4(desk: Cli) -> Cli:
    """Four complaints in 2026/27 Q4 (January to March 2027; no bank holiday before Good
    Friday, 26 March), worked by hand (working days counted from the day after receipt):

    | ref | received      | due (10 wd)   | final letter  | days | in time |
    | P   | Mon 01-11 Jan | Mon 01-25     | Wed 01-20 Jan | 7    | yes     |
    | Q   | Mon 02-01 Feb | Mon 02-15     | Mon 03-01 Mar | 20   | no      |
    | S   | Wed 02-10 Feb | Wed 02-24     | Wed 02-24 Feb | 10   | yes     |
    | R   | Mon 03-08 Mar | Mon 03-22     | none          |      |         |
    """
    for received, letter in (
        ("2027-01-11", "2027-01-20"),
        ("2027-02-01", "2027-03-01"),
        ("2027-02-10", "2027-02-24"),
        ("2027-03-08", None),
    ):
        ref = _log(desk, received, "--case", "A1")["ref"]
        if letter:
            assert desk("complaints", "letter", ref, "--date", letter, today=letter).exit_code == 0
    return desk


def _report_rows(cli: Cli, period: str, today: str = "2027-07-15") -> list[tuple[Any, ...]]:
    """The complaints report's first table: (period, received, answered, in time, %, median
    working days, open at end) a row."""
    result = cli("report", "complaints", "--period", period, "--format", "json", today=today)
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert isinstance(data, dict)
    table = data["sections"][0]["tables"][0]
    assert table["name"] == "complaints"
    keys = ("period", "received", "answered", "answered_in_time", "in_time_pct")
    return [
        (*(r[k] for k in keys), r["median_working_days"], r["open_at_end"]) for r in table["rows"]
    ]


# By hand, from the table in quarter_q4:
#   February: received Q, S; answered S (24 Feb; Q's letter is March's); in time S; 10 days;
#             open on 28 February: Q.
#   January: received and answered P, in time, 7 days; nothing open on 31 January.
#   March: received R; answered Q, late, 20 days; open on 31 March: R.
#   The quarter: received 4; answered P, S, Q (2 in time, 66.7%); median of 7, 10, 20 = 10;
#             open on 31 March: R.
#   15 February to 15 March: received R; answered S and Q (1 in time, 50%); median of 10 and
#             20 = 15; open on 15 March: R.
# Before the fix a month's report carried a row "2026/27-Q4" that counted neither the quarter
# nor the month: February's read (2026/27-Q4, 2, 2, 1, 50.0): received up to 28 February (P,
# answered in January, left out), answered including Q's March letter.
FEBRUARY = ("2027-02", 2, 1, 1, 100.0, 10.0, 1)
Q4 = ("2026/27-Q4", 4, 3, 2, 66.7, 10.0, 1)


@pytest.mark.parametrize(
    ("period", "today", "rows"),
    [
        ("2027-02", "2027-07-15", [FEBRUARY]),
        ("last-month", "2027-03-10", [FEBRUARY]),
        ("2027-01", "2027-07-15", [("2027-01", 1, 1, 1, 100.0, 7.0, 0)]),
        ("2027-03", "2027-07-15", [("2027-03", 1, 1, 0, 0.0, 20.0, 1)]),
        ("2026/27-Q4", "2027-07-15", [Q4]),
        ("last-quarter", "2027-04-20", [Q4]),
        (
            "2027-02-15..2027-03-15",
            "2027-07-15",
            [("2027-02-15..2027-03-15", 1, 2, 1, 50.0, 15.0, 1)],
        ),
        (
            "2026/27",
            "2027-07-15",
            [
                ("2026/27-Q1", 0, 0, 0, None, None, 0),
                ("2026/27-Q2", 0, 0, 0, None, None, 0),
                ("2026/27-Q3", 0, 0, 0, None, None, 0),
                Q4,
                ("Total", *Q4[1:]),
            ],
        ),
    ],
)
def test_each_report_row_counts_the_period_it_is_labelled_with(
    quarter_q4: Cli, period: str, today: str, rows: list[tuple[Any, ...]]
) -> None:
    assert _report_rows(quarter_q4, period, today) == rows


def test_a_breakdown_row_counts_the_period_it_is_labelled_with(quarter_q4: Cli) -> None:
    """complaints stats --by: a month has no quarter of its own to show, and the clipped ends
    of a range are labelled with their dates, not with the whole month's label."""

    def figures(period: str, by: str) -> list[tuple[Any, ...]]:
        args = ["complaints", "stats", "--period", period, "--by", by, "--format", "json"]
        result = quarter_q4(*args, today="2027-07-15")
        assert result.exit_code == 0, result.stderr
        found = result.json()["figures"]  # type: ignore[index]
        return [(f["period"], f["received"], f["answered"], f["answered_in_time"]) for f in found]

    assert figures("2027-02", "quarter") == [("2027-02", 2, 1, 1)]
    assert figures("2027-02", "month") == [("2027-02", 2, 1, 1)]
    # 15-28 February: received none, answered S; 1-15 March: received R, answered Q (late).
    assert figures("2027-02-15..2027-03-15", "month") == [
        ("2027-02-15..2027-02-28", 0, 1, 1),
        ("2027-03-01..2027-03-15", 1, 1, 0),
        ("2027-02-15..2027-03-15", 1, 2, 1),
    ]
    assert figures("2027-02-15..2027-03-15", "quarter") == [("2027-02-15..2027-03-15", 1, 2, 1)]
    assert figures("2026/27-Q4", "month") == [
        ("2027-01", 1, 1, 1),
        ("2027-02", 2, 1, 1),
        ("2027-03", 1, 1, 0),
        ("2026/27-Q4", 4, 3, 2),
    ]
