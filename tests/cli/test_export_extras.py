"""The extras: without pandas (the analysis extra) ``qaudit export`` still works and
``qaudit.analysis`` says what to install; without psycopg (the postgres extra) a PostgreSQL
URL says what to install. The missing module is simulated: None in ``sys.modules`` makes its
import fail, as it does when the package is not installed."""

from __future__ import annotations

import importlib
import stat
import sys
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from conftest import Cli, init_store_at, snapshot
from qaudit.services.export import TABLE_NAMES


@pytest.fixture
def without_pandas(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(sys.modules):
        if name == "pandas" or name.startswith("pandas.") or name == "qaudit.analysis":
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "pandas", None)


@pytest.mark.usefixtures("without_pandas")
def test_analysis_without_pandas_says_to_install_the_extra() -> None:
    with pytest.raises(ImportError) as raised:
        importlib.import_module("qaudit.analysis")
    assert str(raised.value) == (
        "qaudit.analysis needs pandas, which comes with the analysis extra: "
        "pip install 'qaudit[analysis]'"
    )


@pytest.mark.usefixtures("without_pandas")
def test_export_needs_no_pandas(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "qa.xlsx"
    result = cli("export", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert openpyxl.load_workbook(out).sheetnames == ["dictionary", *TABLE_NAMES]
    folder = tmp_path / "csv"
    assert cli("export", "--out", str(folder), "-f", "csv").exit_code == 0
    assert stat.S_IMODE((folder / "dictionary.csv").stat().st_mode) == 0o600
    assert sys.modules["pandas"] is None  # nothing got pandas in by another route


@pytest.mark.parametrize(
    "url", ["postgresql+psycopg://qa@127.0.0.1:5432/qaudit", "postgresql://qa@127.0.0.1/qaudit"]
)
def test_postgres_without_psycopg_says_to_install_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str
) -> None:
    from sqlalchemy.engine import make_url

    if make_url(url).get_driver_name() != "psycopg":
        pytest.skip("this SQLAlchemy's default PostgreSQL driver is not psycopg")
    for name in list(sys.modules):
        if name == "psycopg" or name.startswith(("psycopg.", "psycopg_binary")):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "psycopg", None)
    cli = Cli(url, CliRunner())
    for args in (["export", "--out", str(tmp_path / "x.xlsx")], ["init"], ["audits", "list"]):
        result = cli(*args)
        assert result.exit_code == 1, (args, result.stderr)
        assert result.stderr == (
            "Error: PostgreSQL needs the postgres extra: pip install 'qaudit[postgres]'\n"
        )
    assert sorted(tmp_path.iterdir()) == []


def test_sqlite_needs_no_psycopg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    init_store_at(url)
    monkeypatch.setitem(sys.modules, "psycopg", None)
    before = snapshot(url)
    result = Cli(url, CliRunner())("export", "--out", str(tmp_path / "x.xlsx"))
    assert result.exit_code == 0, result.stderr
    assert snapshot(url) == before
