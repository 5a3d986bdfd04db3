"""The transaction of an orders import on PostgreSQL: its settings, and for a large first
import, the constraints and indexes it checks and builds once at the end instead of per row.

A row's foreign-key check costs about as much as its insert; adding the key back afterwards
checks all rows in one join, and an index built once costs far less than one kept up row by
row. Dropping them is safe inside the transaction: PostgreSQL's DDL is transactional, so a
failed or killed import leaves the schema as it was. The drops lock `orders` and `customers`
until the import commits (a first import's deferred order indexes lock `orders` anyway), so
this is done only when the store holds no orders yet.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from sqlalchemy import Connection

from clv.store.driver import deferred_indexes
from clv.store.tables import customers_table

FOREIGN_KEYS_DEFERRED_FROM = 50_000  # expected rows: below, checking each row costs less
_PLANNER = ("enable_hashjoin", "enable_mergejoin", "jit")


@contextmanager
def postgres_load(connection: Connection, expected_rows: int) -> Iterator[None]:
    """Set up the import's transaction; on success, restore what it dropped.

    On an error nothing is added back: the rollback restores it.
    """
    cursor: Any = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.execute("SET LOCAL TimeZone = 'UTC'")  # the instants the import sends are UTC
    # Each batch's statements match a few thousand rows against a table by a unique index.
    # The tables this transaction fills have no statistics (their rows are invisible to
    # autovacuum until it commits): the planner would take a million customers for a few
    # thousand and hash them all for every batch. Nested loops (index look-ups) only, until
    # the end; and no JIT compilation, which costs more than such a statement's work.
    planner = _settings(cursor, _PLANNER)
    _set_local(cursor, dict.fromkeys(_PLANNER, "off"))
    dropped: list[tuple[str, str]] = []
    if expected_rows >= FOREIGN_KEYS_DEFERRED_FROM and _is_empty(cursor, "orders"):
        dropped = foreign_keys(cursor)
    for name, _ in dropped:
        cursor.execute(f"ALTER TABLE orders DROP CONSTRAINT {name}")
    with ExitStack() as customer_indexes:
        if dropped and _is_empty(cursor, "customers"):  # a first import writes them at the end
            customer_indexes.enter_context(
                deferred_indexes(connection, customers_table, expected_rows=expected_rows)
            )
        yield
        _set_local(cursor, planner)  # the checks and index builds below read whole tables
    for name, definition in dropped:
        cursor.execute(f"ALTER TABLE orders ADD CONSTRAINT {name} {definition}")


def foreign_keys(cursor: Any) -> list[tuple[str, str]]:
    """(quoted name, definition) of the orders' foreign keys (`cursor`: a DB-API cursor or a
    `PgSession`)."""
    found = cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = 'orders'::regclass AND contype = 'f'"
    )
    return [('"' + name.replace('"', '""') + '"', definition) for name, definition in found]


def _is_empty(cursor: Any, table: str) -> bool:
    return bool(cursor.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {table})").fetchone()[0])


def _settings(cursor: Any, names: tuple[str, ...]) -> dict[str, str]:
    found = cursor.execute("SELECT " + ", ".join(f"current_setting('{n}')" for n in names))
    return dict(zip(names, found.fetchone(), strict=True))


def _set_local(cursor: Any, settings: dict[str, str]) -> None:
    for name, value in settings.items():
        cursor.execute("SELECT set_config(%s, %s, true)", (name, value))
