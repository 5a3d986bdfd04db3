"""The customers of an orders import on PostgreSQL (see `clv.ingest.order_customers`).

`PgCustomers` inserts new customers and fills contacts with one statement per batch. In a
first import (no customers stored, the orders' foreign key deferred), `BufferedCustomers`
writes no customer row until the end: a new customer gets its row id from the table's
sequence (taken ahead, `RESERVED_IDS` at a time), and its row, with the contacts the whole
file gave it, is COPYed once. A
customer filled in later rows would otherwise cost an UPDATE of a row with five indexes,
several times the price of its insert.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from clv.ingest.copy_text import copy_column, copy_rows, int_array, text_array
from clv.ingest.pg_session import PgSession

BUFFERED_CUSTOMERS = 500_000  # new customers held before their rows are written
RESERVED_IDS = 50_000  # row ids taken from the sequence at a time


class PgCustomers:
    """Customer look-ups and writes, on the cursor of the import's transaction."""

    def __init__(self, session: PgSession) -> None:
        self.session = session

    def customers(self, ids: Sequence[str]) -> dict[str, tuple[int, str | None, str | None]]:
        if not ids:
            return {}
        array, value = text_array(ids)
        found = self.session.execute(
            f"SELECT c.* FROM unnest({array}) AS u(e) CROSS JOIN LATERAL (SELECT external_id, "
            "id, email, name FROM customers WHERE external_id = u.e LIMIT 1) c",
            (value,),
        )
        return {row[0]: (row[1], row[2], row[3]) for row in found.fetchall()}

    def add_customers(self, rows: list[tuple[str, str | None, str | None]]) -> dict[str, int]:
        ids, emails, names = (text_array(column) for column in zip(*rows, strict=True))
        added = self.session.execute(
            "INSERT INTO customers (external_id, email, name, opted_out) "
            f"SELECT e, m, n, false FROM unnest({ids[0]}, {emails[0]}, {names[0]}) AS u(e, m, n) "
            "RETURNING external_id, id",
            (ids[1], emails[1], names[1]),
        )
        return dict(added.fetchall())

    def fill_contacts(self, rows: list[tuple[int, str | None, str | None]]) -> None:
        row_ids, emails, names = zip(*rows, strict=True)
        ids = int_array(row_ids)
        email, name = text_array(emails), text_array(names)
        self.session.execute(
            "UPDATE customers AS c SET email = COALESCE(c.email, u.m), "
            f"name = COALESCE(c.name, u.n) FROM unnest({ids[0]}, {email[0]}, {name[0]}) "
            "AS u(id, m, n) WHERE c.id = u.id",
            (ids[1], email[1], name[1]),
        )

    def held_external_id(self, row_id: int) -> str:
        """The external id of a customer not written yet."""
        raise KeyError(row_id)  # none is held back

    def finish(self) -> None:
        """Nothing is held back."""


class BufferedCustomers(PgCustomers):
    """New customers held in memory with their row ids, written by COPY at the end (or when
    `BUFFERED_CUSTOMERS` are held). Only for a store without customers and with the orders'
    foreign key dropped: until then, the orders point at rows not written yet."""

    def __init__(self, session: PgSession) -> None:
        super().__init__(session)
        found = session.execute("SELECT pg_get_serial_sequence('customers', 'id')")
        self.sequence: str = found.fetchone()[0]
        self.reserved: list[int] = []  # row ids taken from the sequence, not given yet
        self.held: dict[int, list[Any]] = {}  # row id -> [external id, email, name]

    def customers(self, ids: Sequence[str]) -> dict[str, tuple[int, str | None, str | None]]:
        self.finish()  # the customer cache was emptied: look up what is held too
        return super().customers(ids)

    def add_customers(self, rows: list[tuple[str, str | None, str | None]]) -> dict[str, int]:
        if len(self.held) + len(rows) > BUFFERED_CUSTOMERS:
            self.finish()
        if len(self.reserved) < len(rows):
            taken = self.session.execute(
                "SELECT nextval(%s) FROM generate_series(1, %s)",
                (self.sequence, max(len(rows), RESERVED_IDS)),
            )
            self.reserved += [row_id for (row_id,) in taken.fetchall()]
        ids, self.reserved = self.reserved[: len(rows)], self.reserved[len(rows) :]
        for (external_id, email, name), row_id in zip(rows, ids, strict=True):
            self.held[row_id] = [external_id, email, name]
        return {row[0]: row_id for row, row_id in zip(rows, ids, strict=True)}

    def held_external_id(self, row_id: int) -> str:
        return str(self.held[row_id][0])

    def fill_contacts(self, rows: list[tuple[int, str | None, str | None]]) -> None:
        stored = []
        for row_id, email, name in rows:
            held = self.held.get(row_id)
            if held is None:
                stored.append((row_id, email, name))
            else:
                held[1] = held[1] or email
                held[2] = held[2] or name
        if stored:
            super().fill_contacts(stored)

    def finish(self) -> None:
        """Write the customers held."""
        if not self.held:
            return
        exts, emails, names = zip(*self.held.values(), strict=True)
        payload = copy_rows(
            map(str, self.held),
            copy_column(exts),
            copy_column(emails),
            copy_column(names),
            ["f"] * len(self.held),
        )
        self.session.copy(
            "COPY customers (id, external_id, email, name, opted_out) FROM STDIN", payload
        )
        self.held.clear()
