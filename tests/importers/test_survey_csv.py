"""The Bright Spots export reader: what it accepts, and each refusal's exact file, line, column."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import write_csv
from qaudit.errors import InputError
from qaudit.importers.survey_csv import read_survey_csv

HEADER = "response_id,survey,age_band,received_at,concern,comment"
ROW = "R1,your-life-your-care,8-11,2026-12-01T10:00,no,"
FORMS = "YYYY-MM-DDTHH:MM[:SS], with an offset such as +00:00 or Z, or none for Europe/London"

BAD_FILES = [
    pytest.param(
        "response_id,survey,age_band,received_at,comment\nR1,your-life-your-care,8-11,x,\n",
        "line 1: missing required column concern (the header must have "
        "response_id,survey,age_band,received_at,concern,comment)",
        id="missing-column",
    ),
    pytest.param(
        "Response_ID,survey,received_at\nR1,your-life-your-care,x\n",
        "line 1: missing required columns age_band, concern, comment (the header must have "
        "response_id,survey,age_band,received_at,concern,comment)",
        id="missing-columns",
    ),
    pytest.param(
        f"{HEADER},Survey\n{ROW},x\n",
        "line 1, column 7: the column 'Survey' appears twice",
        id="column-twice",
    ),
    pytest.param(
        f"{HEADER}\n{ROW}\nR2,your-life,8-11,2026-12-01T10:00,no,\n",
        "line 3, column 2 (survey): 'your-life' is not a survey; expected "
        "your-life-your-care or your-life-beyond-care",
        id="unknown-survey",
    ),
    pytest.param(
        f"{HEADER}\nR2,your-life-your-care,12-15,2026-12-01T10:00,no,\n",
        "line 2, column 3 (age_band): '12-15' is not an age band; expected 4-7, 8-11, "
        "11-18 (or 11-17) or 16-25",
        id="unknown-band",
    ),
    pytest.param(
        f"{HEADER}\nR2,your-life-your-care,16-25,2026-12-01T10:00,no,\n",
        "line 2, column 3 (age_band): age band 16-25 is not a band of Your Life, Your Care "
        "(4-7, 8-11, 11-18)",
        id="band-of-the-other-survey",
    ),
    pytest.param(
        f"{HEADER}\nR2,your-life-beyond-care,8-11,2026-12-01T10:00,no,\n",
        "line 2, column 3 (age_band): age band 8-11 is not a band of Your Life Beyond Care (16-25)",
        id="care-leaver-band",
    ),
    pytest.param(
        f"{HEADER}\nR2,your-life-your-care,8-11,01/12/2026 10:00,no,\n",
        f"line 2, column 4 (received_at): '01/12/2026 10:00' is not a date-time ({FORMS})",
        id="uk-timestamp",
    ),
    pytest.param(
        f"{HEADER}\nR2,your-life-your-care,8-11,2026-12-01,no,\n",
        f"line 2, column 4 (received_at): '2026-12-01' is not a date-time ({FORMS})",
        id="date-without-time",
    ),
    pytest.param(
        f"{HEADER}\nR2,your-life-your-care,8-11,,no,\n",
        f"line 2, column 4 (received_at): '' is not a date-time ({FORMS})",
        id="blank-timestamp",
    ),
    pytest.param(
        f"{HEADER}\nR2,your-life-your-care,8-11,2026-02-30T10:00,no,\n",
        "line 2, column 4 (received_at): '2026-02-30T10:00' is not a date-time that exists",
        id="impossible-date",
    ),
    pytest.param(
        f"{HEADER}\nR2,your-life-your-care,8-11,2026-12-01T24:00,no,\n",
        "line 2, column 4 (received_at): '2026-12-01T24:00' is not a date-time that exists",
        id="hour-24",
    ),
    pytest.param(
        f"{HEADER}\nR2,your-life-your-care,8-11,2026-03-29T01:30,no,\n",
        "line 2, column 4 (received_at): '2026-03-29T01:30' is not a time in Europe/London: "
        "the clocks went forward over it; give its offset",
        id="hour-the-clocks-skipped",
    ),
    pytest.param(
        f"{HEADER}\nR2,your-life-your-care,8-11,2026-12-01T10:00+25:00,no,\n",
        "line 2, column 4 (received_at): '2026-12-01T10:00+25:00' has an offset (+25:00) "
        "no place uses",
        id="offset-out-of-range",
    ),
    pytest.param(
        f"{HEADER}\nR2,your-life-your-care,8-11,2026-12-01T10:00,maybe,\n",
        "line 2, column 5 (concern): 'maybe' is not a concern flag; expected yes or no "
        "(also true/false, 1/0; blank is no)",
        id="bad-concern",
    ),
    pytest.param(
        f"{HEADER}\n  ,your-life-your-care,8-11,2026-12-01T10:00,no,\n",
        "line 2, column 1 (response_id): the response id is blank",
        id="blank-id",
    ),
    pytest.param(
        f"{HEADER}\n{ROW}\nR2,your-life-your-care,8-11,2026-12-01T10:00,no,\n"
        "R1,your-life-your-care,8-11,2026-12-01T10:00,yes,\n",
        "line 4, column 5 (concern): response R1 is also on line 2 with a different concern",
        id="duplicate-other-concern",
    ),
    pytest.param(
        f"{HEADER}\n{ROW}\nR1,your-life-your-care,8-11,2026-12-01T10:01,no,\n",
        "line 3, column 4 (received_at): response R1 is also on line 2 with a different "
        "received_at",
        id="duplicate-other-time",
    ),
    pytest.param(
        f"{HEADER}\n{ROW}\nR1,your-life-your-care,8-11,2026-12-01T10:00,no,Hello\n",
        "line 3, column 6 (comment): response R1 is also on line 2 with a different comment",
        id="duplicate-other-comment",
    ),
    pytest.param(
        f"{HEADER}\n{ROW},extra\n",
        "line 2: expected 6 fields as in the header, found 7",
        id="extra-field",
    ),
    pytest.param("", "the file has no header row and no responses", id="empty-file"),
    pytest.param("\n \n", "the file has no header row and no responses", id="blank-lines"),
    pytest.param(f"{HEADER}\n", "the file has a header but no responses", id="header-only"),
    pytest.param(
        f"{HEADER}\n{ROW}\n".encode()
        + b"R2,your-life-your-care,8-11,2026-12-01T10:00,no,\xe9t\xe9\n",
        "line 3, column 6: the file is not UTF-8 text (save it as 'CSV UTF-8')",
        id="not-utf8",
    ),
]


@pytest.mark.parametrize(("content", "message"), BAD_FILES)
def test_bad_files_are_refused_naming_file_line_and_column(
    tmp_path: Path, content: str | bytes, message: str
) -> None:
    path = tmp_path / "bright-spots.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_survey_csv(path)
    where = ", " if message.startswith("line") else ": "
    assert str(caught.value) == f"{path}{where}{message}"


def test_the_error_carries_its_location(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", [HEADER.split(","), ["R1", "x", "8-11", "", "", ""]])
    with pytest.raises(InputError) as caught:
        read_survey_csv(path)
    error = caught.value
    assert (error.file, error.line, error.column, error.column_name) == (str(path), 2, 2, "survey")


def _read(tmp_path: Path, *rows: str, header: str = HEADER) -> list[tuple[object, ...]]:
    path = tmp_path / "s.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return [
        (r.line, r.response_id, r.survey, r.age_band, r.received_at, r.concern, r.comment)
        for r in read_survey_csv(path).rows
    ]


def test_a_good_file(tmp_path: Path) -> None:
    rows = _read(
        tmp_path,
        "R1,your-life-your-care,4-7,2026-12-01T10:00,yes,I miss my brother",
        'R2,"Your Life, Your Care",11-17,2026-12-01T10:00:30Z,No,"Good, mostly"',
        "R3,Your Life Beyond Care,16-25,2026-07-01T10:00,,",
    )
    assert rows == [
        (2, "R1", "your-life-your-care", "4-7", datetime(2026, 12, 1, 10, tzinfo=UTC), True,
         "I miss my brother"),
        (3, "R2", "your-life-your-care", "11-18", datetime(2026, 12, 1, 10, 0, 30, tzinfo=UTC),
         False, "Good, mostly"),
        # Summer: 10:00 in London is 09:00 UTC.
        (4, "R3", "your-life-beyond-care", "16-25", datetime(2026, 7, 1, 9, tzinfo=UTC), False,
         None),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-12-01T10:00", datetime(2026, 12, 1, 10, tzinfo=UTC)),  # GMT: London is UTC
        ("2026-07-01T10:00", datetime(2026, 7, 1, 9, tzinfo=UTC)),  # BST
        ("2026-07-01T10:00:59", datetime(2026, 7, 1, 9, 0, 59, tzinfo=UTC)),
        ("2026-07-01 10:00", datetime(2026, 7, 1, 9, tzinfo=UTC)),  # as Excel re-saves it
        ("2026-07-01T10:00Z", datetime(2026, 7, 1, 10, tzinfo=UTC)),
        ("2026-07-01T10:00z", datetime(2026, 7, 1, 10, tzinfo=UTC)),
        ("2026-07-01T10:00+00:00", datetime(2026, 7, 1, 10, tzinfo=UTC)),
        ("2026-07-01T10:00+01:00", datetime(2026, 7, 1, 9, tzinfo=UTC)),
        ("2026-07-01T10:00:00.250-0500", datetime(2026, 7, 1, 15, 0, 0, 250000, tzinfo=UTC)),
        # The hour repeated when the clocks go back: the first (BST) reading.
        ("2026-10-25T01:30", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
        ("2026-10-25T01:30+00:00", datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),
    ],
)
def test_timestamps(tmp_path: Path, text: str, utc: datetime) -> None:
    [row] = _read(tmp_path, f"R1,your-life-your-care,8-11,{text},no,")
    assert row[4] == utc
    assert row[4].tzinfo is UTC  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "concern"),
    [
        ("yes", True),
        ("YES", True),
        ("True", True),
        ("1", True),
        (" yes ", True),
        ("no", False),
        ("No", False),
        ("FALSE", False),
        ("0", False),
        ("", False),  # blank is no
        (" ", False),
    ],
)
def test_concern_values(tmp_path: Path, text: str, concern: bool) -> None:
    [row] = _read(tmp_path, f"R1,your-life-your-care,8-11,2026-12-01T10:00,{text},")
    assert row[5] is concern


@pytest.mark.parametrize(
    ("text", "band"),
    [
        ("4-7", "4-7"),
        ("8-11", "8-11"),
        ("11-18", "11-18"),
        ("11-17", "11-18"),  # as Bright Spots writes it: 11–17(18)
        ("11–17", "11-18"),
        ("11-17(18)", "11-18"),
        (" 11 - 17 ", "11-18"),
    ],
)
def test_age_bands(tmp_path: Path, text: str, band: str) -> None:
    [row] = _read(tmp_path, f"R1,your-life-your-care,{text},2026-12-01T10:00,no,")
    assert row[3] == band


def test_headers_match_whatever_their_case_spacing_and_order(tmp_path: Path) -> None:
    rows = _read(
        tmp_path,
        "yes,2026-12-01T10:00,8-11,your-life-your-care,R1,",
        header=" Concern , Received At,AGE-BAND,Survey,Response ID,comment",
    )
    assert rows == [
        (2, "R1", "your-life-your-care", "8-11", datetime(2026, 12, 1, 10, tzinfo=UTC), True, None)
    ]


def test_warnings_name_ignored_columns_unzoned_times_and_repeats(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(
        f"{HEADER},Child ID,Postcode\n"
        "R1,your-life-your-care,8-11,2026-12-01T10:00,no,,C100,AB1\n"
        "R2,your-life-your-care,8-11,2026-12-01T10:00Z,no,,C101,AB2\n"
        "R3,your-life-your-care,8-11,2026-10-25T01:15,no,,C102,AB3\n"
        # The same response again (another child-id cell, which is not read): counted once.
        "R1,your-life-your-care,8-11,2026-12-01T10:00+00:00,no,,C999,ZZ9\n",
        encoding="utf-8",
    )
    found = read_survey_csv(path)
    assert [r.response_id for r in found.rows] == ["R1", "R2", "R3"]
    assert found.repeats == 1
    assert found.warnings == [
        f"{path}: ignored columns qaudit does not use: Child ID, Postcode",
        f"{path}: 2 timestamps had no time zone and were taken as Europe/London time",
        f"{path}: 1 timestamp without a zone fell in the hour the clocks went back and was "
        "read as BST (the first)",
        f"{path}: 1 row repeated an earlier response exactly and was counted once",
    ]
    assert found.columns["concern"] == (5, "concern")


def test_one_unzoned_timestamp_is_said_in_the_singular(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", [HEADER.split(","), ROW.split(",")])
    assert read_survey_csv(path).warnings == [
        f"{path}: 1 timestamp had no time zone and was taken as Europe/London time"
    ]


def test_fully_zoned_files_warn_of_nothing(tmp_path: Path) -> None:
    rows = [HEADER.split(","), ["R1", "your-life-your-care", "8-11", "2026-12-01T10:00Z", "", ""]]
    assert read_survey_csv(write_csv(tmp_path / "s.csv", rows)).warnings == []


@pytest.mark.parametrize(("newline", "bom"), [("\r\n", True), ("\r\n", False), ("\n", True)])
def test_bom_and_windows_line_endings(tmp_path: Path, newline: str, bom: bool) -> None:
    path = write_csv(
        tmp_path / "s.csv", [HEADER.split(","), ROW.split(",")], newline=newline, bom=bom
    )
    assert [r.response_id for r in read_survey_csv(path).rows] == ["R1"]


def test_a_comment_over_several_lines(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(
        f'{HEADER}\nR1,your-life-your-care,8-11,2026-12-01T10:00,yes,"one\ntwo"\n{ROW[:1]}2{ROW[2:]}\n',
        encoding="utf-8",
    )
    rows = read_survey_csv(path).rows
    assert [(r.response_id, r.comment) for r in rows] == [("R1", "one\ntwo"), ("R2", None)]
