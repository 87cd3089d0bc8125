"""The large-file reader in a second process: rows, errors and odd characters come through."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import write_csv
from qaudit.errors import InputError, QauditError
from qaudit.importers.case_csv import read_case_csv
from qaudit.importers.child_reader import read_in_child
from qaudit.importers.rows import CaseFile, RowTuple

HEADER = ["case_ref", "team", "worker", "category", "open_date", "close_date", "date_of_birth"]


def _all(batches: Iterator[object]) -> list[object]:
    return [row for batch in batches for row in batch]  # type: ignore[attr-defined]


def test_rows_come_through_as_read_in_process(tmp_path: Path) -> None:
    rows = [HEADER] + [
        [
            f"C{i}",
            f"Team {i % 3}" if i % 4 else "",
            "",
            "CIN",
            "2026-01-02",
            "",
            "03/04/2015" if i % 2 else "",
        ]
        for i in range(50_000)
    ]
    path = write_csv(tmp_path / "c.csv", rows)
    expected = _all(read_case_csv(path).batches)
    assert _all(read_in_child(lambda: read_case_csv(path))) == expected


def test_a_field_holding_a_separator_still_arrives_intact(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [HEADER, ["C1", "Team\x1fA", "W\x1eX", "CP", "", "", ""]])
    rows = _all(read_in_child(lambda: read_case_csv(path)))
    assert rows == [(2, "C1", "Team\x1fA", "W\x1eX", "CP", None, None, None)]


def test_an_input_error_in_the_child_is_raised_with_its_place(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [HEADER, ["C1", "T", "W", "CIN", "2026-02-30", "", ""]])
    with pytest.raises(InputError) as caught:
        _all(read_in_child(lambda: read_case_csv(path)))
    assert str(caught.value) == (
        f"{path}, line 2, column 5 (open_date): '2026-02-30' is not a date "
        "(YYYY-MM-DD or DD/MM/YYYY)"
    )
    assert (caught.value.line, caught.value.column_name) == (2, "open_date")


def test_a_reader_that_dies_is_an_error_not_a_hang() -> None:
    def dies() -> CaseFile:
        def batches() -> Iterator[list[RowTuple]]:
            yield [(2, "C1", None, None, "CIN", None, None, None)]
            os._exit(9)

        return CaseFile(kind="csv", batches=batches())

    with pytest.raises(QauditError, match="stopped unexpectedly; nothing was written"):
        _all(read_in_child(dies))
