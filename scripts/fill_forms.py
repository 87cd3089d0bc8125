"""Fill returned audit workbooks as auditors would in Excel: a stand-in for people, for the
README's walk through a month and for trying qaudit out. Not part of qaudit itself.

Every case sheet is answered "Good" throughout, graded Good, dated and given a theme; with
``--inadequate CASE`` that case is graded Inadequate instead, with its areas for development
and one action for ``--owner`` (due in four weeks). Cells are found by their labels in column
A, as a person finds them, and the workbook is saved in place.

Usage:
  python scripts/fill_forms.py forms/*.xlsx --date 2026-12-15 [--inadequate CASE --owner NAME]
"""

from __future__ import annotations

import argparse
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl

HIDDEN = ("Guide", "qaudit")


def fill(path: Path, on: date, inadequate: str | None, owner: str | None) -> int:
    book = openpyxl.load_workbook(path)
    filled = 0
    for sheet in book.worksheets:
        if sheet.title in HIDDEN or sheet.sheet_state != "visible":
            continue
        case = str(sheet["B3"].value)
        worst = case == inadequate
        rows = {str(row[0].value): row[0].row for row in sheet.iter_rows(min_col=1, max_col=1)}
        first, last = rows["Question id"] + 1, rows["Overall grade"] - 1
        asked = [r for r in range(first, last + 1) if sheet.cell(r, 1).value]
        for n, row in enumerate(asked):
            sheet.cell(row, 3, "Inadequate" if worst and n % 3 == 0 else "Good")
        sheet.cell(rows["Overall grade"], 3, "Inadequate" if worst else "Good")
        sheet.cell(rows["Strengths"], 3, "The child was seen alone")
        sheet.cell(rows["Views gathered"], 3, "Yes")
        sheet.cell(rows["Themes"], 3, "planning" if worst else "voice-of-the-child")
        sheet.cell(rows["Date audited"], 3, datetime(on.year, on.month, on.day))
        if worst:
            sheet.cell(rows["Areas for development"], 3, "No plan since July")
            action = rows["Action 1"]
            sheet.cell(action, 2, "Review the plan with the family")
            sheet.cell(action, 3, owner)
            sheet.cell(action, 4, datetime.combine(on + timedelta(weeks=4), datetime.min.time()))
        else:
            sheet.cell(rows["Family feedback"], 3, "Mum said she feels listened to")
        filled += 1
    book.save(path)
    return filled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--date", type=date.fromisoformat, required=True)
    parser.add_argument("--inadequate", metavar="CASE")
    parser.add_argument("--owner", help="who owns the Inadequate case's action")
    args = parser.parse_args()
    total = sum(fill(path, args.date, args.inadequate, args.owner) for path in args.files)
    print(f"Filled {total} audit forms in {len(args.files)} workbooks.")


if __name__ == "__main__":
    main()
