"""The audit workbook's layout and reader: sheet names, choices, dates as spreadsheets keep
them, the checksum, and a workbook saved as Excel saves it (shared strings) read the same."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from qaudit.errors import InputError, RuleError
from qaudit.importers.framework import load_framework, load_themes
from qaudit.importers.workbook import (
    ANSWER_CHOICES,
    GRADE_CHOICES,
    SheetHeader,
    SheetRecord,
    SheetToWrite,
    WorkbookError,
    WorkbookToWrite,
    _date_value,
    _not_a_choice,
    checksum,
    layout_for,
    locked_cells,
    read_sheet,
    read_workbook,
    sheet_name,
    workbook_bytes,
)
from qaudit.paths import data_dir
from qaudit.services.context import Context
from qaudit.store.engine import Store

FRAMEWORK = load_framework(data_dir() / "framework.toml")
THEMES = load_themes(data_dir() / "themes.toml")
LAYOUT = layout_for(FRAMEWORK)
MB = 1024 * 1024


@pytest.mark.parametrize(
    ("ref", "reaudit", "taken", "expected"),
    [
        ("C100023", False, set(), "C100023"),
        ("C100023", True, {"c100023"}, "C100023 re-audit"),
        ("A/B:C*D", False, set(), "A_B_C_D"),
        ("X" * 40, False, set(), "X" * 31),
        ("X" * 40, True, set(), "X" * 22 + " re-audit"),
        ("guide", False, set(), "guide (2)"),
        ("K1", False, {"k1"}, "K1 (2)"),
    ],
)
def test_sheet_names_follow_excels_rules(
    ref: str, reaudit: bool, taken: set[str], expected: str
) -> None:
    name = sheet_name(ref, reaudit, set(taken))
    assert name == expected and len(name) <= 31


@pytest.mark.parametrize(
    ("typed", "choices", "suggests"),
    [
        ("Godo", GRADE_CHOICES, "Good"),
        ("inadequte", ANSWER_CHOICES, "Inadequate"),
        ("Outstandin", GRADE_CHOICES, "Outstanding"),
        ("Excelent", ANSWER_CHOICES, None),
    ],
)
def test_a_wrong_choice_lists_the_choices_and_the_nearest(
    typed: str, choices: tuple[str, ...], suggests: str | None
) -> None:
    message = _not_a_choice(typed, "an answer", choices)
    assert message.startswith(f"'{typed}' is not an answer; choose from {', '.join(choices)}")
    assert (
        (f"did you mean '{suggests}'?" in message) if suggests else ("did you mean" not in message)
    )


def _fail(cell: str, problem: str) -> WorkbookError:
    return WorkbookError(problem, file="f.xlsx", sheet="S", cell=cell)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2026, 12, 10, 0, 0), date(2026, 12, 10)),
        (date(2026, 12, 10), date(2026, 12, 10)),
        (46366, date(2026, 12, 10)),  # Excel's day number, as a program without styles keeps it
        (46366.0, date(2026, 12, 10)),
        ("10/12/2026", date(2026, 12, 10)),  # UK, never month-first
        (" 2026-12-10 ", date(2026, 12, 10)),
        (None, None),
        ("  ", None),
    ],
)
def test_dates_are_read_as_spreadsheets_keep_them(value: Any, expected: date | None) -> None:
    assert _date_value(value, _fail, "C60", "the date audited") == expected


@pytest.mark.parametrize("value", [5, "31/02/2026", "12/31/2026", "next week", True])
def test_what_is_not_a_date_is_refused_at_its_cell(value: Any) -> None:
    with pytest.raises(WorkbookError, match=r"f\.xlsx, sheet S, cell C60: the date audited"):
        _date_value(value, _fail, "C60", "the date audited")


def _header() -> SheetHeader:
    return SheetHeader("K001", "Team A", "CLA", date(2026, 12, 31), "the 2026-12 sample", "Ann")


def test_the_checksum_covers_every_locked_cell() -> None:
    cells = locked_cells(_header(), LAYOUT)
    assert cells["B3"] == "K001" and cells["B6"] == "31/12/2026"
    row, qid, text = LAYOUT.question_rows[0]
    assert cells[f"A{row}"] == qid and cells[f"B{row}"] == text
    digest = checksum(cells)
    assert checksum(dict(reversed(list(cells.items())))) == digest
    assert checksum({**cells, "B4": "Team B"}) != digest


def _record(name: str = "K001") -> SheetRecord:
    locked = locked_cells(_header(), LAYOUT)
    return SheetRecord(
        sheet=name,
        case_ref="K001",
        kind="sample",
        item_id=1,
        checksum=checksum(locked),
        locked=locked,
        answers=LAYOUT.answers,
        fields=dict(LAYOUT.fields),
        actions=LAYOUT.actions,
    )


def _filled_workbook(tmp_path: Path) -> Path:
    record = _record()
    book = WorkbookToWrite(
        "2026-12-abc", "2026-12", "Ann", (SheetToWrite("K001", _header(), record.checksum),)
    )
    path = tmp_path / "Ann.xlsx"
    path.write_bytes(workbook_bytes(book, FRAMEWORK, THEMES))
    wb = openpyxl.load_workbook(path)
    ws = wb["K001"]
    ws[LAYOUT.answers[LAYOUT.question_rows[0][1]]] = "Requires improvement to be good"
    ws[LAYOUT.fields["grade"]] = "Requires improvement to be good"
    ws[LAYOUT.fields["development"]] = "Plan is out of date."
    ws[LAYOUT.fields["themes"]] = "planning"
    ws[LAYOUT.fields["audit_date"]] = datetime(2026, 12, 10)
    wb.save(path)
    return path


def _shared_strings(path: Path, out: Path) -> None:
    """Rewrite every inline string (as openpyxl writes them) as a shared string, as Excel and
    LibreOffice save them: the sharedStrings part, its relationship and content type."""
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    assert "xl/sharedStrings.xml" not in parts
    shared: list[str] = []

    def share(match: re.Match[str]) -> str:
        cell, style, text = match.groups()
        shared.append(text)
        return f'<c r="{cell}"{style} t="s"><v>{len(shared) - 1}</v></c>'

    cell = re.compile(
        r'<c r="([A-Z]+\d+)"((?: s="\d+")?) t="inlineStr"><is><t>(.*?)</t></is></c>', re.S
    )
    for name in list(parts):
        if name.startswith("xl/worksheets/sheet"):
            parts[name] = cell.sub(share, parts[name].decode()).encode()
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    items = "".join(f'<si><t xml:space="preserve">{text}</t></si>' for text in shared)
    parts["xl/sharedStrings.xml"] = (
        f'<sst xmlns="{main}" count="{len(shared)}" uniqueCount="{len(shared)}">{items}</sst>'
    ).encode()
    rel = (
        '<Relationship Id="rIdShared" Target="sharedStrings.xml" Type="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
    )
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    parts["xl/_rels/workbook.xml.rels"] = rels.replace(
        "</Relationships>", rel + "</Relationships>"
    ).encode()
    override = (
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sharedStrings+xml"/>'
    )
    types = parts["[Content_Types].xml"].decode()
    parts["[Content_Types].xml"] = types.replace("</Types>", override + "</Types>").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    out.write_bytes(buffer.getvalue())


def test_a_workbook_with_shared_strings_reads_the_same(tmp_path: Path) -> None:
    path = _filled_workbook(tmp_path)
    other = tmp_path / "shared.xlsx"
    _shared_strings(path, other)
    assert b"inlineStr" not in zipfile.ZipFile(other).read("xl/worksheets/sheet2.xml")
    read = [
        read_sheet(
            read_workbook(p, max_bytes=MB, max_unpacked=10 * MB),
            _record(),
            framework=FRAMEWORK,
            themes=THEMES,
            today=date(2026, 12, 15),
        )
        for p in (path, other)
    ]
    assert read[0] == read[1]
    assert read[0] is not None and read[0].grade.slug == "requires-improvement"
    assert read[0].themes == ["planning"] and read[0].audit_date == date(2026, 12, 10)


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(WorkbookError, match=r"x\.xlsx: not an Excel workbook \(\.xlsx\)"):
        read_workbook(path, max_bytes=MB, max_unpacked=10 * MB)


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (4 * MB))
    with pytest.raises(InputError, match="would unpack to"):
        read_workbook(path, max_bytes=MB, max_unpacked=MB)


def test_exporting_a_month_with_nothing_allocated_is_refused(store: Store, ctx: Context) -> None:
    from qaudit.services.forms import export_forms_in
    from qaudit.services.transaction import write_transaction
    from qaudit.store.lite import AlchemyTx

    with pytest.raises(RuleError, match="nothing is allocated for 2026-12"):
        with write_transaction(store, ctx) as session:
            export_forms_in(AlchemyTx(session), ctx, month="2026-12", framework=FRAMEWORK)
