"""``qaudit export``: a typed workbook or CSV files, a data dictionary, nothing private under
--publish, written atomically and privately, never over the store; on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import stat
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import Cli, init_store_at, snapshot
from qaudit.cli import app
from qaudit.services.export import TABLE_NAMES, TABLES
from test_analysis import AFTER_ERASURE, ERASED_REF, FORMULA, Built, filled_store

SHEETS = ["dictionary", *TABLE_NAMES]
PRIVATE = {
    (spec.name, column.name)
    for spec in TABLES
    for column in spec.columns
    if column.free_text or column.personal
}
KINDS = {(spec.name, column.name): column.kind for spec in TABLES for column in spec.columns}


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Built]:
    """The filled store of tests/test_analysis.py, once per backend for the module."""
    yield from filled_store(request.param, tmp_path_factory, request)


@pytest.fixture
def run(built: Built) -> Cli:
    return Cli(built.url, CliRunner())


def _sheet_rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


def _private_texts(built: Built) -> set[str]:
    from qaudit.analysis import frames

    internal = frames(built.url)
    found: set[str] = set()
    for table, column in PRIVATE:
        if internal[table][column].dtype == "string":
            found |= {v for v in internal[table][column].dropna() if len(v) > 3}
    return found


def test_a_workbook_with_a_typed_sheet_a_table(run: Cli, built: Built, tmp_path: Path) -> None:
    before = snapshot(built.url)
    out = tmp_path / "qa-data.xlsx"
    result = run("export", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "Exported 12 tables" in result.stderr and str(out) in result.stderr
    assert "change log head " in result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert snapshot(built.url) == before  # an export writes nothing to the store
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == SHEETS
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
    sheets = _sheet_rows(out)
    frames_of = {spec.name: [c.name for c in spec.columns] for spec in TABLES}
    for name in TABLE_NAMES:
        assert list(sheets[name][0]) == frames_of[name], name
        assert len(sheets[name]) > 1, name  # every table has rows in this store
    # Typed cells: ids as numbers, dates as dates, times as date-times, yes/no as booleans.
    audits = wb["audits"]
    header = [c.value for c in audits[1]]
    first = dict(zip(header, audits[2], strict=True))
    assert isinstance(first["audit_id"].value, int)
    assert isinstance(first["audit_date"].value, datetime) and first["audit_date"].is_date
    assert first["audit_date"].number_format == "yyyy-mm-dd"
    assert first["recorded_at"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert isinstance(first["views_gathered"].value, bool)
    assert first["grade"].value in ("outstanding", "good", "requires-improvement", "inadequate")
    # Text a spreadsheet would run is text, quoted, never a formula.
    cells = [c for row in audits.iter_rows(min_row=2) for c in row if c.value is not None]
    formula = [c for c in cells if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert len(formula) == 1 and formula[0].value == "'" + FORMULA
    assert formula[0].data_type == "s"
    assert not any(c.data_type == "f" for c in cells)


def test_pandas_reads_the_workbook_back_typed(run: Cli, tmp_path: Path) -> None:
    out = tmp_path / "qa.xlsx"
    assert run("export", "--out", str(out)).exit_code == 0
    tables = pd.read_excel(out, sheet_name=None)
    assert list(tables) == SHEETS
    cases = tables["cases"]
    assert pd.api.types.is_integer_dtype(cases["case_id"])
    assert pd.api.types.is_datetime64_any_dtype(cases["open_date"])
    assert pd.api.types.is_bool_dtype(cases["erased"])
    assert pd.api.types.is_datetime64_any_dtype(tables["complaints"]["logged_at"])


def test_the_dictionary_covers_every_column(run: Cli, tmp_path: Path) -> None:
    for publish in ((), ("--publish",)):
        out = tmp_path / f"d{len(publish)}.xlsx"
        assert run("export", "--out", str(out), *publish).exit_code == 0
        sheets = _sheet_rows(out)
        head, *rows = sheets["dictionary"]
        assert head == ("table", "column", "type", "values", "meaning")
        listed = [(r[0], r[1]) for r in rows]
        assert len(listed) == len(set(listed))
        present = [(name, column) for name in TABLE_NAMES for column in sheets[name][0]]
        assert sorted(listed) == sorted(present)
        for table, column, kind, values, meaning in rows:
            assert kind == KINDS[(table, column)]
            assert meaning and len(str(meaning)) > 5
            if kind == "category":
                assert values
        grade = next(r for r in rows if r[:2] == ("audits", "grade"))
        assert grade[3] == "outstanding < good < requires-improvement < inadequate"


def test_csv_files_in_a_folder(run: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "qa-data"
    result = run("export", "--out", str(folder), "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert "as CSV files" in result.stderr
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{n}.csv" for n in SHEETS)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    tables = {
        p.stem: list(csv.DictReader(io.StringIO(p.read_text(encoding="utf-8"))))
        for p in folder.iterdir()
    }
    for spec in TABLES:
        assert list(tables[spec.name][0]) == [c.name for c in spec.columns]
    audits = tables["audits"]
    assert {row["views_gathered"] for row in audits} <= {"true", "false"}
    assert all(date.fromisoformat(row["audit_date"]) for row in audits)
    assert "'" + FORMULA in {row["strengths"] for row in audits}  # formula-neutralised
    assert not any(v.startswith("=") for row in audits for v in row.values())
    # Written again into the same folder: replaced, still 0600.
    again = run("export", "--out", f"{folder}/")
    assert again.exit_code == 0, again.stderr
    assert stat.S_IMODE((folder / "cases.csv").stat().st_mode) == 0o600


def test_publish_has_no_free_text_and_no_names(run: Cli, built: Built, tmp_path: Path) -> None:
    secrets = _private_texts(built)
    assert FORMULA in secrets and ERASED_REF in secrets and "Kiran Evans" in secrets
    assert "C-2025-0001" in secrets and "BS-0001" in secrets  # complaint refs, response ids
    out = tmp_path / "published.xlsx"
    result = run("export", "--out", str(out), "--publish")
    assert result.exit_code == 0, result.stderr
    assert "(published: no free text or personal identifiers)" in result.stderr
    sheets = _sheet_rows(out)
    for name in TABLE_NAMES:
        header, *rows = sheets[name]
        assert not {(name, c) for c in header} & PRIVATE, name
        values = {str(v) for row in rows for v in row if v is not None}
        assert not values & secrets, name
    folder = tmp_path / "published"
    assert run("export", "--out", str(folder), "--format", "csv", "--publish").exit_code == 0
    blob = "\n".join(p.read_text(encoding="utf-8") for p in folder.iterdir())
    for secret in secrets:
        if len(secret) > 12:  # long enough not to be part of a figure or a vocabulary word
            assert secret not in blob, secret


def test_an_erased_case_shows_figures_only(run: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    assert run("export", "--out", str(folder), "-f", "csv").exit_code == 0
    blob = "\n".join(p.read_text(encoding="utf-8") for p in folder.iterdir())
    assert AFTER_ERASURE not in blob
    cases = list(csv.DictReader(io.StringIO((folder / "cases.csv").read_text())))
    (erased,) = [row for row in cases if row["case_ref"] == ERASED_REF]
    assert (erased["erased"], erased["date_of_birth"], erased["worker"]) == ("true", "", "")
    assert sum(row["erased"] == "true" for row in cases) == 1


def test_never_over_the_store(tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    runner = CliRunner()
    init_store_at(f"sqlite:///{store}")
    before = snapshot(f"sqlite:///{store}")
    for args in (
        ["--out", str(store), "--format", "xlsx"],
        ["--out", f"{store}-wal", "--format", "xlsx"],
    ):
        result = runner.invoke(app, ["--db", str(store), "export", *args])
        assert result.exit_code == 1, result.stderr
        assert result.stderr.startswith("Error: cannot write ")
        assert "it is the case store's own file" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert snapshot(f"sqlite:///{store}") == before
    # A CSV folder holding the store under a table's name: refused before anything is written.
    folder = tmp_path / "odd"
    folder.mkdir()
    inside = folder / "cases.csv"
    init_store_at(f"sqlite:///{inside}")
    result = runner.invoke(app, ["--db", str(inside), "export", "--out", str(folder)])
    assert result.exit_code == 1
    assert "it is the case store's own file" in result.stderr
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith("cases.csv")) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "data.txt"], "Error: cannot tell what to write to data.txt: name a .xlsx file"),
        (["--out", "missing/qa.xlsx"], "Error: cannot write missing/qa.xlsx: the folder"),
        (["--out", "missing/deeper/", "-f", "csv"], "Error: cannot write CSV files into missing"),
        (["--out", "afile", "-f", "csv"], "Error: cannot write CSV files into afile: it is a file"),
        (["--out", "adir", "-f", "xlsx"], "Error: cannot write adir: it is a folder"),
        (["--out", "-", "-f", "csv"], "Error: a CSV export is a folder of files, one a table"),
    ],
)
def test_bad_targets_are_refused_and_nothing_is_written(
    cli: Cli, db_url: str, tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "afile").write_text("keep")
    (tmp_path / "adir").mkdir()
    before = snapshot(db_url)
    listing = sorted(p.name for p in tmp_path.iterdir())
    result = cli("export", *args)
    assert result.exit_code == 1, result.stderr
    assert result.stderr.startswith(message), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == listing
    assert (tmp_path / "afile").read_text() == "keep" and not list((tmp_path / "adir").iterdir())
    assert snapshot(db_url) == before


def test_usage_errors_exit_2(cli: Cli) -> None:
    assert cli("export").exit_code == 2
    result = cli("export", "--out", "x.xlsx", "--format", "ods")
    assert result.exit_code == 2
    assert not Path("x.xlsx").exists()


def test_a_missing_store_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["--db", str(tmp_path / "none.db"), "export", "--out", str(tmp_path / "x.xlsx")]
    )
    assert result.exit_code == 1
    assert (
        result.stderr.strip() == f"Error: no case store at {tmp_path / 'none.db'}: run qaudit init"
    )
    assert sorted(tmp_path.iterdir()) == []


def test_an_empty_store_exports_headers_only(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "empty.xlsx"
    result = cli("export", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert "(0 rows)" in result.stderr
    sheets = _sheet_rows(out)
    assert list(sheets) == SHEETS
    assert all(len(sheets[name]) == 1 for name in TABLE_NAMES)
    assert len(sheets["dictionary"]) > len(TABLE_NAMES)


def test_help_has_an_example(cli: Cli) -> None:
    result = cli("export", "--help")
    assert result.exit_code == 0
    assert "Example:" in result.stdout and "qaudit export --out" in result.stdout
