"""Member scrutiny: sessions, resolutions and what the service did, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import Cli, plain, snapshot

COMMITTEE = "Children and Young People Scrutiny Committee"


def _add(cli: Cli, held_on: str, *resolutions: str, today: str = "2026-12-01") -> dict[str, Any]:
    args = [a for text in resolutions for a in ("--resolution", text)]
    result = cli(
        "scrutiny",
        "add",
        "--date",
        held_on,
        "--committee",
        COMMITTEE,
        *args,
        "--format",
        "json",
        today=today,
    )
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert isinstance(data, dict)
    return data


def _list(cli: Cli, *args: str, today: str = "2026-12-01") -> Any:
    result = cli("scrutiny", "list", *args, "--format", "json", today=today)
    assert result.exit_code == 0, result.stderr
    return result.json()


def test_a_session_and_what_came_of_its_resolutions(cli: Cli) -> None:
    session = _add(
        cli, "2026-11-12", "Report advocacy uptake each quarter", "Visit the front door team"
    )
    first, second = (r["id"] for r in session["resolutions"])
    assert (session["held_on"], session["committee"], session["open"], session["done"]) == (
        "2026-11-12",
        COMMITTEE,
        2,
        0,
    )
    assert [(r["text"], r["status"], r["note"]) for r in session["resolutions"]] == [
        ("Report advocacy uptake each quarter", "open", None),
        ("Visit the front door team", "open", None),
    ]
    done = cli(
        "scrutiny",
        "action",
        str(first),
        "--status",
        "done",
        "--note",
        "Uptake added to the board report",
        today="2026-11-30",
    )
    assert done.exit_code == 0, done.stderr
    assert (
        f"Resolution {first} ({COMMITTEE}, 2026-11-12): done; Uptake added to the board report."
        in plain(done.stderr)
    )
    progress = cli(
        "scrutiny",
        "action",
        str(second),
        "--status",
        "open",
        "--note",
        "Visit booked for January",
        "--format",
        "json",
        today="2026-11-30",
    )
    assert progress.json() == {
        "id": second,
        "session_id": session["id"],
        "held_on": "2026-11-12",
        "committee": COMMITTEE,
        "text": "Visit the front door team",
        "status": "open",
        "note": "Visit booked for January",
        "updated_on": "2026-11-30",
    }
    listed = _list(cli)
    assert [(s["id"], s["open"], s["done"]) for s in listed] == [(session["id"], 1, 1)]
    assert [(r["status"], r["note"], r["updated_on"]) for r in listed[0]["resolutions"]] == [
        ("done", "Uptake added to the board report", "2026-11-30"),
        ("open", "Visit booked for January", "2026-11-30"),
    ]
    events = cli("log", "--action", "scrutiny.", "--format", "json").json()
    assert [(e["action"], e["before"], e["after"]) for e in events][-2:] == [  # type: ignore[union-attr,index]
        (
            "scrutiny.resolution",
            {"status": "open", "note": None},
            {"status": "done", "note": "Uptake added to the board report"},
        ),
        (
            "scrutiny.add",
            None,
            {
                "held_on": "2026-11-12",
                "committee": COMMITTEE,
                "resolutions": ["Report advocacy uptake each quarter", "Visit the front door team"],
            },
        ),
    ]


def test_the_same_action_again_changes_nothing(cli: Cli) -> None:
    rid = _add(cli, "2026-11-12", "Report on re-audits")["resolutions"][0]["id"]
    args = ["scrutiny", "action", str(rid), "--status", "done", "--note", "Reported in November"]
    assert cli(*args, today="2026-11-20").exit_code == 0
    before = snapshot(cli.url)
    again = cli(*args, today="2026-11-25")
    assert again.exit_code == 0, again.stderr
    assert snapshot(cli.url) == before
    # Done already has its note: reopening and closing again need none.
    assert cli("scrutiny", "action", str(rid), "--status", "open").exit_code == 0
    closed = cli("scrutiny", "action", str(rid), "--status", "done", "--format", "json")
    assert (closed.json()["status"], closed.json()["note"]) == ("done", "Reported in November")  # type: ignore[index]


def test_list_by_period_shows_sessions_without_resolutions(cli: Cli) -> None:
    _add(cli, "2026-09-30", "Q2 resolution")
    empty = _add(cli, "2026-10-01")
    assert empty["resolutions"] == []
    later = _add(cli, "2026-12-01", "Q3 resolution")
    q3 = _list(cli, "--period", "2026/27-Q3")
    assert [s["id"] for s in q3] == [empty["id"], later["id"]]
    csv = cli("scrutiny", "list", "--period", "2026/27-Q3", "--format", "csv")
    assert csv.exit_code == 0, csv.stderr
    rid = later["resolutions"][0]["id"]
    assert csv.stdout.splitlines() == [
        "session_id,held_on,committee,id,text,status,note,updated_on",
        f"{empty['id']},2026-10-01,{COMMITTEE},,,,,",
        f"{later['id']},2026-12-01,{COMMITTEE},{rid},Q3 resolution,open,,",
    ]
    table = cli("scrutiny", "list")
    assert table.exit_code == 0 and "Q2" in table.stdout
    assert _list(cli, "--period", "2026-06") == []


BAD = [
    (
        ["scrutiny", "action", "999", "--status", "done", "--note", "Done"],
        "no scrutiny resolution 999 (see qaudit scrutiny list)",
    ),
    (
        ["scrutiny", "action", "{rid}", "--status", "done"],
        "say what was done about resolution {rid}: the quarterly",
    ),
    (
        ["scrutiny", "action", "{rid}", "--status", "open", "--note", "  "],
        "the note may not be blank",
    ),
    (
        ["scrutiny", "add", "--date", "2026-11-12", "--committee", "  "],
        "a scrutiny session needs the committee's name (give --committee)",
    ),
    (
        ["scrutiny", "add", "--date", "2026-12-02", "--committee", COMMITTEE],
        "the session date 2026-12-02 is after today (2026-12-01)",
    ),
    (
        ["scrutiny", "add", "--committee", COMMITTEE, "--resolution", "A", "--resolution", " "],
        "a resolution may not be blank",
    ),
]


@pytest.mark.parametrize(("args", "message"), BAD)
def test_bad_input_is_refused_and_nothing_is_written(
    cli: Cli, args: list[str], message: str
) -> None:
    rid = _add(cli, "2026-11-12", "Report on complaints")["resolutions"][0]["id"]
    before = snapshot(cli.url)
    result = cli(*[a.format(rid=rid) for a in args])
    assert result.exit_code == 1, result.stderr
    assert result.stderr.startswith("Error: ")
    assert message.format(rid=rid) in result.stderr
    assert snapshot(cli.url) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["action", "1", "--status", "closed", "--note", "x"], "'closed' is not one of"),
        (["add", "--committee", COMMITTEE, "--date", "12/11/2026"], "is not a date (YYYY-MM-DD)"),
        (["add", "--date", "2026-11-12"], "Missing option '--committee'"),
        (["list", "--period", "Q3"], "'Q3' is not a period"),
    ],
)
def test_usage_errors(cli: Cli, args: list[str], message: str) -> None:
    _add(cli, "2026-11-12", "Report on complaints")
    before = snapshot(cli.url)
    result = cli("scrutiny", *args)
    assert result.exit_code == 2
    assert message in plain(result.stderr)
    assert snapshot(cli.url) == before
