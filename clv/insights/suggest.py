"""Did-you-mean suggestions: customers whose id or email is close to an unknown key.

Candidates come from indexed prefix lookups on `external_id` and `email` (a range on the
unique index plus a LIKE on the same prefix), shortening the prefix until enough are found;
difflib then ranks that bounded set. No query reads more than `per_query` rows, so the cost
does not grow with the number of customers.
"""

from __future__ import annotations

import difflib

from sqlalchemy import ColumnElement, select
from sqlmodel import Session

from clv.store.tables import customers_table

_TOP = "\U0010ffff"  # sorts after every character, in SQLite's binary and most collations
_MAX_QUERIES = 6


def _prefixed(column: ColumnElement[str], prefix: str) -> ColumnElement[bool]:
    # the range lets the b-tree index answer; the LIKE keeps the result exact in any collation
    return (
        (column >= prefix) & (column < prefix + _TOP) & column.startswith(prefix, autoescape=True)
    )


def _candidates(session: Session, key: str, *, per_query: int, wanted: int) -> list[str]:
    found: dict[str, None] = {}
    columns = [customers_table.c.external_id]
    if "@" in key or not key.isdigit():
        columns.append(customers_table.c.email)
    queries = 0
    for length in range(len(key), 0, -1):
        for column in columns:
            rows = session.execute(
                select(column)
                .where(_prefixed(column, key[:length]))
                .order_by(column)
                .limit(per_query)
            )
            found.update((row[0], None) for row in rows if row[0])
            queries += 1
        if len(found) >= wanted or queries >= _MAX_QUERIES * len(columns):
            break
    return list(found)


def suggest_customers(
    session: Session, key: str, *, limit: int = 3, per_query: int = 50
) -> list[str]:
    """Up to `limit` existing customer ids or emails closest to `key`, best first."""
    key = key.strip()
    if not key:
        return []
    lowered = key.lower()
    candidates = _candidates(session, key, per_query=per_query, wanted=limit * 3)
    if lowered != key:
        candidates += _candidates(session, lowered, per_query=per_query, wanted=limit * 3)
    unique = list(dict.fromkeys(candidates))
    return difflib.get_close_matches(key, unique, n=limit, cutoff=0.4)
