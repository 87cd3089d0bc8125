"""``qaudit.analysis.frames``: the store as typed pandas DataFrames, on SQLite and PostgreSQL.

``build_store`` makes the store these tests and tests/cli/test_export.py read: the demo's
history (samples, audits, moderations, re-audits, complaints, survey, advocacy, scrutiny),
an ad hoc audit with framework answers and text a spreadsheet would run as a formula, and an
erased case that was audited again after its erasure.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from conftest import init_store_at, make_context
from qaudit.analysis import DICTIONARY, frames
from qaudit.services.export import TABLE_NAMES, TABLES
from qaudit.store.engine import Store

TODAY = "2026-12-14"
ERASED_REF = "C100072"  # its re-audit was cancelled at moderation, with a note naming who
FORMULA = "=HYPERLINK('http://example.invalid','x') is what the family wrote"
AFTER_ERASURE = "Written after the erasure: the family's new address is 1 Sample Street"
ANSWERS = {"assessment-current": "good", "plan-on-file": "not-applicable"}


@dataclass(frozen=True)
class Built:
    url: str
    sqlite_path: Path | None
    answered_ref: str


def build_store(url: str) -> str:
    """Fill a new store; returns the ref of the case given the ad hoc audit with answers."""
    from qaudit.domain.grades import Grade
    from qaudit.paths import data_dir
    from qaudit.services import demo
    from qaudit.services.audits import record_grade
    from qaudit.services.cases import iter_cases
    from qaudit.services.erasure import erase_case
    from qaudit.services.grading import GradeInput

    init_store_at(url)
    store = Store(url)
    ctx = make_context(TODAY)
    try:
        staff = demo.import_staff(store=store, path=data_dir() / "demo-staff.csv", ctx=ctx)
        cases = demo.import_cases(store=store, path=data_dir() / "demo-cases.csv", ctx=ctx)
        result = demo.DemoResult(path=Path("-"), today=demo.DEMO_TODAY, staff=staff, cases=cases)
        demo._run_months(store, ctx, result)
        demo._complaints_year(store, ctx, result)
        demo._voice(store, ctx, result)
        today = date.fromisoformat(TODAY)
        answered = next(
            c.case_ref for c in iter_cases(store=store, open_on=today) if c.case_ref != ERASED_REF
        )
        record_grade(
            store=store,
            ctx=ctx,
            entry=GradeInput(
                case_ref=answered,
                grade=Grade.GOOD,
                auditor="Kiran Evans",
                audit_date=today,
                answers=ANSWERS,
                strengths=FORMULA,
                themes=["planning"],
                adhoc=True,
            ),
        )
        erase_case(store=store, ctx=ctx, case_ref=ERASED_REF, reason="the family asked")
        record_grade(
            store=store,
            ctx=ctx,
            entry=GradeInput(
                case_ref=ERASED_REF,
                grade=Grade.INADEQUATE,
                auditor="Kiran Evans",
                audit_date=today,
                answers=ANSWERS,
                strengths=AFTER_ERASURE,
                family_feedback=AFTER_ERASURE,
                adhoc=True,
            ),
        )
    finally:
        store.dispose()
    return answered


def filled_store(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Built]:
    """A filled store on ``backend``, removed afterwards (for module-scoped fixtures)."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("analysis") / "store.db"
        url = f"sqlite:///{path}"
        yield Built(url, path, build_store(url))
        return
    base = str(request.getfixturevalue("pg_database"))  # this worker's own database
    schema = f"qaudit_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    try:
        yield Built(rendered, None, build_store(rendered))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Built]:
    """One filled store per backend for the module (the tests only read it)."""
    yield from filled_store(request.param, tmp_path_factory, request)


def count(url: str, sql: str) -> int:
    store = Store(url)
    try:
        with store.engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar_one())
    finally:
        store.dispose()


def test_every_table_with_its_rows_and_the_dictionary(built: Built) -> None:
    tables = frames(built.url)
    assert list(tables) == [*TABLE_NAMES, DICTIONARY]
    for name in ("cases", "audits", "moderations", "reaudits", "complaints", "complaint_stages"):
        assert len(tables[name]) == count(built.url, f"SELECT count(*) FROM {name}"), name
    assert len(tables["survey_responses"]) == count(
        built.url, "SELECT count(*) FROM survey_responses"
    )
    assert len(tables["advocacy"]) == count(built.url, "SELECT count(*) FROM advocacy")
    assert len(tables["scrutiny_sessions"]) == 1
    assert len(tables["scrutiny_resolutions"]) == 3
    # Every table has rows: the fixture reaches every kind of record.
    assert all(len(tables[name]) for name in TABLE_NAMES), {n: len(tables[n]) for n in TABLE_NAMES}
    # The dictionary names every column of every table, and nothing else.
    listed = {(row.table, row.column) for row in tables[DICTIONARY].itertuples()}
    present = {(name, column) for name in TABLE_NAMES for column in tables[name].columns}
    assert listed == present
    assert tables[DICTIONARY]["meaning"].str.len().min() > 5


def test_columns_are_typed(built: Built) -> None:
    tables = frames(built.url)
    audits = tables["audits"]
    assert str(audits["audit_id"].dtype) == "Int64"
    assert str(audits["case_id"].dtype) == "Int64"
    assert pd.api.types.is_datetime64_any_dtype(audits["audit_date"])
    assert str(audits["recorded_at"].dt.tz) == "UTC"
    assert str(audits["views_gathered"].dtype) == "boolean"
    assert str(audits["auditor"].dtype) == "string"
    grade = audits["grade"].dtype
    assert isinstance(grade, pd.CategoricalDtype) and grade.ordered
    assert list(grade.categories) == ["outstanding", "good", "requires-improvement", "inadequate"]
    # Ordered: "worse than Good" is a comparison, as an analyst would write it.
    worse = audits[audits["grade"] > "good"]
    assert set(worse["grade"]) == {"requires-improvement", "inadequate"}
    assert audits["grade"].isna().sum() == 0
    cases = tables["cases"]
    assert pd.api.types.is_datetime64_any_dtype(cases["date_of_birth"])
    assert list(cases["category"].cat.categories) == ["CLA", "CP", "CIN", "CL"]
    assert str(tables["complaints"]["case_id"].dtype) == "Int64"
    assert tables["complaints"]["case_id"].isna().any()  # some complaints name no case
    assert str(tables["complaint_stages"]["extension_days"].dtype) == "Int64"
    assert str(tables["survey_responses"]["concern"].dtype) == "boolean"
    assert tables["survey_responses"]["concern"].any()
    moderations = tables["moderations"]
    assert moderations["regrade"].cat.categories[0] == "outstanding"
    assert (moderations["outcome"] == "regraded").sum() == 1


def test_answers_are_one_row_a_question(built: Built) -> None:
    tables = frames(built.url)
    answers = tables["answers"]
    cases = tables["cases"].set_index("case_id")
    mine = answers[answers["case_id"].map(cases["case_ref"]) == built.answered_ref]
    assert dict(zip(mine["question"], mine["answer"].astype(str), strict=True)) == ANSWERS
    assert list(answers["answer"].cat.categories)[-1] == "not-applicable"


def test_an_erased_case_keeps_its_figures_and_nothing_else(built: Built) -> None:
    tables = frames(built.url)
    cases = tables["cases"]
    erased = cases[cases["case_ref"] == ERASED_REF].iloc[0]
    assert bool(erased["erased"]) is True
    assert pd.isna(erased["date_of_birth"]) and pd.isna(erased["worker"])
    assert int(cases["erased"].sum()) == 1
    case_id = int(erased["case_id"])
    audits = tables["audits"][tables["audits"]["case_id"] == case_id]
    assert len(audits) >= 2  # the audit before the erasure and the one after
    assert audits[["strengths", "development", "family_feedback"]].isna().all().all()
    assert (audits["grade"] == "inadequate").any()  # the figures stay
    assert tables["answers"][tables["answers"]["case_id"] == case_id].empty
    # Erasure cleared the re-audit's note in the store too; no export would show it anyway.
    assert count(built.url, "SELECT count(*) FROM reaudits WHERE note LIKE 'regraded%'") == 0
    reaudits = tables["reaudits"][tables["reaudits"]["case_id"] == case_id]
    assert len(reaudits) >= 1 and reaudits["note"].isna().all()
    # and the audit written after the erasure is in the store with its text, but not here
    assert (
        count(built.url, "SELECT count(*) FROM audits WHERE strengths LIKE 'Written after%'") == 1
    )
    every = pd.concat([tables[n].astype(str) for n in TABLE_NAMES], ignore_index=True)
    assert not every.isin([AFTER_ERASURE]).any().any()


def test_publish_leaves_out_free_text_and_names(built: Built) -> None:
    private = {
        (spec.name, column.name)
        for spec in TABLES
        for column in spec.columns
        if column.free_text or column.personal
    }
    assert ("audits", "strengths") in private and ("cases", "case_ref") in private
    internal = frames(built.url)
    published = frames(built.url, publish=True)
    secrets = set()
    for table, column in private:
        assert column in internal[table].columns
        assert column not in published[table].columns, (table, column)
        if internal[table][column].dtype == "string":  # (a date of birth is also a date)
            secrets |= {v for v in internal[table][column].dropna() if len(v) > 3}
    assert FORMULA in secrets and ERASED_REF in secrets
    for name in TABLE_NAMES:
        values = set(published[name].astype(str).to_numpy().ravel())
        assert not values & secrets, name
    listed = set(published[DICTIONARY]["column"] + "@" + published[DICTIONARY]["table"])
    assert not any(f"{c}@{t}" in listed for t, c in private)


def test_a_store_a_path_or_a_url(built: Built) -> None:
    store = Store(built.url)
    try:
        by_store = frames(store)
        assert store.engine is not None  # the caller's store is left open for the caller
    finally:
        store.dispose()
    by_url = frames(built.url)
    pd.testing.assert_frame_equal(by_store["audits"], by_url["audits"])
    if built.sqlite_path is not None:
        by_path = frames(built.sqlite_path)
        pd.testing.assert_frame_equal(by_path["cases"], by_url["cases"])
        by_text = frames(str(built.sqlite_path))
        pd.testing.assert_frame_equal(by_text["complaints"], by_url["complaints"])


def test_a_missing_store_is_refused_not_created(tmp_path: Path) -> None:
    from qaudit.errors import StoreError

    with pytest.raises(StoreError, match=r"no case store at .*nowhere\.db: run qaudit init"):
        frames(tmp_path / "nowhere.db")
    assert not (tmp_path / "nowhere.db").exists()


def test_an_empty_store_gives_empty_typed_tables(db_url: str) -> None:
    tables = frames(db_url)
    assert all(tables[name].empty for name in TABLE_NAMES)
    assert str(tables["audits"]["audit_id"].dtype) == "Int64"
    assert isinstance(tables["audits"]["grade"].dtype, pd.CategoricalDtype)
    assert pd.api.types.is_datetime64_any_dtype(tables["cases"]["open_date"])
    assert tables["cases"].columns[0] == "case_id"
