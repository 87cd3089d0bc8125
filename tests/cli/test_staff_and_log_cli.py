"""``qaudit staff import``/``list`` and ``qaudit log``: roles, heads of service, the change log."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from conftest import Cli, plain, snapshot, write_csv

STAFF = [
    ["name", "role", "team"],
    ["Ann Smith", "auditor", "Quality Assurance"],
    ["Bo Jones", "team_manager", "Team A"],
    ["Cy Patel", "head_of_service", "Team A; Team B"],
    ["Di Evans", "qa_lead", ""],
]


def test_staff_import_creates_people_teams_and_heads(cli: Cli, tmp_path: Path) -> None:
    result = cli("staff", "import", str(write_csv(tmp_path / "staff.csv", STAFF)))
    assert result.exit_code == 0, result.stderr
    assert "4 staff; 4 added, 0 updated, 0 unchanged; 3 new teams." in result.stderr
    listed = cli("staff", "list", "--format", "json").json()
    assert listed == [
        {
            "name": "Ann Smith",
            "role": "auditor",
            "team": "Quality Assurance",
            "heads": "",
            "email": None,
        },
        {"name": "Bo Jones", "role": "team_manager", "team": "Team A", "heads": "", "email": None},
        {
            "name": "Cy Patel",
            "role": "head_of_service",
            "team": None,
            "heads": "Team A; Team B",
            "email": None,
        },
        {"name": "Di Evans", "role": "qa_lead", "team": None, "heads": "", "email": None},
    ]


def test_staff_reimport_changes_nothing_and_a_later_list_updates(cli: Cli, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "staff.csv", STAFF)
    assert cli("staff", "import", str(path)).exit_code == 0
    before = snapshot(cli.url)
    again = cli("staff", "import", str(path))
    assert again.exit_code == 0, again.stderr
    assert "0 added, 0 updated, 4 unchanged" in again.stderr
    assert snapshot(cli.url) == before

    later = [
        *STAFF[:2],
        ["Bo Jones", "auditor", "Team B"],
        ["Ed Khan", "head_of_service", "Team B"],
    ]
    result = cli("staff", "import", str(write_csv(tmp_path / "later.csv", later)))
    assert result.exit_code == 0, result.stderr
    assert "3 staff; 1 added, 1 updated, 1 unchanged" in result.stderr
    listed = {p["name"]: p for p in cli("staff", "list", "--format", "json").json()}  # type: ignore[union-attr,index]
    assert (listed["Bo Jones"]["role"], listed["Bo Jones"]["team"]) == ("auditor", "Team B")
    assert listed["Cy Patel"]["heads"] == "Team A"
    assert listed["Ed Khan"]["heads"] == "Team B"
    log = cli("log", "--action", "staff.import", "--format", "json").json()
    changes = log[0]["detail"]["changes"]  # type: ignore[index]
    assert changes["Bo Jones"] == {
        "before": {"role": "team_manager", "team": "Team A"},
        "after": {"role": "auditor", "team": "Team B"},
    }
    assert changes["head of service of Team B"] == {
        "before": {"head_of_service": "Cy Patel"},
        "after": {"head_of_service": "Ed Khan"},
    }


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["name", "team"], ["A", "T"]], "line 1: missing required column role (the header must have name,role,team)"),  # noqa: E501
        ([["name", "role", "team"], ["A", "boss", "T"]],
         "line 2, column 2 (role): 'boss' is not a role; expected one of auditor, team_manager, "
         "head_of_service, qa_lead, social_worker"),
        ([["name", "role", "team"], ["A", "auditor", "T1;T2"]],
         "line 2, column 3 (team): only a head of service may have several teams"),
        ([["name", "role", "team"], ["A", "auditor", "T1"], ["A", "team_manager", "T1"]],
         "line 3: 'A' is also on line 2 with a different role, team or email"),
        ([["name", "role", "team"], [" ", "auditor", "T1"]],
         "line 2, column 1 (name): the name is blank"),
        ([["name", "role", "team"]], "the file has a header but no staff"),
        ([["name", "role", "team", " Role"], ["A", "auditor", "T1", "qa_lead"]],
         "line 1, column 4: the column 'Role' appears twice"),
    ],
    ids=["missing-column", "unknown-role", "several-teams", "conflict", "blank-name", "no-rows",
         "column-twice"],
)  # fmt: skip
def test_bad_staff_files_are_refused(
    cli: Cli, tmp_path: Path, rows: list[list[str]], message: str
) -> None:
    assert cli("staff", "import", str(write_csv(tmp_path / "ok.csv", STAFF))).exit_code == 0
    before = snapshot(cli.url)
    path = write_csv(tmp_path / "bad.csv", rows)
    result = cli("staff", "import", str(path))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {path}, ") or result.stderr.startswith(
        f"Error: {path}: "
    )
    assert message in result.stderr
    assert snapshot(cli.url) == before


def test_the_log_shows_who_did_what(cli: Cli, tmp_path: Path) -> None:
    cases = write_csv(
        tmp_path / "cases.csv",
        [["case_ref", "team", "worker", "category", "open_date", "close_date"],
         ["C1", "Team A", "", "CIN", "2026-01-01", ""]],
    )  # fmt: skip
    assert cli("--user", "qa.lead", "cases", "import", str(cases)).exit_code == 0
    table = cli("log")
    assert table.exit_code == 0
    assert "cases.import" in table.stdout and "qa.lead" in table.stdout
    events = cli("log", "--format", "json").json()
    assert [e["action"] for e in events] == ["cases.import", "store.migrate"]  # type: ignore[index]
    newest = events[0]  # type: ignore[index]
    assert newest["actor"] == "qa.lead"
    assert newest["as_of"].startswith("2026-12-01T00:00:00")
    assert newest["detail"]["added"] == ["C1"]
    assert newest["entity_ref"] == "cases.csv"
    only = cli("log", "--action", "store", "--format", "json").json()
    assert [e["action"] for e in only] == ["store.migrate"]  # type: ignore[index]
    limited = cli("log", "-n", "1", "--format", "csv")
    assert limited.exit_code == 0, limited.stderr
    assert limited.stdout.splitlines()[0].startswith("id,recorded_at,as_of,actor,action")
    assert len(limited.stdout.splitlines()) == 2
    row = next(csv.DictReader(io.StringIO(limited.stdout)))
    assert json.loads(row["detail"])["added"] == ["C1"]  # nested values are JSON in CSV


def test_staff_list_takes_only_a_role_there_is(cli: Cli) -> None:
    from qaudit.cli.staff import Role
    from qaudit.importers.staff_csv import ROLES

    assert tuple(Role) == ROLES
    result = cli("staff", "list", "--role", "auditors")
    assert result.exit_code == 2
    assert "'auditors' is not one of 'auditor', 'team_manager'" in " ".join(
        plain(result.stderr).replace("│", " ").split()
    )
