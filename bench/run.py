"""``make bench``: time qaudit against fixed targets and exit 1 if any is missed.

Benchmarks: ``import`` (``qaudit cases import`` against the sqlite3 shell's ``.import``), ``help``,
``startup`` (``qaudit --help`` against a minimal Typer app's, and the everyday commands on a
10,000-case store against ``qaudit --help``), ``sample`` (on the store of ``--rows`` cases
against the sqlite3 shell reading every case ref, and on the 10,000-case store against ``qaudit
--help``), ``overdue`` and ``report`` (a store of ``--rows`` cases against one of 1,000; see
bench/stores.py), and ``list`` (``cases list --format csv`` on the store of ``--rows`` cases:
its peak RSS).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
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
from typing import Any

import stores

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / ".bench"  # gitignored: generated files and scratch stores
VENV_BIN = ROOT / ".venv" / "bin"

IMPORT_RATIO_TARGET = 1.5  # qaudit cases import ≤ 1.5 × the sqlite3 shell's .import
IMPORT_RSS_TARGET_MB = 200.0  # peak RSS of qaudit cases import
LIST_RSS_TARGET_MB = 200.0  # peak RSS of qaudit cases list --format csv on the big store
HEAVY_MODULES = ("pandas", "sqlalchemy", "alembic", "openpyxl", "matplotlib")

SCALING_TARGET = 1.3  # overdue: big store ≤ 1.3 × small store, whole command
SMALL_CASES = 1_000
CASES_PER_AUDIT = 10  # a store of N cases has N / 10 audits of history
CASES_PER_COMPLAINT = 20  # ... and N / 20 complaints
STORE_VERSION = 2  # bump when the store recipe changes (stores.HISTORY_VERSION covers history)
BENCH_TODAY = "2026-12-01"  # stores.TODAY
SAMPLE_MONTH = "2026-12"
SAMPLE_SEED = 42
SAMPLE_SIZE = 50  # the policy's default
SAMPLE_SINCE = "2025-12-01"  # cases audited on or after this are not drawn (12 months)
REPORT_TARGET = 2.0  # report board --format html: big store ≤ 2 × small store, whole command
REPORT_PERIOD = "2025/26"  # the financial year April 2025 - March 2026

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
    cpu_seconds: float = 0.0  # user + system time of the child


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


def run_child(
    argv: Sequence[str], *, env: dict[str, str] | None = None, stdout_to: Path | None = None
) -> Run:
    """Run one command; time it and read its own peak RSS from ``wait4``.

    Output goes to files, not pipes, so the child cannot block on a full pipe while we wait.
    Linux counts the parent's RSS at spawn into the child's ``ru_maxrss``, which is why the
    CSV is generated in a separate process: this process stays small. ``stdout_to``: keep a
    big output in that file rather than read it into this process (``Run.stdout`` is empty).
    """
    with tempfile.TemporaryFile() as spare, tempfile.TemporaryFile() as err:
        out = stdout_to.open("w+b") if stdout_to is not None else spare
        try:
            start = time.perf_counter()
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env)
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)  # reaped: Popen must not wait
            out.seek(0)
            err.seek(0)
            return Run(
                seconds=seconds,
                peak_rss_kib=usage.ru_maxrss,  # KiB on Linux
                returncode=proc.returncode,
                stdout="" if stdout_to is not None else out.read().decode("utf-8", "replace"),
                stderr=err.read().decode("utf-8", "replace"),
                cpu_seconds=usage.ru_utime + usage.ru_stime,
            )
        finally:
            if stdout_to is not None:
                out.close()


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


# --- the sample and overdue stores -------------------------------------------------------------


@dataclass(frozen=True)
class BenchStore:
    """A store with staff, cases and audit history; ``summary`` is what stores.py reported."""

    path: Path
    cases: int
    audits: int
    summary: dict[str, Any]

    @property
    def overdue(self) -> dict[str, int]:
        counts: dict[str, int] = self.summary["overdue"]
        return counts


def migration_names() -> list[str]:
    """qaudit's migrations: a store built before a new one is rebuilt, not migrated."""
    versions = ROOT / "src" / "qaudit" / "store" / "migrations" / "versions"
    return sorted(p.name for p in versions.glob("*.py") if not p.name.startswith("_"))


def store_recipe(cases: int, audits: int, complaints: int, seed: int) -> dict[str, Any]:
    return {
        "store_version": STORE_VERSION,
        "history_version": stores.HISTORY_VERSION,
        "csv_format_version": CSV_FORMAT_VERSION,
        "cases": cases,
        "audits": audits,
        "complaints": complaints,
        "seed": seed,
        "migrations": migration_names(),
    }


def remove_store(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def ensure_store(
    cases: int, seed: int, *, audits: int | None = None, complaints: int | None = None
) -> BenchStore:
    """The store of ``cases`` cases: reused when its marker matches the recipe, else built.

    ``audits`` and ``complaints`` default to one audit per 10 cases, one complaint per 20.

    Built with qaudit (init, staff import, cases import), then the history and complaints by
    stores.py in a child process; the marker is written last, so a half-built store is never reused.
    """
    name = f"store-v{STORE_VERSION}-{cases}cases"
    if audits is not None or complaints is not None:  # not the usual proportions
        name += f"-{audits}audits-{complaints}complaints"
    audits = audits if audits is not None else max(cases // CASES_PER_AUDIT, 1)
    complaints = complaints if complaints is not None else max(cases // CASES_PER_COMPLAINT, 1)
    path = BENCH_DIR / f"{name}-seed{seed}.db"
    marker = path.with_suffix(".json")
    recipe = store_recipe(cases, audits, complaints, seed)
    if path.exists() and marker.exists():
        saved = json.loads(marker.read_text(encoding="utf-8"))
        if saved.get("recipe") == recipe:
            progress(f"reusing {path.relative_to(ROOT)}")
            return BenchStore(path, cases, audits, saved["summary"])
    BENCH_DIR.mkdir(exist_ok=True)
    marker.unlink(missing_ok=True)
    remove_store(path)
    csv_file = ensure_case_csv(cases, seed)
    staff_csv = BENCH_DIR / f"staff-v{STORE_VERSION}.csv"
    stores.write_staff_csv(staff_csv, TEAMS)
    qaudit = venv_tool("qaudit")
    env = qaudit_env()
    progress(
        f"building {path.relative_to(ROOT)} ({cases:,} cases, ~{audits:,} audits, "
        f"{complaints:,} complaints) ..."
    )
    start = time.perf_counter()
    for what, args in (
        ("qaudit init", ["init"]),
        ("qaudit staff import", ["staff", "import", str(staff_csv)]),
        ("qaudit cases import", ["cases", "import", str(csv_file)]),
    ):
        check_ok(run_child([qaudit, "--db", str(path), *args], env=env), what)
    if (n := count_cases(path)) != cases:
        raise BenchError(f"the bench store has {n:,} cases, expected {cases:,}")
    argv = [sys.executable, str(Path(stores.__file__).resolve()), str(path)]
    run = run_child(
        [*argv, "--audits", str(audits), "--complaints", str(complaints), "--seed", str(seed)]
    )
    check_ok(run, "the audit history and complaints (bench/stores.py)")
    summary: dict[str, Any] = json.loads(run.stdout)
    marker.write_text(json.dumps({"recipe": recipe, "summary": summary}, indent=2) + "\n")
    progress(
        f"built in {time.perf_counter() - start:.1f} s: "
        f"{summary['counts']['audits']:,} audits, {summary['counts']['sample_items']:,} sample "
        f"items, {summary['inadequate']:,} Inadequate, re-audits {summary['reaudits']}, "
        f"overdue {summary['overdue']}; {summary['complaints']['complaints']:,} complaints, "
        f"{summary['complaints']['complaint_stages']:,} stages"
    )
    return BenchStore(path, cases, audits, summary)


def bench_stores(opts: Options) -> tuple[BenchStore, BenchStore]:
    """The small store (1,000 cases) and the big one (``--rows`` cases), built once a run."""
    key = (opts.rows, opts.seed)
    if key not in _STORES:
        _STORES[key] = (ensure_store(SMALL_CASES, opts.seed), ensure_store(opts.rows, opts.seed))
    return _STORES[key]


_STORES: dict[tuple[int, int], tuple[BenchStore, BenchStore]] = {}


def scaling_runs(
    opts: Options,
    small: BenchStore,
    big: BenchStore,
    argv: Callable[[BenchStore], list[str]],
    check: Callable[[Run, BenchStore], None],
    label: str,
) -> tuple[float, float]:
    """Median seconds of the same command on each store, alternating small and big, after one
    untimed run of each (page cache, bytecode); every run's output checked."""
    env = qaudit_env()
    for store in (small, big):
        warm_page_cache(store.path)
        run = run_child(argv(store), env=env)
        check(run, store)
    times: dict[Path, list[float]] = {small.path: [], big.path: []}
    for i in range(opts.repeat):
        for store in (small, big):
            run = run_child(argv(store), env=env)
            check(run, store)
            times[store.path].append(run.seconds)
        progress(
            f"run {i + 1}/{opts.repeat}: {label} {times[small.path][-1]:.2f} s on "
            f"{small.cases:,} cases, {times[big.path][-1]:.2f} s on {big.cases:,}"
        )
    return statistics.median(times[small.path]), statistics.median(times[big.path])


def scaling_result(label: str, small: BenchStore, big: BenchStore, s: float, b: float) -> Result:
    ratio = b / s
    return Result(
        name=f"{label}, {big.cases:,} vs {small.cases:,} cases",
        measured=f"{b:.2f} s vs {s:.2f} s | ratio {ratio:.2f}",
        target=f"target ≤ {SCALING_TARGET}",
        passed=ratio <= SCALING_TARGET,
    )


def parse_json(run: Run, what: str) -> Any:
    check_ok(run, what)
    try:
        return json.loads(run.stdout)
    except json.JSONDecodeError as exc:
        raise BenchError(f"{what} printed no JSON ({exc}):\n{run.stdout[:2000]}") from None


def sample_argv(qaudit: str, store: Path, *, dry_run: bool = True) -> list[str]:
    argv = [qaudit, "--db", str(store), "--today", BENCH_TODAY, "sample", "--month", SAMPLE_MONTH]
    argv += ["--seed", str(SAMPLE_SEED), *(["--dry-run"] if dry_run else []), "--format", "json"]
    return argv


def check_sample_json(data: Any, store: BenchStore, action: str) -> list[str]:
    """The draw's case refs, once its shape is right: 50 distinct cases, none short."""
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise BenchError(f"qaudit sample printed no sample on {store.path.name}: {data!r:.2000}")
    refs = [c.get("case_ref") for c in data["cases"]]
    problems = []
    if data.get("action") != action:
        problems.append(f"action {data.get('action')!r}, expected {action!r}")
    if len(refs) != SAMPLE_SIZE or len(set(refs)) != SAMPLE_SIZE:
        problems.append(f"{len(refs)} cases ({len(set(refs))} distinct), expected {SAMPLE_SIZE}")
    if data.get("short_by") or data.get("unallocated"):
        problems.append(f"short by {data.get('short_by')}, {data.get('unallocated')} unallocated")
    if data.get("month") != SAMPLE_MONTH or data.get("seed") != SAMPLE_SEED:
        problems.append(f"month {data.get('month')}, seed {data.get('seed')}")
    if problems:
        raise BenchError(f"qaudit sample on {store.path.name}: " + "; ".join(problems))
    return [str(r) for r in refs]


ELIGIBLE_SQL = (
    "SELECT c.case_ref FROM cases c WHERE (c.open_date IS NULL OR c.open_date <= :first)"
    " AND (c.close_date IS NULL OR c.close_date >= :first)"
    " AND NOT EXISTS (SELECT 1 FROM audits a WHERE a.case_id = c.id AND a.audit_date >= :since)"
    " AND NOT EXISTS (SELECT 1 FROM reaudits r WHERE r.case_id = c.id AND r.status = 'pending')"
    " AND NOT EXISTS (SELECT 1 FROM sample_items i WHERE i.case_id = c.id AND i.status = 'open')"
)


def check_drawn(store: BenchStore, refs: Sequence[str]) -> None:
    """The drawn cases are the seed's random draw (domain.sampling.draw) over every case qaudit
    may draw: open on the first of the month, not audited in the last 12 months, no re-audit
    pending, in no open sample item."""
    from qaudit.domain.sampling import draw

    with sqlite3.connect(store.path) as conn:
        eligible = [
            ref for (ref,) in conn.execute(ELIGIBLE_SQL, {"first": f"{SAMPLE_MONTH}-01",
                                                          "since": SAMPLE_SINCE})
        ]  # fmt: skip
    conn.close()
    expected = draw(eligible, SAMPLE_SEED, SAMPLE_SIZE)
    if list(refs) != expected:
        raise BenchError(
            f"qaudit sample on {store.path.name} is not the seed's draw over the "
            f"{len(eligible):,} eligible cases"
        )


SAMPLE_BASELINE_TARGET = 3.0  # sample, 1,000,000 cases ≤ 3 × sqlite3 "SELECT case_ref FROM cases"
SAMPLE_HELP_TARGET = 1.5  # sample, 10,000 cases ≤ 1.5 × qaudit --help


def _side_by_side(
    commands: dict[str, list[str]], repeat: int, check: dict[str, Callable[[Run], None]]
) -> dict[str, float]:
    """Median seconds of each command, run alternately after one untimed round."""
    env = qaudit_env()
    times: dict[str, list[float]] = {name: [] for name in commands}
    for i in range(max(repeat, 3) + 1):
        for name, argv in commands.items():
            run = run_child(argv, env=env)
            check_ok(run, name)
            if name in check:
                check[name](run)
            if i:
                times[name].append(run.seconds)
        if i:
            progress(f"run {i}: " + ", ".join(f"{n} {t[-1]:.2f} s" for n, t in times.items()))
    return {name: statistics.median(t) for name, t in times.items()}


def bench_sample(opts: Options) -> list[Result]:
    """``qaudit sample --dry-run``: on the big store against the sqlite3 shell reading every
    case ref (the draw looks at every eligible case: that is its floor), and on a council-sized
    store against ``qaudit --help``; every draw checked against the seed's random draw over
    the eligible cases; then one saved draw on a copy of the big store."""
    _, big = bench_stores(opts)
    council = ensure_store(
        EVERYDAY_CASES, opts.seed, audits=EVERYDAY_AUDITS, complaints=EVERYDAY_COMPLAINTS
    )
    qaudit = venv_tool("qaudit")
    sqlite = shutil.which("sqlite3")
    if sqlite is None:
        raise BaselineMissing("sqlite3 is not installed, so the sample baseline cannot run")
    for store in (big, council):
        warm_page_cache(store.path)
    drawn: dict[Path, list[str]] = {}

    def checker(store: BenchStore) -> Callable[[Run], None]:
        def check(run: Run) -> None:
            refs = check_sample_json(parse_json(run, "qaudit sample"), store, "dry-run")
            if store.path not in drawn:
                check_drawn(store, refs)
                drawn[store.path] = refs
            elif drawn[store.path] != refs:
                raise BenchError(f"qaudit sample drew differently from one seed on {store.path}")

        return check

    commands = {
        "sqlite3 SELECT case_ref (1,000,000)": [
            sqlite, str(big.path), "SELECT case_ref FROM cases"
        ],
        "sample (1,000,000)": sample_argv(qaudit, big.path),
        "qaudit --help": [qaudit, "--help"],
        "sample (10,000)": sample_argv(qaudit, council.path),
    }  # fmt: skip
    for name, argv in commands.items():
        print(f"sample: {name}: {shlex.join(argv)}")
    median = _side_by_side(
        commands,
        opts.repeat,
        {"sample (1,000,000)": checker(big), "sample (10,000)": checker(council)},
    )
    base, big_s = median["sqlite3 SELECT case_ref (1,000,000)"], median["sample (1,000,000)"]
    helps, council_s = median["qaudit --help"], median["sample (10,000)"]
    results = [
        Result(
            name=f"sample --dry-run, {big.cases:,} cases vs sqlite3 'SELECT case_ref FROM cases'",
            measured=f"{big_s:.2f} s vs {base:.2f} s | ratio {big_s / base:.2f}",
            target=f"target ≤ {SAMPLE_BASELINE_TARGET}",
            passed=big_s / base <= SAMPLE_BASELINE_TARGET,
        ),
        Result(
            name=f"sample --dry-run, {council.cases:,} cases / {council.audits:,} audits vs "
            "qaudit --help",
            measured=f"{council_s:.2f} s vs {helps:.2f} s | ratio {council_s / helps:.2f}",
            target=f"target ≤ {SAMPLE_HELP_TARGET}",
            passed=council_s / helps <= SAMPLE_HELP_TARGET,
        ),
    ]

    with tempfile.TemporaryDirectory(dir=BENCH_DIR, prefix="sample-") as scratch:
        copy = Path(scratch) / "store.db"
        with sqlite3.connect(big.path) as src, sqlite3.connect(copy) as dst:
            src.backup(dst)
        src.close()
        dst.close()
        saved = BenchStore(copy, big.cases, big.audits, big.summary)
        env = qaudit_env()
        run = run_child(sample_argv(qaudit, copy, dry_run=False), env=env)
        refs = check_sample_json(parse_json(run, "qaudit sample (saved)"), saved, "drawn")
        again = run_child(sample_argv(qaudit, copy, dry_run=False), env=env)
        if (
            check_sample_json(parse_json(again, "qaudit sample (again)"), saved, "unchanged")
            != refs
        ):
            raise BenchError("qaudit sample, run again, did not show the saved sample unchanged")
        if refs != drawn[big.path]:
            raise BenchError("qaudit sample saved a different draw from the dry run's")
        with sqlite3.connect(copy) as conn:
            stored = conn.execute(
                "SELECT count(*) FROM sample_items i JOIN samples s ON s.id = i.sample_id "
                "WHERE s.month = ? AND i.status = 'open'",
                (SAMPLE_MONTH,),
            ).fetchone()[0]
        conn.close()
        if stored != SAMPLE_SIZE:
            raise BenchError(f"qaudit sample saved {stored} items, expected {SAMPLE_SIZE}")
        verify = [qaudit, "--db", str(copy), "sample", "--verify", SAMPLE_MONTH]
        verified = run_child(verify, env=env)
        if verified.returncode != 0 or "Verified: all 50 picks" not in verified.stderr:
            raise BenchError(f"qaudit sample --verify did not verify the saved draw:\n"
                             f"{verified.stderr[:2000]}")  # fmt: skip
    results.append(
        Result(
            name=f"sample saved, {big.cases:,} cases (a copy)",
            measured=f"{run.seconds:.2f} s, {stored} items; again: unchanged {again.seconds:.2f} s;"
            f" --verify {verified.seconds:.2f} s",
            target="",
            passed=True,
        )
    )
    return results


def overdue_argv(qaudit: str, store: Path) -> list[str]:
    return [qaudit, "--db", str(store), "--today", BENCH_TODAY, "overdue", "--format", "json"]


def bench_overdue(opts: Options) -> list[Result]:
    """``qaudit overdue`` on the big store against the small one: the same few rows in each."""
    small, big = bench_stores(opts)
    qaudit = venv_tool("qaudit")
    print(f"overdue: {shlex.join(overdue_argv(qaudit, Path('STORE.db')))}")

    def check(run: Run, store: BenchStore) -> None:
        data = parse_json(run, "qaudit overdue")
        if not isinstance(data, list):
            raise BenchError(f"qaudit overdue printed no list on {store.path.name}: {data!r:.2000}")
        kinds: dict[str, int] = {}
        for item in data:
            kinds[item["kind"]] = kinds.get(item["kind"], 0) + 1
        if kinds != {k: n for k, n in store.overdue.items() if n}:
            raise BenchError(
                f"qaudit overdue on {store.path.name} listed {kinds}, expected {store.overdue}"
            )

    s, b = scaling_runs(
        opts, small, big, lambda st: overdue_argv(qaudit, st.path), check, "overdue"
    )
    rows = sum(big.overdue.values())
    result = scaling_result("overdue", small, big, s, b)
    return [Result(f"{result.name} ({rows} rows)", result.measured, result.target, result.passed)]


def report_argv(qaudit: str, store: Path, out: Path) -> list[str]:
    argv = [qaudit, "--db", str(store), "--today", BENCH_TODAY, "report", "board"]
    return [*argv, "--period", REPORT_PERIOD, "--format", "html", "--out", str(out)]


_REPORT_JSON_PROBE = f"""
import sys
sys.argv = ["qaudit", "--db", sys.argv[1], "--today", {BENCH_TODAY!r}, "report", "audits",
            "--period", {REPORT_PERIOD!r}, "--format", "json"]
from qaudit.cli import main
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code
heavy = sorted({{m.partition(".")[0] for m in sys.modules}} & set({HEAVY_MODULES!r}))
print()
print("EXIT=" + str(code) + " PANDAS=" + str("pandas" in sys.modules) + " HEAVY=" + ",".join(heavy))
"""


def bench_report(opts: Options) -> list[Result]:
    """``qaudit report board --format html`` for 2025/26 on the big store against the small one;
    and whether ``report audits --format json`` imports pandas."""
    small, big = bench_stores(opts)
    qaudit = venv_tool("qaudit")
    print(f"report: {shlex.join(report_argv(qaudit, Path('STORE.db'), Path('OUT.html')))}")
    with tempfile.TemporaryDirectory(dir=BENCH_DIR, prefix="report-") as scratch:
        outs = {store.path: Path(scratch) / f"board-{store.cases}.html" for store in (small, big)}

        def argv(store: BenchStore) -> list[str]:
            outs[store.path].unlink(missing_ok=True)  # each run must write it afresh
            return report_argv(qaudit, store.path, outs[store.path])

        def check(run: Run, store: BenchStore) -> None:
            check_ok(run, "qaudit report board")
            out = outs[store.path]
            if not out.exists():
                raise BenchError(f"qaudit report board wrote no {out.name} on {store.path.name}")
            html = out.read_text(encoding="utf-8", errors="replace")
            missing = [s for s in ("<svg", "Complaints") if s not in html]
            if missing:
                raise BenchError(
                    f"qaudit report board's HTML on {store.path.name} lacks {missing}: "
                    f"{html[:1000]!r}"
                )

        s, b = scaling_runs(opts, small, big, argv, check, "report board")
    ratio = b / s
    complaints = big.summary["complaints"]["complaints"]
    results = [
        Result(
            name=(
                f"report board html {REPORT_PERIOD}, {big.cases:,} cases / {big.audits:,} "
                f"audits / {complaints:,} complaints vs {small.cases:,} cases"
            ),
            measured=f"{b:.2f} s vs {s:.2f} s | ratio {ratio:.2f}",
            target=f"target ≤ {REPORT_TARGET}",
            passed=ratio <= REPORT_TARGET,
        )
    ]
    probe = run_child(
        [venv_tool("python"), "-c", _REPORT_JSON_PROBE, str(big.path)], env=qaudit_env()
    )
    check_ok(probe, "the report audits --format json probe")
    lines = probe.stdout.strip().splitlines()
    last = lines[-1] if lines else ""
    fields = dict(f.partition("=")[::2] for f in last.split())
    if not last.startswith("EXIT=") or fields.get("EXIT") not in ("0", "None"):
        raise BenchError(
            f"qaudit report audits --format json failed in the probe:\n{probe.stdout[-2000:]}\n"
            f"{probe.stderr[-2000:]}"
        )
    try:
        json.loads("\n".join(lines[:-1]))
    except json.JSONDecodeError as exc:
        raise BenchError(f"qaudit report audits printed no JSON ({exc})") from None
    imported = fields.get("PANDAS") == "True"
    results.append(
        Result(
            name=f"report audits --format json {REPORT_PERIOD}, {big.cases:,} cases",
            measured=(
                f"{probe.seconds:.2f} s, pandas {'imported' if imported else 'not imported'}"
                f" (heavy modules: {fields.get('HEAVY') or 'none'})"
            ),
            target="target: pandas not imported",
            passed=not imported,
        )
    )
    return results


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
    print("qaudit, a fresh STORE.db each run (init, then the import; both timed):")
    print(f"  {qaudit} --db STORE.db init")
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
            # Only init creates a store; the baseline creates its table in its timed run too,
            # so both of qaudit's commands are timed.
            init = run_child([qaudit, "--db", str(store), "init"], env=env)
            check_ok(init, "qaudit init")
            run = run_child(qaudit_argv(qaudit, store, csv_file), env=env)
            check_ok(run, "qaudit cases import")
            run = dataclasses.replace(
                run,
                seconds=init.seconds + run.seconds,
                peak_rss_kib=max(init.peak_rss_kib, run.peak_rss_kib),
            )
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


def list_argv(qaudit: str, store: Path) -> list[str]:
    return [qaudit, "--db", str(store), "--today", BENCH_TODAY, "cases", "list", "--format", "csv"]


def bench_list(opts: Options) -> list[Result]:
    """``qaudit cases list --format csv`` on the big store: every case streamed to a file, in
    bounded memory; the time is reported, the peak RSS has a target."""
    _, big = bench_stores(opts)
    qaudit = venv_tool("qaudit")
    print(f"cases list: {shlex.join(list_argv(qaudit, Path('STORE.db')))} > OUT.csv")
    warm_page_cache(big.path)
    env = qaudit_env()
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(dir=BENCH_DIR, prefix="list-") as scratch:
        out = Path(scratch) / "cases.csv"
        for i in range(opts.repeat):
            run = run_child(list_argv(qaudit, big.path), env=env, stdout_to=out)
            check_ok(run, "qaudit cases list --format csv")
            with out.open("rb") as handle:
                header = handle.readline().decode("utf-8").strip()
                lines = 1 + sum(1 for _ in handle)
            if header != "case_ref,team,worker,category,open_date,close_date":
                raise BenchError(f"qaudit cases list --format csv began {header!r}")
            if lines != big.cases + 1:
                raise BenchError(
                    f"qaudit cases list --format csv wrote {lines - 1:,} cases, "
                    f"expected {big.cases:,}"
                )
            runs.append(run)
            progress(
                f"run {i + 1}/{opts.repeat}: cases list --format csv {run.seconds:.2f} s, "
                f"peak RSS {mb(run.peak_rss_kib):.0f} MB"
            )
    seconds = statistics.median(r.seconds for r in runs)
    peak_kib = max(r.peak_rss_kib for r in runs)
    # A table for people shows the first 1,000 and says how to get the rest.
    table = run_child(list_argv(qaudit, big.path)[:-2], env={**env, "COLUMNS": "100"})
    check_ok(table, "qaudit cases list")
    if big.cases > 1_000 and f"of {big.cases:,} cases" not in table.stderr:
        raise BenchError(f"qaudit cases list did not say how many were left out:\n{table.stderr}")
    return [
        Result(
            name=f"cases list --format csv, {big.cases:,} cases",
            measured=f"{seconds:.2f} s, peak RSS {peak_text(peak_kib)}",
            target=f"target ≤ {LIST_RSS_TARGET_MB:.0f} MB",
            passed=mb(peak_kib) <= LIST_RSS_TARGET_MB,
        ),
        Result(
            name=f"cases list as a table (the first 1,000), {big.cases:,} cases",
            measured=f"{table.seconds:.2f} s, peak RSS {peak_text(table.peak_rss_kib)}",
            target="",
            passed=True,
        ),
    ]


HELP_RATIO_TARGET = 1.3  # qaudit --help ≤ 1.3 × bench/minimal_app.py --help
EVERYDAY_RATIO_TARGET = 2.0  # each everyday command ≤ 2 × qaudit --help
EVERYDAY_CASES = 10_000  # a council-sized store: two years of history
EVERYDAY_AUDITS = 1_200
EVERYDAY_COMPLAINTS = 600
MINIMAL_APP = Path(__file__).resolve().parent / "minimal_app.py"


def qaudit_command() -> list[str]:
    """The qaudit command: the venv's console script, or this checkout's ``python -m qaudit``."""
    candidate = VENV_BIN / "qaudit"
    if candidate.exists():
        return [str(candidate)]
    return [sys.executable, "-m", "qaudit"]


def open_sample_item(store: Path) -> tuple[str, str]:
    """A case with an open sample item, and its auditor: what ``grade`` is run on, by whom."""
    with sqlite3.connect(store) as conn:
        row = conn.execute(
            "SELECT c.case_ref, s.name FROM sample_items i JOIN cases c ON c.id = i.case_id"
            " JOIN staff s ON s.id = i.auditor_id WHERE i.status = 'open' ORDER BY i.id LIMIT 1"
        ).fetchone()
    conn.close()
    if row is None:
        raise BenchError(f"{store.name} has no open sample item to grade")
    return str(row[0]), str(row[1])


def bench_startup(opts: Options) -> list[Result]:
    """``qaudit --help`` against a minimal two-command Typer app's, and the everyday commands
    (``overdue``, ``audits list``, ``complaints list``, ``grade``) on a council-sized store
    against ``qaudit --help``: whole commands, run alternately, the fastest of ``--repeat`` runs
    (at least 5) after one untimed round (the fastest: on a shared machine the others measure
    the neighbours; each command's CPU time is shown beside it). ``grade`` writes, so it runs
    on a fresh copy each time (the copy is made outside the timing)."""
    store = ensure_store(
        EVERYDAY_CASES, opts.seed, audits=EVERYDAY_AUDITS, complaints=EVERYDAY_COMPLAINTS
    )
    qaudit = qaudit_command()
    env = {**qaudit_env(), "COLUMNS": "100", "QAUDIT_USER": "bench"}
    case_ref, auditor = open_sample_item(store.path)
    on_store = [*qaudit, "--db", str(store.path), "--today", BENCH_TODAY]
    scratch = Path(tempfile.mkdtemp(dir=BENCH_DIR, prefix="startup-"))
    copy = scratch / "grade.db"
    on_copy = [*qaudit, "--db", str(copy), "--today", BENCH_TODAY]

    def fresh_copy() -> None:
        remove_store(copy)
        shutil.copyfile(store.path, copy)

    commands: dict[str, tuple[list[str], Callable[[], None] | None]] = {
        "minimal app --help": ([sys.executable, str(MINIMAL_APP), "--help"], None),
        "qaudit --help": ([*qaudit, "--help"], None),
        "overdue": ([*on_store, "overdue"], None),
        "audits list": ([*on_store, "audits", "list"], None),
        "audits list --format csv": ([*on_store, "audits", "list", "--format", "csv"], None),
        "complaints list": ([*on_store, "complaints", "list"], None),
        f"grade {case_ref} --grade good": (
            [*on_copy, "--user", auditor, "grade", case_ref, "--grade", "good"],
            fresh_copy,
        ),
    }
    for name, (argv, _) in commands.items():
        print(f"startup: {name}: {shlex.join(argv)}")
    times: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    try:
        warm_page_cache(store.path)
        for i in range(max(opts.repeat, 5) + 1):
            for name, (argv, prepare) in commands.items():
                if prepare is not None:
                    prepare()
                run = run_child(argv, env=env)
                check_ok(run, name)
                if i:  # the first round is a warm-up
                    times[name].append(run.seconds)
                    cpu[name].append(run.cpu_seconds)
            if i:
                progress(
                    f"run {i}: " + ", ".join(f"{name} {t[-1]:.2f} s" for name, t in times.items())
                )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    fastest = {name: min(t) for name, t in times.items()}
    least_cpu = {name: min(t) for name, t in cpu.items()}
    minimal, helps = fastest["minimal app --help"], fastest["qaudit --help"]
    results = [
        Result(
            name="qaudit --help vs a minimal two-command Typer app's --help",
            measured=(
                f"{helps:.3f} s vs {minimal:.3f} s | ratio {helps / minimal:.2f} (CPU "
                f"{least_cpu['qaudit --help']:.3f} s vs {least_cpu['minimal app --help']:.3f} s)"
            ),
            target=f"target ≤ {HELP_RATIO_TARGET}",
            passed=helps / minimal <= HELP_RATIO_TARGET,
        )
    ]
    for name in list(commands)[2:]:
        ratio = fastest[name] / helps
        results.append(
            Result(
                name=(
                    f"{name} vs qaudit --help, {store.cases:,} cases / {store.audits:,} audits /"
                    f" {EVERYDAY_COMPLAINTS:,} complaints"
                ),
                measured=(
                    f"{fastest[name]:.3f} s vs {helps:.3f} s | ratio {ratio:.2f} (CPU "
                    f"{least_cpu[name]:.3f} s)"
                ),
                target=f"target ≤ {EVERYDAY_RATIO_TARGET}",
                passed=ratio <= EVERYDAY_RATIO_TARGET,
            )
        )
    return results


BENCHMARKS: dict[str, Callable[[Options], list[Result]]] = {
    "import": bench_import,
    "help": bench_help,
    "startup": bench_startup,
    "sample": bench_sample,
    "overdue": bench_overdue,
    "report": bench_report,
    "list": bench_list,
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
