"""Merging orders into PostgreSQL with COPY, the comparison done by the server.

Each batch of distinct orders is either new for certain, and COPYed straight into `orders`,
or COPYed into a temporary table (`clv_import_orders`, dropped at commit) and merged there by
set-based statements: one join counts the stored and the unchanged orders, the changed ones
(if any) come back to be reported or are updated, and the rest is inserted. A first import
into an empty store knows an order is new unless this file had it already (`SeenIds`), so it
never asks the server about most orders, and its COPY stays open from batch to batch
(`PgSession.stream`); it also checks the orders' foreign key once at the end instead of once
per row (`clv.ingest.pg_load`). Everything runs in the import's one transaction: a failed
import leaves nothing, a dropped constraint included.

Values travel as COPY text (`clv.ingest.copy_text`): instants as ISO texts in UTC, which the
server reads as such because the import's transaction sets its TimeZone to UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from itertools import compress
from typing import Any, NamedTuple

from sqlalchemy import Connection

from clv.errors import UserFacingError
from clv.ingest.copy_text import copy_column, copy_rows, text_array
from clv.ingest.fast_orders import OrderColumns
from clv.ingest.order_customers import CustomerCache
from clv.ingest.order_rows import OrderRow, conflict_reason, latest_in_batch
from clv.ingest.pg_customers import BufferedCustomers, PgCustomers
from clv.ingest.pg_load import Deferred, foreign_keys
from clv.ingest.pg_session import PgSession
from clv.ingest.runner import Batch, ImportRun
from clv.ingest.seen_ids import SeenIds

STAGE = "clv_import_orders"
ORDER_FIELDS = "external_id, customer_id, ordered_at, ordered_on, amount_minor"
_SAME = "o.customer_id = s.customer_id AND o.ordered_at = s.ordered_at AND " + (
    "o.amount_minor = s.amount_minor"
)
# each staged order with its stored one, looked up by the unique index whatever the planner
# thinks of the tables' sizes (LIMIT keeps the subquery a parameterised index probe)
_STORED = (
    f"{STAGE} s CROSS JOIN LATERAL (SELECT customer_id, ordered_at, amount_minor FROM orders "
    "WHERE external_id = s.external_id LIMIT 1) o"
)


class ConcurrentImportError(UserFacingError):
    """Another transaction stored some of this import's orders while it ran."""


def timestamp(moment: datetime) -> str:
    """A tz-aware instant as the PostgreSQL import sends it: ISO text in UTC, no offset."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat()


def day(value: date) -> str:
    return value.isoformat()


class Pending(NamedTuple):
    """A batch of distinct orders to merge, column by column (instants and days as text)."""

    order_ids: Sequence[str]
    customer_rows: Sequence[int]
    ordered_at: Sequence[str]
    ordered_on: Sequence[str]
    amounts: Sequence[int]
    row: Callable[[int], tuple[int, list[str], OrderRow]]  # position -> (line, fields, row)

    def copy_text(self, *, positions: bool = False) -> str:
        columns: list[Any] = [
            copy_column(self.order_ids),
            map(str, self.customer_rows),
            self.ordered_at,
            self.ordered_on,
            map(str, self.amounts),
        ]
        if positions:
            columns.insert(0, map(str, range(len(self.order_ids))))
        return copy_rows(*columns)


class PgStore:
    """The orders' SQL on PostgreSQL, in the import's session."""

    def __init__(self, session: PgSession) -> None:
        self.session = session
        self._staged = False

    def is_empty(self, table: str) -> bool:
        return bool(
            self.session.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {table})").fetchone()[0]
        )

    def any_stored(self, ids: Sequence[str]) -> bool:
        array, value = text_array(ids)
        found = self.session.execute(
            f"SELECT EXISTS (SELECT 1 FROM orders WHERE external_id = ANY({array}))", (value,)
        )
        return bool(found.fetchone()[0])

    def insert(self, pending: Pending) -> None:
        """Send new orders into the COPY kept open for the next batch's."""
        self.session.stream(f"COPY orders ({ORDER_FIELDS}) FROM STDIN", pending.copy_text())

    def stage(self, pending: Pending) -> None:
        if self._staged:
            self.session.execute(f"TRUNCATE {STAGE}")  # in place: created in this transaction
        else:
            self.session.execute(
                f"CREATE TEMPORARY TABLE {STAGE} (pos int4, external_id text, customer_id int4, "
                "ordered_at timestamptz, ordered_on date, amount_minor int8) ON COMMIT DROP"
            )
            self._staged = True
        self.session.copy(f"COPY {STAGE} FROM STDIN", pending.copy_text(positions=True))

    def compare(self) -> tuple[int, int]:
        """(stored, unchanged): how many staged orders are stored, and how many the same."""
        found = self.session.execute(
            f"SELECT count(*), count(*) FILTER (WHERE {_SAME}) FROM {_STORED}"
        )
        stored, same = found.fetchone()
        return int(stored), int(same)

    def changed(self) -> list[tuple[int, int, str | None, datetime, int, bool, bool]]:
        """(position, stored customer row id and external id, ordered_at, amount, other
        customer?, other instant?) of the staged orders stored with other content, in the
        batch's order. The external id is None for a customer not written yet."""
        found = self.session.execute(
            "SELECT s.pos, o.customer_id, c.external_id, o.ordered_at, o.amount_minor, "
            "o.customer_id <> s.customer_id, o.ordered_at <> s.ordered_at "
            f"FROM {_STORED} LEFT JOIN LATERAL (SELECT external_id FROM customers "
            f"WHERE id = o.customer_id LIMIT 1) c ON true WHERE NOT ({_SAME}) ORDER BY s.pos"
        )
        return list(found.fetchall())

    def update_changed(self) -> None:
        self.session.execute(
            "UPDATE orders AS o SET customer_id = s.customer_id, ordered_at = s.ordered_at, "
            "ordered_on = s.ordered_on, amount_minor = s.amount_minor "
            f"FROM {STAGE} s WHERE o.external_id = s.external_id AND NOT ({_SAME})"
        )

    def insert_staged(self, *, skip_stored: bool) -> int:
        """Insert the staged orders (those not stored yet, if `skip_stored`); how many."""
        done = self.session.execute(
            f"INSERT INTO orders ({ORDER_FIELDS}) SELECT {ORDER_FIELDS} FROM {STAGE}"
            + (" ON CONFLICT (external_id) DO NOTHING" if skip_stored else "")
        )
        return int(done.rowcount)


class PgMerger:
    """Merges parsed batches into PostgreSQL, remembering customers across batches.

    A context manager: leaving it writes what is held back (after the last batch), or, when
    the import fails, abandons the open COPY.
    """

    def __init__(
        self,
        connection: Connection,
        exponent: int,
        update_existing: bool,
        *,
        expected_rows: int,
        deferred: Deferred,
    ) -> None:
        self.session = session = PgSession(connection)
        self.deferred = deferred
        self.store = store = PgStore(session)
        self.exponent = exponent
        self.update_existing = update_existing
        no_customers = store.is_empty("customers")
        if no_customers and not foreign_keys(session):
            self.writer: PgCustomers = BufferedCustomers(session)
        else:
            self.writer = PgCustomers(session)
        self.customers = CustomerCache(self.writer, complete=no_customers)
        # in an empty store only orders this file had already can be stored
        self.seen = SeenIds(expected_rows) if store.is_empty("orders") else None

    def __enter__(self) -> PgMerger:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: Any) -> None:
        if kind is None:
            self.writer.finish()
        self.session.__exit__(kind, *rest)

    def merge(self, batch: Batch[OrderRow], run: ImportRun) -> None:
        items = list(latest_in_batch(batch, run, update_existing=self.update_existing).values())
        rows = [item[2] for item in items]
        self.customers.for_rows([(r.customer_id, r.email, r.name) for r in rows])
        known = self.customers.known
        pending = Pending(
            [r.order_id for r in rows],
            [known[r.customer_id] for r in rows],
            [r.ordered_at for r in rows],
            [r.ordered_on for r in rows],
            [r.amount_minor for r in rows],
            items.__getitem__,
        )
        self._merge(pending, run)

    def merge_columns(self, batch: OrderColumns, run: ImportRun) -> bool:
        """Merge a clean batch without per-row objects; False if an order is in it twice."""
        ids = batch.order_ids
        if len(set(ids)) != len(ids):
            return False
        self.customers.for_columns(batch)

        def row(pos: int) -> tuple[int, list[str], OrderRow]:
            line, fields = batch.lines[pos]
            values = (batch.ordered_at[pos], batch.ordered_on[pos], batch.amounts[pos])
            return line, fields, OrderRow(ids[pos], batch.customer_ids[pos], *values, None, None)

        cids = list(map(self.customers.known.__getitem__, batch.customer_ids))
        pending = Pending(ids, cids, batch.ordered_at, batch.ordered_on, batch.amounts, row)
        self._merge(pending, run)
        return True

    def _merge(self, pending: Pending, run: ImportRun) -> None:
        report, ids = run.report, pending.order_ids
        if not ids:
            return
        if self.seen is not None:
            seen = self.seen.add(ids)
            if seen.any():  # the file had some of these orders already: look them up
                for statement in self.deferred.take_unique():
                    self.session.execute(statement)  # by their index
            if not seen.any() or not self.store.any_stored(list(compress(ids, seen))):
                self.store.insert(pending)
                report.imported += len(ids)
                return
        self.store.stage(pending)
        stored, same = self.store.compare()
        report.unchanged += same
        if stored > same:
            self._settle_changed(pending, run)
        if stored < len(ids):
            inserted = self.store.insert_staged(skip_stored=stored > 0)
            if inserted != len(ids) - stored:
                raise ConcurrentImportError(
                    f"{len(ids) - stored - inserted} orders of this file were stored by "
                    "another import while this one ran; nothing was imported: run it again"
                )
            report.imported += inserted

    def _settle_changed(self, pending: Pending, run: ImportRun) -> None:
        changed = self.store.changed()
        if self.update_existing:
            self.store.update_changed()
            run.report.updated += len(changed)
            return
        for pos, customer_row, customer, at, amount, other_customer, other_instant in changed:
            customer = customer or self.writer.held_external_id(customer_row)
            line, fields, row = pending.row(pos)
            column = (
                "customer_id" if other_customer else "ordered_at" if other_instant else "amount"
            )
            run.report.conflicts += 1
            reason = conflict_reason(
                row,
                (customer, at, amount),
                exponent=self.exponent,
                row_at=row.ordered_at + "+00:00",
            )
            run.reject(line, column, reason, fields)
