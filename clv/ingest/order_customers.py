"""The customers of an orders import: created on first sight, their empty contacts filled.

Both stores' order mergers ask this cache for the row id of each order's customer; only new
customers and new contacts cost a database round trip.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import compress
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from clv.ingest.fast_orders import OrderColumns

CUSTOMER_CACHE_LIMIT = 2_000_000  # customer ids remembered across batches of one import
Contacts = dict[str, tuple[str | None, str | None]]  # external id -> (email, name)


class CustomerStore(Protocol):
    def customers(self, ids: Sequence[str]) -> dict[str, tuple[int, str | None, str | None]]:
        """external customer id -> (row id, email, name) of stored customers."""

    def add_customers(self, rows: list[tuple[str, str | None, str | None]]) -> dict[str, int]:
        """Insert new customers (external id, email, name); external id -> row id."""

    def fill_contacts(self, rows: list[tuple[int, str | None, str | None]]) -> None:
        """Set a customer's (row id) email and name where they are still empty."""


class CustomerCache:
    """Customer row ids by external id, remembered across the batches of one import.

    `complete`: every stored customer is in the cache (the store had none when the import
    began, and the cache was never emptied), so a customer it does not know is new.
    """

    def __init__(self, store: CustomerStore, *, complete: bool = False) -> None:
        self.store = store
        self.complete = complete
        self.known: dict[str, int] = {}  # external customer id -> row id
        self.with_email: set[str] = set()  # known customers whose email is stored
        self.with_name: set[str] = set()

    def for_columns(self, batch: OrderColumns) -> None:
        """Customers for a clean batch: only new customers and new contacts cost work."""
        ids = batch.customer_ids
        needed = set(ids).difference(self.known)
        emails = _last_by_customer(ids, batch.emails)
        names = _last_by_customer(ids, batch.names)
        needed |= emails.keys() - self.with_email
        needed |= names.keys() - self.with_name
        if needed:
            self.ensure({c: (emails.get(c), names.get(c)) for c in needed})

    def for_rows(self, rows: Sequence[tuple[str, str | None, str | None]]) -> None:
        """Make sure every customer of (customer id, email, name) `rows` exists; fill empty
        emails and names."""
        contacts: Contacts = {}
        for customer_id, row_email, row_name in rows:
            email, name = contacts.get(customer_id, (None, None))
            contacts[customer_id] = (email or row_email, name or row_name)
        self.ensure(contacts)

    def ensure(self, contacts: Contacts) -> None:
        unknown = [c for c in contacts if c not in self.known]
        if len(self.known) + len(unknown) > CUSTOMER_CACHE_LIMIT:
            self.known.clear()
            self.with_email.clear()
            self.with_name.clear()
            self.complete = False
            unknown = list(contacts)
        found = {} if self.complete else self.store.customers(unknown)
        missing = [c for c in unknown if c not in found]
        if missing:
            added = self.store.add_customers([(c, *contacts[c]) for c in missing])
            found.update({c: (added[c], *contacts[c]) for c in missing})
        for external_id, (row_id, email, name) in found.items():
            self.known[external_id] = row_id
            if email is not None:
                self.with_email.add(external_id)
            if name is not None:
                self.with_name.add(external_id)
        fill = []
        for external_id, (email, name) in contacts.items():
            new_email = email and external_id not in self.with_email
            new_name = name and external_id not in self.with_name
            if new_email or new_name:
                fill.append((self.known[external_id], email, name))
                if new_email:
                    self.with_email.add(external_id)
                if new_name:
                    self.with_name.add(external_id)
        if fill:
            self.store.fill_contacts(fill)


def _last_by_customer(ids: list[str], values: list[str] | None) -> dict[str, str]:
    # compress(ids, values) and filter(None, values) pick the same rows, in the same order
    """customer -> the last non-empty value of a batch column (C-level, no Python loop)."""
    if values is None:
        return {}
    present = compress(ids, values)
    return dict(zip(present, filter(None, values), strict=False))
