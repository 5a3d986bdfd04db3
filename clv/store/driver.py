"""Bulk writes through the database driver, for the large writes of imports and scoring runs.

SQLAlchemy's per-row parameter processing costs more than the database work itself when a
write has a million rows. These helpers hand plain tuples to the driver, in the value formats
SQLAlchemy itself stores (so the ORM reads the rows back unchanged): on SQLite, days as
`YYYY-MM-DD`; on PostgreSQL, native values through COPY.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, Index, Table, func, select


def is_sqlite(connection: Connection) -> bool:
    return connection.dialect.name == "sqlite"


def float_values(values: npt.NDArray[np.float64]) -> list[float | None]:
    """Floats with NaN as NULL."""
    return nullable(values, np.isnan(values))


def nullable(values: npt.NDArray[Any], null: npt.NDArray[np.bool_]) -> list[Any]:
    """`values` as Python objects, with None where `null`."""
    if not null.any():
        return values.tolist()  # type: ignore[no-any-return]
    out = values.astype(object)
    out[null] = None
    return out.tolist()  # type: ignore[no-any-return]


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


def hold_write_lock(connection: Connection) -> None:
    """Open the connection's transaction now; on SQLite, with the database's write lock.

    pysqlite's legacy transaction control begins a transaction only before INSERT, UPDATE or
    DELETE, so DDL that comes first (the index drops of `deferred_indexes`) would commit at
    once, and a failed or killed load would leave the store without its indexes. BEGIN
    IMMEDIATE makes everything after it one transaction, and takes the write lock up front, so
    a long write never fails half-way because another writer got there first.
    """
    raw: Any = connection.connection.dbapi_connection
    if is_sqlite(connection) and not raw.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _referenced(table: Table) -> bool:
    """Whether a foreign key of another table of the metadata points into `table`."""
    return any(
        key.column.table is table
        for other in table.metadata.tables.values()
        if other is not table
        for key in other.foreign_keys
    )


def _recreate_sqlite_table(connection: Connection, name: str) -> None:
    """Empty table `name` by dropping it and creating it again from its own stored definition
    (sqlite_master's), with the indexes it has at this point. With foreign keys on, SQLite
    deletes the rows of a table that has keys one by one (its truncate optimisation is off
    then); a table that no other table references is dropped without that: a million
    customer scores 1.1-1.5 s by DELETE, 0.6 s dropped (measured in one transaction, rolled
    back). Readers see the table as it was until the transaction commits."""
    definitions = connection.exec_driver_sql(
        "SELECT type, sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL"
        " ORDER BY type = 'index'",
        (name,),
    ).all()
    connection.exec_driver_sql(f'DROP TABLE "{name}"')
    for _, sql in definitions:
        connection.exec_driver_sql(sql)


@contextmanager
def deferred_indexes(
    connection: Connection, table: Table, *, expected_rows: int, replace: bool = False
) -> Iterator[None]:
    """Drop `table`'s secondary non-unique indexes for a load that at least doubles the table,
    and build them again at the end, in the same transaction. With `replace`, the table's rows
    are removed first (after the indexes are dropped; on SQLite by dropping and creating the
    table again when no other table references it) and the load replaces them.

    Building an index once costs far less than updating it row by row; for a small load into
    a big table it is the other way round, so then nothing is dropped. Nor on PostgreSQL when
    the rows are replaced: a dropped index holds an ACCESS EXCLUSIVE lock on the table until
    the load commits, so every reader (each `/clv` card, during a scoring run's whole write)
    would wait and time out instead of reading the previous rows; PostgreSQL's DELETE does not
    touch the indexes (vacuum cleans them later), and keeping them costs the load some seconds
    (a million customer scores: 30 s instead of 21 s). On PostgreSQL a load that dropped
    indexes or replaced the rows ends by analyzing the table, in the same transaction.
    """
    hold_write_lock(connection)  # the drops belong to the load's transaction
    existing = 0
    if not replace:
        existing = connection.execute(select(func.count()).select_from(table)).scalar_one()
    dropped: list[Index] = []
    readers_stay = replace and not is_sqlite(connection)  # SQLite's readers are never locked
    if expected_rows >= max(existing, 50_000) and not readers_stay:
        dropped = [index for index in table.indexes if not index.unique]
    for index in dropped:
        index.drop(connection, checkfirst=True)  # one lost earlier is rebuilt below
    if replace and is_sqlite(connection) and not _referenced(table):
        _recreate_sqlite_table(connection, table.name)  # after the drop (its indexes stay off)
    elif replace:
        # after the drop: deleting a million rows from four indexes costs SQLite ten times more
        connection.execute(table.delete())
    yield
    if dropped and is_sqlite(connection):
        # let SQLite sort the index keys on more than one core (a per-connection setting)
        connection.exec_driver_sql(f"PRAGMA threads = {min(os.cpu_count() or 1, 4)}")
    for index in dropped:
        index.create(connection)
    if (dropped or replace) and not is_sqlite(connection):
        # the planner's statistics still describe the rows before the load (a replaced
        # customer_scores: every row of the old run_id) until autovacuum gets to the table;
        # analyzed here, the new statistics commit with the new rows (readers' lookups by the
        # new run_id otherwise walked a whole index: seconds per /clv card at 1M customers)
        connection.exec_driver_sql(f"ANALYZE {table.name}")
