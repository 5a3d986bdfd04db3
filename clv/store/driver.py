"""Bulk writes through the database driver, for the large writes of imports and scoring runs.

SQLAlchemy's per-row parameter processing costs more than the database work itself when a
write has a million rows. These helpers hand plain tuples to the driver, in the value formats
SQLAlchemy itself stores (so the ORM reads the rows back unchanged): on SQLite, days as
`YYYY-MM-DD`; on PostgreSQL, native values through COPY.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, Index, Table, func, select


def is_sqlite(connection: Connection) -> bool:
    return connection.dialect.name == "sqlite"


def day_values(days: npt.NDArray[np.int64], *, sqlite: bool) -> list[Any]:
    """Days since 1970-01-01 as the driver wants them; negative days become NULL."""
    as_days = days.astype("datetime64[D]")
    values: list[Any] = as_days.astype(str).tolist() if sqlite else as_days.astype(object).tolist()
    if (days < 0).any():
        for i in np.flatnonzero(days < 0).tolist():
            values[i] = None
    return values


def float_values(values: npt.NDArray[np.float64]) -> list[float | None]:
    """Floats with NaN as NULL."""
    out: list[float | None] = values.tolist()
    if np.isnan(values).any():
        for i in np.flatnonzero(np.isnan(values)).tolist():
            out[i] = None
    return out


def insert_rows(
    connection: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert `rows` into `table` (inside the caller's transaction): executemany or COPY."""
    cursor: Any = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    names = ", ".join(columns)
    if is_sqlite(connection):
        marks = ", ".join("?" * len(columns))
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
        return
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


@contextmanager
def deferred_indexes(connection: Connection, table: Table, *, expected_rows: int) -> Iterator[None]:
    """Drop `table`'s secondary non-unique indexes for a load that at least doubles the table,
    and build them again at the end, in the same transaction.

    Building an index once costs far less than updating it row by row; for a small load into
    a big table it is the other way round, so then nothing is dropped.
    """
    existing = connection.execute(select(func.count()).select_from(table)).scalar_one()
    dropped: list[Index] = []
    if expected_rows >= max(existing, 50_000):
        dropped = [index for index in table.indexes if not index.unique]
    for index in dropped:
        index.drop(connection)
    yield
    for index in dropped:
        index.create(connection)
