"""``make bench``: time qaudit against fixed targets and exit 1 if any is missed.

Benchmarks: ``import`` (``qaudit cases import`` against the sqlite3 shell's ``.import``), ``help``.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / ".bench"  # gitignored: generated files and scratch stores
VENV_BIN = ROOT / ".venv" / "bin"

IMPORT_RATIO_TARGET = 1.5  # qaudit cases import ≤ 1.5 × the sqlite3 shell's .import
IMPORT_RSS_TARGET_MB = 200.0  # peak RSS of qaudit cases import
HEAVY_MODULES = ("pandas", "sqlalchemy", "alembic", "openpyxl", "matplotlib")

CSV_HEADER = "case_ref,team,worker,category,open_date,close_date,date_of_birth"
CSV_FORMAT_VERSION = 1  # bump when the generator changes, so old files are not reused

# The baseline does the same work as qaudit's import, minus validation and bookkeeping:
# a fresh file, qaudit's connection settings, a unique case_ref, one transaction.
BASELINE_SQL = (
    "PRAGMA journal_mode=WAL;",
    "PRAGMA synchronous=FULL;",
    "CREATE TABLE cases(case_ref TEXT NOT NULL UNIQUE, team TEXT, worker TEXT, "
    "category TEXT NOT NULL, open_date TEXT, close_date TEXT, date_of_birth TEXT);",
)


@dataclass(frozen=True)
class Result:
    """One measured figure against its target."""

    name: str
    measured: str
    target: str
    passed: bool

    def line(self) -> str:
        target = f" ({self.target})" if self.target else ""
        return f"{self.name}: {self.measured}{target} {'PASS' if self.passed else 'FAIL'}"


@dataclass(frozen=True)
class Run:
    """One child process: wall time, its own peak RSS, what it printed."""

    seconds: float
    peak_rss_kib: int
    returncode: int
    stdout: str
    stderr: str


class BenchError(Exception):
    """A benchmark could not be run (not a missed target)."""


class BaselineMissing(BenchError):
    """The sqlite3 shell is not installed."""


@dataclass(frozen=True)
class Options:
    rows: int
    seed: int
    repeat: int


# --- running children -------------------------------------------------------------------------


def run_child(argv: Sequence[str], *, env: dict[str, str] | None = None) -> Run:
    """Run one command; time it and read its own peak RSS from ``wait4``.

    Output goes to files, not pipes, so the child cannot block on a full pipe while we wait.
    Linux counts the parent's RSS at spawn into the child's ``ru_maxrss``, which is why the
    CSV is generated in a separate process: this process stays small.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped: Popen must not wait again
        out.seek(0)
        err.seek(0)
        return Run(
            seconds=seconds,
            peak_rss_kib=usage.ru_maxrss,  # KiB on Linux
            returncode=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


def check_ok(run: Run, what: str) -> None:
    if run.returncode != 0:
        raise BenchError(
            f"{what} exited {run.returncode}\n--- stdout\n{run.stdout}\n--- stderr\n{run.stderr}"
        )


def venv_tool(name: str) -> str:
    candidate = VENV_BIN / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise BenchError(f"cannot find {name}: run `make install` first")
    return found


def qaudit_env() -> dict[str, str]:
    """The environment without QAUDIT_* settings (QAUDIT_DATABASE_URL would override --db)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("QAUDIT_")}


def mb(kib: int) -> float:
    return kib * 1024 / 1_000_000


def self_peak_mb() -> float:
    return mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def peak_text(kib: int) -> str:
    """A child's peak; at or near this process's own, it is only an upper bound (see run_child)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return f"≤ {mb(kib):.0f} MB" if kib <= own * 1.1 else f"{mb(kib):.0f} MB"


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the canonical case CSV -------------------------------------------------------------------

_AREAS = (
    "North",
    "South",
    "East",
    "West",
    "Central",
    "Coastal",
    "Riverside",
    "Valley",
    "Moorland",
    "Market Towns",
    "Harbour",
    "Forest",
)
_SERVICES = (
    "Assessment",
    "Child Protection",
    "Children in Need",
    "Children in Care",
    "Care Leavers",
)
TEAMS = tuple(f"{service} {area}" for area in _AREAS for service in _SERVICES)  # 60
WORKERS = 3000
CATEGORIES = ("CIN", "CP", "CLA", "CL")
CATEGORY_WEIGHTS = (45, 15, 28, 12)
FIRST_OPEN = date(2010, 1, 1).toordinal()
LAST_DATE = date(2026, 6, 30).toordinal()


def csv_path(rows: int, seed: int) -> Path:
    return BENCH_DIR / f"cases-v{CSV_FORMAT_VERSION}-{rows}rows-seed{seed}.csv"


def write_case_csv(path: Path, rows: int, seed: int) -> None:
    """Write ``rows`` seeded cases in an unsorted ref order, streaming (little memory).

    Each worker belongs to one team; 1% of rows have no team or worker; about 30% are closed;
    95% have a date of birth, 0-17 years before the case opened.
    """
    rng = random.Random(seed)
    order = array("I", range(1, rows + 1))  # 4 bytes a ref, not a list of int objects
    rng.shuffle(order)  # a real export is not sorted by ref
    width = max(7, len(str(rows)))
    fromordinal = date.fromordinal
    cum_weights = list(CATEGORY_WEIGHTS)
    for i in range(1, len(cum_weights)):
        cum_weights[i] += cum_weights[i - 1]
    choices, randint, rand = rng.choices, rng.randint, rng.random
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        handle.write(CSV_HEADER + "\n")
        chunk: list[str] = []
        for number in order:
            if rand() < 0.01:
                team = worker = ""
            else:
                w = randint(0, WORKERS - 1)
                team = TEAMS[w % len(TEAMS)]
                worker = f"Worker {w + 1:04d}"
            category = choices(CATEGORIES, cum_weights=cum_weights)[0]
            opened = randint(FIRST_OPEN, LAST_DATE)
            closed = (
                fromordinal(min(opened + randint(7, 1500), LAST_DATE)).isoformat()
                if rand() < 0.30
                else ""
            )
            born = opened - randint(0, 18 * 365 - 1)
            dob = fromordinal(born).isoformat() if rand() < 0.95 else ""
            chunk.append(
                f"C{number:0{width}d},{team},{worker},{category},"
                f"{fromordinal(opened).isoformat()},{closed},{dob}\n"
            )
            if len(chunk) >= 10_000:
                handle.write("".join(chunk))
                chunk.clear()
        handle.write("".join(chunk))
    tmp.replace(path)  # never leave a half-written file under the reusable name


def ensure_case_csv(rows: int, seed: int) -> Path:
    """Reuse the seeded file if it exists, else generate it in a child process."""
    path = csv_path(rows, seed)
    if path.exists():
        progress(f"reusing {path.relative_to(ROOT)}")
        return path
    BENCH_DIR.mkdir(exist_ok=True)
    progress(f"generating {path.relative_to(ROOT)} ({rows:,} rows, seed {seed}) ...")
    start = time.perf_counter()
    argv = [sys.executable, str(Path(__file__).resolve()), "--generate-csv"]
    run = run_child([*argv, str(path), "--rows", str(rows), "--seed", str(seed)])
    check_ok(run, "the CSV generator")
    progress(f"generated in {time.perf_counter() - start:.1f} s")
    return path


def warm_page_cache(path: Path) -> None:
    """Read the file once so the first timed run does not pay for the disk alone."""
    with path.open("rb") as handle:
        while handle.read(1 << 20):
            pass


def count_cases(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        count: int = conn.execute("SELECT count(*) FROM cases").fetchone()[0]
    conn.close()
    return count


# --- benchmarks ---------------------------------------------------------------------------------


def baseline_argv(sqlite: str, db: Path, csv_file: Path) -> list[str]:
    return [sqlite, str(db), *BASELINE_SQL, f".import --csv --skip 1 {csv_file} cases"]


def qaudit_argv(qaudit: str, store: Path, csv_file: Path) -> list[str]:
    return [qaudit, "--db", str(store), "cases", "import", str(csv_file)]


def bench_import(opts: Options) -> list[Result]:
    """``qaudit cases import`` against ``sqlite3 .import`` of the same file, alternating."""
    sqlite = shutil.which("sqlite3")
    if sqlite is None:
        raise BaselineMissing("sqlite3 is not installed, so the import baseline cannot run")
    qaudit = venv_tool("qaudit")
    csv_file = ensure_case_csv(opts.rows, opts.seed)
    version = (run_child([sqlite, "--version"]).stdout.split() or ["?"])[0]
    print(f"baseline (sqlite3 {version}), a fresh BASE.db each run:")
    print(f"  {shlex.join(baseline_argv(sqlite, Path('BASE.db'), csv_file))}")
    print("qaudit, a fresh STORE.db each run:")
    print(f"  {shlex.join(qaudit_argv(qaudit, Path('STORE.db'), csv_file))}")
    print(
        f"  peak RSS is each child's own ru_maxrss; it includes this process's "
        f"{self_peak_mb():.0f} MB at spawn"
    )
    warm_page_cache(csv_file)
    env = qaudit_env()
    base_runs: list[Run] = []
    qaudit_runs: list[Run] = []
    for i in range(opts.repeat):
        with tempfile.TemporaryDirectory(dir=BENCH_DIR, prefix="import-") as scratch:
            base_db = Path(scratch) / "base.db"
            run = run_child(baseline_argv(sqlite, base_db, csv_file))
            check_ok(run, "sqlite3 .import")
            if run.stderr.strip():  # .import reports bad rows on stderr and carries on
                raise BenchError(f"sqlite3 .import complained:\n{run.stderr[:2000]}")
            if (n := count_cases(base_db)) != opts.rows:
                raise BenchError(f"sqlite3 .import loaded {n:,} rows, expected {opts.rows:,}")
            base_runs.append(run)
            progress(f"run {i + 1}/{opts.repeat}: sqlite3 .import {run.seconds:.2f} s")
        with tempfile.TemporaryDirectory(dir=BENCH_DIR, prefix="import-") as scratch:
            store = Path(scratch) / "store.db"
            run = run_child(qaudit_argv(qaudit, store, csv_file), env=env)
            check_ok(run, "qaudit cases import")
            if (n := count_cases(store)) != opts.rows:
                raise BenchError(f"qaudit cases import stored {n:,} cases, expected {opts.rows:,}")
            qaudit_runs.append(run)
            progress(
                f"run {i + 1}/{opts.repeat}: qaudit cases import {run.seconds:.2f} s, "
                f"peak RSS {mb(run.peak_rss_kib):.0f} MB"
            )
    base_s = statistics.median(r.seconds for r in base_runs)
    qaudit_s = statistics.median(r.seconds for r in qaudit_runs)
    ratio = qaudit_s / base_s
    peak = mb(max(r.peak_rss_kib for r in qaudit_runs))
    base_peak = peak_text(max(r.peak_rss_kib for r in base_runs))
    return [
        Result(
            name=f"case import, {opts.rows:,} rows",
            measured=(
                f"sqlite3 .import {base_s:.2f} s | qaudit cases import {qaudit_s:.2f} s | "
                f"ratio {ratio:.2f}"
            ),
            target=f"target ≤ {IMPORT_RATIO_TARGET}",
            passed=ratio <= IMPORT_RATIO_TARGET,
        ),
        Result(
            name="peak RSS qaudit",
            measured=f"{peak:.0f} MB (sqlite3 shell {base_peak})",
            target=f"target ≤ {IMPORT_RSS_TARGET_MB:.0f} MB",
            passed=peak <= IMPORT_RSS_TARGET_MB,
        ),
    ]


_HELP_PROBE = f"""
import sys
sys.argv = ["qaudit", "--help"]
from qaudit.cli import main
try:
    main()
except SystemExit:
    pass
heavy = sorted({{m.partition(".")[0] for m in sys.modules}} & set({HEAVY_MODULES!r}))
print("HEAVY=" + ",".join(heavy))
"""


def bench_help(opts: Options) -> list[Result]:
    """``qaudit --help`` start-up: wall time, and no heavy library imported for it."""
    python = venv_tool("python")
    env = {**qaudit_env(), "COLUMNS": "100"}
    run_child([python, "-c", _HELP_PROBE], env=env)  # warm-up: bytecode caches, page cache
    runs = [run_child([python, "-c", _HELP_PROBE], env=env) for _ in range(max(opts.repeat, 3))]
    heavy: set[str] = set()
    for run in runs:
        check_ok(run, "the --help probe")
        last = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else ""
        if not last.startswith("HEAVY="):
            raise BenchError(f"the --help probe printed no module list:\n{run.stdout[-2000:]}")
        heavy.update(filter(None, last.removeprefix("HEAVY=").split(",")))
    seconds = statistics.median(r.seconds for r in runs)
    return [
        Result(
            name="qaudit --help",
            measured=f"{seconds:.2f} s, heavy modules loaded: {', '.join(sorted(heavy)) or 'none'}",
            target="",
            passed=not heavy,
        )
    ]


BENCHMARKS: dict[str, Callable[[Options], list[Result]]] = {
    "import": bench_import,
    "help": bench_help,
}


# --- command line -------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="CSV rows (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=2026, help="generator seed (default 2026)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side (default 3)")
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(BENCHMARKS),
        help="run only this benchmark (repeatable); default: all",
    )
    parser.add_argument("--generate-csv", type=Path, help=argparse.SUPPRESS)  # the child's job
    args = parser.parse_args(argv)
    if args.rows < 1 or args.repeat < 1:
        parser.error("--rows and --repeat must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.generate_csv is not None:
        write_case_csv(args.generate_csv, args.rows, args.seed)
        return 0
    opts = Options(rows=args.rows, seed=args.seed, repeat=args.repeat)
    results: list[Result] = []
    try:
        for name in args.only or list(BENCHMARKS):
            results.extend(BENCHMARKS[name](opts))
    except BaselineMissing as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    print()
    for result in results:
        print(result.line())
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
