"""The monthly audit cycle as users run it: sample, grade, moderate, re-audits, overdue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import Cli, snapshot, write_csv

STAFF = [
    ["name", "role", "team"],
    ["Ann Auditor", "auditor", "Quality Assurance"],
    ["Bob Auditor", "auditor", "Quality Assurance"],
    ["Tess Manager", "team_manager", "Team A"],
    ["Hal Head", "head_of_service", "Team A;Team B"],
    ["Hana Head", "head_of_service", "Team C"],
    ["Quinn Lead", "qa_lead", "Quality Assurance"],
]
HEADER = ["case_ref", "team", "worker", "category", "open_date", "close_date"]


def _cases(n: int = 30) -> list[list[str]]:
    teams = ["Team A", "Team B", "Team C"]
    return [HEADER] + [
        [f"K{i:03d}", teams[i % 3], "", ["CIN", "CP", "CLA"][i % 3], "2025-01-01", ""]
        for i in range(n)
    ]


@pytest.fixture
def office(cli: Cli, tmp_path: Path) -> Cli:
    """A store with staff and 30 open cases in three teams."""
    assert cli("staff", "import", str(write_csv(tmp_path / "staff.csv", STAFF))).exit_code == 0
    result = cli("cases", "import", str(write_csv(tmp_path / "cases.csv", _cases())))
    assert result.exit_code == 0, result.stderr
    return cli


def _sample(cli: Cli, *args: str, today: str = "2026-12-01") -> dict[str, Any]:
    result = cli("sample", "--month", "2026-12", "--format", "json", *args, today=today)
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert isinstance(data, dict)
    return data


def _grade(cli: Cli, case: str, grade: str, *args: str, today: str = "2026-12-23") -> Any:
    return cli("grade", case, "--grade", grade, "--format", "json", *args, today=today)


def _auditor_of(sample: dict[str, Any], case_ref: str) -> str:
    return next(c["auditor"] for c in sample["cases"] if c["case_ref"] == case_ref)


def test_a_sample_is_drawn_once_and_shown_again_unchanged(office: Cli) -> None:
    first = _sample(office, "--size", "12", "--seed", "7")
    assert (first["month"], first["seed"], first["action"]) == ("2026-12", 7, "drawn")
    assert len(first["cases"]) == 12
    assert {c["due"] for c in first["cases"]} == {"2026-12-31"}  # last working day
    before = snapshot(office.url)
    again = _sample(office)
    assert again["action"] == "unchanged"
    assert again["cases"] == first["cases"]
    assert snapshot(office.url) == before


def test_the_sample_is_the_seeds_random_draw_on_every_backend(office: Cli) -> None:
    """The store's picks are domain.sampling.draw's over the eligible cases (all 30 here), in
    its order; stratified, each team's quota is that team's own first cases."""
    from qaudit.domain.sampling import draw, quotas

    refs = [row[0] for row in _cases()[1:]]
    plain = _sample(office, "--size", "12", "--seed", "7")
    assert [c["case_ref"] for c in plain["cases"]] == draw(refs, 7, 12)
    redrawn = _sample(office, "--redraw", "--seed", "8", "--stratify", "team")
    # A redraw draws again from the cases not yet in this month's sample.
    first = {c["case_ref"] for c in plain["cases"]}
    teams = {row[0]: row[1] for row in _cases()[1:] if row[0] not in first}
    counts = {team: sum(1 for t in teams.values() if t == team) for team in set(teams.values())}
    wanted = quotas(12, counts)
    expected = {
        ref
        for team, quota in wanted.items()
        for ref in draw([r for r, t in teams.items() if t == team], 8, quota)
    }
    assert {c["case_ref"] for c in redrawn["cases"]} == expected


def test_every_draw_records_its_certificate(office: Cli) -> None:
    """The change log says how each draw was made and from what: the method, where the seed
    came from, the policy, the eligible cases per stratum and a digest of their refs."""
    import hashlib
    import json

    from conftest import scalar_sql

    refs = sorted(row[0] for row in _cases()[1:])
    _sample(office, "--size", "12", "--seed", "7")
    _sample(office, "--redraw", "--stratify", "team")
    _sample(office, "--size", "14")  # a top-up
    stored = [
        scalar_sql(office.url, f"SELECT detail FROM change_log WHERE action = '{a}'")
        for a in ("sample.draw", "sample.redrawn", "sample.topped_up")
    ]
    details = [d if isinstance(d, dict) else json.loads(d) for d in stored]  # PostgreSQL: JSON
    drawn, redrawn, topped = details
    assert drawn["method"] == "blake2b-keyed-order" and drawn["method_version"] == 2
    assert [d["seed_source"] for d in details] == ["given", "generated", "sample"]
    assert drawn["policy"] == {"sample_size": 50, "exclusion_months": 12}
    assert drawn["eligible"] == {"all": 30}
    everyone = hashlib.sha256("".join(f"{r}\n" for r in refs).encode()).hexdigest()
    assert drawn["eligible_refs_sha256"] == everyone
    # The redraw drew from the 18 cases not yet in the month's sample, by team.
    assert sum(redrawn["eligible"].values()) == 18 and set(redrawn["eligible"]) == {
        "Team A",
        "Team B",
        "Team C",
    }
    left = [r for r in refs if r not in set(drawn["added"]) | set(redrawn["added"])]
    assert (
        topped["eligible_refs_sha256"]
        == hashlib.sha256("".join(f"{r}\n" for r in left).encode()).hexdigest()
    )


def test_allocation_is_even_and_never_to_the_own_team(office: Cli) -> None:
    sample = _sample(office, "--size", "12", "--seed", "7")
    loads = sample["spread"]
    assert sum(loads.values()) == 12
    assert max(loads.values()) - min(loads.values()) <= 1
    for case in sample["cases"]:
        if case["auditor"] == "Tess Manager":
            assert case["team"] != "Team A"


def test_same_seed_same_sample_whatever_the_import_order(office: Cli, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from conftest import Cli as Runner

    other = Runner(f"sqlite:///{tmp_path / 'other.db'}", CliRunner())
    assert other("init").exit_code == 0
    assert other("staff", "import", str(tmp_path / "staff.csv")).exit_code == 0
    rows = _cases()
    shuffled = [rows[0], *reversed(rows[1:])]
    path = write_csv(tmp_path / "reversed.csv", shuffled)
    assert other("cases", "import", str(path)).exit_code == 0
    refs = [c["case_ref"] for c in _sample(office, "--size", "10", "--seed", "99")["cases"]]
    again = [c["case_ref"] for c in _sample(other, "--size", "10", "--seed", "99")["cases"]]
    assert refs == again


def test_fewer_eligible_cases_than_asked_takes_them_all(office: Cli) -> None:
    result = office("sample", "--month", "2026-12", "--size", "40", "--seed", "1")
    assert result.exit_code == 0
    assert "only 30 eligible cases: all of them were taken (10 fewer than 40)" in result.stderr
    data = _sample(office)
    assert len(data["cases"]) == 30


def test_top_up_redraw_and_refusals(office: Cli) -> None:
    first = _sample(office, "--size", "5", "--seed", "3")
    topped = _sample(office, "--size", "8")
    assert topped["action"] == "topped-up"
    assert [c["case_ref"] for c in topped["cases"][:5]] == [c["case_ref"] for c in first["cases"]]
    assert len(topped["cases"]) == 8
    graded = first["cases"][0]["case_ref"]
    result = _grade(
        office, graded, "good", "--auditor", _auditor_of(first, graded), today="2026-12-02"
    )
    assert result.exit_code == 0, result.stderr
    redrawn = _sample(office, "--redraw")
    assert redrawn["action"] == "redrawn"
    assert redrawn["seed"] != 3
    assert len(redrawn["cases"]) == 8
    kept = [c for c in redrawn["cases"] if c["status"] == "done"]
    assert [c["case_ref"] for c in kept] == [graded]
    old = {c["case_ref"] for c in topped["cases"]} - {graded}
    assert not old & {c["case_ref"] for c in redrawn["cases"]}

    shrink = office("sample", "--month", "2026-12", "--size", "3")
    assert shrink.exit_code == 1
    assert "already has 8 cases; a drawn sample is not cut down" in shrink.stderr
    other_seed = office("sample", "--month", "2026-12", "--seed", "12345")
    assert other_seed.exit_code == 1
    assert "use --redraw to replace its undone items" in other_seed.stderr


def test_a_dry_run_saves_no_sample_but_is_logged_as_a_preview(office: Cli) -> None:
    """No seed shopping: a dry run changes no record, but the log keeps who previewed which
    draw with which seed, and the certificate of the draw kept counts the previews."""
    import json

    from conftest import scalar_sql

    before = snapshot(office.url)
    data = _sample(office, "--size", "5", "--seed", "3", "--dry-run")
    assert data["action"] == "dry-run" and len(data["cases"]) == 5
    after = snapshot(office.url)
    assert {k: v for k, v in after.items() if k != "change_log"} == {
        k: v for k, v in before.items() if k != "change_log"
    }
    assert after["change_log"][0] == before["change_log"][0] + 1
    newest = "FROM change_log WHERE id = (SELECT max(id) FROM change_log)"
    action, actor, ref, detail = (
        scalar_sql(office.url, f"SELECT {column} {newest}")
        for column in ("action", "actor", "entity_ref", "detail")
    )
    detail = detail if isinstance(detail, dict) else json.loads(detail)
    assert (action, ref) == ("sample.preview", "2026-12") and actor
    assert detail["seed"] == 3 and detail["seed_source"] == "given"
    assert detail["would_add"] == [c["case_ref"] for c in data["cases"]]
    _sample(office, "--size", "5", "--seed", "4", "--dry-run")
    kept = _sample(office, "--size", "5", "--seed", "3")
    assert kept["cases"] == data["cases"]
    verified = office("sample", "--verify", "2026-12", "--format", "json")
    assert verified.exit_code == 0, verified.stderr
    cert = json.loads(verified.stdout)["certificate"]
    assert cert["previews"] == 2 and cert["seed_source"] == "given"
    assert "after 2 previews" in cert["text"] and "seed 3, given by hand" in cert["text"]


def test_stratified_sample_reaches_every_team(office: Cli) -> None:
    data = _sample(office, "--size", "3", "--seed", "11", "--stratify", "team")
    assert sorted(c["team"] for c in data["cases"]) == ["Team A", "Team B", "Team C"]


def test_inadequate_grade_sets_moderation_and_reaudit(office: Cli) -> None:
    sample = _sample(office, "--size", "6", "--seed", "5")
    case = sample["cases"][0]["case_ref"]
    result = _grade(
        office,
        case,
        "Inadequate",
        "--auditor",
        _auditor_of(sample, case),
        "--date",
        "2026-12-23",
        "--theme",
        "planning",
        "--strength",
        "Child seen alone",
        "--development",
        "Plan not SMART",
    )
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert data["grade"] == "inadequate"
    assert data["moderation_due"] == "2027-01-04"  # 25, 28 Dec and 1 Jan are bank holidays
    assert data["reaudit_due"] == "2027-02-03"
    team = next(c["team"] for c in sample["cases"] if c["case_ref"] == case)
    assert data["moderation_owner"] == ("Hana Head" if team == "Team C" else "Hal Head")
    pending = office("reaudits", "--format", "json").json()
    assert pending == [
        {
            "case_ref": case,
            "audit_id": data["audit_id"],
            "due": "2027-02-03",
            "status": "pending",
            "first_grade": "inadequate",
            "reaudit_id": None,
            "reaudit_grade": None,
            "change": None,
            "note": None,
            "actions": None,
        }
    ]


BAD_GRADES = [
    (["K999", "--grade", "good"], "no case 'K999' in the store"),
    (
        ["{case}", "--grade", "excellent"],
        "'excellent' is not a grade; expected one of outstanding, good, requires-improvement, "
        "inadequate",
    ),
    (
        ["{case}", "--grade", "good", "--date", "2026-12-24"],
        "the audit date 2026-12-24 is after today (2026-12-23)",
    ),
    (["{case}", "--grade", "good", "--auditor", "Nobody"], "no staff member named 'Nobody'"),
    (
        ["{case}", "--grade", "good", "--auditor", "Hal Head"],
        "Hal Head is a head of service: audits are recorded by auditors, team managers and the "
        "QA lead",
    ),
    (["{case}", "--grade", "good", "--theme", "vibes"], "'vibes' is not a theme; known themes:"),
    (
        ["K001", "--grade", "good", "--adhoc", "--date", "2024-12-31"],
        "case K001 is not open on 2024-12-31 (open 2025-01-01 to now)",
    ),
]


@pytest.mark.parametrize(("args", "message"), BAD_GRADES)
def test_bad_grades_are_refused_and_nothing_is_written(
    office: Cli, args: list[str], message: str
) -> None:
    sample = _sample(office, "--size", "4", "--seed", "5")
    case = sample["cases"][0]["case_ref"]
    auditor = _auditor_of(sample, case)
    before = snapshot(office.url)
    argv = [a.format(case=case) for a in args]
    if "--auditor" not in argv:
        argv += ["--auditor", auditor]
    result = office("grade", *argv, today="2026-12-23")
    assert result.exit_code == 1, result.stderr
    assert result.stderr.startswith("Error: ")
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert snapshot(office.url) == before


def test_grading_the_same_item_twice_and_a_case_with_nothing_due(office: Cli) -> None:
    sample = _sample(office, "--size", "4", "--seed", "5")
    case = sample["cases"][0]["case_ref"]
    auditor = _auditor_of(sample, case)
    assert _grade(office, case, "good", "--auditor", auditor).exit_code == 0
    before = snapshot(office.url)
    twice = _grade(office, case, "good", "--auditor", auditor)
    assert twice.exit_code == 1
    assert f"case {case}'s sample item for 2026-12 was already graded" in twice.stderr
    outside = next(
        f"K{i:03d}"
        for i in range(30)
        if f"K{i:03d}" not in {c["case_ref"] for c in sample["cases"]}
    )
    nothing = _grade(office, outside, "good", "--auditor", "Ann Auditor")
    assert nothing.exit_code == 1
    assert f"case {outside} has no audit due" in nothing.stderr
    assert snapshot(office.url) == before
    assert _grade(office, outside, "good", "--auditor", "Ann Auditor", "--adhoc").exit_code == 0


def test_an_auditor_never_grades_their_own_teams_case(office: Cli) -> None:
    result = _grade(office, "K000", "good", "--auditor", "Tess Manager", "--adhoc")  # Team A
    assert result.exit_code == 1
    assert "Tess Manager is in the case's own team" in result.stderr


def test_grade_without_grade_off_a_terminal_is_refused(office: Cli) -> None:
    result = office("grade", "K000", "--auditor", "Ann Auditor", today="2026-12-23")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: --grade is required when not at a terminal")


def _inadequate(office: Cli, date: str = "2026-12-23") -> tuple[str, int]:
    sample = _sample(office, "--size", "6", "--seed", "5")
    case = next(c["case_ref"] for c in sample["cases"] if c["team"] in ("Team A", "Team B"))
    result = _grade(
        office,
        case,
        "inadequate",
        "--auditor",
        _auditor_of(sample, case),
        "--date",
        date,
        today=date,
    )
    assert result.exit_code == 0, result.stderr
    return case, int(result.json()["audit_id"])


def test_moderation_agree_then_conversation(office: Cli) -> None:
    case, audit_id = _inadequate(office)
    first = office(
        "moderate",
        str(audit_id),
        "--moderator",
        "Hal Head",
        "--agree",
        "--format",
        "json",
        today="2026-12-24",
    )
    assert first.exit_code == 0, first.stderr
    assert first.json()["complete"] is False  # type: ignore[index]
    done = office(
        "moderate",
        str(audit_id),
        "--moderator",
        "Hal Head",
        "--conversation-date",
        "2026-12-24",
        "--notes",
        "Reflective session held",
        "--format",
        "json",
        today="2026-12-24",
    )
    assert done.exit_code == 0, done.stderr
    assert done.json() == {
        "audit_id": audit_id,
        "case_ref": case,
        "due": "2027-01-04",
        "outcome": "agreed",
        "grade": "inadequate",
        "conversation_date": "2026-12-24",
        "complete": True,
        "reaudit_cancelled": False,
    }
    assert (
        office("overdue", "--kind", "moderation", "--format", "json", today="2027-02-01").json()
        == []
    )


def test_regrade_above_inadequate_cancels_the_reaudit(office: Cli) -> None:
    _case, audit_id = _inadequate(office)
    result = office(
        "moderate",
        str(audit_id),
        "--moderator",
        "Hal Head",
        "--regrade",
        "requires improvement",
        "--conversation-date",
        "2026-12-29",
        today="2026-12-30",
    )
    assert result.exit_code == 0, result.stderr
    assert "The re-audit is cancelled" in result.stderr
    reaudits = office("reaudits", "--format", "json").json()
    assert [(r["status"], r["first_grade"]) for r in reaudits] == [  # type: ignore[index]
        ("cancelled", "requires-improvement")
    ]
    log = office("log", "--action", "reaudit.cancel", "--format", "json").json()
    assert len(log) == 1 and log[0]["entity_ref"] == str(audit_id)  # type: ignore[index]
    changed = office(
        "moderate", str(audit_id), "--moderator", "Hal Head", "--agree", today="2026-12-30"
    )
    assert changed.exit_code == 1
    assert "was already moderated (regraded on 2026-12-30)" in changed.stderr


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("Ann Auditor", "only a head of service may moderate an audit: Ann Auditor is a auditor"),
        ("Nobody", "no staff member named 'Nobody'"),
    ],
)
def test_only_a_head_of_service_moderates(office: Cli, who: str, message: str) -> None:
    _, audit_id = _inadequate(office)
    before = snapshot(office.url)
    result = office("moderate", str(audit_id), "--moderator", who, "--agree", today="2026-12-24")
    assert result.exit_code == 1
    assert message in result.stderr
    assert snapshot(office.url) == before


def test_moderating_an_audit_that_is_not_inadequate(office: Cli) -> None:
    sample = _sample(office, "--size", "2", "--seed", "5")
    case = sample["cases"][0]["case_ref"]
    audit = _grade(office, case, "good", "--auditor", _auditor_of(sample, case)).json()
    result = office(
        "moderate", str(audit["audit_id"]), "--moderator", "Hal Head", "--agree", today="2026-12-24"
    )
    assert result.exit_code == 1
    assert f"audit {audit['audit_id']} was graded Good: only audits graded Inadequate" in (
        result.stderr
    )
    missing = office("moderate", "999", "--moderator", "Hal Head", "--agree", today="2026-12-24")
    assert (missing.exit_code, missing.stderr) == (
        1,
        "Error: no audit 999 (see qaudit audits list)\n",
    )


def test_a_reaudit_shows_the_change_of_grade(office: Cli) -> None:
    case, _audit_id = _inadequate(office)
    later = _grade(
        office, case, "good", "--auditor", "Ann Auditor", "--date", "2027-02-03", today="2027-02-03"
    )
    assert later.exit_code == 0, later.stderr
    assert later.json()["completes"] == "re-audit"  # type: ignore[index]
    assert later.json()["change"] == "improved"  # type: ignore[index]
    done = office("reaudits", "--status", "done", "--format", "json").json()
    assert [(r["case_ref"], r["change"]) for r in done] == [(case, "improved")]  # type: ignore[index]


def test_overdue_lists_each_kind_in_working_days(office: Cli) -> None:
    case, audit_id = _inadequate(office)
    items = office("overdue", "--format", "json", today="2027-01-06").json()
    assert isinstance(items, list)
    kinds = {i["kind"] for i in items}
    assert kinds == {"audit", "moderation"}
    moderation = next(i for i in items if i["kind"] == "moderation")
    assert moderation == {
        "kind": "moderation",
        "ref": str(audit_id),
        "case_ref": case,
        "due": "2027-01-04",
        "days_overdue": 2,
        "owner": "Hal Head",
        "escalate_to": "Quinn Lead",
        "detail": f"Inadequate audit {audit_id}: no outcome or reflective conversation recorded",
    }
    audit = next(i for i in items if i["kind"] == "audit")
    assert (audit["due"], audit["days_overdue"], audit["ref"]) == ("2026-12-31", 3, "2026-12")
    assert audit["escalate_to"] in ("Hal Head", "Hana Head")
    reaudit = office("overdue", "--kind", "reaudit", "--format", "json", today="2027-02-05")
    assert [(i["case_ref"], i["days_overdue"]) for i in reaudit.json()] == [(case, 2)]  # type: ignore[union-attr,index]
    failing = office("overdue", "--fail-if-any", today="2027-01-06")
    assert failing.exit_code == 3


def test_a_whole_month(office: Cli) -> None:
    """The issue's 'done when': sample, grade every case, moderate the Inadequate ones, and
    nothing is overdue."""
    sample = _sample(office, "--size", "9", "--seed", "2026")
    grades = ["good", "outstanding", "requires-improvement", "inadequate", "good"]
    inadequate: list[int] = []
    for n, case in enumerate(sample["cases"]):
        grade = grades[n % len(grades)]
        result = _grade(
            office,
            case["case_ref"],
            grade,
            "--auditor",
            case["auditor"],
            "--family-feedback",
            "Mum felt listened to",
            today="2026-12-18",
        )
        assert result.exit_code == 0, result.stderr
        if grade == "inadequate":
            inadequate.append(int(result.json()["audit_id"]))
    heads = {
        c["case_ref"]: ("Hana Head" if c["team"] == "Team C" else "Hal Head")
        for c in sample["cases"]
    }
    for audit_id in inadequate:
        case_ref = office("audits", "list", "--format", "json").json()
        owner = next(heads[a["case_ref"]] for a in case_ref if a["audit_id"] == audit_id)  # type: ignore[union-attr,index]
        result = office(
            "moderate",
            str(audit_id),
            "--moderator",
            owner,
            "--agree",
            "--conversation-date",
            "2026-12-21",
            today="2026-12-21",
        )
        assert result.exit_code == 0, result.stderr
    clear = office(
        "overdue", "--fail-if-any", "--kind", "audit", "--kind", "moderation", today="2027-01-08"
    )
    assert clear.exit_code == 0, clear.stdout
    assert "Nothing overdue." in clear.stderr
    listed = office("audits", "list", "--month", "2026-12", "--format", "json").json()
    assert len(listed) == 9  # type: ignore[arg-type]
    assert {a["status"] for a in listed} == {"graded", "moderated"}  # type: ignore[union-attr,index]
    only = office("audits", "list", "--grade", "inadequate", "--format", "json").json()
    assert sorted(a["audit_id"] for a in only) == sorted(inadequate)  # type: ignore[union-attr,index]
