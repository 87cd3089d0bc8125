"""The large-file reader in a second process: rows, errors and odd characters come through."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
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


class _Counting:
    """A ChildExtra: in the reader, each batch's row count and pid; the total at the end."""

    def __init__(self) -> None:
        self.rows = 0
        self.got: list[bytes] = []

    def in_child(self, batch: Sequence[RowTuple]) -> bytes | None:
        self.rows += len(batch)
        return f"{len(batch)} {os.getpid()}".encode()

    def in_child_done(self) -> bytes | None:
        return f"done {self.rows}".encode()

    def in_parent(self, payload: bytes) -> None:
        self.got.append(payload)


def test_what_an_extra_makes_in_the_reader_comes_back_in_order_before_the_end(
    tmp_path: Path,
) -> None:
    rows = [HEADER] + [[f"C{i}", "", "", "CIN", "", "", ""] for i in range(45_000)]
    path = write_csv(tmp_path / "c.csv", rows)
    extra = _Counting()
    seen = 0
    for batch in read_in_child(lambda: read_case_csv(path), extra):
        seen += len(batch)
        # Each batch's extra comes once the next batch is read, never ahead of the batches.
        assert len(extra.got) == (seen - 1) // 20_000
    sizes = [payload.split() for payload in extra.got]
    assert [s[0] for s in sizes] == [b"20000", b"20000", b"5000", b"done"]
    assert sizes[-1][1] == b"45000"
    assert {s[1] for s in sizes[:-1]} != {str(os.getpid()).encode()}  # worked in the reader
    assert extra.rows == 0  # ... not here


# The reader dies with the command: a killed import leaves no process reading the file.

_CHILD_HEADER = ["case_ref", "team", "worker", "category", "open_date", "close_date"]


def _big_csv(path: Path) -> Path:
    from qaudit.importers.child_reader import CHILD_MIN_BYTES

    line = "K{:07d},Children in Need Team {:02d},Social Worker {:04d},CIN,2026-01-05,\n"
    with path.open("w", encoding="utf-8") as out:
        out.write(",".join(_CHILD_HEADER) + "\n")
        n = 0
        while out.tell() < CHILD_MIN_BYTES + 1024 * 1024:
            out.write(line.format(n, n % 20, n % 300))
            n += 1
    return path


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("signal_name", ["SIGKILL", "SIGTERM"])
def test_the_reader_dies_with_a_killed_import(tmp_path: Path, signal_name: str) -> None:
    import signal
    import subprocess
    import sys
    import time

    big = _big_csv(tmp_path / "big.csv")
    from conftest import init_store_at

    init_store_at(f"sqlite:///{tmp_path / 's.db'}")
    command = [sys.executable, "-m", "qaudit", "--db", str(tmp_path / "s.db"), "--today",
               "2026-12-01", "cases", "import", str(big)]  # fmt: skip
    import qaudit

    source = str(Path(qaudit.__file__).parents[1])  # this checkout, whatever the cwd
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([source, os.environ.get("PYTHONPATH", "")])}
    parent = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    try:
        deadline = time.monotonic() + 60
        children: list[int] = []
        while not children:
            assert parent.poll() is None, "the import ended before its reader was seen"
            assert time.monotonic() < deadline, "no reader process started"
            children = [c for c in _children(parent.pid) if _alive(c)]
            time.sleep(0.005)
        os.kill(parent.pid, getattr(signal, signal_name))
        parent.wait(timeout=30)
        deadline = time.monotonic() + 5
        while any(map(_alive, children)) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [c for c in children if _alive(c)]
        for pid in left:  # clean up after a failing run
            os.kill(pid, signal.SIGKILL)
        assert not left, f"the reader outlived the killed import ({signal_name})"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
