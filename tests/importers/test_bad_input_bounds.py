"""Bad input that used to be accepted and broke later: NUL bytes, unbounded dates, huge fields,
refs that differ only in letter case, and refs and names too long for PostgreSQL's indexes.

Each is refused (or warned about) at the door, with the file, line and column, on SQLite and
PostgreSQL; a refused import leaves the store as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from conftest import Cli, plain, snapshot
from qaudit.store.engine import Store
from qaudit.store.models import SurveyResponse

CASE_HEADER = ["case_ref", "team", "worker", "category", "open_date", "close_date"]
STAFF_HEADER = ["name", "role", "team"]
SURVEY_HEADER = ["response_id", "survey", "age_band", "received_at", "concern", "comment"]
RANGE = "dates must be from 1900-01-01 to 2031-12-01"  # with --today 2026-12-01
NUL_MESSAGE = "the field holds a NUL byte (\\x00), which qaudit does not store"
FIELD_LIMIT_MESSAGE = "a field is longer than 131,072 characters, the most a field may hold"


def _write(path: Path, rows: Sequence[Sequence[str]]) -> Path:
    path.write_bytes(("\n".join(",".join(row) for row in rows) + "\n").encode("utf-8"))
    return path


def _case(ref: str, **fields: str) -> list[str]:
    row = {"team": "Team A", "worker": "Ann Smith", "category": "CIN"}
    row |= {"open_date": "2026-01-05", "close_date": ""} | fields
    return [ref, *(row[name] for name in CASE_HEADER[1:])]


def _survey(rid: str, **fields: str) -> list[str]:
    row = {"survey": "your-life-your-care", "age_band": "8-11"}
    row |= {"received_at": "2026-11-30T10:00Z", "concern": "no", "comment": "ok"} | fields
    return [rid, *(row[name] for name in SURVEY_HEADER[1:])]


# 300 ordinary rows take the file past the 8 KiB that detect_kind looks at for a binary file.
PADDING = [_case(f"P{i:04d}") for i in range(300)]
STAFF_PADDING = [[f"Auditor {i}", "auditor", "Team A"] for i in range(400)]
SURVEY_PADDING = [_survey(f"S{i:04d}") for i in range(200)]


@pytest.fixture
def loaded(cli: Cli, tmp_path: Path) -> Cli:
    """A store holding one case, one member of staff and one survey response."""
    return _load(cli, tmp_path)


def _load(cli: Cli, tmp_path: Path) -> Cli:
    for args in (
        ("cases", "import", str(_write(tmp_path / "seed.csv", [CASE_HEADER, _case("X1")]))),
        (
            "staff",
            "import",
            str(_write(tmp_path / "staff.csv", [STAFF_HEADER, ["Ann Smith", "auditor", "T"]])),
        ),
        ("survey", "import", str(_write(tmp_path / "s.csv", [SURVEY_HEADER, _survey("R0")]))),
    ):
        result = cli(*args)
        assert result.exit_code == 0, result.stderr
    return cli


@pytest.fixture
def loaded_file(tmp_path: Path) -> Cli:
    """``loaded`` on a SQLite file alone: for usage errors, which Click refuses before any
    store is opened (on PostgreSQL they would only repeat the same parse)."""
    from typer.testing import CliRunner

    from conftest import init_store_at

    cli = Cli(f"sqlite:///{tmp_path / 'store.db'}", CliRunner())
    init_store_at(cli.url)
    return _load(cli, tmp_path)


def _refused(cli: Cli, *args: str, code: int = 1) -> str:
    """Run a command that must be refused; the store must be unchanged. The one message."""
    before = snapshot(cli.url)
    result = cli(*args)
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert snapshot(cli.url) == before
    if code == 1:
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
        return lines[0]
    return plain(result.stderr)


def _warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("Warning: ")]


# ------------------------------------------------------------------ NUL bytes, anywhere


def test_a_nul_after_8kib_of_a_case_csv_is_refused_at_its_line_and_column(
    loaded: Cli, tmp_path: Path
) -> None:
    path = _write(tmp_path / "cases.csv", [CASE_HEADER, *PADDING, _case("C9", worker="a\x00b")])
    assert path.stat().st_size > 8192
    message = _refused(loaded, "cases", "import", str(path))
    assert message == f"Error: {path}, line 302, column 3: {NUL_MESSAGE}"


@pytest.mark.parametrize(
    ("command", "rows", "place"),
    [
        pytest.param(
            "cases", [CASE_HEADER, _case("C9", worker="a\x00b")], "2, column 3", id="case"
        ),
        pytest.param(
            "staff", [STAFF_HEADER, ["Bo\x00b", "auditor", "T"]], "2, column 1", id="staff"
        ),
        pytest.param(
            "survey", [SURVEY_HEADER, _survey("R9", comment="x\x00")], "2, column 6", id="survey"
        ),
        pytest.param(
            "cases", [CASE_HEADER, _case("C9", team='"a\nb\x00"')], "3, column 2", id="quoted"
        ),
        pytest.param("cases", [CASE_HEADER, ["\x00C9"]], "2, column 1", id="line-start"),
    ],
)
def test_a_nul_in_the_first_8kib_is_refused_at_its_line_and_column(
    loaded: Cli, tmp_path: Path, command: str, rows: list[list[str]], place: str
) -> None:
    """Not "a binary file": a text file with a stray NUL is placed as one further in is."""
    path = _write(tmp_path / "early.csv", rows)
    message = _refused(loaded, command, "import", str(path))
    assert message == f"Error: {path}, line {place}: {NUL_MESSAGE}"


def test_utf16_text_is_refused_as_binary_with_a_hint(loaded: Cli, tmp_path: Path) -> None:
    path = tmp_path / "utf16.csv"
    path.write_bytes(",".join(CASE_HEADER).encode("utf-16") + "\nC9,T\n".encode("utf-16-le"))
    message = _refused(loaded, "cases", "import", str(path))
    assert message == (
        f"Error: {path}: this is a binary file, not a CSV or an Excel workbook (UTF-16 text? "
        "save it as CSV UTF-8)"
    )


def test_a_nul_in_a_quoted_field_is_placed_on_its_own_line(loaded: Cli, tmp_path: Path) -> None:
    path = _write(tmp_path / "cases.csv", [CASE_HEADER, *PADDING, _case("C9", team='"a\nb\x00"')])
    message = _refused(loaded, "cases", "import", str(path))
    assert message == f"Error: {path}, line 303, column 2: {NUL_MESSAGE}"


def test_a_nul_after_8kib_of_a_staff_csv_is_refused(loaded: Cli, tmp_path: Path) -> None:
    rows = [STAFF_HEADER, *STAFF_PADDING, ["Bo\x00b", "auditor", "Team A"]]
    path = _write(tmp_path / "staff.csv", rows)
    assert path.stat().st_size > 8192
    message = _refused(loaded, "staff", "import", str(path))
    assert message == f"Error: {path}, line 402, column 1: {NUL_MESSAGE}"


def test_a_nul_after_8kib_of_a_survey_csv_is_refused(loaded: Cli, tmp_path: Path) -> None:
    rows = [SURVEY_HEADER, *SURVEY_PADDING, _survey("R9", comment="fine\x00")]
    path = _write(tmp_path / "survey.csv", rows)
    assert path.stat().st_size > 8192
    message = _refused(loaded, "survey", "import", str(path))
    assert message == f"Error: {path}, line 202, column 6: {NUL_MESSAGE}"


def _big_case_file(path: Path, last: list[str]) -> Path:
    """A case CSV of more than 8 MB, so that a child process reads it; ``last`` ends it."""
    body = "".join(
        f"B{i:07d},Team {i % 9},Worker {i % 40},CIN,2026-01-05,\n" for i in range(230_000)
    )
    path.write_text(",".join(CASE_HEADER) + "\n" + body + ",".join(last) + "\n", "utf-8")
    assert path.stat().st_size >= 8 * 1024 * 1024
    return path


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        pytest.param(_case("C9", worker="a\x00b"), f"column 3: {NUL_MESSAGE}", id="nul"),
        pytest.param(
            _case("C9", worker="w" * (1 << 20)), f"column 3: {FIELD_LIMIT_MESSAGE}", id="1mb"
        ),
        pytest.param(
            _case("C9", open_date="0001-01-01"),
            f"column 5 (open_date): '0001-01-01' is out of range: {RANGE}",
            id="year-1",
        ),
    ],
)
def test_a_large_file_read_by_the_child_process_names_the_place(
    tmp_path: Path, last: list[str], expected: str
) -> None:
    cli = Cli(f"sqlite:///{tmp_path / 'big.db'}", CliRunner())
    assert cli("init").exit_code == 0
    seed = _write(tmp_path / "seed.csv", [CASE_HEADER, _case("X1")])
    assert cli("cases", "import", str(seed)).exit_code == 0
    path = _big_case_file(tmp_path / "big.csv", last)
    message = _refused(cli, "cases", "import", str(path))
    assert message == f"Error: {path}, line 230002, {expected}"


# ------------------------------------------------------------------ fields over the CSV limit


def test_a_1mb_field_in_a_case_csv_names_its_line_and_column(loaded: Cli, tmp_path: Path) -> None:
    rows = [CASE_HEADER, _case("C8"), _case("C9", worker="w" * (1 << 20)), _case("C10")]
    path = _write(tmp_path / "cases.csv", rows)
    message = _refused(loaded, "cases", "import", str(path))
    assert message == f"Error: {path}, line 3, column 3: {FIELD_LIMIT_MESSAGE}"


def test_a_1mb_field_in_a_staff_csv_names_its_line_and_column(loaded: Cli, tmp_path: Path) -> None:
    rows = [STAFF_HEADER, ["Bo Jones", "auditor", "Team A"], ["Cy", "auditor", "t" * (1 << 20)]]
    path = _write(tmp_path / "staff.csv", rows)
    message = _refused(loaded, "staff", "import", str(path))
    assert message == f"Error: {path}, line 3, column 3: {FIELD_LIMIT_MESSAGE}"


def test_a_1mb_field_in_a_survey_csv_names_its_line_and_column(loaded: Cli, tmp_path: Path) -> None:
    rows = [SURVEY_HEADER, _survey("R1"), _survey("R2"), _survey("R3", comment="c" * (1 << 20))]
    path = _write(tmp_path / "survey.csv", rows)
    message = _refused(loaded, "survey", "import", str(path))
    assert message == f"Error: {path}, line 4, column 6: {FIELD_LIMIT_MESSAGE}"


# ------------------------------------------------------------------ dates in files


@pytest.mark.parametrize(
    ("fields", "column", "shown"),
    [
        ({"open_date": "0001-01-01"}, "column 5 (open_date)", "0001-01-01"),
        ({"open_date": "31/12/1899"}, "column 5 (open_date)", "31/12/1899"),
        ({"close_date": "2031-12-02"}, "column 6 (close_date)", "2031-12-02"),
        ({"close_date": "9999-12-31"}, "column 6 (close_date)", "9999-12-31"),
    ],
)
def test_a_case_date_out_of_range_is_refused_naming_the_range(
    loaded: Cli, tmp_path: Path, fields: dict[str, str], column: str, shown: str
) -> None:
    path = _write(tmp_path / "cases.csv", [CASE_HEADER, _case("C8"), _case("C9", **fields)])
    message = _refused(loaded, "cases", "import", str(path))
    assert message == f"Error: {path}, line 3, {column}: '{shown}' is out of range: {RANGE}"


def test_dates_at_the_edges_of_the_range_are_imported(loaded: Cli, tmp_path: Path) -> None:
    rows = [CASE_HEADER, _case("C9", open_date="1900-01-01", close_date="2031-12-01")]
    result = loaded("cases", "import", str(_write(tmp_path / "cases.csv", rows)))
    assert result.exit_code == 0, result.stderr


def test_a_survey_response_in_year_9999_is_refused(loaded: Cli, tmp_path: Path) -> None:
    rows = [SURVEY_HEADER, _survey("R9", received_at="9999-12-31T23:59")]
    path = _write(tmp_path / "survey.csv", rows)
    message = _refused(loaded, "survey", "import", str(path))
    assert message == (
        f"Error: {path}, line 2, column 4 (received_at): '9999-12-31T23:59' is out of range: "
        f"{RANGE}"
    )
    listed = loaded("survey", "list")
    assert listed.exit_code == 0, listed.stderr


def test_survey_list_survives_a_response_stored_in_year_9999(loaded: Cli) -> None:
    """Stored before dates were bounded: listing it must not crash, today or ever after."""
    store = Store(loaded.url)
    try:
        with Session(store.engine) as session:
            session.add(
                SurveyResponse(
                    response_id="R-FAR",
                    survey="your-life-your-care",
                    age_band="8-11",
                    received_at=datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
                    concern=False,
                    imported_at=datetime(2026, 11, 30, 9, 0, tzinfo=UTC),
                )
            )
            session.commit()
    finally:
        store.dispose()
    for args in (("survey", "list"), ("survey", "list", "--format", "json"), ("overdue",)):
        result = loaded(*args)
        assert result.exit_code in (0, 3), (args, result.stderr)
        assert "Traceback" not in result.stderr
    listed = loaded("survey", "list", "--format", "json").json()
    assert isinstance(listed, list)
    [far] = [r for r in listed if r["response_id"] == "R-FAR"]
    assert far["review_due"] is None


def test_a_date_of_birth_after_the_open_date_is_a_warning_naming_the_row(
    loaded: Cli, tmp_path: Path
) -> None:
    header = [*CASE_HEADER, "date_of_birth"]
    rows = [header, [*_case("C8"), "2015-03-01"], [*_case("C9"), "2026-02-01"]]
    path = _write(tmp_path / "cases.csv", rows)
    result = loaded("cases", "import", str(path))
    assert result.exit_code == 0, result.stderr
    assert _warnings(result.stderr) == [
        f"Warning: {path}, line 3: the date of birth 2026-02-01 is after the case's open date "
        "2026-01-05 (right only for a plan made before the child was born)"
    ]
    assert "2 added" in result.stderr


# ------------------------------------------------------------------ dates in options


@pytest.mark.parametrize(
    ("args", "option", "message"),
    [
        (
            ("report", "audits", "--period", "0001-01"),
            "--period",
            f"'0001-01' is out of range: it runs from 0001-01-01 to 0001-01-31, and {RANGE}",
        ),
        (
            ("report", "audits", "--period", "2026-01-01..2040-01-01"),
            "--period",
            f"'2026-01-01..2040-01-01' is out of range: it runs from 2026-01-01 to 2040-01-01, "
            f"and {RANGE}",
        ),
        (("sample", "--month", "9999-12"), "--month", f"'9999-12' is out of range: {RANGE}"),
        (
            ("audits", "list", "--month", "1899-12"),
            "--month",
            f"'1899-12' is out of range: {RANGE}",
        ),
        (
            ("complaints", "log", "--received", "2031-12-02"),
            "--received",
            f"'2031-12-02' is out of range: {RANGE}",
        ),
        (
            ("cases", "list", "--open-on", "1899-12-31"),
            "--open-on",
            f"'1899-12-31' is out of range: {RANGE}",
        ),
        (
            ("report", "board", "--period", "1899/00"),
            "--period",
            f"'1899/00' is out of range: it runs from 1899-04-01 to 1900-03-31, and {RANGE}",
        ),
    ],
)
def test_an_option_date_out_of_range_is_a_usage_error(
    loaded_file: Cli, args: tuple[str, ...], option: str, message: str
) -> None:
    shown = _refused(loaded_file, *args, code=2)
    assert f"Invalid value for '{option}': {message}" in shown


@pytest.mark.parametrize("value", ["0001-01-01", "1899-12-31T23:59", "9999-12-31"])
def test_today_out_of_range_is_a_usage_error_against_the_real_clock(
    loaded_file: Cli, value: str
) -> None:
    before = snapshot(loaded_file.url)
    result = loaded_file("cases", "list", today=value)
    assert result.exit_code == 2, result.stderr
    shown = plain(result.stderr)
    assert f"Invalid value for '--today': '{value}' is out of range: dates must be from " in shown
    assert "1900-01-01 to " in shown
    assert snapshot(loaded_file.url) == before


# ------------------------------------------------------------------ refs differing by case


def test_refs_differing_only_in_case_or_spaces_in_one_file(loaded: Cli, tmp_path: Path) -> None:
    rows = [CASE_HEADER, _case("X900001"), _case(" X900001 "), _case("x900001")]
    path = _write(tmp_path / "cases.csv", rows)
    result = loaded("cases", "import", str(path))
    assert result.exit_code == 0, result.stderr
    # Surrounding spaces are stripped: " X900001 " is X900001 (an identical repeat).
    assert _warnings(result.stderr) == [
        f"Warning: {path}, line 4: case ref 'x900001' differs only in letter case from "
        "'X900001' on line 2: they would be two cases"
    ]
    refs = {c["case_ref"] for c in loaded("cases", "list", "-f", "json").json()}  # type: ignore[union-attr]
    assert {"X900001", "x900001"} <= refs and " X900001 " not in refs


def test_a_lower_case_ref_before_its_upper_case_twin_is_found_too(
    loaded: Cli, tmp_path: Path
) -> None:
    rows = [CASE_HEADER, _case("ab12"), _case("C5"), _case("AB12")]
    path = _write(tmp_path / "cases.csv", rows)
    result = loaded("cases", "import", str(path))
    assert result.exit_code == 0, result.stderr
    assert _warnings(result.stderr) == [
        f"Warning: {path}, line 4: case ref 'AB12' differs only in letter case from "
        "'ab12' on line 2: they would be two cases"
    ]


def test_strict_refuses_refs_differing_only_in_case(loaded: Cli, tmp_path: Path) -> None:
    rows = [CASE_HEADER, _case("X900001"), _case("x900001")]
    path = _write(tmp_path / "cases.csv", rows)
    message = _refused(loaded, "cases", "import", "--strict", str(path))
    assert message == (
        f"Error: {path}, line 3, column 1 (case_ref): case ref 'x900001' differs only in letter "
        "case from 'X900001' on line 2: they would be two cases (--strict)"
    )


@pytest.mark.parametrize("ref", ["x1", "x1 "])
def test_a_ref_differing_in_case_from_a_stored_one_is_warned_or_refused(
    loaded: Cli, tmp_path: Path, ref: str
) -> None:
    path = _write(tmp_path / "cases.csv", [CASE_HEADER, _case("C5"), _case(ref)])
    expected = (
        f"{path}, line 3: case ref 'x1' differs only in letter case from 'X1', already in the "
        "store: they would be two cases"
    )
    message = _refused(loaded, "cases", "import", "--strict", str(path))
    assert message == (
        f"Error: {path}, line 3, column 1 (case_ref): case ref 'x1' differs only in letter case "
        "from 'X1', already in the store: they would be two cases (--strict)"
    )
    result = loaded("cases", "import", str(path))
    assert result.exit_code == 0, result.stderr
    assert _warnings(result.stderr) == [f"Warning: {expected}"]


def test_an_upper_case_ref_differing_from_a_stored_lower_case_one_is_warned(
    loaded: Cli, tmp_path: Path
) -> None:
    first = _write(tmp_path / "first.csv", [CASE_HEADER, _case("x1"), _case("X1")])
    assert loaded("cases", "import", str(first)).exit_code == 0
    path = _write(tmp_path / "second.csv", [CASE_HEADER, _case("X1"), _case("Q7"), _case("q7")])
    result = loaded("cases", "import", str(path))
    assert result.exit_code == 0, result.stderr
    assert _warnings(result.stderr) == [
        f"Warning: {path}, line 2: case ref 'X1' differs only in letter case from 'x1', already "
        "in the store: they would be two cases",
        f"Warning: {path}, line 4: case ref 'q7' differs only in letter case from 'Q7' on line "
        "3: they would be two cases",
    ]


def test_twins_are_found_in_a_file_whose_refs_are_lower_case_by_convention(
    loaded: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lower-case refs are too many to keep: the few upper-case ones are looked for instead."""
    monkeypatch.setattr("qaudit.importers.rows.TRACKED", 3)
    rows = [CASE_HEADER, *(_case(f"lc{i}") for i in range(6)), _case("LC4"), _case("x1")]
    path = _write(tmp_path / "cases.csv", rows)
    result = loaded("cases", "import", str(path))
    assert result.exit_code == 0, result.stderr
    assert _warnings(result.stderr) == [
        f"Warning: {path}, line 8: case ref 'LC4' differs only in letter case from 'lc4' on "
        "line 6: they would be two cases",
        f"Warning: {path}, line 9: case ref 'x1' differs only in letter case from 'X1', already "
        "in the store: they would be two cases",
    ]


def test_a_file_of_upper_case_refs_is_read_once(
    loaded: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refs all upper case (most exports), too many to keep: no two can differ only in case,
    so the file is not read a second time to look for them (a million-row import paid 2.6 s
    for that). With one lower-case ref among them, the second look finds its twin."""
    from qaudit.importers.rows import RowWatch

    monkeypatch.setattr("qaudit.importers.rows.TRACKED", 3)
    looked: list[str] = []
    real = RowWatch.file_twins

    def counted(*args: object) -> object:
        looked.append("again")
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(RowWatch, "file_twins", staticmethod(counted))
    upper = [CASE_HEADER, *(_case(f"UP{i}") for i in range(8))]
    result = loaded("cases", "import", str(_write(tmp_path / "upper.csv", upper)))
    assert result.exit_code == 0, result.stderr
    assert (_warnings(result.stderr), looked) == ([], [])

    path = _write(tmp_path / "mixed.csv", [*upper, _case("up3")])
    result = loaded("cases", "import", str(path))
    assert result.exit_code == 0, result.stderr
    assert looked == ["again"]
    assert sorted(_warnings(result.stderr)) == [
        f"Warning: {path}, line 10: case ref 'up3' differs only in letter case from 'UP3' on "
        "line 5: they would be two cases",
        f"Warning: {path}, line 10: case ref 'up3' differs only in letter case from 'UP3', "
        "already in the store: they would be two cases",
    ]


def test_a_file_with_too_many_refs_of_both_cases_says_twins_were_not_looked_for(
    loaded: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("qaudit.importers.rows.TRACKED", 3)
    rows = [CASE_HEADER, *(_case(f"lc{i}") for i in range(5)), *(_case(f"UC{i}") for i in range(5))]
    path = _write(tmp_path / "cases.csv", rows)
    result = loaded("cases", "import", "--strict", str(path))
    assert result.exit_code == 0, result.stderr
    assert _warnings(result.stderr) == [
        f"Warning: {path}: more than 50,000 refs have lower-case letters and as many upper-case "
        "ones: refs differing only in letter case were not looked for"
    ]


# ------------------------------------------------------------------ refs and names too long


def test_a_9kb_case_ref_is_refused_on_both_databases(loaded: Cli, tmp_path: Path) -> None:
    path = _write(tmp_path / "cases.csv", [CASE_HEADER, _case("C8"), _case("R" * 9000)])
    message = _refused(loaded, "cases", "import", str(path))
    assert message == (
        f"Error: {path}, line 3, column 1 (case_ref): the case ref is 9,000 characters long; "
        "the limit is 64"
    )


PLAIN = "a reference is letters, digits, spaces and punctuation"


@pytest.mark.parametrize(
    ("ref", "shown", "at"),
    [("C9\x1b[31m", "\\x1b", 3), ("C9\u00a0X", "\\xa0", 3), ("C\t9", "\\t", 2),
     ("C9\u200b", "\\u200b", 3)],
    ids=["escape", "no-break-space", "tab", "zero-width-space"],
)  # fmt: skip
def test_a_case_ref_that_is_not_plain_text_is_refused(
    loaded: Cli, tmp_path: Path, ref: str, shown: str, at: int
) -> None:
    """A ref nobody could type to `grade` (and that a CSV export would carry raw): an escape,
    a tab or a line break inside it, a non-breaking or zero-width space."""
    path = _write(tmp_path / "cases.csv", [CASE_HEADER, _case("C8"), _case(ref)])
    message = _refused(loaded, "cases", "import", str(path))
    assert message == (
        f"Error: {path}, line 3, column 1 (case_ref): the case ref has a character that is not "
        f"plain text ({shown}, at character {at}): {PLAIN}"
    )


def test_a_response_id_that_is_not_plain_text_is_refused(loaded: Cli, tmp_path: Path) -> None:
    path = _write(tmp_path / "survey.csv", [SURVEY_HEADER, _survey("BS\x07-9")])
    message = _refused(loaded, "survey", "import", str(path))
    assert message == (
        f"Error: {path}, line 2, column 1 (response_id): the response id has a character that "
        f"is not plain text (\\x07, at character 3): {PLAIN}"
    )


def test_refs_with_spaces_accents_and_punctuation_are_plain_text(
    loaded: Cli, tmp_path: Path
) -> None:
    refs = ["C 100", "CÉ-2/7", "Ref.9 (old)"]
    path = _write(tmp_path / "cases.csv", [CASE_HEADER, *(_case(ref) for ref in refs)])
    done = loaded("cases", "import", str(path))
    assert done.exit_code == 0, done.stderr
    listed = loaded("cases", "list", "--format", "json").json()
    assert set(refs) <= {case["case_ref"] for case in listed}  # type: ignore[union-attr]


def test_refs_and_names_at_their_limits_are_stored_on_both_databases(
    loaded: Cli, tmp_path: Path
) -> None:
    ref, team, worker = "R" * 64, "T" * 200, "W" * 200
    path = _write(tmp_path / "cases.csv", [CASE_HEADER, _case(ref, team=team, worker=worker)])
    result = loaded("cases", "import", str(path))
    assert result.exit_code == 0, result.stderr
    [case] = [c for c in loaded("cases", "list", "-f", "json").json() if c["case_ref"] == ref]  # type: ignore[union-attr]
    assert (case["team"], case["worker"]) == (team, worker)


@pytest.mark.parametrize(
    ("column", "field", "what"),
    [(2, "team", "team"), (3, "worker", "worker's name")],
)
def test_a_9kb_team_or_worker_is_refused(
    loaded: Cli, tmp_path: Path, column: int, field: str, what: str
) -> None:
    path = _write(tmp_path / "cases.csv", [CASE_HEADER, _case("C9", **{field: "n" * 9000})])
    message = _refused(loaded, "cases", "import", str(path))
    assert message == (
        f"Error: {path}, line 2, column {column} ({field}): the {what} is 9,000 characters long; "
        "the limit is 200"
    )


@pytest.mark.parametrize(
    ("row", "column", "what"),
    [
        (["N" * 9000, "auditor", "Team A"], "column 1 (name)", "name"),
        (["Bo Jones", "auditor", "T" * 201], "column 3 (team)", "team"),
    ],
)
def test_a_staff_name_or_team_over_200_is_refused(
    loaded: Cli, tmp_path: Path, row: list[str], column: str, what: str
) -> None:
    path = _write(tmp_path / "staff.csv", [STAFF_HEADER, ["Cy", "auditor", "Team A"], row])
    message = _refused(loaded, "staff", "import", str(path))
    size = f"{max(len(cell) for cell in row):,}"
    assert message == (
        f"Error: {path}, line 3, {column}: the {what} is {size} characters long; the limit is 200"
    )


def test_a_survey_response_id_over_64_is_refused(loaded: Cli, tmp_path: Path) -> None:
    path = _write(tmp_path / "survey.csv", [SURVEY_HEADER, _survey("R" * 9000)])
    message = _refused(loaded, "survey", "import", str(path))
    assert message == (
        f"Error: {path}, line 2, column 1 (response_id): the response id is 9,000 characters "
        "long; the limit is 64"
    )


# ------------------------------------------------------------------ text given as options


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("complaints", "log", "--summary", "late\x00visit"),
            "Invalid value for '--summary': a NUL byte (\\x00) at character 5: qaudit does not "
            "store NUL bytes",
        ),
        (
            ("complaints", "log", "--case", "X1\x00"),
            "Invalid value for '--case': a NUL byte (\\x00) at character 3",
        ),
        (("complaints", "show", "C\x00"), "Invalid value for 'REF': a NUL byte (\\x00)"),
        (
            ("scrutiny", "add", "--committee", "Corporate parenting", "--resolution", "a\x00"),
            "Invalid value for '--resolution': a NUL byte (\\x00) at character 2",
        ),
        (
            ("scrutiny", "add", "--committee", "c" * 201),
            "Invalid value for '--committee': the value is 201 characters long; the limit is 200",
        ),
        (("survey", "review", "R0\x00"), "Invalid value for 'ID': a NUL byte (\\x00)"),
        (
            ("survey", "review", "R0", "--action", "called\x00"),
            "Invalid value for '--action': a NUL byte (\\x00) at character 7",
        ),
        (("grade", "X1\x00", "--grade", "good"), "Invalid value for 'CASE': a NUL byte (\\x00)"),
        (
            ("grade", "X1", "--grade", "good", "--adhoc", "--strength", "kind\x00"),
            "Invalid value for '--strength': a NUL byte (\\x00) at character 5",
        ),
    ],
)
def test_a_nul_or_an_overlong_name_in_an_option_is_a_usage_error(
    loaded_file: Cli, args: tuple[str, ...], message: str
) -> None:
    shown = _refused(loaded_file, *args, code=2)
    assert message in shown


# ------------------------------------------------------------------ the same in an Annex A workbook

ANNEX_CIN = [
    "Child Unique ID",
    "Date of Birth",
    "CIN Start Date",
    "CIN Closure Date",
    "Allocated Team",
    "Allocated Worker",
]


def _annex(path: Path, *rows: Sequence[object]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "List 6"
    for row in (ANNEX_CIN, ["A1", datetime(2015, 1, 1), datetime(2026, 1, 5), None, "T", "W"]):
        sheet.append(list(row))
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


@pytest.mark.parametrize(
    ("row", "place", "problem"),
    [
        (
            ["A2", None, "31/12/1899", None, "T", "W"],
            "column C (CIN Start Date)",
            f"'1899-12-31' is out of range: {RANGE}",
        ),
        (
            ["A2", datetime(2032, 1, 1), datetime(2026, 1, 5), None, "T", "W"],
            "column B (Date of Birth)",
            f"'2032-01-01' is out of range: {RANGE}",
        ),
        (
            ["R" * 65, None, datetime(2026, 1, 5), None, "T", "W"],
            "column A (Child Unique ID)",
            "the case ref is 65 characters long; the limit is 64",
        ),
        (
            ["A\u00a02", None, datetime(2026, 1, 5), None, "T", "W"],
            "column A (Child Unique ID)",
            "the case ref has a character that is not plain text (\\xa0, at character 2): " + PLAIN,
        ),
        (
            ["A2", None, datetime(2026, 1, 5), None, "T" * 9000, "W"],
            "column E (Allocated Team)",
            "the team is 9,000 characters long; the limit is 200",
        ),
    ],
)
def test_an_annex_a_cell_out_of_bounds_is_refused_at_its_place(
    loaded: Cli, tmp_path: Path, row: list[object], place: str, problem: str
) -> None:
    path = _annex(tmp_path / "annex.xlsx", row)
    message = _refused(loaded, "cases", "import", str(path))
    assert message == f"Error: {path}, sheet 'List 6', row 3, {place}: {problem}"


def test_an_annex_a_birth_after_the_case_opened_is_a_warning_naming_the_row(
    loaded: Cli, tmp_path: Path
) -> None:
    path = _annex(
        tmp_path / "annex.xlsx", ["A2", datetime(2026, 3, 1), datetime(2026, 1, 5), None, "T", "W"]
    )
    result = loaded("cases", "import", str(path))
    assert result.exit_code == 0, result.stderr
    assert f"Warning: {path}, sheet 'List 6', row 3: the date of birth 2026-03-01 is after " in (
        result.stderr
    )
