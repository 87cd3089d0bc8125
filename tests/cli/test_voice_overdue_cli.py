"""Survey reviews and advocacy requests join ``qaudit overdue``, flagged concerns first."""

from __future__ import annotations

from pathlib import Path

from conftest import Cli, write_csv


def test_overdue_lists_unreviewed_responses_and_unmet_advocacy(cli: Cli, tmp_path: Path) -> None:
    staff = [
        ["name", "role", "team"],
        ["Hal Head", "head_of_service", "Team A"],
        ["Quinn Lead", "qa_lead", "Quality Assurance"],
    ]
    cases = [
        ["case_ref", "team", "worker", "category", "open_date", "close_date"],
        ["A1", "Team A", "", "CP", "2025-01-01", ""],
    ]
    assert cli("staff", "import", str(write_csv(tmp_path / "s.csv", staff))).exit_code == 0
    assert cli("cases", "import", str(write_csv(tmp_path / "c.csv", cases))).exit_code == 0
    responses = [
        ["response_id", "survey", "age_band", "received_at", "concern", "comment"],
        ["R1", "your-life-your-care", "8-11", "2026-12-01T09:00+00:00", "no", ""],
        ["R2", "your-life-your-care", "8-11", "2026-12-01T10:00+00:00", "yes", "I feel unsafe"],
        ["R3", "your-life-beyond-care", "16-25", "2026-12-02T09:00+00:00", "no", ""],
    ]
    imported = cli(
        "survey", "import", str(write_csv(tmp_path / "r.csv", responses)), today="2026-12-02T12:00"
    )
    assert imported.exit_code == 0, imported.stderr
    recorded = cli(
        "advocacy",
        "record",
        "A1",
        "--conference-date",
        "2026-12-01",
        "--offered",
        "--requested",
        today="2026-12-01",
    )
    assert recorded.exit_code == 0, recorded.stderr

    items = cli(
        "overdue",
        "--kind",
        "survey",
        "--kind",
        "advocacy",
        "--format",
        "json",
        today="2026-12-02T12:00",
    ).json()
    assert isinstance(items, list)
    assert [(i["kind"], i["ref"]) for i in items] == [
        ("survey", "R2"),  # a child's flagged concern: first, whatever else is more overdue
        ("advocacy", "1"),  # due Fri 27 Nov, 2 working days before the 1 December conference
        ("survey", "R1"),
    ]
    advocacy = items[1]
    assert (advocacy["case_ref"], advocacy["escalate_to"], advocacy["days_overdue"]) == (
        "A1",
        "Hal Head",
        3,
    )
    assert items[0]["escalate_to"] == "Quinn Lead" and items[0]["case_ref"] == ""
    reviewed = cli(
        "survey",
        "review",
        "R2",
        "--by",
        "Quinn Lead",
        "--action",
        "Referred to the child's social worker the same day",
        today="2026-12-02T12:30",
    )
    assert reviewed.exit_code == 0, reviewed.stderr
    left = cli("overdue", "--kind", "survey", "--format", "json", today="2026-12-02T12:30").json()
    assert [i["ref"] for i in left] == ["R1"]  # type: ignore[union-attr,index]
