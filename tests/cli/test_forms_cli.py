"""Audit workbooks as users run them: export a month, fill the forms (here with openpyxl, as an
auditor would in Excel), import them back; and every bad workbook refused by file, sheet and
cell with nothing written."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from conftest import Cli, scalar_sql, snapshot, write_csv
from qaudit.importers.framework import load_framework
from qaudit.importers.workbook import layout_for
from qaudit.paths import data_dir

# Their records are new (form_exports, actions): the commands run on both stores.
pytestmark = pytest.mark.both_stores

STAFF = [
    ["name", "role", "team"],
    ["Ann Auditor", "auditor", "Quality Assurance"],
    ["Bob Auditor", "auditor", "Quality Assurance"],
    ["Hal Head", "head_of_service", "Team A;Team B;Team C"],
    ["Quinn Lead", "qa_lead", "Quality Assurance"],
]
HEADER = ["case_ref", "team", "worker", "category", "open_date", "close_date"]
CASES = [HEADER] + [
    [f"K{i:03d}", ["Team A", "Team B", "Team C"][i % 3], "", ["CIN", "CP", "CLA"][i % 3],
     "2025-01-01", ""]
    for i in range(20)
]  # fmt: skip
LAYOUT = layout_for(load_framework(data_dir() / "framework.toml"))
FIRST_Q = LAYOUT.question_rows[0]  # (row, id, text)
GRADED_ON = datetime(2026, 12, 10)
IMPORT_DAY = "2026-12-15"


@pytest.fixture
def month(cli: Cli, tmp_path: Path) -> dict[str, Any]:
    """Staff, 20 cases, a December sample of 6 and its workbooks in forms/."""
    assert cli("staff", "import", str(write_csv(tmp_path / "staff.csv", STAFF))).exit_code == 0
    assert cli("cases", "import", str(write_csv(tmp_path / "cases.csv", CASES))).exit_code == 0
    drawn = cli("sample", "--month", "2026-12", "--size", "6", "--seed", "7")
    assert drawn.exit_code == 0, drawn.stderr
    result = cli(
        "forms", "export", "--month", "2026-12", "--out", str(tmp_path / "forms/{auditor}.xlsx"),
        "--format", "json",
    )  # fmt: skip
    data = result.json()
    assert isinstance(data, dict)
    return {book["auditor"]: book for book in data["workbooks"]}


def fill(
    path: Path,
    sheet: str,
    grade: str | None = "Good",
    *,
    on: Any = GRADED_ON,
    answers: dict[str, str] | None = None,
    cells: dict[str, Any] | None = None,
    actions: list[tuple[str, str, Any]] = (),  # type: ignore[assignment]
    **fields: Any,
) -> None:
    """Fill one sheet as an auditor would: answers from the drop-downs, the grade last."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    for qid, answer in (answers or {FIRST_Q[1]: "Good"}).items():
        ws[LAYOUT.answers[qid]] = answer
    for name, value in fields.items():
        ws[LAYOUT.fields[name]] = value
    for (what_cell, owner_cell, due_cell), (what, owner, due) in zip(
        LAYOUT.actions, actions, strict=False
    ):
        ws[what_cell], ws[owner_cell], ws[due_cell] = what, owner, due
    if grade is not None:
        ws[LAYOUT.fields["grade"]] = grade
        ws[LAYOUT.fields["audit_date"]] = on
    for cell, value in (cells or {}).items():
        ws[cell] = value
    wb.save(path)


def _import(cli: Cli, *files: Path | str, today: str = IMPORT_DAY) -> Any:
    return cli("forms", "import", *map(str, files), today=today)


def test_a_month_done_end_to_end_through_workbooks(cli: Cli, month: dict[str, Any]) -> None:
    assert set(month) == {"Ann Auditor", "Bob Auditor"}
    ann = month["Ann Auditor"]
    path = Path(ann["file"])
    assert path.name == "Ann Auditor.xlsx" and path.exists()
    assert ann["sheets"] == 3 and len(ann["cases"]) == 3
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == "Guide" and wb.sheetnames[1:4] == ann["cases"]
    assert wb["qaudit"].sheet_state == "veryHidden"
    ws = wb[ann["cases"][0]]
    assert ws.protection.sheet and ws["B3"].value == ann["cases"][0]
    assert not ws[LAYOUT.fields["grade"]].protection.locked
    assert ws["B3"].protection.locked
    lists = [dv.formula1 for dv in ws.data_validations.dataValidation]
    assert '"Outstanding,Good,Requires improvement to be good,Inadequate,n/a"' in lists
    assert ws.page_setup.orientation == "portrait" and int(ws.page_setup.paperSize) == 9  # A4

    good, bad, left = ann["cases"]
    second_q = LAYOUT.question_rows[1][1]
    fill(
        path,
        good,
        "Good",
        answers={FIRST_Q[1]: "good", second_q: "N/A"},
        strengths="Clear plan.",
        themes="planning, Voice of the child",
        views_gathered="Yes",
    )
    fill(
        path,
        bad,
        "Inadequate",
        development="No current assessment.",
        actions=[("Update the assessment", "Hal Head", datetime(2027, 1, 15))],
    )
    fill(path, left, None, answers={FIRST_Q[1]: "Good"})  # partly filled: not yet done

    before = snapshot(cli.url)
    dry = cli("forms", "import", str(path), "--dry-run", "--format", "json", today=IMPORT_DAY)
    rows = dry.json()
    assert [r["result"] for r in rows] == ["would be recorded", "would be recorded", "not yet done"]
    assert "Checked (dry run, nothing recorded)" in dry.stderr
    assert snapshot(cli.url) == before

    result = cli("forms", "import", str(path), "--format", "json", today=IMPORT_DAY)
    rows = result.json()
    assert {(r["case_ref"], r["result"], r["grade"]) for r in rows} == {
        (left, "not yet done", None),
        (good, "recorded", "good"),
        (bad, "recorded", "inadequate"),
    }
    assert "1 not yet done" in result.stderr and "moderation due" in result.stderr
    assert snapshot(cli.url) != before
    by_case = {r["case_ref"]: r for r in rows}
    audit = by_case[good]["audit_id"]
    assert scalar_sql(cli.url, f"SELECT grade FROM audits WHERE id = {audit}") == "good"
    answers = scalar_sql(cli.url, f"SELECT answers FROM audits WHERE id = {audit}")
    answers = json.loads(answers) if isinstance(answers, str) else answers
    assert answers == {FIRST_Q[1]: "good", second_q: "not-applicable"}
    themes = scalar_sql(cli.url, f"SELECT themes FROM audits WHERE id = {audit}")
    assert (json.loads(themes) if isinstance(themes, str) else themes) == [
        "planning",
        "voice-of-the-child",
    ]
    inadequate = by_case[bad]["audit_id"]
    assert (
        scalar_sql(cli.url, f"SELECT count(*) FROM moderations WHERE audit_id = {inadequate}") == 1
    )
    assert (
        scalar_sql(cli.url, f"SELECT status FROM reaudits WHERE audit_id = {inadequate}")
        == "pending"
    )
    assert scalar_sql(cli.url, f"SELECT text FROM actions WHERE audit_id = {inadequate}") == (
        "Update the assessment"
    )
    assert scalar_sql(cli.url, "SELECT count(*) FROM sample_items WHERE status = 'done'") == 2
    assert scalar_sql(cli.url, "SELECT count(*) FROM change_log WHERE action = 'forms.import'") == 1

    # Importing the same workbook again changes nothing.
    after = snapshot(cli.url)
    again = cli("forms", "import", str(path), "--format", "json", today=IMPORT_DAY)
    assert {r["result"] for r in again.json()} == {"already recorded", "not yet done"}
    assert snapshot(cli.url) == after

    # Finishing the last sheet later records just that one.
    fill(path, left, "Outstanding")
    last = cli("forms", "import", str(path), "--format", "json", today=IMPORT_DAY)
    assert sorted(r["result"] for r in last.json()) == [
        "already recorded",
        "already recorded",
        "recorded",
    ]
    report = cli("report", "audits", "--period", "2026-12", "--format", "json", today=IMPORT_DAY)
    assert report.exit_code == 0, report.stderr


def test_the_table_names_each_sheet_and_its_result(cli: Cli, month: dict[str, Any]) -> None:
    ann = month["Ann Auditor"]
    fill(Path(ann["file"]), ann["cases"][0], "Good")
    result = _import(cli, ann["file"], month["Bob Auditor"]["file"])
    assert result.exit_code == 0, result.stderr
    assert "recorded (audit 1)" in result.stdout
    assert "Imported 2 workbooks: 1 audit recorded, 0 already recorded, 5 not yet done." in (
        " ".join(result.stderr.split())
    )


def test_export_refuses_to_overwrite_without_force(
    cli: Cli, month: dict[str, Any], tmp_path: Path
) -> None:
    out = str(tmp_path / "forms/{auditor}.xlsx")
    before = snapshot(cli.url)
    again = cli("forms", "export", "--month", "2026-12", "--out", out)
    assert again.exit_code == 1
    assert "exists: give --force to replace it" in again.stderr
    assert snapshot(cli.url) == before
    forced = cli("forms", "export", "--month", "2026-12", "--out", out, "--force")
    assert forced.exit_code == 0, forced.stderr
    single = cli("forms", "export", "--month", "2026-12", "--out", str(tmp_path / "all.xlsx"))
    assert single.exit_code == 1 and "put {auditor} in --out" in single.stderr


def test_export_with_nothing_allocated_is_refused(cli: Cli, tmp_path: Path) -> None:
    result = cli("forms", "export", "--month", "2026-12", "--out", str(tmp_path / "{auditor}.xlsx"))
    assert result.exit_code == 1
    assert "nothing is allocated for 2026-12" in result.stderr
    assert not list(tmp_path.glob("*.xlsx"))


# --- bad workbooks: exit 1, the file, sheet and cell named, nothing written -------------------


def _refused(cli: Cli, *files: Path | str, expect: list[str], today: str = IMPORT_DAY) -> None:
    before = snapshot(cli.url)
    result = _import(cli, *files, today=today)
    assert result.exit_code == 1, (result.stdout, result.stderr)
    message = " ".join(result.stderr.split())
    assert message.startswith("Error: "), message
    for part in expect:
        assert part in message, (part, message)
    assert "Traceback" not in message
    assert snapshot(cli.url) == before


def test_a_renamed_csv_is_refused(cli: Cli, month: dict[str, Any], tmp_path: Path) -> None:
    fake = tmp_path / "forms" / "Kiran Evans.xlsx"
    fake.write_text("case_ref,grade\nK001,good\n")
    _refused(cli, fake, expect=[f"{fake}: not an Excel workbook (.xlsx)"])


def test_a_deleted_sheet_is_refused(cli: Cli, month: dict[str, Any]) -> None:
    ann = month["Ann Auditor"]
    path = Path(ann["file"])
    fill(path, ann["cases"][0], "Good")
    wb = openpyxl.load_workbook(path)
    del wb[ann["cases"][1]]
    wb.save(path)
    _refused(cli, path, expect=[str(path), f"sheet {ann['cases'][1]}", "is missing"])


def test_an_edited_locked_cell_is_refused(cli: Cli, month: dict[str, Any]) -> None:
    ann = month["Ann Auditor"]
    path = Path(ann["file"])
    team = openpyxl.load_workbook(path)[ann["cases"][0]]["B4"].value
    fill(path, ann["cases"][0], "Good", cells={"B4": "Team Z"})
    _refused(
        cli, path, expect=[f"sheet {ann['cases'][0]}, cell B4", "locked cell was changed", "Team Z"]
    )
    fill(path, ann["cases"][0], "Good", cells={"B4": team, f"B{FIRST_Q[0]}": "Another question"})
    _refused(cli, path, expect=[f"cell B{FIRST_Q[0]}"])


def test_an_answer_typed_by_hand_is_refused_with_the_choices(
    cli: Cli, month: dict[str, Any]
) -> None:
    ann = month["Ann Auditor"]
    path = Path(ann["file"])
    fill(path, ann["cases"][0], "Good", answers={FIRST_Q[1]: "Excelent"})
    _refused(
        cli,
        path,
        expect=[
            f"{path}, sheet {ann['cases'][0]}, cell C{FIRST_Q[0]}: 'Excelent' is not an answer; "
            "choose from Outstanding, Good, Requires improvement to be good, Inadequate, n/a"
        ],
    )
    fill(path, ann["cases"][0], "Godo", answers={FIRST_Q[1]: "Good"})
    _refused(cli, path, expect=[f"cell {LAYOUT.fields['grade']}", "did you mean 'Good'?"])


def test_a_date_in_the_future_or_missing_is_refused(cli: Cli, month: dict[str, Any]) -> None:
    ann = month["Ann Auditor"]
    path = Path(ann["file"])
    cell = LAYOUT.fields["audit_date"]
    fill(path, ann["cases"][0], "Good", on=datetime(2026, 12, 20))
    _refused(cli, path, expect=[f"cell {cell}", "20/12/2026, is in the future"])
    fill(path, ann["cases"][0], "Good", on=None)
    _refused(cli, path, expect=[f"cell {cell}", "needed with the overall grade"])


def test_a_workbook_for_another_month_is_refused(cli: Cli, month: dict[str, Any]) -> None:
    ann = month["Ann Auditor"]
    path = Path(ann["file"])
    fill(path, ann["cases"][0], "Good")
    before = snapshot(cli.url)
    result = cli("forms", "import", str(path), "--month", "2027-01", today=IMPORT_DAY)
    assert result.exit_code == 1
    assert f"{path}: this workbook was exported for 2026-12, not 2027-01" in " ".join(
        result.stderr.split()
    )
    assert snapshot(cli.url) == before


def test_a_case_no_longer_allocated_is_refused(cli: Cli, month: dict[str, Any]) -> None:
    ann = month["Ann Auditor"]
    path = Path(ann["file"])
    case = ann["cases"][0]
    fill(path, case, "Good")
    moved = cli("sample", "--replace", case, "--month", "2026-12", "--reason", "closed")
    assert moved.exit_code == 0, moved.stderr
    _refused(cli, path, expect=[f"sheet {case}, cell {LAYOUT.fields['grade']}", "no longer"])


def test_the_same_workbook_twice_is_refused(
    cli: Cli, month: dict[str, Any], tmp_path: Path
) -> None:
    ann = month["Ann Auditor"]
    path = Path(ann["file"])
    fill(path, ann["cases"][0], "Good")
    copy = tmp_path / "copy.xlsx"
    shutil.copy(path, copy)
    _refused(cli, path, copy, expect=[str(copy), "same workbook", str(path)])


def test_a_changed_sheet_after_it_was_recorded_is_refused(cli: Cli, month: dict[str, Any]) -> None:
    ann = month["Ann Auditor"]
    path = Path(ann["file"])
    fill(path, ann["cases"][0], "Good")
    assert _import(cli, path).exit_code == 0
    fill(path, ann["cases"][0], "Outstanding")
    _refused(
        cli,
        path,
        expect=[f"cell {LAYOUT.fields['grade']}", "already recorded by audit 1", "differs"],
    )


def test_other_cells_are_checked_by_the_grade_rules(cli: Cli, month: dict[str, Any]) -> None:
    ann = month["Ann Auditor"]
    path = Path(ann["file"])
    case = ann["cases"][0]
    fill(path, case, "Requires improvement to be good")
    _refused(cli, path, expect=[f"cell {LAYOUT.fields['development']}", "areas for development"])
    fill(path, case, "Good", themes="planing")
    _refused(cli, path, expect=[f"cell {LAYOUT.fields['themes']}", "did you mean 'planning'?"])
    fill(path, case, "Good", themes=None, actions=[("Do it", "Nobody Known", datetime(2027, 1, 5))])
    _refused(
        cli, path, expect=[f"cell {LAYOUT.actions[0][1]}", "no staff member named 'Nobody Known'"]
    )
    fill(path, case, "Good", actions=[("Do it", "Hal Head", "someday")])
    _refused(cli, path, expect=[f"cell {LAYOUT.actions[0][2]}", "'someday' is not a date"])


def test_a_workbook_unknown_to_the_store_is_refused(cli: Cli, month: dict[str, Any]) -> None:
    ann = month["Ann Auditor"]
    path = Path(ann["file"])
    wb = openpyxl.load_workbook(path)
    wb["qaudit"]["B2"] = "000000000000"
    wb.save(path)
    _refused(cli, path, expect=[str(path), "is not in this store"])


def test_dates_and_text_as_another_spreadsheet_saves_them(cli: Cli, month: dict[str, Any]) -> None:
    """LibreOffice and others may keep a date as a day number or as text: both are read."""
    ann = month["Ann Auditor"]
    path = Path(ann["file"])
    first, second, _ = ann["cases"]
    fill(path, first, "good", on=46366.0)  # 10/12/2026 as Excel's day number
    fill(path, second, "GOOD", on="10/12/2026")
    result = cli("forms", "import", str(path), "--format", "json", today=IMPORT_DAY)
    rows = {r["case_ref"]: r for r in result.json()}
    assert rows[first]["result"] == rows[second]["result"] == "recorded"
    dates = {
        str(scalar_sql(cli.url, f"SELECT audit_date FROM audits WHERE id = {rows[c]['audit_id']}"))[
            :10
        ]
        for c in (first, second)
    }
    assert dates == {"2026-12-10"}


@pytest.mark.skipif(
    shutil.which("soffice") is None and shutil.which("libreoffice") is None,
    reason="LibreOffice (soffice) is not installed",
)
def test_a_workbook_saved_by_libreoffice_is_read(
    cli: Cli, month: dict[str, Any], tmp_path: Path
) -> None:
    import subprocess

    ann = month["Ann Auditor"]
    path = Path(ann["file"])
    fill(path, ann["cases"][0], "Good")
    out = tmp_path / "lo"
    binary = shutil.which("soffice") or shutil.which("libreoffice")
    assert binary is not None
    subprocess.run(
        [binary, "--headless", "--convert-to", "xlsx", "--outdir", str(out), str(path)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    result = cli("forms", "import", str(out / path.name), "--format", "json", today=IMPORT_DAY)
    assert "recorded" in {r["result"] for r in result.json()}


def test_a_reaudit_due_in_the_month_has_its_sheet(cli: Cli, tmp_path: Path) -> None:
    """A re-audit due by the month's end is on its auditor's workbook; importing the sheet
    completes the re-audit, as `qaudit grade` would."""
    assert cli("staff", "import", str(write_csv(tmp_path / "staff.csv", STAFF))).exit_code == 0
    assert cli("cases", "import", str(write_csv(tmp_path / "cases.csv", CASES))).exit_code == 0
    november = cli("sample", "--month", "2026-11", "--size", "2", "--seed", "1", "--format", "json",
                   today="2026-11-02").json()  # fmt: skip
    assert isinstance(november, dict)
    first = november["cases"][0]
    graded = cli("grade", first["case_ref"], "--grade", "inadequate", "--auditor",
                 first["auditor"], "--development", "No plan.", today="2026-11-03")  # fmt: skip
    assert graded.exit_code == 0, graded.stderr
    out = str(tmp_path / "forms/{auditor}-{month}.xlsx")
    result = cli("forms", "export", "--month", "2026-12", "--out", out, "--format", "json")
    books = {b["auditor"]: b for b in result.json()["workbooks"]}  # type: ignore[index]
    book = books[first["auditor"]]
    assert book["cases"] == [first["case_ref"]]
    assert Path(book["file"]).name == f"{first['auditor']}-2026-12.xlsx"
    path = Path(book["file"])
    wb = openpyxl.load_workbook(path)
    assert wb[first["case_ref"]]["B7"].value.startswith("the re-audit after audit 1")
    fill(path, first["case_ref"], "Good", on=datetime(2026, 12, 16))
    done = cli("forms", "import", str(path), "--format", "json", today="2026-12-17")
    assert [r["result"] for r in done.json()] == ["recorded"]  # type: ignore[index]
    assert scalar_sql(cli.url, "SELECT status FROM reaudits WHERE audit_id = 1") == "done"


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("Kiran Evans", "Kiran Evans"),
        ("Siân O'Neill-Jones", "Siân O'Neill-Jones"),
        ("../etc/passwd", "_etc_passwd"),
        ("a/b\\c:d", "a_b_c_d"),
        ("..", "auditor"),
        (".hidden", "hidden"),
    ],
)
def test_an_auditors_name_becomes_a_safe_file_name(name: str, safe: str) -> None:
    from qaudit.cli.forms import _file_safe

    assert _file_safe(name) == safe
