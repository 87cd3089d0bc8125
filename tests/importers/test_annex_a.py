"""Reading cases from Ofsted Annex A workbooks: the real samples, then broken files."""

from __future__ import annotations

import zipfile
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from qaudit.errors import InputError
from qaudit.importers.annex_a import column_letter, normalise_header, read_annex_a
from qaudit.importers.rows import CaseFile, CaseRow

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "annex-a"
LIIA = FIXTURES / "liia-tools-sample.xlsx"
JOURNEYS = FIXTURES / "child-event-journeys-example.xlsx"
TEMPLATE = FIXTURES / "ofsted-template-2016-02.xlsx"

CIN_HEADER = ["Child Unique ID", "Date of Birth", "CIN Start Date", "CIN Closure Date"]
CIN_TEAM_HEADER = [*CIN_HEADER, "Allocated Team", "Allocated Worker"]
CP_HEADER = [
    "Child Unique ID",
    "Gender",
    "Date of Birth",
    "Child Protection Plan Start Date",
    "Child Protection Plan End Date",
    "Allocated Team",
    "Allocated Worker",
]
CLA_HEADER = [
    "Child Unique ID",
    "Date Started to be Looked After",
    "Date Ceased to be Looked After",
    "Allocated Team",
    "Allocated Worker",
]
CL_HEADER = ["Child Unique ID", "Date of Birth", "Allocated Team", "Allocated Worker"]


def rows_of(case_file: CaseFile) -> list[CaseRow]:
    return [row for batch in case_file.batches for row in batch]


def by_ref(rows: list[CaseRow]) -> dict[str, CaseRow]:
    return {row.case_ref: row for row in rows}


def tally(rows: list[CaseRow]) -> dict[tuple[str, str], int]:
    """(category, "open" or "closed") → number of cases."""
    return dict(Counter((r.category, "closed" if r.close_date else "open") for r in rows).items())


def workbook(path: Path, sheets: Mapping[str, Sequence[Sequence[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def read_error(path: Path, today: date = date(2026, 1, 15)) -> str:
    with pytest.raises(InputError) as caught:
        rows_of(read_annex_a(path, today=today))
    return str(caught.value)


# --- the real samples ----------------------------------------------------------------------


def test_liia_sample_figures() -> None:
    case_file = read_annex_a(LIIA, today=date(2021, 3, 31))
    rows = rows_of(case_file)

    assert case_file.kind == "annex-a"
    # The sample's made-up dates of birth fall after three plans' start dates: imported, said.
    assert case_file.warnings == [
        f"{LIIA}, sheet 'List 7', row 2: the date of birth 2021-01-04 is after the case's open "
        "date 2020-11-23 (right only for a plan made before the child was born)",
        f"{LIIA}, sheet 'List 7', row 8: the date of birth 2020-05-29 is after the case's open "
        "date 2019-06-25 (right only for a plan made before the child was born)",
        f"{LIIA}, sheet 'List 8', row 5: the date of birth 2018-03-13 is after the case's open "
        "date 2010-02-24 (right only for a plan made before the child was born)",
    ]
    # No child appears on two of lists 6–9 in this sample: 5 + 7 + 5 + 6 sheet rows.
    assert len(rows) == 23
    assert [r.line for r in rows] == list(range(1, 24))
    assert tally(rows) == {
        ("CIN", "open"): 5,
        ("CP", "open"): 2,
        ("CP", "closed"): 5,
        ("CLA", "open"): 4,
        ("CLA", "closed"): 1,
        ("CL", "open"): 6,
    }


def test_liia_sample_rows() -> None:
    rows = rows_of(read_annex_a(LIIA, today=date(2021, 3, 31)))
    cases = by_ref(rows)

    # First row of List 6: the id is a number in Excel; team and worker are "#N/A".
    assert rows[0] == CaseRow(
        line=1,
        case_ref="12598894",
        team=None,
        worker=None,
        category="CIN",
        open_date="2010-06-09",
        close_date=None,
        date_of_birth="1999-09-23",
    )
    assert cases["10721552"] == CaseRow(
        6,
        "10721552",
        "Locality 4 Unit 1",
        "Ezra Leigh",
        "CP",
        "2020-11-23",
        "2021-02-16",
        "2021-01-04",
    )
    assert cases["5358472"].close_date is None
    assert cases["3623204"] == CaseRow(
        17,
        "3623204",
        "Children in Care Team 3",
        "Isis Chandler",
        "CLA",
        "2008-10-22",
        "2020-09-22",
        "2003-07-27",
    )
    # Care leavers: open, with no start date in Annex A.
    assert cases["2295089"] == CaseRow(
        23, "2295089", "Care Leavers Team", "Cassius Mccarthy", "CL", None, None, "2002-12-15"
    )
    assert all(r.team is None and r.worker is None for r in rows if r.category == "CIN")
    assert all(r.team and r.worker for r in rows if r.category != "CIN")


def test_liia_sample_in_batches() -> None:
    batches = list(read_annex_a(LIIA, today=date(2021, 3, 31), batch_size=10).batches)
    assert [len(b) for b in batches] == [10, 10, 3]
    assert [r.line for b in batches for r in b] == list(range(1, 24))


def test_child_event_journeys_figures() -> None:
    case_file = read_annex_a(JOURNEYS, today=date(2020, 6, 30))
    rows = rows_of(case_file)

    # List_9 has a header and no one under it.
    assert case_file.warnings == ["sheet 'List_9' lists no care leavers"]
    assert [(r.case_ref, r.category, r.open_date, r.close_date) for r in rows] == [
        ("1111", "CIN", "2019-05-01", None),
        # CIN from 2019-07-01 still open; the CP plan from 2019-03-04 ended 2020-01-01.
        ("4444", "CIN", "2019-03-04", None),
        # Care from 2019-10-30 ceased 2019-11-03; the CP plan from 2019-10-05 goes on.
        ("9999", "CP", "2019-10-05", None),
        ("2547", "CP", "2020-05-15", None),
        ("2458", "CLA", "2019-11-09", None),
        ("9685", "CLA", "2019-11-19", "2020-03-31"),
    ]
    assert tally(rows) == {
        ("CIN", "open"): 2,
        ("CP", "open"): 2,
        ("CLA", "open"): 1,
        ("CLA", "closed"): 1,
    }
    assert all(r.team is None and r.worker is None and r.date_of_birth is None for r in rows)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        # Inside 9999's short care episode, before 4444's CP plan ended.
        (date(2019, 11, 1), {"4444": ("CP", None), "9999": ("CLA", None), "9685": ("CLA", None)}),
        # The day 9685 ceased to be looked after: still open that day.
        (date(2020, 3, 31), {"4444": ("CIN", None), "9999": ("CP", None), "9685": ("CLA", None)}),
        (
            date(2020, 4, 1),
            {"4444": ("CIN", None), "9999": ("CP", None), "9685": ("CLA", "2020-03-31")},
        ),
    ],
)
def test_child_event_journeys_on_other_days(
    today: date, expected: dict[str, tuple[str, str | None]]
) -> None:
    cases = by_ref(rows_of(read_annex_a(JOURNEYS, today=today)))
    assert {ref: (cases[ref].category, cases[ref].close_date) for ref in expected} == expected


def test_blank_ofsted_template_has_no_cases() -> None:
    assert read_error(TEMPLATE) == (
        f"{TEMPLATE}: no cases in lists 6–9: the workbook lists no child in need, on a child "
        "protection plan, in care or leaving care"
    )


def test_ofsted_template_layout_with_data(tmp_path: Path) -> None:
    """The template's own title row and header wording (e.g. a trailing space) are read."""
    template = openpyxl.load_workbook(TEMPLATE, read_only=True)
    headers = {
        title: list(next(template[title].iter_rows(min_row=2, max_row=2, values_only=True)))
        for title in ("List_6", "List_7", "List_8", "List_9")
    }
    template.close()
    assert "Date Ceased to be Looked After " in headers["List_8"]

    def row(title: str, **values: object) -> list[object]:
        return [values.get(str(h).strip()) for h in headers[title]]

    path = workbook(
        tmp_path / "filled.xlsx",
        {
            "List_6": [
                ["List 6: Children in Need"],
                headers["List_6"],
                row(
                    "List_6",
                    **{
                        "Child Unique ID": "A1",
                        "Gender": "a) Male",
                        "CIN Start Date": datetime(2024, 2, 1),
                        "Allocated Team": "Locality 1",
                        "Allocated Worker": "Sam Lee",
                    },
                ),
            ],
            "List_8": [
                ["List 8: Children in care"],
                headers["List_8"],
                row(
                    "List_8",
                    **{
                        "Child Unique ID": "A1",
                        "Date of Birth": datetime(2015, 6, 1),
                        "Date Started to be Looked After": datetime(2024, 3, 1),
                        "Date Ceased to be Looked After": "not a date",
                        "Allocated Team": "CiC 1",
                        "Allocated Worker": "Jo Ray",
                    },
                ),
            ],
        },
    )
    # "Date Ceased to be Looked After " is column T, row 3 (under the title row and header).
    assert read_error(path) == (
        f"{path}, sheet 'List_8', row 3, column T (Date Ceased to be Looked After): "
        "'not a date' is not a date: write a date cell, an Excel date number, dd/mm/yyyy or "
        "yyyy-mm-dd (day first, never month first)"
    )


# --- a small workbook, built per test ------------------------------------------------------


def test_one_child_on_several_lists_and_rows(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "merge.xlsx",
        {
            "List 6": [
                CIN_TEAM_HEADER,
                ["C1", None, datetime(2023, 1, 10), datetime(2023, 6, 1), "CIN 1", "Ann"],
                ["C2", datetime(2019, 4, 4), datetime(2024, 1, 1), None, "CIN 2", "Bob"],
                ["C1", datetime(2012, 2, 2), datetime(2025, 1, 1), None, "CIN 1", "Cy"],
            ],
            "List 7": [
                CP_HEADER,
                ["C3", "a) Male", None, datetime(2025, 5, 5), None, "CP A", "Dee"],
                ["C1", "a) Male", datetime(2020, 1, 1), datetime(2025, 3, 1), None, "CP B", "Eve"],
            ],
            "List 8": [
                CLA_HEADER,
                ["C1", datetime(2024, 1, 1), datetime(2024, 11, 30), "CiC", "Fay"],
            ],
        },
    )
    case_file = read_annex_a(path, today=date(2025, 12, 1))
    assert rows_of(case_file) == [
        # Open CP plan outranks open CIN; the ended care episode no longer counts.
        CaseRow(1, "C1", "CP B", "Eve", "CP", "2023-01-10", None, "2012-02-02"),
        CaseRow(2, "C2", "CIN 2", "Bob", "CIN", "2024-01-01", None, "2019-04-04"),
        CaseRow(3, "C3", "CP A", "Dee", "CP", "2025-05-05", None, None),
    ]
    assert case_file.warnings == ["no List 9 sheet: no care leavers imported"]


def test_lists_are_read_in_list_order_whatever_the_sheet_order(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "order.xlsx",
        {
            "List 9": [CL_HEADER, ["L1", None, "Leaving Care", "Gus"]],
            "List 6": [CIN_HEADER, ["N1", None, datetime(2024, 1, 1), None]],
        },
    )
    case_file = read_annex_a(path, today=date(2025, 1, 1))
    assert [(r.line, r.case_ref, r.category) for r in rows_of(case_file)] == [
        (1, "N1", "CIN"),
        (2, "L1", "CL"),
    ]
    assert case_file.warnings == [
        "no List 7 sheet: no children on a child protection plan imported",
        "no List 8 sheet: no children in care imported",
    ]


@pytest.mark.parametrize(
    "title",
    ["List 7", "List_7", "list7", "LIST-7", "  List 7 - Child protection", "List 7 (CP)"],
)
def test_list_sheets_found_by_title(tmp_path: Path, title: str) -> None:
    path = workbook(
        tmp_path / "titles.xlsx",
        {title: [CP_HEADER, ["P1", None, None, datetime(2025, 1, 1), None, None, None]]},
    )
    assert [r.category for r in rows_of(read_annex_a(path, today=date(2025, 6, 1)))] == ["CP"]


def test_list_17_and_other_sheets_are_not_lists_6_to_9(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "none.xlsx",
        {
            "Front_Sheet": [["Annex A"]],
            "List 17": [CP_HEADER],
            "Checklist 7": [CP_HEADER],
            "List_1": [["Child Unique ID"]],
        },
    )
    assert read_error(path) == (
        f"{path}: no List 6, 7, 8 or 9 sheet (children in need, child protection, children in "
        "care, care leavers); the workbook's sheets are 'Front_Sheet', 'List 17', "
        "'Checklist 7', 'List_1'"
    )


def test_two_sheets_for_one_list(tmp_path: Path) -> None:
    path = workbook(tmp_path / "two.xlsx", {"List 6": [CIN_HEADER], "List_6 old": [CIN_HEADER]})
    assert read_error(path) == (
        f"{path}: two sheets for List 6: 'List 6' and 'List_6 old'; keep one"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2024, 3, 5, 14, 30), "2024-03-05"),
        (date(2024, 3, 5), "2024-03-05"),
        (45000, "2023-03-15"),  # an Excel serial number
        (45000.75, "2023-03-15"),  # a serial with a time of day
        ("45000", None),  # digits as text are not a serial: see the error tests
        ("05/03/2024", "2024-03-05"),  # day first
        ("5/3/2024", "2024-03-05"),
        (" 05/03/2024 ", "2024-03-05"),
        ("2024-03-05", "2024-03-05"),
        ("2024-03-05 00:00:00", "2024-03-05"),
        ("2024-03-05T00:00:00", "2024-03-05"),
        (None, ""),
        ("", ""),
        ("   ", ""),
        ("#N/A", ""),
        ("N/A", ""),
        ("#VALUE!", ""),
        ("#REF!", ""),
    ],
)
def test_date_forms(tmp_path: Path, value: object, expected: str | None) -> None:
    path = workbook(
        tmp_path / "dates.xlsx",
        {"List 6": [CIN_HEADER, ["D1", None, value, None, "x"]]},
    )
    if expected is None:
        assert "is not a date" in read_error(path)
        return
    (row,) = rows_of(read_annex_a(path, today=date(2025, 1, 1)))
    assert row.open_date == (expected or None)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("31/02/2026", "'31/02/2026' is not a date that exists"),
        ("2026-02-30", "'2026-02-30' is not a date that exists"),
        ("12/25/2025", "'12/25/2025' is not a date that exists"),  # month first: refused
        ("next week", "'next week' is not a date"),
        ("45000", "'45000' is not a date"),
        ("2025.01.01", "'2025.01.01' is not a date"),
        (0, "'0' is not an Excel date number"),
        (-5, "'-5' is not an Excel date number"),
        (200000, "'200000' is not an Excel date number"),  # year 2447
        ("x" * 60, f"'{'x' * 40}…' is not a date"),
    ],
)
def test_bad_dates_are_located(tmp_path: Path, value: object, problem: str) -> None:
    path = workbook(
        tmp_path / "bad-date.xlsx",
        {
            "List 7": [
                ["List 7: Child protection"],
                CP_HEADER,
                ["P1", "a) Male", None, datetime(2025, 1, 1), None, "T", "W"],
                ["P2", "b) Female", None, value, None, "T", "W"],
            ]
        },
    )
    assert read_error(path) == (
        f"{path}, sheet 'List 7', row 4, column D (Child Protection Plan Start Date): {problem}: "
        "write a date cell, an Excel date number, dd/mm/yyyy or yyyy-mm-dd "
        "(day first, never month first)"
    )


def test_bad_date_of_birth_is_located(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "dob.xlsx",
        {"List 9": [CL_HEADER, ["L1", "31/02/2026", "Leaving Care", "Gus"]]},
    )
    assert read_error(path).startswith(
        f"{path}, sheet 'List 9', row 2, column B (Date of Birth): '31/02/2026' is not a date"
    )


def test_error_message_shows_only_the_offending_cell(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "private.xlsx",
        {
            "List 6": [
                [*CIN_HEADER, "Name", "Address"],
                ["N1", None, "soon", None, "Jane Doe", "1 High Street"],
            ]
        },
    )
    message = read_error(path)
    assert "'soon'" in message
    assert "Jane" not in message
    assert "High Street" not in message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12598894, "12598894"),
        (12598894.0, "12598894"),
        (" 0012 ", "0012"),
        ("AB-12", "AB-12"),
    ],
)
def test_child_unique_id_forms(tmp_path: Path, value: object, expected: str) -> None:
    path = workbook(tmp_path / "ids.xlsx", {"List 9": [CL_HEADER, [value, None, None, None]]})
    assert [r.case_ref for r in rows_of(read_annex_a(path, today=date(2025, 1, 1)))] == [expected]


def test_fractional_child_unique_id_is_refused(tmp_path: Path) -> None:
    path = workbook(tmp_path / "ids.xlsx", {"List 9": [CL_HEADER, [12.5, None, None, None]]})
    assert read_error(path) == (
        f"{path}, sheet 'List 9', row 2, column A (Child Unique ID): '12.5' is not a Child "
        "Unique ID: write the id as a whole number or as text"
    )


def test_team_and_worker_text(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "teams.xlsx",
        {
            "List 9": [
                CL_HEADER,
                ["L1", None, "#N/A", "#N/A"],
                ["L2", None, "  Care  Leavers\u00a0Team ", "Jae\u00a0Vang"],
                ["L3", None, "#REF!", " "],
                ["L4", None, "N/A", None],
            ]
        },
    )
    rows = rows_of(read_annex_a(path, today=date(2025, 1, 1)))
    assert [(r.team, r.worker) for r in rows] == [
        (None, None),
        ("Care Leavers Team", "Jae Vang"),
        (None, None),
        (None, None),
    ]


def test_blank_rows_are_skipped_and_rows_keep_their_excel_numbers(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "blank.xlsx",
        {
            "List 6": [
                ["List 6: Children in Need"],
                [],
                CIN_TEAM_HEADER,
                ["N1", None, datetime(2024, 1, 1), None, None, None],
                [None, None, None, None, None, None],
                ["", "  ", "#N/A", None, "#N/A", "#N/A"],
                ["N2", None, datetime(2024, 1, 1), None, None, None],
                [None, None, None, None, "Team", None],
            ]
        },
    )
    # Row 8 is the first one with content and no id.
    assert read_error(path) == (
        f"{path}, sheet 'List 6', row 8, column A (Child Unique ID): this row has no "
        "Child Unique ID"
    )


def test_row_with_content_in_an_unread_column_but_no_id(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "no-id.xlsx",
        {
            "List 7": [
                CP_HEADER,
                ["P1", None, None, datetime(2025, 1, 1), None, None, None],
                ["#N/A", "a) Male", None, None, None, None, None],
            ]
        },
    )
    assert read_error(path) == (
        f"{path}, sheet 'List 7', row 3, column A (Child Unique ID): this row has no "
        "Child Unique ID"
    )


def test_end_before_start(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "ends.xlsx",
        {"List 8": [CLA_HEADER, ["K1", "01/06/2025", "31/05/2025", None, None]]},
    )
    assert read_error(path) == (
        f"{path}, sheet 'List 8', row 2, column C (Date Ceased to be Looked After): "
        "Date Ceased to be Looked After 2025-05-31 is before Date Started to be Looked After "
        "2025-06-01"
    )


def test_end_on_the_start_day_is_fine(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "ends.xlsx",
        {"List 8": [CLA_HEADER, ["K1", "01/06/2025", "01/06/2025", None, None]]},
    )
    (row,) = rows_of(read_annex_a(path, today=date(2025, 7, 1)))
    assert (row.open_date, row.close_date) == ("2025-06-01", "2025-06-01")


@pytest.mark.parametrize(
    "header",
    [
        ["child_unique_id", "CIN_Start_Date", "CIN End Date", "DOB", "Allocated Social Worker"],
        ["CHILD UNIQUE ID:", "cin start date ", " Cin  Closure Date", "Child’s Date of Birth", "x"],
    ],
)
def test_header_wording_varies(tmp_path: Path, header: list[object]) -> None:
    path = workbook(
        tmp_path / "words.xlsx",
        {
            "List 6": [
                header,
                ["N1", "01/02/2024", "01/03/2024", "09/09/2015", "Kim"],
            ]
        },
    )
    (row,) = rows_of(read_annex_a(path, today=date(2025, 1, 1)))
    assert (row.open_date, row.close_date, row.date_of_birth) == (
        "2024-02-01",
        "2024-03-01",
        "2015-09-09",
    )


def test_unread_columns_are_not_checked(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "unread.xlsx",
        {
            "List 6": [
                [*CIN_HEADER, "Date Child Was Last Seen", "Age"],
                ["N1", None, datetime(2024, 1, 1), None, "31/02/2026", "#DIV/0!"],
            ]
        },
    )
    assert len(rows_of(read_annex_a(path, today=date(2025, 1, 1)))) == 1


def test_missing_key_column_means_no_header_row(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "no-key.xlsx",
        {
            "List 6": [
                ["List 6: Children in Need"],
                ["Child ID", "CIN Start Date", "CIN Closure Date"],
                ["N1", datetime(2024, 1, 1), None],
            ]
        },
    )
    assert read_error(path) == (
        f"{path}, sheet 'List 6': no header row: no 'Child Unique ID' cell in the first 10 rows"
    )


def test_header_below_row_10_is_not_found(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "low.xlsx",
        {"List 9": [*([["notes"]] * 10), CL_HEADER, ["L1", None, None, None]]},
    )
    assert "sheet 'List 9': no header row" in read_error(path)


@pytest.mark.parametrize(
    ("title", "header", "expected"),
    [
        (
            "List 6",
            ["Child Unique ID", "CIN Closure Date"],
            "row 2: the header row has no 'CIN Start Date' column (or 'CIN Episode Start Date')",
        ),
        (
            "List 7",
            ["Child Unique ID", "Child Protection Plan Start Date"],
            "row 2: the header row has no 'Child Protection Plan End Date' column "
            "(or 'CP Plan End Date', 'CPP End Date')",
        ),
        (
            "List 8",
            ["Child Unique ID", "Date Ceased to be Looked After"],
            "row 2: the header row has no 'Date Started to be Looked After' column "
            "(or 'Date Started to be Looked After (this period)', 'Date Started Looked After')",
        ),
    ],
)
def test_missing_required_column(
    tmp_path: Path, title: str, header: list[object], expected: str
) -> None:
    path = workbook(tmp_path / "cols.xlsx", {title: [[f"{title}: title"], header, ["X1"]]})
    assert read_error(path) == f"{path}, sheet '{title}', {expected}"


def test_optional_columns_may_be_missing(tmp_path: Path) -> None:
    path = workbook(tmp_path / "min.xlsx", {"List 9": [["Child Unique ID"], ["L1"]]})
    assert rows_of(read_annex_a(path, today=date(2025, 1, 1))) == [
        CaseRow(1, "L1", None, None, "CL", None, None, None)
    ]


def test_empty_list_sheet_is_a_warning(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "empty.xlsx",
        {"List 6": [CIN_HEADER, ["N1", None, None, None]], "List 7": [], "List 8": [CLA_HEADER]},
    )
    assert read_annex_a(path, today=date(2025, 1, 1)).warnings == [
        "sheet 'List 7' lists no children on a child protection plan",
        "sheet 'List 8' lists no children in care",
        "no List 9 sheet: no care leavers imported",
    ]


def test_batch_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        read_annex_a(LIIA, today=date(2021, 3, 31), batch_size=0)


# --- files that are not workbooks ----------------------------------------------------------


def test_text_file_named_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "cases.xlsx"
    path.write_text("Child Unique ID,CIN Start Date\n1,01/01/2024\n", encoding="utf-8")
    assert read_error(path) == (
        f"{path}: not a readable Excel workbook (not an .xlsx file, or damaged or cut short)"
    )


def test_truncated_workbook(tmp_path: Path) -> None:
    path = tmp_path / "cut.xlsx"
    data = LIIA.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert read_error(path) == (
        f"{path}: not a readable Excel workbook (not an .xlsx file, or damaged or cut short)"
    )


def test_damaged_sheet_inside_a_sound_zip(tmp_path: Path) -> None:
    good = workbook(
        tmp_path / "good.xlsx",
        {"List 9": [CL_HEADER, *[[f"L{n}", None, "Team", "W"] for n in range(200)]]},
    )
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(bad, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = data[: len(data) // 2]
            target.writestr(item, data)
    assert read_error(bad).startswith(f"{bad}: not a readable Excel workbook (")


def test_csv_file(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("Child Unique ID\n1\n", encoding="utf-8")
    assert read_error(path) == (
        f"{path}: not a readable Excel workbook (not an .xlsx file, or damaged or cut short)"
    )


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.xlsx"
    assert read_error(path) == f"{path}: no such file"


def test_error_carries_its_place(tmp_path: Path) -> None:
    path = workbook(tmp_path / "place.xlsx", {"List_7": [CP_HEADER, ["P1", None, None, "x"]]})
    with pytest.raises(InputError) as caught:
        read_annex_a(path, today=date(2025, 1, 1))
    error = caught.value
    assert (error.file, error.sheet, error.line, error.column, error.column_name) == (
        str(path),
        "List_7",
        2,
        "D",
        "Child Protection Plan Start Date",
    )


# --- helpers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "letters"), [(1, "A"), (7, "G"), (20, "T"), (26, "Z"), (27, "AA"), (703, "AAA")]
)
def test_column_letter(number: int, letters: str) -> None:
    assert column_letter(number) == letters


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Child Unique ID", "child unique id"),
        ("  Child_Unique__ID : ", "child unique id"),
        ("Date Ceased to be Looked After ", "date ceased to be looked after"),
        ("Child’s Date of Birth", "child's date of birth"),
        ("Age of Child (Years)", "age of child (years)"),
    ],
)
def test_normalise_header(text: str, expected: str) -> None:
    assert normalise_header(text) == expected


def test_wrong_sheet_size_in_the_file_does_not_cut_rows(tmp_path: Path) -> None:
    """Some writers store a sheet size smaller than the sheet: every row is still read."""
    good = workbook(
        tmp_path / "good.xlsx",
        {"List 9": [CL_HEADER, *[[f"L{n}", None, "Team", "W"] for n in range(50)]]},
    )
    small = tmp_path / "small.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(small, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/worksheets/sheet"):
                assert b'<dimension ref="A1:D51" />' in data
                data = data.replace(b'<dimension ref="A1:D51" />', b'<dimension ref="A1:B2" />')
            target.writestr(item, data)
    rows = rows_of(read_annex_a(small, today=date(2025, 1, 1)))
    assert [(r.case_ref, r.team) for r in rows[-1:]] == [("L49", "Team")]
    assert len(rows) == 50
