"""store.columns, the tables without their models, is the models' own description."""

from __future__ import annotations

from sqlmodel import SQLModel

from qaudit.store import columns
from qaudit.store.changelog import table_extents
from qaudit.store.digests import NOT_COVERED, _select_sql, covered_tables
from qaudit.store.engine import Store


def test_the_tables_keys_and_columns_are_the_models() -> None:
    expected = {
        table.name: (
            next(iter(table.primary_key.columns)).name,
            tuple(column.name for column in table.columns),
        )
        for table in SQLModel.metadata.sorted_tables
        if table.name not in NOT_COVERED
    }
    assert list(columns.TABLES.items()) == list(expected.items())  # the order counts too


def test_the_digest_select_is_the_one_store_digests_uses() -> None:
    for name, table in covered_tables().items():
        assert columns.select_rows_sql(name, "WHERE x") == _select_sql(
            None,  # type: ignore[arg-type]
            table,
            "WHERE x",
        )


def test_the_extents_are_what_the_change_log_counts(store: Store) -> None:
    from sqlalchemy import text

    with store.reading() as session:
        conn = session.connection()
        expected = table_extents(conn)
        found = {
            name: [int(records), int(newest)]
            for name, records, newest in conn.execute(text(columns.extents_sql()))
        }
    assert list(found.items()) == list(expected.items())
