"""Finding customers by their external id, creating the ones an order file introduces."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from clv.store.tables import customers_table as customers

IN_CHUNK = 2_000  # bound parameters per IN (...) list, well inside SQLite's limit


def chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def ensure_customers(
    connection: Connection, contacts: dict[str, tuple[str | None, str | None]]
) -> dict[str, int]:
    """Map external customer ids to row ids, creating missing customers.

    `contacts` maps each external id to the (email, name) an order row gave for it; they fill
    a customer's empty email or name but never overwrite one (the customers file does that).
    """
    known: dict[str, int] = {}
    fill: list[dict[str, Any]] = []
    ids = list(contacts)
    for part in chunks(ids):
        query = select(
            customers.c.external_id, customers.c.id, customers.c.email, customers.c.name
        ).where(customers.c.external_id.in_(part))
        for external_id, row_id, email, name in connection.execute(query):
            known[external_id] = row_id
            new_email, new_name = contacts[external_id]
            if (email is None and new_email) or (name is None and new_name):
                fill.append({"rid": row_id, "email": email or new_email, "name": name or new_name})
    missing = [
        {"external_id": i, "email": contacts[i][0], "name": contacts[i][1], "opted_out": False}
        for i in ids
        if i not in known
    ]
    if missing:
        returning = insert(customers).returning(customers.c.external_id, customers.c.id)
        known.update((row[0], row[1]) for row in connection.execute(returning, missing))
    if fill:
        statement = (
            update(customers)
            .where(customers.c.id == bindparam("rid"))
            .values(email=bindparam("email"), name=bindparam("name"))
        )
        connection.execute(statement, fill)
    return known
