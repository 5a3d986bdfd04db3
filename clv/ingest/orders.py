"""Importing orders from CSV: `clvbot import orders FILE`.

Negative amounts are refunds (kept; they reduce revenue and never count as a purchase); zero
amounts are purchases. An `order_id` already stored with the same content is unchanged; with
different content it is a reported conflict unless `update_existing` is set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import compress
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine

from clv.ingest.bulk import BulkStore, OrderValues
from clv.ingest.fast_orders import OrderBatchParser, OrderColumns
from clv.ingest.formats import ORDER_LAYOUT, OrderFormat, choose_format, reshape_source
from clv.ingest.formats.base import FormatOptions
from clv.ingest.parsing import DateParser, FieldError, MoneyText, format_money, parse_email
from clv.ingest.report import ImportReport
from clv.ingest.runner import (
    Batch,
    BatchHandler,
    ImportRun,
    Lines,
    PreParser,
    ProgressCallback,
    parse_rows,
    run_import,
)
from clv.ingest.source import (
    DEFAULT_ENCODING,
    CsvSource,
    ImportFileError,
    map_header,
    open_csv_header,
    parse_column_map,
)
from clv.ingest.sql_source import open_query
from clv.settings import Settings
from clv.store.tables import orders_table

REQUIRED = ("order_id", "customer_id", "ordered_at", "amount")
OPTIONAL = ("email", "name")
CUSTOMER_CACHE_LIMIT = 2_000_000  # customer ids remembered across batches of one import


class OrderRow(NamedTuple):
    order_id: str
    customer_id: str
    ordered_at: Any  # in the store's own format (see BulkStore.timestamp)
    ordered_on: Any
    amount_minor: int
    email: str | None
    name: str | None


def import_orders(
    engine: Engine,
    path: Path,
    settings: Settings,
    *,
    export_format: str = "auto",
    encoding: str = DEFAULT_ENCODING,
    reader_process: bool | None = None,
    **options: Any,
) -> ImportReport:
    """Import the orders in `path` in one transaction; see the module docstring for the rules.

    `export_format`: a name of `FORMATS`, or `auto` to recognise it from the header;
    `options`: those of `OrderImport`.
    """
    source = open_csv_header(path, encoding)
    report = OrderImport(**options).run(engine, source, settings, export_format, reader_process)
    report.format_note = "recognised from the header" if export_format == "auto" else None
    return report


def import_orders_from_sql(
    engine: Engine,
    url: str,
    query: str,
    settings: Settings,
    *,
    params: dict[str, Any] | None = None,
    export_format: str = "generic",
    reader_process: bool = False,
    **options: Any,
) -> ImportReport:
    """Import the rows of `query` on the database at `url` as `import_orders` imports a file
    (see `clv.ingest.sql_source`); the rejects go to `from-sql.rejects.csv` by default.

    `reader_process`: run the query and parse its rows in a second process (forked: not from
    a process with threads of its own, such as the scheduler's), as a large file is read.
    """
    batch_size = options.get("batch_size", OrderImport.batch_size)
    source = open_query(url, query, batch_size=batch_size, params=params)
    return OrderImport(**options).run(engine, source, settings, export_format, reader_process)


@dataclass(frozen=True)
class OrderImport:
    """The options of an orders import, whatever the source."""

    column_map: str | None = None
    date_format: str | None = None
    decimal_comma: bool = False
    strict: bool = False
    update_existing: bool = False
    rejects_path: Path | None = None
    progress: ProgressCallback | None = None
    batch_size: int = 20_000

    def run(
        self,
        engine: Engine,
        source: CsvSource,
        settings: Settings,
        export_format: str,
        reader_process: bool | None,
    ) -> ImportReport:
        money = MoneyText(settings.currency_exponent, settings.currency, self.decimal_comma)
        try:
            chosen, mapping = _read_format(
                source, export_format, self.column_map, money, self.date_format, self.batch_size
            )
        except ImportFileError:
            source.close()
            raise
        # a line-item reshaper reads the dates with --date-format itself
        date_format = None if chosen.name == "lines" else self.date_format
        report = _import_source(
            engine,
            source,
            settings,
            money=money,
            mapping=mapping,
            dates=DateParser(settings.tzinfo, date_format),
            plain_amounts=chosen.reshaper is not None or not self.decimal_comma,
            options=self,
            reader_process=reader_process,
        )
        report.format = chosen.name
        return report


def _read_format(
    source: CsvSource,
    export_format: str,
    column_map: str | None,
    money: MoneyText,
    date_format: str | None,
    batch_size: int,
) -> tuple[OrderFormat, dict[str, str]]:
    """The file's format, its columns mapped (reshaped for an export format), and the names
    the rejects give the columns (`amount (Total)`)."""
    chosen, mapping = choose_format(export_format, source, column_map)
    if chosen.reshaper is None:
        mapping = parse_column_map(column_map, (*REQUIRED, *OPTIONAL))
        source.columns = map_header(source.path, source.header, REQUIRED, OPTIONAL, mapping)
        return chosen, mapping
    options = FormatOptions(money, date_format)
    return chosen, reshape_source(source, chosen, mapping, options, batch_size, ORDER_LAYOUT)


def _import_source(
    engine: Engine,
    source: CsvSource,
    settings: Settings,
    *,
    money: MoneyText,
    mapping: dict[str, str],
    dates: DateParser,
    plain_amounts: bool,
    options: OrderImport,
    reader_process: bool | None,
) -> ImportReport:
    """Import the orders of an open source (a file, reshaped or not, or a query's result)."""
    width = source.width
    update_existing = options.update_existing

    def prepare(connection: Connection) -> tuple[PreParser | None, BatchHandler]:
        merger = _Merger(BulkStore(connection), settings.currency_exponent, update_existing)
        parse_row = _row_parser(source.columns, money, dates, merger.bulk)
        fast = None  # the column-wise parser reads plain amounts only: "12.500" is ambiguous
        if dates.date_format is None and settings.timezone == "UTC" and plain_amounts:
            fast = OrderBatchParser(
                source.columns,
                width,
                settings.currency_exponent,
                merger.bulk.sqlite,
                days=dates.days,
            )

        def handle(lines: Lines, columns: OrderColumns | None, run: ImportRun) -> None:
            if columns is None:
                merger.merge(parse_rows(lines, run, parse_row, width), run)
            elif not merger.merge_columns(columns, run):
                merger.merge(columns.rows(OrderRow._make), run)

        return fast, handle

    return run_import(
        engine,
        source,
        prepare=prepare,
        strict=options.strict,
        mapping=mapping,
        rejects_path=options.rejects_path,
        progress=options.progress,
        batch_size=options.batch_size,
        defer_indexes_of=orders_table,
        reader_process=reader_process,
    )


def _row_parser(
    columns: dict[str, int], money: MoneyText, dates: DateParser, bulk: BulkStore
) -> Callable[[list[str]], OrderRow]:
    i_order, i_customer = columns["order_id"], columns["customer_id"]
    i_date, i_amount = columns["ordered_at"], columns["amount"]
    i_email, i_name = columns.get("email"), columns.get("name")
    timestamp, day = bulk.timestamp, bulk.day

    def parse(fields: list[str]) -> OrderRow:
        order_id = fields[i_order].strip()
        customer_id = fields[i_customer].strip()
        if not order_id or len(order_id) > 128:
            raise FieldError("order_id", _id_problem(order_id, "missing"))
        if not customer_id or len(customer_id) > 128:
            raise FieldError("customer_id", _id_problem(customer_id, "missing customer"))
        ordered_at, ordered_on = dates(fields[i_date], column="ordered_at")
        amount = money.parse(fields[i_amount], column="amount")
        email = fields[i_email].strip() if i_email is not None else ""
        name = fields[i_name].strip() if i_name is not None else ""
        if len(name) > 256:
            raise FieldError("name", f"longer than 256 characters ({len(name)})")
        return OrderRow(
            order_id,
            customer_id,
            timestamp(ordered_at),
            day(ordered_on),
            amount,
            parse_email(email) if email else None,
            name or None,
        )

    return parse


def _id_problem(value: str, missing: str) -> str:
    return missing if not value else f"longer than 128 characters ({len(value)})"


class _Merger:
    """Merges parsed batches into the store, remembering customers across batches."""

    def __init__(self, bulk: BulkStore, exponent: int, update_existing: bool) -> None:
        self.bulk = bulk
        self.exponent = exponent
        self.update_existing = update_existing
        self.known: dict[str, int] = {}  # external customer id -> row id
        self.with_email: set[str] = set()  # known customers whose email is stored
        self.with_name: set[str] = set()
        self.max_order_id: int | None = None  # SQLite: the largest order row id so far
        self.expect_new = True  # the last batch brought new orders: insert before looking up

    def merge(self, batch: Batch[OrderRow], run: ImportRun) -> None:
        report = run.report
        latest: dict[str, tuple[int, list[str], OrderRow]] = {}
        for item in batch:  # the same order twice in one batch: compare with the earlier row
            row = item[2]
            earlier = latest.get(row.order_id)
            if earlier is None:
                latest[row.order_id] = item
            elif _same(earlier[2], row):
                report.unchanged += 1
            elif self.update_existing:
                latest[row.order_id] = item
                report.updated += 1
            else:
                report.conflicts += 1
                run.reject(
                    item[0],
                    "order_id",
                    f"conflict: order {row.order_id} appears earlier "
                    f"in this file (line {earlier[0]}) with different content; use "
                    "--update to keep the later row",
                    item[1],
                )
        self._customers([item[2] for item in latest.values()])
        items = [(line, fields, row, self._values(row)) for line, fields, row in latest.values()]
        new = self._settle(items, self.bulk.stored_orders(list(latest)), run)
        self.bulk.insert_orders(new)
        report.imported += len(new)

    def merge_columns(self, batch: OrderColumns, run: ImportRun) -> bool:
        """Merge a clean batch without per-row objects; False if an order is in it twice."""
        ids = batch.order_ids
        if len(set(ids)) != len(ids):
            return False
        self._known_customers(batch)
        cids = list(map(self.known.__getitem__, batch.customer_ids))
        values = list(
            zip(ids, cids, batch.ordered_at, batch.ordered_on, batch.amounts, strict=True)
        )
        report = run.report
        if self.bulk.sqlite and self.expect_new:
            # insert what is new straight away; look up only when some order already existed
            before = self._max_order_id()
            inserted = self.bulk.insert_new_orders(values)
            report.imported += inserted
            self.max_order_id = before + inserted
            self.expect_new = inserted > 0
            if inserted == len(values):
                return True
            stored = self.bulk.stored_orders(ids, up_to_row=before)
            self.max_order_id = None
            new: list[OrderValues] = []
        else:
            stored = self.bulk.stored_orders(ids)
            new = [v for v in values if v[0] not in stored] if stored else values
            self.expect_new = len(new) > 0
        if stored:
            same = sum(stored.get(v[0]) == (v[1], v[2], v[4]) for v in values)
            report.unchanged += same
            if same != len(stored):
                items = [
                    (line, fields, OrderRow(v[0], c, v[2], v[3], v[4], None, None), v)
                    for (line, fields), c, v in zip(
                        batch.lines, batch.customer_ids, values, strict=True
                    )
                    if (old := stored.get(v[0])) is not None and old != (v[1], v[2], v[4])
                ]
                self._settle(items, stored, run)
        self.bulk.insert_orders(new)
        report.imported += len(new)
        return True

    def _max_order_id(self) -> int:
        if self.max_order_id is None:
            self.max_order_id = self.bulk.max_order_id()
        return self.max_order_id

    def _values(self, row: OrderRow) -> OrderValues:
        customer = self.known[row.customer_id]
        return (row.order_id, customer, row.ordered_at, row.ordered_on, row.amount_minor)

    def _settle(
        self,
        items: list[tuple[int, list[str], OrderRow, OrderValues]],
        stored: dict[str, tuple[int, Any, int]],
        run: ImportRun,
    ) -> list[OrderValues]:
        """Compare rows with the stored orders: count the unchanged, update or report the
        changed (per `update_existing`), and return the new ones."""
        report = run.report
        new: list[OrderValues] = []
        changed: list[OrderValues] = []
        conflicts: list[tuple[int, list[str], OrderRow, tuple[int, Any, int]]] = []
        for line, fields, row, values in items:
            old = stored.get(values[0])
            if old is None:
                new.append(values)
            elif old == (values[1], values[2], values[4]):
                report.unchanged += 1
            elif self.update_existing:
                changed.append(values)
            else:
                conflicts.append((line, fields, row, old))
        if conflicts:
            stored_ids = self.bulk.external_ids([old[0] for *_, old in conflicts])
            for line, fields, row, old in conflicts:
                report.conflicts += 1
                run.reject(line, *self._conflict(old, row, stored_ids[old[0]]), fields)
        if changed:
            self.bulk.update_orders(changed)
            report.updated += len(changed)
        return new

    def _known_customers(self, batch: OrderColumns) -> None:
        """Customers for a clean batch: only new customers and new contacts cost work."""
        ids = batch.customer_ids
        needed = set(ids).difference(self.known)
        emails = _last_by_customer(ids, batch.emails)
        names = _last_by_customer(ids, batch.names)
        needed |= emails.keys() - self.with_email
        needed |= names.keys() - self.with_name
        if needed:
            self._ensure_customers({c: (emails.get(c), names.get(c)) for c in needed})

    def _customers(self, rows: list[OrderRow]) -> None:
        """Make sure every customer of `rows` exists; fill empty emails and names."""
        contacts: dict[str, tuple[str | None, str | None]] = {}
        for row in rows:
            email, name = contacts.get(row.customer_id, (None, None))
            contacts[row.customer_id] = (email or row.email, name or row.name)
        self._ensure_customers(contacts)

    def _ensure_customers(self, contacts: dict[str, tuple[str | None, str | None]]) -> None:
        unknown = [c for c in contacts if c not in self.known]
        if len(self.known) + len(unknown) > CUSTOMER_CACHE_LIMIT:
            self.known.clear()
            self.with_email.clear()
            self.with_name.clear()
            unknown = list(contacts)
        found = self.bulk.customers(unknown)
        missing = [c for c in unknown if c not in found]
        if missing:
            self.bulk.insert_customers((c, *contacts[c]) for c in missing)
            found.update(self.bulk.customers(missing))
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
            self.bulk.fill_contacts(fill)

    def _conflict(
        self, old: tuple[int, Any, int], row: OrderRow, stored_customer: str
    ) -> tuple[str, str]:
        customer_row, at, amount = old
        if customer_row != self.known[row.customer_id]:
            column = "customer_id"
        elif at != row.ordered_at:
            column = "ordered_at"
        else:
            column = "amount"

        def money(minor: int) -> str:
            return format_money(minor, exponent=self.exponent)

        return column, (
            f"conflict: order {row.order_id} is stored as customer "
            f"{stored_customer}, ordered_at {_text(at)}, amount "
            f"{money(amount)}; this row has customer {row.customer_id}, ordered_at "
            f"{_text(row.ordered_at)}, amount {money(row.amount_minor)} "
            "(use --update to replace it)"
        )


def _same(a: OrderRow, b: OrderRow) -> bool:
    return (a.customer_id, a.ordered_at, a.amount_minor) == (
        b.customer_id,
        b.ordered_at,
        b.amount_minor,
    )


def _text(moment: Any) -> str:
    return moment.isoformat() if hasattr(moment, "isoformat") else str(moment)


def _last_by_customer(ids: list[str], values: list[str | None] | None) -> dict[str, str]:
    # compress(ids, values) and filter(None, values) pick the same rows, in the same order
    """customer -> the last non-empty value of a batch column (C-level, no Python loop)."""
    if values is None:
        return {}
    present = compress(ids, values)
    return dict(zip(present, filter(None, values), strict=False))
