"""Bulk reads and writes for imports into SQLite, on the DB-API cursor of the import's
transaction (PostgreSQL's are in `clv.ingest.pg_orders`).

Imports move millions of rows; going through SQLAlchemy's per-row type processing costs more
than the database work itself. This module talks to the driver directly, in the value formats
SQLAlchemy itself stores (so the ORM reads the rows back unchanged): timestamps as
`YYYY-MM-DD HH:MM:SS.ffffff` in UTC and days as `YYYY-MM-DD`. Lists of ids travel as one
JSON parameter (`json_each`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection

from clv.store.driver import insert_rows

OrderValues = tuple[str, int, Any, Any, int]  # external_id, customer row id, at, on, amount
ORDER_COLUMNS = ("external_id", "customer_id", "ordered_at", "ordered_on", "amount_minor")
IMPORT_CACHE_KIB = 256 * 1024  # SQLite page cache while importing: indexes stay in memory


@contextmanager
def bulk_load(connection: Connection) -> Iterator[None]:
    """Tune a connection for a bulk import, outside its transaction, and restore it after.

    On SQLite: a large page cache, and no per-row foreign-key checks (the importers create
    every customer before its orders, in the same transaction). PRAGMAs have no effect inside
    a transaction, so this wraps `connection.begin()`.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    connection.exec_driver_sql(f"PRAGMA cache_size=-{IMPORT_CACHE_KIB}")
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    connection.commit()
    try:
        yield
    finally:
        connection.rollback()
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.exec_driver_sql("PRAGMA cache_size=-2000")
        connection.commit()


IMPORT_LOCK = 0x636C_7662_6F74  # pg_advisory_xact_lock's key for imports ("clvbot")


def hold_import_lock(connection: Connection) -> None:
    """On PostgreSQL: wait for another import into the store to end, and keep the next out
    until this one's transaction ends, as SQLite's write lock does (`hold_write_lock`). A
    first import decides what it may defer by what the store holds when it begins."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({IMPORT_LOCK})")


BYTES_PER_ROW_ESTIMATE = 40  # a lower bound for a CSV order row: estimates rows from file size


class BulkStore:
    """Driver-level access to SQLite for one import; every call runs in the caller's
    transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        raw: Any = connection.connection.dbapi_connection
        self.cursor = raw.cursor()

    # -- value formats -----------------------------------------------------------------
    @staticmethod
    def timestamp_text(moment: datetime) -> str:
        """A tz-aware instant as SQLAlchemy stores it on SQLite (`UTCDateTime`)."""
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

    @staticmethod
    def day_text(value: date) -> str:
        return value.isoformat()

    @staticmethod
    def _any(column: str) -> str:
        return f"{column} IN (SELECT value FROM json_each(?))"

    @staticmethod
    def _ids(ids: Sequence[Any]) -> str:
        return json.dumps(list(ids))

    # -- orders ------------------------------------------------------------------------
    def stored_orders(
        self, ids: Sequence[str], *, up_to_row: int | None = None
    ) -> dict[str, tuple[int, Any, int]]:
        """external order id -> (customer row id, ordered_at, amount_minor) of stored orders
        (only those with row id <= `up_to_row`, if given)."""
        if not ids:
            return {}
        where = f"WHERE {self._any('external_id')}"
        params: tuple[Any, ...] = (self._ids(ids),)
        if up_to_row is not None:
            where += " AND id <= ?"
            params += (up_to_row,)
        self.cursor.execute(
            f"SELECT external_id, customer_id, ordered_at, amount_minor FROM orders {where}",
            params,
        )
        return {row[0]: (row[1], row[2], row[3]) for row in self.cursor.fetchall()}

    def insert_orders(self, rows: list[OrderValues]) -> None:
        if rows:
            insert_rows(self.connection, "orders", ORDER_COLUMNS, rows)

    def insert_new_orders(self, rows: list[OrderValues]) -> int:
        """Insert the rows whose external id is not stored yet; returns how many."""
        if not rows:
            return 0
        self.cursor.executemany(
            f"INSERT INTO orders ({', '.join(ORDER_COLUMNS)}) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (external_id) DO NOTHING",
            rows,
        )
        return int(self.cursor.rowcount)

    def max_order_id(self) -> int:
        self.cursor.execute("SELECT COALESCE(MAX(id), 0) FROM orders")
        return int(self.cursor.fetchone()[0])

    def update_orders(self, rows: list[OrderValues]) -> None:
        self.cursor.executemany(
            "UPDATE orders SET customer_id = ?, ordered_at = ?, ordered_on = ?, "
            "amount_minor = ? WHERE external_id = ?",
            [(cid, at, on, amount, oid) for oid, cid, at, on, amount in rows],
        )

    # -- customers ---------------------------------------------------------------------
    def customers(self, ids: Sequence[str]) -> dict[str, tuple[int, str | None, str | None]]:
        """external customer id -> (row id, email, name) of stored customers."""
        if not ids:
            return {}
        self.cursor.execute(
            f"SELECT external_id, id, email, name FROM customers WHERE {self._any('external_id')}",
            (self._ids(ids),),
        )
        return {row[0]: (row[1], row[2], row[3]) for row in self.cursor.fetchall()}

    def external_ids(self, row_ids: Sequence[int]) -> dict[int, str]:
        """customer row id -> external customer id."""
        wanted = sorted(set(row_ids))
        self.cursor.execute(
            f"SELECT id, external_id FROM customers WHERE {self._any('id')}",
            (self._ids(wanted),),
        )
        return {row[0]: row[1] for row in self.cursor.fetchall()}

    def add_customers(self, rows: list[tuple[str, str | None, str | None]]) -> dict[str, int]:
        """Insert new customers (external id, email, name); external id -> row id."""
        self.cursor.executemany(
            "INSERT INTO customers (external_id, email, name, opted_out) VALUES (?, ?, ?, ?)",
            [(external_id, email, name, False) for external_id, email, name in rows],
        )
        found = self.customers([row[0] for row in rows])
        return {external_id: row[0] for external_id, row in found.items()}

    def fill_contacts(self, rows: list[tuple[int, str | None, str | None]]) -> None:
        """Set a customer's email and name where they are still empty."""
        self.cursor.executemany(
            "UPDATE customers SET email = COALESCE(email, ?), name = COALESCE(name, ?) "
            "WHERE id = ?",
            [(email, name, row_id) for row_id, email, name in rows],
        )
