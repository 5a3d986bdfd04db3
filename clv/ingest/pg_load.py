"""The transaction of an orders import on PostgreSQL: its settings, and for a large first
import, the constraints and indexes it checks and builds once at the end instead of per row.

A row's foreign-key check costs about as much as its insert; adding the key back afterwards
checks all rows in one join, and an index built once costs far less than one kept up row by
row. Dropping them is safe inside the transaction: PostgreSQL's DDL is transactional, so a
failed or killed import leaves the schema as it was. The drops lock `orders` and `customers`
until the import commits, so this is done only when the store holds no orders yet: a later
import (a daily file, the full export again) keeps them, and readers keep reading.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from sqlalchemy import Connection

from clv.store.driver import deferred_indexes
from clv.store.tables import customers_table, orders_table

LARGE_FIRST_IMPORT = 50_000  # expected rows: below, checking each row costs less
_PLANNER = ("enable_hashjoin", "enable_mergejoin", "jit")


class Deferred:
    """The constraints a large first import dropped, as the statements that add them back."""

    def __init__(self, foreign: list[str], unique: list[str]) -> None:
        self.foreign = foreign
        self.unique = unique

    def take_unique(self) -> list[str]:
        """The statements that add the order id's uniqueness back, to run now: a look-up by
        order id needs its index (then the end adds nothing more)."""
        taken, self.unique = self.unique, []
        return taken


@contextmanager
def postgres_load(connection: Connection, expected_rows: int) -> Iterator[Deferred]:
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
    first = expected_rows >= LARGE_FIRST_IMPORT and _is_empty(cursor, "orders")
    dropped = _constraints(cursor, "fu") if first else []
    for name, _, _ in dropped:
        cursor.execute(f"ALTER TABLE orders DROP CONSTRAINT {name}")
    adding = {
        kind: [f"ALTER TABLE orders ADD CONSTRAINT {n} {d}" for n, k, d in dropped if k == kind]
        for kind in "fu"
    }
    deferred = Deferred(adding["f"], adding["u"])
    with ExitStack() as indexes:
        if first:
            indexes.enter_context(
                deferred_indexes(connection, orders_table, expected_rows=expected_rows)
            )
        if first and _is_empty(cursor, "customers"):  # a first import writes them at the end
            indexes.enter_context(
                deferred_indexes(connection, customers_table, expected_rows=expected_rows)
            )
        yield deferred
        _set_local(cursor, planner)  # the checks and index builds below read whole tables
        for statement in deferred.take_unique():
            cursor.execute(statement)
    for statement in deferred.foreign:
        cursor.execute(statement)


def foreign_keys(cursor: Any) -> list[tuple[str, str, str]]:
    """The orders' foreign keys (`cursor`: a DB-API cursor or a `PgSession`)."""
    return _constraints(cursor, "f")


def _constraints(cursor: Any, kinds: str) -> list[tuple[str, str, str]]:
    """(quoted name, kind, definition) of the orders' constraints of `kinds` (`f`: foreign
    keys, `u`: unique)."""
    found = cursor.execute(
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = 'orders'::regclass AND contype::text = ANY(%s) ORDER BY conname",
        (list(kinds),),
    )
    return [('"' + name.replace('"', '""') + '"', kind, text) for name, kind, text in found]


def _is_empty(cursor: Any, table: str) -> bool:
    return bool(cursor.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {table})").fetchone()[0])


def _settings(cursor: Any, names: tuple[str, ...]) -> dict[str, str]:
    found = cursor.execute("SELECT " + ", ".join(f"current_setting('{n}')" for n in names))
    return dict(zip(names, found.fetchone(), strict=True))


def _set_local(cursor: Any, settings: dict[str, str]) -> None:
    for name, value in settings.items():
        cursor.execute("SELECT set_config(%s, %s, true)", (name, value))
