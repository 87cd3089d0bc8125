"""The case store as pandas DataFrames, for analysts' notebooks.

    >>> from qaudit.analysis import frames
    >>> tables = frames("qaudit.db")            # or a database URL, or a Store
    >>> tables["audits"].groupby("grade", observed=False).size()
    >>> tables["dictionary"]                     # what every column means

One tidy table per entity, the same tables ``qaudit export`` writes (see
``qaudit.services.export``), with typed columns: ids and counts as ``Int64``, dates as
``datetime64``, times as ``datetime64`` in UTC, grades and other fixed lists as ordered or
unordered ``Categorical`` (grades run Outstanding < Good < Requires improvement <
Inadequate), yes/no as ``boolean``, everything else as ``string``. ``publish=True`` leaves out
every free-text column and every column naming a person; an erased case's free text and
personal details are blank either way.

Needs pandas: ``pip install 'qaudit[analysis]'``. The rest of qaudit never imports it.
"""

from __future__ import annotations

import os
from typing import Any

try:
    import pandas as pd
except ImportError as exc:  # pragma: no branch - depends on the install
    raise ImportError(
        "qaudit.analysis needs pandas, which comes with the analysis extra: "
        "pip install 'qaudit[analysis]'"
    ) from exc

from qaudit.services.export import Column, Export, Table, read_export
from qaudit.store.engine import Store

__all__ = ["DICTIONARY", "data_dictionary", "frames"]

DICTIONARY = "dictionary"


def _dtype(column: Column, values: list[Any]) -> Any:
    if column.kind in ("id", "integer"):
        return "Int64"
    if column.kind == "boolean":
        return "boolean"
    if column.kind == "date":
        return "datetime64[ns]"
    if column.kind == "datetime":
        return pd.DatetimeTZDtype("ns", "UTC")
    if column.kind == "category":
        # A value the list does not know (from a newer framework, say) is kept, after the
        # known ones, rather than silently turned into a missing value.
        known = list(column.levels)
        extra = sorted({v for v in values if v is not None and v not in column.levels})
        return pd.CategoricalDtype(known + extra, ordered=column.ordered)
    return pd.StringDtype()


def _series(column: Column, values: list[Any]) -> pd.Series[Any]:
    dtype = _dtype(column, values)
    if column.kind == "datetime":
        return pd.Series(pd.to_datetime(values, utc=True), name=column.name).astype(dtype)
    if column.kind == "date":
        return pd.Series(pd.to_datetime(values), name=column.name).astype(dtype)
    return pd.Series(values, name=column.name, dtype=object).astype(dtype)


def _frame(table: Table) -> pd.DataFrame:
    by_column = list(zip(*table.rows, strict=True)) if table.rows else []
    data = {
        column.name: _series(column, list(by_column[i]) if by_column else [])
        for i, column in enumerate(table.columns)
    }
    return pd.DataFrame(data, columns=[c.name for c in table.columns])


def data_dictionary(export: Export) -> pd.DataFrame:
    """One row per column of every table: table, column, type, values (a category's, in
    order), meaning."""
    return pd.DataFrame(
        export.dictionary, columns=list(Export.DICTIONARY_COLUMNS), dtype=pd.StringDtype()
    )


def frames(
    store: Store | str | os.PathLike[str], *, publish: bool = False
) -> dict[str, pd.DataFrame]:
    """Every table of the store as a DataFrame, by name, and the data dictionary as
    ``"dictionary"``. ``store``: a Store, a SQLite file's path, or a database URL
    (``sqlite:///PATH``, ``postgresql+psycopg://USER@HOST/DATABASE``). Read in one
    transaction, so the tables agree with each other."""
    own = not isinstance(store, Store)
    opened = _open(store) if not isinstance(store, Store) else store
    try:
        exported = read_export(opened, publish=publish)
    finally:
        if own:
            opened.dispose()
    result = {table.name: _frame(table) for table in exported.tables}
    result[DICTIONARY] = data_dictionary(exported)
    return result


def _open(store: str | os.PathLike[str]) -> Store:
    from pathlib import Path

    text = os.fspath(store)
    if "://" in text:
        return Store.from_options(db=Path("qaudit.db"), database_url=text)
    return Store.from_options(db=Path(text), database_url=None)
