"""Actions from audits as users set and follow them: ``grade``/``moderate --action``, ``qaudit
actions list|done|reassign``, ``overdue`` kind action, and the re-audit that shows them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from conftest import Cli, snapshot, write_csv
from qaudit.store.engine import Store

# Their records are new (form_exports, actions): the commands run on both stores.
pytestmark = pytest.mark.both_stores

STAFF = [
    ["name", "role", "team"],
    ["Ann Auditor", "auditor", "Quality Assurance"],
    ["Tess Manager", "team_manager", "Team A"],
    ["Cara Manager", "team_manager", "Team C"],
    ["Sol Worker", "social_worker", "Team A"],
    ["Hal Head", "head_of_service", "Team A"],
    ["Hana Head", "head_of_service", "Team C"],
    ["Quinn Lead", "qa_lead", "Quality Assurance"],
]
CASES = [
    ["case_ref", "team", "worker", "category", "open_date", "close_date"],
    ["K1", "Team A", "", "CIN", "2025-01-01", ""],
    ["K2", "Team A", "", "CP", "2025-01-01", ""],
    ["K3", "Team C", "", "CLA", "2025-01-01", ""],
]
SECRET = "Ring-Ocelot-Bittern about the child"  # an action's text: never in the log
PLAN = f"{SECRET};Tess Manager;2026-12-15"
VIEWS = "Seek the child's views;sol worker;2027-01-08"  # any case: Sol Worker


@pytest.fixture
def office(cli: Cli, tmp_path: Path) -> Cli:
    assert cli("staff", "import", str(write_csv(tmp_path / "s.csv", STAFF))).exit_code == 0
    assert cli("cases", "import", str(write_csv(tmp_path / "c.csv", CASES))).exit_code == 0
    return cli


def _grade(cli: Cli, case: str, grade: str, *args: str, today: str = "2026-12-01") -> Any:
    result = cli(
        "grade", case, "--grade", grade, "--adhoc", "--auditor", "Ann Auditor", "--format",
        "json", *args, today=today,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return result


def _rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    store = Store(url)
    try:
        with store.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        store.dispose()


def _events(cli: Cli, action: str) -> list[dict[str, Any]]:
    found = cli("log", "--action", action, "--format", "json", today="2027-03-01").json()
    assert isinstance(found, list)
    return found


def _listed(cli: Cli, *args: str, today: str = "2026-12-01") -> list[dict[str, Any]]:
    found = cli("actions", "list", "--format", "json", *args, today=today).json()
    assert isinstance(found, list)
    return found


def test_grade_sets_actions_with_the_audit(office: Cli) -> None:
    graded = _grade(office, "K1", "requires-improvement", "--action", PLAN, "--action", VIEWS)
    data = graded.json()
    assert data["actions"] == [
        {"action_id": 1, "owner": "Tess Manager", "due": "2026-12-15"},
        {"action_id": 2, "owner": "Sol Worker", "due": "2027-01-08"},
    ]
    assert (
        "Set 2 actions: 1 (Tess Manager, due Tue 15 Dec 2026); 2 (Sol Worker, due Fri 8 Jan "
        "2027)." in graded.stderr
    )
    stored = _rows(
        office.url,
        "SELECT x.audit_id, x.moderation_id, x.text, s.name, x.status, x.set_on, x.set_by, "
        "x.done_on FROM actions x JOIN staff s ON s.id = x.owner_id ORDER BY x.id",
    )
    audit = data["audit_id"]
    assert [(r[0], r[1], r[2], r[3], r[4], str(r[5])[:10], r[6], r[7]) for r in stored] == [
        (audit, None, SECRET, "Tess Manager", "open", "2026-12-01", "tester", None),
        (audit, None, "Seek the child's views", "Sol Worker", "open", "2026-12-01", "tester", None),
    ]
    [event] = _events(office, "audit.grade")
    assert event["detail"]["actions"] == data["actions"]  # owners and dates...
    assert SECRET not in json.dumps(event)  # ...never the text
    assert "sound" in office("db", "verify").stderr


BAD_ACTIONS = [
    ("Update the plan", "'Update the plan' is not an action: write what is to be done, the owner"),
    ("Update;Tess Manager;someday", "the action's due date 'someday' is not a date"),
    (" ;Tess Manager;2026-12-15", "an action needs its text: what is to be done"),
    ("Update;;2026-12-15", "the action 'Update' needs an owner"),
    ("Update;Tess Manger;2026-12-15", "no staff member named 'Tess Manger' to own the action "
     "(did you mean Tess Manager?)"),
    ("Update;Tess Manager;2026-11-30", "the action 'Update' is due on 2026-11-30, before it is "
     "set on 2026-12-01"),
]  # fmt: skip


def test_a_bad_action_is_refused_and_nothing_is_written(office: Cli) -> None:
    before = snapshot(office.url)
    for action, message in BAD_ACTIONS:
        result = office(
            "grade", "K1", "--grade", "good", "--adhoc", "--auditor", "Ann Auditor",
            "--action", PLAN, "--action", action,
        )  # fmt: skip
        assert result.exit_code == 1, result.stderr
        assert result.stderr.startswith("Error: ") and message in result.stderr, action
        assert "Traceback" not in result.stderr
    assert snapshot(office.url) == before


def test_moderation_sets_actions_in_its_own_event(office: Cli) -> None:
    audit = _grade(office, "K1", "inadequate", "--development", "Plan lacks dates").json()
    before = snapshot(office.url)
    refused = office(
        "moderate", str(audit["audit_id"]), "--moderator", "Hal Head", "--agree",
        "--action", "Review the plan;Nobody;2026-12-20", today="2026-12-03",
    )  # fmt: skip
    assert refused.exit_code == 1 and "no staff member named 'Nobody'" in refused.stderr
    assert snapshot(office.url) == before  # the outcome is not recorded either
    moderated = office(
        "moderate", str(audit["audit_id"]), "--moderator", "Hal Head", "--agree",
        "--action", "Review the plan with the team;Tess Manager;2026-12-20",
        "--format", "json", today="2026-12-03",
    )  # fmt: skip
    assert moderated.exit_code == 0, moderated.stderr
    assert "Set 1 action: 1 (Tess Manager, due Sun 20 Dec 2026)." in moderated.stderr
    [(moderation_id, set_on)] = _rows(
        office.url, "SELECT moderation_id, set_on FROM actions WHERE audit_id = "
        f"{audit['audit_id']}"
    )  # fmt: skip
    assert moderation_id is not None and str(set_on)[:10] == "2026-12-03"
    [event] = _events(office, "audit.moderate")
    assert event["detail"] == {
        "actions": [{"action_id": 1, "owner": "Tess Manager", "due": "2026-12-20"}]
    }
    # With the reflective conversation, later: another action.
    talk = office(
        "moderate", str(audit["audit_id"]), "--moderator", "Hal Head", "--conversation-date",
        "2026-12-03", "--action", "Supervision on the plan;Tess Manager;2026-12-21",
        today="2026-12-03",
    )  # fmt: skip
    assert talk.exit_code == 0, talk.stderr
    assert "Set 1 action: 2 (Tess Manager, due Mon 21 Dec 2026)." in talk.stderr
    listed = _listed(office, "--case", "K1", today="2026-12-03")
    assert [a["set_by"] for a in listed] == [
        f"moderation of audit {audit['audit_id']}",
        f"moderation of audit {audit['audit_id']}",
    ]


def _three(office: Cli) -> tuple[int, int]:
    """K1 (Team A) with two actions, K3 (Team C) with one to Cara Manager: audit ids."""
    first = _grade(office, "K1", "requires-improvement", "--action", PLAN, "--action", VIEWS)
    other = _grade(office, "K3", "good", "--action", "Chronology;Cara Manager;2026-12-10")
    return first.json()["audit_id"], other.json()["audit_id"]


def test_the_list_filters_by_owner_team_case_and_state(office: Cli) -> None:
    first, other = _three(office)
    every = _listed(office, today="2026-12-14")
    fields = ("id", "case_ref", "team", "owner", "due", "state")
    assert [tuple(a[f] for f in fields) for a in every] == [
        (3, "K3", "Team C", "Cara Manager", "2026-12-10", "overdue"),
        (1, "K1", "Team A", "Tess Manager", "2026-12-15", "open"),
        (2, "K1", "Team A", "Sol Worker", "2027-01-08", "open"),
    ]  # fmt: skip
    assert every[1]["text"] == SECRET and every[1]["set_by"] == f"audit {first}"
    assert [a["id"] for a in _listed(office, "--owner", "tess manager")] == [1]
    assert [a["id"] for a in _listed(office, "--team", "Team C")] == [3]
    assert [a["id"] for a in _listed(office, "--case", "K1")] == [1, 2]
    assert [a["id"] for a in _listed(office, "--status", "overdue", today="2026-12-14")] == [3]
    assert _listed(office, "--status", "done-late") == []
    unknown = office("actions", "list", "--owner", "Cara Manger")
    assert unknown.exit_code == 1
    assert "Error: no staff member named 'Cara Manger' (did you mean Cara Manager?)" in (
        unknown.stderr
    )
    bad = office("actions", "list", "--status", "late")
    assert bad.exit_code == 2 and "'late' is not one of" in bad.stderr
    table = office("actions", "list", "--limit", "1", today="2026-12-14")
    assert table.exit_code == 0 and "K3" in table.stdout and "K1" not in table.stdout
    assert "Showed the first 1 of 3 actions" in table.stderr
    assert other


def test_done_in_time_late_and_the_refusals(office: Cli) -> None:
    _three(office)
    before = snapshot(office.url)
    for args, today, message in [
        (["99"], "2026-12-05", "no action 99 (see qaudit actions list)"),
        (["1", "--on", "2026-12-09"], "2026-12-05", "the date it was done, 2026-12-09, is after "
         "today (2026-12-05)"),
        (["1", "--on", "2026-11-30"], "2026-12-05", "was set on 2026-12-01: it cannot be done on "
         "2026-11-30"),
    ]:  # fmt: skip
        refused = office("actions", "done", *args, today=today)
        assert refused.exit_code == 1, refused.stderr
        assert refused.stderr.startswith("Error: ") and message in refused.stderr
    assert snapshot(office.url) == before
    done = office("actions", "done", "1", "--format", "json", today="2026-12-15")
    assert done.exit_code == 0, done.stderr
    assert done.json()["state"] == "done"  # type: ignore[index]
    assert "Action 1 (K1, Tess Manager) done on Tue 15 Dec 2026, by its due date." in done.stderr
    late = office("actions", "done", "3", "--on", "2026-12-11", today="2026-12-14")
    assert late.exit_code == 0, late.stderr
    assert "done on Fri 11 Dec 2026, late: it was due Thu 10 Dec 2026." in late.stderr
    assert _rows(office.url, "SELECT status, done_by FROM actions WHERE id = 3") == [
        ("done", "tester")
    ]
    before = snapshot(office.url)
    twice = office("actions", "done", "1", today="2026-12-16")
    assert twice.exit_code == 1 and "is already done" in twice.stderr
    assert snapshot(office.url) == before
    states = {a["id"]: a["state"] for a in _listed(office, today="2026-12-16")}
    assert states == {1: "done", 2: "open", 3: "done late"}
    assert [a["id"] for a in _listed(office, "--status", "done-late", today="2026-12-16")] == [3]
    events = _events(office, "action.done")
    assert [(e["entity_ref"], e["before"], e["after"]) for e in events] == [
        ("3", {"status": "open"},
         {"status": "done", "done_on": "2026-12-11", "state": "done late"}),
        ("1", {"status": "open"}, {"status": "done", "done_on": "2026-12-15", "state": "done"}),
    ]  # fmt: skip
    assert SECRET not in json.dumps(events)
    assert "sound" in office("db", "verify").stderr


def test_reassign_logs_the_old_and_new_owner(office: Cli) -> None:
    _three(office)
    moved = office(
        "actions", "reassign", "1", "--to", "sol worker", "--reason", "Tess on leave",
        today="2026-12-02",
    )  # fmt: skip
    assert moved.exit_code == 0, moved.stderr
    assert "Action 1 (K1) reassigned from Tess Manager to Sol Worker" in moved.stderr
    [event] = _events(office, "action.reassign")
    assert (event["before"], event["after"]) == ({"owner": "Tess Manager"}, {"owner": "Sol Worker"})
    assert event["detail"]["reason"] == "Tess on leave"
    assert SECRET not in json.dumps(event)
    before = snapshot(office.url)
    office("actions", "done", "3", today="2026-12-02")
    after_done = snapshot(office.url)
    for args, message in [
        (["1", "--to", "Sol Worker"], "is already Sol Worker's"),
        (["1", "--to", "Sol Wroker"], "no staff member named 'Sol Wroker' to own the action "
         "(did you mean Sol Worker?)"),
        (["3", "--to", "Tess Manager"], "is done: there is nothing to reassign"),
        (["42", "--to", "Tess Manager"], "no action 42"),
    ]:  # fmt: skip
        refused = office("actions", "reassign", *args, today="2026-12-02")
        assert refused.exit_code == 1, refused.stderr
        assert message in refused.stderr
    assert snapshot(office.url) == after_done != before
    assert _listed(office, "--owner", "Sol Worker")[0]["id"] == 1


def test_an_action_past_its_due_date_is_overdue(office: Cli) -> None:
    first, other = _three(office)
    office("actions", "reassign", "2", "--to", "Quinn Lead", today="2026-12-02")
    items = office("overdue", "--kind", "action", "--format", "json", today="2027-01-12").json()
    assert items == [
        {
            "kind": "action",
            "ref": "3",
            "case_ref": "K3",
            "due": "2026-12-10",
            "days_overdue": 20,  # working days: Christmas, Boxing Day and New Year off
            "owner": "Cara Manager",
            "escalate_to": "Hana Head",  # the owner's team's head of service
            "detail": f"action 3 from audit {other}",
        },
        {
            "kind": "action",
            "ref": "1",
            "case_ref": "K1",
            "due": "2026-12-15",
            "days_overdue": 17,
            "owner": "Tess Manager",
            "escalate_to": "Hal Head",
            "detail": f"action 1 from audit {first}",
        },
        {
            "kind": "action",
            "ref": "2",
            "case_ref": "K1",
            "due": "2027-01-08",
            "days_overdue": 2,
            "owner": "Quinn Lead",
            "escalate_to": "Hal Head",  # the QA team has no head: the case team's
            "detail": f"action 2 from audit {first}",
        },
    ]
    office("actions", "done", "3", "--on", "2027-01-04", today="2027-01-12")
    again = office("overdue", "--kind", "action", "--format", "json", today="2027-01-12").json()
    assert [i["ref"] for i in again] == ["1", "2"]  # type: ignore[union-attr,index]
    assert "action" in {i["kind"] for i in office("overdue", "--format", "json",
                                                     today="2027-01-12").json()}  # type: ignore[union-attr]  # fmt: skip
    assert office("overdue", "--help").stdout.count("actions") >= 1


def test_the_reaudit_shows_the_first_audits_actions(office: Cli) -> None:
    first = _grade(
        office, "K1", "inadequate", "--development", "Plan lacks dates", "--action", PLAN,
        "--action", VIEWS,
    ).json()["audit_id"]  # fmt: skip
    office("actions", "done", "1", "--on", "2026-12-14", today="2026-12-20")
    pending = office("reaudits", "--format", "json", today="2026-12-20").json()
    assert [(r["audit_id"], r["actions"]) for r in pending] == [(first, "1 of 2 done")]  # type: ignore[union-attr,index]
    again = office(
        "grade", "K1", "--grade", "good", "--auditor", "Ann Auditor", "--format", "json",
        today="2027-01-12",
    )  # fmt: skip
    assert again.exit_code == 0, again.stderr
    shown = again.json()["first_audit_actions"]  # type: ignore[index]
    assert [(a["id"], a["state"], a["done_on"]) for a in shown] == [
        (1, "done", "2026-12-14"),
        (2, "overdue", None),
    ]
    assert f"Actions from audit {first}: 1 of 2 done." in again.stderr
    assert f"  1. {SECRET} (Tess Manager, due Tue 15 Dec 2026): done on Mon 14 Dec 2026" in (
        again.stderr
    )
    assert "  2. Seek the child's views (Sol Worker, due Fri 8 Jan 2027): overdue" in again.stderr
    # Done later than the re-audit: the re-audit's count stays as it was on its day.
    office("actions", "done", "2", "--on", "2027-01-13", today="2027-01-13")
    done = office("reaudits", "--status", "done", "--format", "json", today="2027-01-20").json()
    assert [r["actions"] for r in done] == ["1 of 2 done"]  # type: ignore[union-attr,index]
    table = office("reaudits", "--wide", today="2027-01-20")
    assert "Actions" in table.stdout and "1 of 2 done" in table.stdout


def test_actions_are_in_the_help_of_qaudit() -> None:
    from typer.testing import CliRunner

    from qaudit.cli.app import app

    shown = CliRunner().invoke(app, ["--help"])
    assert shown.exit_code == 0
    assert "Actions from audits: who does what about a case, by when." in shown.stdout
    own = CliRunner().invoke(app, ["actions", "--help"])
    assert own.exit_code == 0 and all(c in own.stdout for c in ("list", "done", "reassign"))
