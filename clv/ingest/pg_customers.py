"""The customers of an orders import on PostgreSQL (see `clv.ingest.order_customers`).

`PgCustomers` inserts new customers and fills contacts with one statement per batch. In a
first import (no customers stored, the orders' foreign key deferred), `BufferedCustomers`
writes no customer row until the end: a new customer gets its row id from the table's
sequence (taken ahead, a block at a time), and its row, with the contacts the whole
file gave it, is COPYed once. A
customer filled in later rows would otherwise cost an UPDATE of a row with five indexes,
several times the price of its insert.
"""

from __future__ import annotations

from collections.abc import Sequence

from clv.ingest.copy_text import copy_column, copy_rows, int_array, text_array
from clv.ingest.pg_session import PgSession

BUFFERED_CUSTOMERS = 2_000_000  # new customers held before their rows are written
RESERVED_IDS = 100_000  # row ids taken from the sequence at a time


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
        self.reserved = range(0)  # row ids taken from the sequence, not given yet
        # the customers held, by row id: external id, and the contacts they have
        self.held: dict[int, str] = {}
        self.emails: dict[int, str] = {}
        self.names: dict[int, str] = {}

    def customers(self, ids: Sequence[str]) -> dict[str, tuple[int, str | None, str | None]]:
        self.finish()  # the customer cache was emptied: look up what is held too
        return super().customers(ids)

    def add_customers(self, rows: list[tuple[str, str | None, str | None]]) -> dict[str, int]:
        if len(self.held) + len(rows) > BUFFERED_CUSTOMERS:
            self.finish()
        ids = self._take(len(rows))
        for (external_id, email, name), row_id in zip(rows, ids, strict=True):
            self.held[row_id] = external_id
            if email:
                self.emails[row_id] = email
            if name:
                self.names[row_id] = name
        return {row[0]: row_id for row, row_id in zip(rows, ids, strict=True)}

    def _take(self, count: int) -> range:
        """`count` row ids from the sequence, taken `RESERVED_IDS` (or more) at a time in one
        statement. Setting the sequence past the block is safe while the import holds the
        customers table (its deferred indexes lock it): nobody else can insert a customer.
        Were the block shared anyway, the COPY at the end would fail, and with it the import."""
        if len(self.reserved) < count:
            size = max(count, RESERVED_IDS)
            found = self.session.execute(
                "SELECT setval(%s, nextval(%s) + %s - 1)", (self.sequence, self.sequence, size)
            )
            last = int(found.fetchone()[0])
            self.reserved = range(last - size + 1, last + 1)
        taken, self.reserved = self.reserved[:count], self.reserved[count:]
        return taken

    def held_external_id(self, row_id: int) -> str:
        return self.held[row_id]

    def fill_contacts(self, rows: list[tuple[int, str | None, str | None]]) -> None:
        stored = []
        for row_id, email, name in rows:
            if row_id not in self.held:
                stored.append((row_id, email, name))
                continue
            if email and row_id not in self.emails:
                self.emails[row_id] = email
            if name and row_id not in self.names:
                self.names[row_id] = name
        if stored:
            super().fill_contacts(stored)

    def finish(self) -> None:
        """Write the customers held."""
        if not self.held:
            return
        ids = list(self.held)
        payload = copy_rows(
            map(str, ids),
            copy_column(list(self.held.values())),
            copy_column(list(map(self.emails.get, ids))),
            copy_column(list(map(self.names.get, ids))),
            ["f"] * len(ids),
        )
        self.session.copy(
            "COPY customers (id, external_id, email, name, opted_out) FROM STDIN", payload
        )
        self.held.clear()
        self.emails.clear()
        self.names.clear()
