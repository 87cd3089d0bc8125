"""Hostile files given to ``qaudit cases import``: each imports, or is refused as the contract says.

The contract (cli.md): a refusal is exit code 1 with one ``Error: …`` line on stderr naming the
file, never a traceback, and a refused import leaves the store exactly as it was.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from conftest import FIXTURES, snapshot, write_csv
from qaudit.cli import app

HEADER = ["case_ref", "team", "worker", "category", "open_date", "close_date"]
SEED = [
    HEADER,
    ["C1", "Team A", "Ann Smith", "CIN", "2026-01-05", ""],
    ["C2", "Team B", "", "cp", "30/11/2025", ""],
    ["C3", "Team A", "Bo Jones", "CLA", "2025-04-01", "2026-03-31"],
]
SAMPLE_XLSX = FIXTURES / "annex-a" / "liia-tools-sample.xlsx"
TODAY = "2026-12-01"
MB = 1 << 20
QUICK_SECONDS = 10.0


# Each example copies a fresh store inside the test's tmp_path, so reusing that fixture is safe.
def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@dataclass
class Loaded:
    """A store pre-loaded with three cases; ``fresh()`` gives a private copy for one try."""

    template: Path
    before: dict[str, object]
    root: Path

    def fresh(self) -> tuple[Path, str]:
        folder = Path(tempfile.mkdtemp(dir=self.root))
        db = folder / "store.db"
        shutil.copyfile(self.template, db)
        return folder, f"sqlite:///{db}"


@pytest.fixture
def loaded(tmp_path: Path) -> Loaded:
    template = tmp_path / "template.db"
    seed = write_csv(tmp_path / "seed.csv", SEED)
    assert CliRunner().invoke(app, ["--db", str(template), "init"]).exit_code == 0
    result = run(template, seed)
    assert result.exit_code == 0, result.stderr
    return Loaded(template, snapshot(f"sqlite:///{template}"), tmp_path)


def run(db: Path, file: Path, *extra: str) -> Result:
    return CliRunner().invoke(
        app, ["--db", str(db), "--today", TODAY, *extra, "cases", "import", str(file)]
    )


def check_contract(
    result: Result,
    file: Path,
    url: str,
    before: dict[str, object],
) -> None:
    """Imported (exit 0), or refused with one ``Error:`` line naming the file, store unchanged:
    one line by any reckoning, so a cell quoted in the message may hold no line break of any
    kind (str.splitlines: CR, LF, VT, FF, FS, GS, RS, NEL, LS, PS)."""
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        shown = "".join(traceback.format_exception(exc))
        pytest.fail(f"traceback instead of a refusal:\n{shown}")
    assert result.exit_code in (0, 1), (result.exit_code, result.stderr[:500])
    if result.exit_code == 1:
        assert result.stderr.endswith("\n"), result.stderr[-300:]
        lines = result.stderr.splitlines()
        assert len(lines) == 1, f"expected one stderr line, got {len(lines)}: {lines[:3]!r}"
        assert lines[0].startswith("Error: "), lines[0][:300]
        assert str(file) in lines[0], lines[0][:300]
        assert snapshot(url) == before


def import_and_check(loaded: Loaded, payload: bytes, name: str = "cases.csv") -> Result:
    folder, url = loaded.fresh()
    file = folder / name
    file.write_bytes(payload)
    result = run(folder / "store.db", file)
    check_contract(result, file, url, loaded.before)
    return result


# ---------------------------------------------------------------- the CSV case file, fuzzed

HOSTILE_CELLS = [
    "",
    " ",
    ",",
    '"',
    '""',
    '"unbalanced',
    "\n",
    "\r\n",
    "\r",
    "\x00",
    "a\x00b",
    "\ufeff",
    "\u2028",
    "=CMD()",
    "=cmd|' /C calc'!A0",
    "+SUM(1,2)",
    "-2+3",
    "@SUM(A1)",
    '=HYPERLINK("http://x","y")',
    "31/02/2026",
    "29/02/2025",
    "1900-01-00",
    "2026-13-01",
    "2026-00-10",
    "00/01/2026",
    "01/13/2026",
    "12/31/2026",
    "9999-12-31",
    "0001-01-01",
    "0000-01-01",
    "2026-1-5",
    "٠١/٠٢/٢٠٢٦",  # Arabic-Indic digits
    "２０２６-０１-０１",  # fullwidth digits
    "2026-W01-1",
    "20260101",
    "CIN",
    "cp",
    " cla ",
    "CL",
    "Looked after",
    "2026-01-05",
    "05/01/2026",
    "C1",
    "C2",
    "x" * 100_000,
    "9" * 100_000,
]

cells = st.one_of(
    st.sampled_from(HOSTILE_CELLS),
    st.text(max_size=12),
    st.text(alphabet=st.characters(categories=["Nd"]), min_size=1, max_size=10),
)


@st.composite
def quoted(draw: st.DrawFn, cell: str) -> str:
    how = draw(st.sampled_from(["raw", "raw", "quoted", "half"]))
    if how == "quoted":
        return '"' + cell.replace('"', '""') + '"'
    if how == "half":
        return '"' + cell
    return cell


@st.composite
def csv_text(draw: st.DrawFn) -> bytes:
    header_kind = draw(st.sampled_from(["valid", "valid", "with-extras", "random", "none"]))
    if header_kind == "valid":
        header = list(HEADER)
    elif header_kind == "with-extras":
        header = [*HEADER, "date_of_birth", *draw(st.lists(cells, max_size=3))]
        header = draw(st.permutations(header))
    elif header_kind == "random":
        header = draw(st.lists(cells, min_size=1, max_size=8))
    else:
        header = []
    width = max(len(header), 1)
    rows: list[list[str]] = [header] if header else []
    for _ in range(draw(st.integers(0, 4))):
        size = draw(st.sampled_from([width, width, width - 1, width + 1, 0]))
        rows.append([draw(quoted(draw(cells))) for _ in range(max(size, 0))])
    newline = draw(st.sampled_from(["\n", "\r\n", "\r", ""]))
    body = newline.join(",".join(row) for row in rows).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        body = b"\xef\xbb\xbf" + body
    if draw(st.integers(0, 4)) == 0 and body:
        at = draw(st.integers(0, len(body)))
        bad = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80\x80", b"\xf4\x90"]))
        body = body[:at] + bad + body[at:]
    return body


@fuzz(150)
@given(payload=csv_text())
def test_a_hostile_csv_imports_or_is_refused_cleanly(loaded: Loaded, payload: bytes) -> None:
    import_and_check(loaded, payload)


@fuzz(60)
@given(payload=st.binary(max_size=3000))
def test_random_bytes_import_or_are_refused_cleanly(loaded: Loaded, payload: bytes) -> None:
    import_and_check(loaded, payload)


def _csv(*rows: list[str]) -> bytes:
    return ("\n".join(",".join(row) for row in rows) + "\n").encode("utf-8")


def _row(**fields: str) -> list[str]:
    base = {"case_ref": "C9", "team": "T", "worker": "W", "category": "CIN"}
    base |= {"open_date": "2026-01-01", "close_date": ""}
    base |= fields
    return [base[name] for name in HEADER]


EXPLICIT = [
    pytest.param(_csv(HEADER, _row(open_date="31/02/2026")), 1, id="31-february"),
    pytest.param(_csv(HEADER, _row(open_date="1900-01-00")), 1, id="day-zero"),
    pytest.param(_csv(HEADER, _row(open_date="2026-13-01")), 1, id="month-13"),
    pytest.param(_csv(HEADER, _row(close_date="12/31/2026")), 1, id="month-first"),
    pytest.param(_csv(HEADER, _row(open_date="２０２６-０１-０１")), 1, id="fullwidth-digits"),
    pytest.param(_csv(HEADER, _row(case_ref="=CMD()", team="=1+1")), 0, id="formula-stored"),
    # Names are at most 200 characters and refs 64, on SQLite as on PostgreSQL.
    pytest.param(_csv(HEADER, _row(team="x" * 100_000)), 1, id="100kb-team"),
    pytest.param(_csv(HEADER, _row(team="x" * 200)), 0, id="200-character-team"),
    pytest.param(_csv(HEADER, _row(worker="x" * 201)), 1, id="201-character-worker"),
    pytest.param(_csv(HEADER, _row(case_ref="R" * 64)), 0, id="64-character-ref"),
    pytest.param(_csv(HEADER, _row(case_ref="R" * 65)), 1, id="65-character-ref"),
    pytest.param(_csv(HEADER, _row(open_date="1899-12-31")), 1, id="before-1900"),
    pytest.param(_csv(HEADER, _row(open_date="31/12/2031")), 1, id="over-5-years-ahead"),
    pytest.param(_csv(HEADER, _row(open_date="9" * 100_000)), 1, id="100kb-date"),
    pytest.param(_csv(HEADER, _row(case_ref="y" * 200_000)), 1, id="over-csv-field-limit"),
    # A NUL is refused where it is, in the first 8 KB (detect_kind) or later (the reader).
    pytest.param(_csv(HEADER, _row(worker="a\x00b")), 1, id="nul-in-first-8kb"),
    pytest.param(
        _csv(HEADER, *[_row(case_ref=f"C{i}") for i in range(300)], _row(worker="a\x00b")),
        1,
        id="nul-after-8kb",
    ),
    pytest.param(b"\xef\xbb\xbf" + _csv(HEADER, _row(worker="\xff")), 0, id="bom"),
    pytest.param(_csv(HEADER) + b"C9,T,W,CIN,2026-01-01,\xff\xfe\n", 1, id="invalid-utf8"),
    pytest.param(_csv(HEADER) + b'C9,"T,W,CIN,2026-01-01,\n', 1, id="unclosed-quote"),
    pytest.param(b"\x00" * 100, 1, id="all-nul"),
    pytest.param(b"PK\x03\x04" + b"x" * 100, 1, id="zip-magic-then-junk"),
    pytest.param(b"\xd0\xcf\x11\xe0" + b"x" * 100, 1, id="old-xls-magic"),
    pytest.param(b"\xef\xbb\xbf", 1, id="only-a-bom"),
    pytest.param(b"\n\n\n", 1, id="blank-lines"),
    pytest.param(_csv(HEADER), 1, id="header-only"),
    pytest.param(_csv([*HEADER, "case_ref"], [*_row(), "C9"]), 1, id="column-twice"),
]


@pytest.mark.parametrize(("payload", "code"), EXPLICIT)
def test_an_explicit_hostile_csv_gets_the_expected_answer(
    loaded: Loaded, payload: bytes, code: int
) -> None:
    assert import_and_check(loaded, payload).exit_code == code


def test_ten_thousand_columns_import_quickly_and_name_the_ignored_ones(loaded: Loaded) -> None:
    extras = [f"=CMD({i})" for i in range(10_000 - len(HEADER))]
    payload = _csv([*HEADER, *extras], [*_row(), *(["=1+1"] * len(extras))])
    started = time.perf_counter()
    result = import_and_check(loaded, payload)
    assert time.perf_counter() - started < QUICK_SECONDS
    assert result.exit_code == 0, result.stderr[:300]
    assert "ignored columns" in result.stderr


def test_ten_thousand_columns_with_a_short_row_are_refused(loaded: Loaded) -> None:
    extras = [f"x{i}" for i in range(10_000 - len(HEADER))]
    result = import_and_check(loaded, _csv([*HEADER, *extras], _row()))
    assert result.exit_code == 1
    assert "expected 10000 fields as in the header, found 6" in result.stderr


@pytest.mark.parametrize(
    "brk", ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029"]
)
def test_a_line_break_inside_a_bad_cell_still_gives_one_error_line(
    loaded: Loaded, brk: str
) -> None:
    for row in (
        _row(open_date=f'"2026-01-01{brk}rm -rf"'),  # is not a date
        _row(category=f'"CP{brk}x"'),  # is not a category
    ):
        result = import_and_check(loaded, _csv(HEADER, row))
        assert result.exit_code == 1, result.stderr


def test_unicode_digits_in_a_date_are_refused(loaded: Loaded) -> None:
    assert import_and_check(loaded, _csv(HEADER, _row(open_date="٠١/٠٢/٢٠٢٦"))).exit_code == 1


def test_an_iso_week_date_is_refused(loaded: Loaded) -> None:
    assert import_and_check(loaded, _csv(HEADER, _row(open_date="2026-W01-1"))).exit_code == 1


# ---------------------------------------------------------------- policy: the file size limit


def test_a_file_over_the_policy_limit_is_refused_naming_the_limit(
    loaded: Loaded, tmp_path: Path
) -> None:
    config = tmp_path / "policy.toml"
    config.write_text("[imports]\nmax_file_bytes = 1000\n", encoding="utf-8")
    folder, url = loaded.fresh()
    file = write_csv(folder / "big.csv", [HEADER, *[_row(case_ref=f"C{i}") for i in range(40)]])
    assert file.stat().st_size > 1000
    result = run(folder / "store.db", file, "--config", str(config))
    check_contract(result, file, url, loaded.before)
    assert result.exit_code == 1
    size = file.stat().st_size
    assert result.stderr == (
        f"Error: {file}: the file is {size:,} bytes, over the policy's limit of 1,000 "
        "(imports.max_file_bytes)\n"
    )


def test_a_file_at_the_policy_limit_is_read(loaded: Loaded, tmp_path: Path) -> None:
    config = tmp_path / "policy.toml"
    folder, _ = loaded.fresh()
    file = write_csv(folder / "small.csv", [HEADER, _row()])
    config.write_text(f"[imports]\nmax_file_bytes = {file.stat().st_size}\n", encoding="utf-8")
    result = run(folder / "store.db", file, "--config", str(config))
    assert result.exit_code == 0, result.stderr


# ---------------------------------------------------------------- Annex A workbooks

SAMPLE = SAMPLE_XLSX.read_bytes()


@fuzz(30)
@given(length=st.integers(1, len(SAMPLE) - 1))
def test_a_truncated_workbook_is_refused_cleanly(loaded: Loaded, length: int) -> None:
    result = import_and_check(loaded, SAMPLE[:length], name="annex-a.xlsx")
    assert result.exit_code == 1
    if length >= 4:  # shorter, it lacks the zip signature and is read as a CSV
        assert "not a readable Excel workbook" in result.stderr


def _rewrite(members: dict[str, Callable[[zipfile.ZipFile], Iterator[bytes]]]) -> bytes:
    """The sample workbook with the named members' contents replaced by streamed chunks."""
    out = io.BytesIO()
    with zipfile.ZipFile(SAMPLE_XLSX) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in zin.infolist():
            if info.filename in members:
                with z.open(info.filename, "w", force_zip64=True) as member:
                    for chunk in members[info.filename](zin):
                        member.write(chunk)
            else:
                z.writestr(info, zin.read(info.filename))
    return out.getvalue()


def _zeros(total: int) -> Iterator[bytes]:
    for _ in range(total // MB):
        yield bytes(MB)


def _replace(member: str, old: bytes, new: bytes) -> bytes:
    def body(zin: zipfile.ZipFile) -> Iterator[bytes]:
        text = zin.read(member)
        assert old in text
        yield text.replace(old, new, 1)

    return _rewrite({member: body})


def test_a_zip_of_200mb_of_zeros_is_refused_quickly(loaded: Loaded) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            for chunk in _zeros(200 * MB):
                member.write(chunk)
    payload = out.getvalue()
    assert len(payload) < MB  # 200 MB unpacked from about 200 KB
    started = time.perf_counter()
    result = import_and_check(loaded, payload, name="bomb.xlsx")
    elapsed = time.perf_counter() - started
    assert result.exit_code == 1
    assert "the workbook would unpack to 209,715,200 bytes" in result.stderr
    assert "(imports.max_unpacked_bytes)" in result.stderr
    assert elapsed < QUICK_SECONDS, elapsed


@pytest.mark.parametrize("member", ["xl/sharedStrings.xml", "xl/worksheets/sheet6.xml"])
def test_a_workbook_with_a_200mb_member_of_zeros_is_refused_quickly(
    loaded: Loaded, member: str
) -> None:
    payload = _rewrite({member: lambda _zin: _zeros(200 * MB)})
    started = time.perf_counter()
    result = import_and_check(loaded, payload, name="bomb.xlsx")
    elapsed = time.perf_counter() - started
    assert result.exit_code == 1
    assert elapsed < QUICK_SECONDS, elapsed


def test_a_shared_strings_bomb_is_refused_quickly(loaded: Loaded) -> None:
    def strings(zin: zipfile.ZipFile) -> Iterator[bytes]:
        text = zin.read("xl/sharedStrings.xml")
        end = text.index(b"</sst>")
        yield text[:end]
        block = b"<si><t>x</t></si>" * 100_000  # 1.7 MB
        for _ in range(120):
            yield block
        yield text[end:]

    folder, url = loaded.fresh()
    file = folder / "strings.xlsx"
    file.write_bytes(_rewrite({"xl/sharedStrings.xml": strings}))
    assert file.stat().st_size < MB
    command = [sys.executable, "-m", "qaudit", "--db", str(folder / "store.db")]
    command += ["--today", TODAY, "cases", "import", str(file)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=5, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail("still reading the workbook after 5 s")
    assert done.returncode == 1, done.stderr
    assert "(imports.max_unpacked_bytes)" in done.stderr
    assert snapshot(url) == loaded.before


BROKEN_SHEETS = [
    pytest.param(b'<c r="A2" s="1">', b'<c r="A2" s="x">', id="style-not-a-number"),
    pytest.param(
        b'<c r="B2" s="1" t="s"><v>10</v>', b'<c r="B2" s="1" t="s"><v>99999</v>', id="no-string"
    ),
    pytest.param(b'<col min="1" max="1"', b'<col min="x" max="1"', id="column-not-a-number"),
    pytest.param(b'<row r="2"', b'<row r="zz"', id="row-not-a-number"),
]


@pytest.mark.parametrize(("old", "new"), BROKEN_SHEETS)
def test_a_damaged_list_sheet_is_refused_cleanly(loaded: Loaded, old: bytes, new: bytes) -> None:
    payload = _replace("xl/worksheets/sheet7.xml", old, new)
    assert import_and_check(loaded, payload, name="damaged.xlsx").exit_code == 1
