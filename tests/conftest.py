"""Fixtures: a fresh store per test on SQLite and, where configured, on PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import NullPool
from tests.smtp_server import (  # noqa: F401
    refusing_port,
    silent_port,
    smtp_certificates,
    smtp_relay,
    smtp_ssl,
    smtp_tls,
)
from typer.testing import CliRunner

from qaudit.cli import app
from qaudit.domain.dates import LONDON
from qaudit.services.context import Context
from qaudit.store.engine import Store

FIXTURES = Path(__file__).parent / "fixtures"
PG_ENV = "QAUDIT_TEST_DATABASE_URL"
TABLES = (
    "teams",
    "staff",
    "heads_of_service",
    "cases",
    "samples",
    "sample_items",
    "sample_draws",
    "audits",
    "moderations",
    "reaudits",
    "complaints",
    "complaint_stages",
    "survey_responses",
    "survey_cohorts",
    "advocacy",
    "scrutiny_sessions",
    "scrutiny_resolutions",
    "change_log",
)


def _build_qaudit_once() -> None:
    """Typer builds the whole command tree (every option's annotations evaluated) on each
    ``CliRunner.invoke``; a user's process does that once, the suite did it thousands of
    times. The built command is kept per app (its commands hold no state between runs)."""
    import typer.testing

    real = typer.testing._get_command
    built: dict[tuple[int, tuple[tuple[str, str], ...]], Any] = {}

    def get_command(app: Any) -> Any:
        # Typer reads its own _TYPER_* settings (shell detection for completion) as it builds.
        settings = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("_TYPER")))
        key = (id(app), settings)
        if key not in built:
            built[key] = (app, real(app))  # the app kept alive, so its id stays its own
        return built[key][1]

    typer.testing._get_command = get_command  # type: ignore[assignment]


_build_qaudit_once()


@pytest.fixture(autouse=True)
def _isolated_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """No test reads the developer's own store, policy or identity, or writes to their cache
    (the bank-holiday cache is shared by the tests of one worker: it is only ever derived)."""
    for name in ("QAUDIT_DB", "QAUDIT_DATABASE_URL", "QAUDIT_TODAY", "QAUDIT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QAUDIT_USER", "tester")
    monkeypatch.setenv("QAUDIT_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.chdir(tmp_path)


# PostgreSQL: the server QAUDIT_TEST_DATABASE_URL names, or else the default one when it answers.
# Each test process (each xdist worker) gets a database of its own on that server, made on first
# use and dropped at the end: the store's writer lock is an advisory lock, and `db erase` counts
# the other sessions of its database, both database-wide, so workers (and other test runs on the
# same server) must not share one.
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_PROBE_TIMEOUT_S = 3
PG_FIXTURES = frozenset({"pg_url", "pg_database", "pg_alone", "own_pg_database"})


@dataclass(frozen=True)
class PgServer:
    url: str
    explicit: bool  # named by QAUDIT_TEST_DATABASE_URL
    absent: str | None  # why it did not answer, or None when it did

    @property
    def required(self) -> bool:
        """Whether a missing server fails the PostgreSQL tests rather than skipping them."""
        return self.explicit or os.environ.get("CI") == "true"

    def masked(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)


PG_SERVER = pytest.StashKey[PgServer]()
PG_DESELECTED = pytest.StashKey[int]()


def _probe(url: str) -> str | None:
    """None when the server answers; otherwise why not, in one line."""
    try:
        engine = create_engine(
            url, poolclass=NullPool, connect_args={"connect_timeout": PG_PROBE_TIMEOUT_S}
        )
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:  # any failure means: no usable server
        lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        # psycopg: "connection failed: connection to server at …, port … failed: <why>"
        return lines[0].rsplit(" failed: ", 1)[-1] if lines else type(exc).__name__
    return None


def pytest_configure(config: pytest.Config) -> None:
    explicit = os.environ.get(PG_ENV)
    url = explicit or DEFAULT_PG_URL
    config.stash[PG_SERVER] = PgServer(url, bool(explicit), _probe(url))
    config.stash[PG_DESELECTED] = 0


def _needs_postgres(item: pytest.Item) -> bool:
    names = set(getattr(item, "fixturenames", ()))
    return item.get_closest_marker("postgres") is not None or bool(names & PG_FIXTURES)


CLI_TESTS = Path(__file__).parent / "cli"


def _sqlite_only(items: list[pytest.Item]) -> set[pytest.Item]:
    """The PostgreSQL runs of the command-line tests, but for those marked ``both_stores``.

    The store and the services are tested on both databases (tests/store, tests/services,
    tests/reports, ...); a command-line test checks what the command adds (options, messages,
    exit codes, output) on SQLite, where the process boundary and the database do not change
    it. A command whose records or rules are new is marked to run on both (the workbooks,
    actions, complaint extensions), and so are the tests that use PostgreSQL on purpose."""
    dropped: set[pytest.Item] = set()
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None or callspec.params.get("new_db_url") != "postgres":
            continue
        if CLI_TESTS not in Path(str(item.path)).parents:
            continue
        if item.get_closest_marker("both_stores") is None:
            dropped.add(item)
    return dropped


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """PostgreSQL tests carry the marker; with no server (and none required) they are
    deselected, and the summary says so in one line."""
    server = config.stash[PG_SERVER]
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    once = _sqlite_only(items)
    if once:
        config.hook.pytest_deselected(items=once)
        items[:] = [item for item in items if item not in once]
    for item in items:
        if not _needs_postgres(item):
            keep.append(item)
            continue
        item.add_marker(pytest.mark.postgres)
        (dropped if server.absent and not server.required else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
        config.stash[PG_DESELECTED] = len(dropped)
        if hasattr(config, "workeroutput"):  # an xdist worker: tell the controller
            config.workeroutput["qaudit_pg_deselected"] = len(dropped)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """Under xdist the workers collect (and deselect); this process only reports."""
    dropped = int(getattr(node, "workeroutput", {}).get("qaudit_pg_deselected", 0))
    config: pytest.Config = node.config
    config.stash[PG_DESELECTED] = max(config.stash[PG_DESELECTED], dropped)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    server = config.stash[PG_SERVER]
    dropped = config.stash[PG_DESELECTED]
    if dropped and server.absent is not None:
        terminalreporter.write_line(
            f"PostgreSQL tests skipped ({dropped}): no server at {server.masked()} "
            f"({server.absent}); set {PG_ENV}=postgresql+psycopg://USER@HOST:PORT/DATABASE "
            "to run them",
            yellow=True,
        )


def _postgres_server(config: pytest.Config) -> PgServer:
    server = config.stash[PG_SERVER]
    if server.absent is not None:
        why = f"no PostgreSQL server at {server.masked()} ({server.absent})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{why}: the PostgreSQL tests may not skip in CI")
        if server.explicit:
            pytest.fail(f"{why}, though {PG_ENV} names it")
        pytest.skip(f"{why}: PostgreSQL tests skipped")
    return server


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# PostgreSQL's cleanup horizon is server-wide in effect: a transaction open in any database holds
# back every snapshot taken after it began, so VACUUM keeps old row versions it could otherwise
# drop. The tests that prove `db erase` leaves nothing in the table files therefore run alone:
# every PostgreSQL test holds this advisory lock shared, those hold it exclusively.
PG_TESTS_LOCK = 7346122


@pytest.fixture(scope="session")
def _pg_lock_holder(request: pytest.FixtureRequest) -> Iterator[Connection]:
    server = _postgres_server(request.config)  # the same database in every worker
    engine = create_engine(server.url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with engine.connect() as conn:
        yield conn
    engine.dispose()


@pytest.fixture(scope="session")
def pg_database(request: pytest.FixtureRequest, _pg_lock_holder: Connection) -> Iterator[str]:
    """A database of this test process's own on the PostgreSQL server, dropped at the end."""
    server = _postgres_server(request.config)
    shared = text(f"SELECT pg_advisory_lock_shared({PG_TESTS_LOCK})")
    unshared = text(f"SELECT pg_advisory_unlock_shared({PG_TESTS_LOCK})")
    base = make_url(server.url)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    prefix = f"{base.database or 'postgres'}_qaudit_"
    name = f"{prefix}{worker}_{os.getpid()}"
    admin = create_engine(server.url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    _pg_lock_holder.execute(shared)  # CREATE DATABASE is a transaction too
    with admin.connect() as conn:
        if base.host in (None, "", "localhost", "127.0.0.1", "::1"):
            # Databases a killed run left behind: their process is gone (the server is local,
            # so its test processes are too).
            left = re.compile(rf"{re.escape(prefix)}(?:gw\d+|main)_(\d+)")
            for (old,) in conn.execute(text("SELECT datname FROM pg_database")):
                found = left.fullmatch(old)
                if found and old != name and not _alive(int(found.group(1))):
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)'))
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    _pg_lock_holder.execute(unshared)
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        _pg_lock_holder.execute(shared)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        _pg_lock_holder.execute(unshared)
        admin.dispose()


@pytest.fixture
def pg_shared_turn(_pg_lock_holder: Connection) -> Iterator[None]:
    _pg_lock_holder.execute(text(f"SELECT pg_advisory_lock_shared({PG_TESTS_LOCK})"))
    try:
        yield
    finally:
        _pg_lock_holder.execute(text(f"SELECT pg_advisory_unlock_shared({PG_TESTS_LOCK})"))


@pytest.fixture
def pg_alone(_pg_lock_holder: Connection) -> Iterator[None]:
    """No other PostgreSQL test (of this run, in any worker) runs meanwhile."""
    _pg_lock_holder.execute(text(f"SELECT pg_advisory_lock({PG_TESTS_LOCK})"))
    try:
        yield
    finally:
        _pg_lock_holder.execute(text(f"SELECT pg_advisory_unlock({PG_TESTS_LOCK})"))


@pytest.fixture
def pg_url(pg_database: str, pg_shared_turn: None) -> Iterator[str]:
    """A URL whose connections use a fresh schema (in this process's database), dropped
    afterwards."""
    schema = f"qaudit_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_database, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(pg_database).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def new_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store URL that does not exist yet: a SQLite file, or an empty PostgreSQL schema
    (only `qaudit init` and `qaudit demo` create a store)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return str(request.getfixturevalue("pg_url"))


def init_store_at(url: str) -> None:
    """`qaudit init`, as a user runs it before anything else."""
    from qaudit.services.changes import init_store

    store = Store(url)
    try:
        init_store(store=store, ctx=make_context())
    finally:
        store.dispose()


@pytest.fixture
def db_url(new_db_url: str) -> str:
    """A new store, initialised (`qaudit init`) and empty: a SQLite file or a PostgreSQL
    schema."""
    init_store_at(new_db_url)
    return new_db_url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    store = Store(db_url)
    yield store
    store.dispose()


def make_context(today: str = "2026-12-01", user: str = "tester") -> Context:
    day = datetime.fromisoformat(today)
    return Context(
        user=user,
        now=day.replace(tzinfo=LONDON),
        recorded_at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
    )


@pytest.fixture
def ctx() -> Context:
    return make_context()


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    def json(self, exit_code: int = 0) -> object:
        """The JSON on standard output, of a run that ended with ``exit_code``."""
        assert self.exit_code == exit_code, (self.exit_code, self.stderr)
        return json.loads(self.stdout)


@dataclass
class Cli:
    """Runs ``qaudit`` in-process against one store, as a user would type it."""

    url: str
    runner: CliRunner

    def __call__(
        self, *args: str, today: str | None = "2026-12-01", input: str | None = None
    ) -> Run:
        head = ["--database-url", self.url]
        if today is not None:
            head += ["--today", today]
        result = self.runner.invoke(app, [*head, *args], input=input)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def cli(db_url: str) -> Cli:
    return Cli(db_url, CliRunner())


def snapshot(url: str) -> dict[str, object]:
    """Row counts and a content hash of every table: equal snapshots, an unchanged store."""
    store = Store(url)
    if not store.exists():
        return {"exists": False}
    try:
        with store.engine.connect() as conn:
            has = store.revision(conn)
            if has is None:
                return {"schema": None}
            counts: dict[str, object] = {}
            present = set(inspect(conn).get_table_names())  # an older schema has fewer
            for table in TABLES:
                if table not in present:
                    counts[table] = None
                    continue
                rows = conn.execute(text(f"SELECT * FROM {table} ORDER BY 1")).all()
                digest = hashlib.sha256(repr([tuple(map(str, r)) for r in rows]).encode())
                counts[table] = (len(rows), digest.hexdigest())
            return counts
    finally:
        store.dispose()


def write_csv(
    path: Path, rows: Sequence[Sequence[str]], *, newline: str = "\n", bom: bool = False
) -> Path:
    body = newline.join(",".join(r) for r in rows) + newline
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + body.encode("utf-8"))
    return path


def plain(text: str) -> str:
    """Rich's boxed usage errors, unboxed and on one line, for matching messages."""
    for char in "╭╮╰╯─│":
        text = text.replace(char, " ")
    return " ".join(text.split())


def raw_sql(url: str, *statements: str) -> None:
    """What anyone with the database could do without qaudit: no event is written."""
    store = Store(url)
    try:
        with store.engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        store.dispose()


def scalar_sql(url: str, query: str) -> Any:
    """The first column of the first row of ``query``, read straight from the database."""
    store = Store(url)
    try:
        with store.engine.connect() as conn:
            return conn.execute(text(query)).scalar()
    finally:
        store.dispose()
