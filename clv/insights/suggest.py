"""Did-you-mean suggestions: groups, and customers whose id, email or name is close to a key.

Candidates come from indexed prefix lookups on `external_id` and `email` (a range on the
index plus a LIKE on the same prefix): a binary search finds the longest prefix of the key
that any customer shares (LIMIT 1 probes), then at most `per_query` rows are read per column
at that prefix and a slightly shorter one; difflib ranks that bounded set. The cost grows
with the key's length, not with the number of customers.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlmodel import Session

from clv.store.tables import customers_table

_TOP = "\U0010ffff"  # sorts after every character, in SQLite's binary and most collations


def _prefixed(column: ColumnElement[str], prefix: str) -> ColumnElement[bool]:
    # the range lets the b-tree index answer; the LIKE keeps the result exact in any collation
    return (
        (column >= prefix) & (column < prefix + _TOP) & column.startswith(prefix, autoescape=True)
    )


def _any(session: Session, column: ColumnElement[str], prefix: str) -> bool:
    return (
        session.execute(select(column).where(_prefixed(column, prefix)).limit(1)).first()
        is not None
    )


def _longest_prefix(session: Session, column: ColumnElement[str], key: str) -> int:
    """Length of the longest prefix of `key` that some value starts with (binary search)."""
    low, high = 0, len(key)
    while low < high:
        middle = (low + high + 1) // 2
        if _any(session, column, key[:middle]):
            low = middle
        else:
            high = middle - 1
    return low


def _candidates(session: Session, key: str, *, per_query: int) -> list[str]:
    """Values sharing the longest possible prefix with `key`, a bounded number per column."""
    found: dict[str, None] = {}
    columns = [customers_table.c.external_id]
    if "@" in key or not key.isdigit():
        columns.append(customers_table.c.email)
    for column in columns:
        best = _longest_prefix(session, column, key)
        for length in dict.fromkeys((best, max(1, best - 2))):
            if best == 0:
                break
            query = select(column).where(_prefixed(column, key[:length]))
            rows = session.execute(query.order_by(column).limit(per_query))
            found.update((row[0], None) for row in rows if row[0])
    return list(found)


@dataclass(frozen=True)
class CustomerSuggestion:
    """A customer someone may have meant: the key to ask for, and their name if found by it."""

    key: str
    name: str | None = None

    @property
    def label(self) -> str:
        """'jane@x.com', or 'Jane Doe (1)' for a customer found by name."""
        return f"{self.name} ({self.key})" if self.name else self.key


def suggest_customers(
    session: Session, key: str, *, limit: int = 3, per_query: int = 50
) -> list[CustomerSuggestion]:
    """Up to `limit` existing customer ids or emails closest to `key`, best first; then
    customers whose name starts with `key`."""
    key = key.strip()
    if not key:
        return []
    lowered = key.lower()
    candidates = _candidates(session, key, per_query=per_query)
    if lowered != key:
        candidates += _candidates(session, lowered, per_query=per_query)
    unique = list(dict.fromkeys(candidates))
    close = difflib.get_close_matches(key, unique, n=limit, cutoff=0.4)
    named = by_name(session, key, limit=limit - len(close))
    return [*(CustomerSuggestion(c) for c in close), *named]


def by_name(session: Session, prefix: str, *, limit: int = 3) -> list[CustomerSuggestion]:
    """Customers whose name starts with `prefix` (as typed, or capitalised); an indexed range
    lookup."""
    if limit <= 0 or len(prefix) < 2:
        return []
    name, key = customers_table.c.name, customers_table.c.external_id
    found: dict[CustomerSuggestion, None] = {}
    for variant in dict.fromkeys((prefix, prefix.capitalize(), prefix.title())):
        rows = session.execute(
            select(name, key).where(_prefixed(name, variant)).order_by(name).limit(limit)
        )
        found.update((CustomerSuggestion(str(row[1]), str(row[0])), None) for row in rows)
    return list(found)[:limit]


def closest(word: str, choices: list[str], *, limit: int = 1, cutoff: float = 0.6) -> list[str]:
    """The `choices` closest to `word` ignoring case and spaces (difflib's ratio), best first."""

    def plain(text: str) -> str:
        return "".join(text.lower().split()).replace("'", "")

    by_plain = {plain(choice): choice for choice in choices}
    found = difflib.get_close_matches(plain(word), list(by_plain), n=limit, cutoff=cutoff)
    return [by_plain[match] for match in found]
