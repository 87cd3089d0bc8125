"""Fixtures: a fresh store per test on SQLite and, where configured, on PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
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


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's own store, policy or identity."""
    for name in ("QAUDIT_DB", "QAUDIT_DATABASE_URL", "QAUDIT_TODAY", "QAUDIT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QAUDIT_USER", "tester")
    monkeypatch.chdir(tmp_path)


def _postgres_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{PG_ENV} must be set in CI: the PostgreSQL tests may not skip there")
        pytest.skip(f"{PG_ENV} is not set: PostgreSQL tests skipped")
    return url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL whose connections use a fresh schema, dropped afterwards."""
    base = _postgres_url()
    schema = f"qaudit_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
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

    def json(self) -> object:
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
