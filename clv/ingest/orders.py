"""Importing orders from CSV: `clvbot import orders FILE`.

Negative amounts are refunds (kept; they reduce revenue and never count as a purchase); zero
amounts are purchases. An `order_id` already stored with the same content is unchanged; with
different content it is a reported conflict unless `update_existing` is set.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from clv.ingest import pg_orders
from clv.ingest.bulk import BYTES_PER_ROW_ESTIMATE, BulkStore, OrderValues
from clv.ingest.fast_orders import OrderBatchParser, OrderColumns
from clv.ingest.formats import ORDER_LAYOUT, OrderFormat, choose_format, reshape_source
from clv.ingest.formats.base import FormatOptions
from clv.ingest.order_customers import CustomerCache
from clv.ingest.order_rows import OrderRow, conflict_reason, latest_in_batch
from clv.ingest.parsing import DateParser, FieldError, MoneyText, parse_email
from clv.ingest.pg_load import postgres_load
from clv.ingest.pg_orders import PgMerger
from clv.ingest.report import ImportReport
from clv.ingest.runner import (
    Batch,
    ImportRun,
    Lines,
    Merge,
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
__all__ = ["OrderImport", "OrderRow", "import_orders", "import_orders_from_sql"]


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

    def prepare(connection: Connection, stack: ExitStack) -> Merge:
        sqlite = connection.dialect.name == "sqlite"
        merger = _merger(connection, stack, settings, options, source.size)
        formats = (
            (BulkStore.timestamp_text, BulkStore.day_text)
            if sqlite
            else (pg_orders.timestamp, pg_orders.day)
        )
        parse_row = _row_parser(source.columns, money, dates, *formats)
        fast = None  # the column-wise parser reads plain amounts only: "12.500" is ambiguous
        if dates.date_format is None and settings.timezone == "UTC" and plain_amounts:
            fast = OrderBatchParser(
                source.columns, width, settings.currency_exponent, sqlite, days=dates.days
            )

        def handle(lines: Lines, columns: OrderColumns | None, run: ImportRun) -> None:
            if columns is None:
                merger.merge(parse_rows(lines, run, parse_row, width), run)
            elif not merger.merge_columns(columns, run):
                merger.merge(columns.rows(OrderRow._make), run)

        return Merge(fast, handle)

    return run_import(
        engine,
        source,
        prepare=prepare,
        strict=options.strict,
        mapping=mapping,
        rejects_path=options.rejects_path,
        progress=options.progress,
        batch_size=options.batch_size,
        # PostgreSQL defers them for a first import only (see clv.ingest.pg_load)
        defer_indexes_of=orders_table if engine.dialect.name == "sqlite" else None,
        reader_process=reader_process,
    )


def _merger(
    connection: Connection, stack: ExitStack, settings: Settings, options: OrderImport, size: int
) -> _Merger | PgMerger:
    """The store's merger, set up in the import's transaction (`stack`)."""
    exponent, update = settings.currency_exponent, options.update_existing
    if connection.dialect.name == "sqlite":
        return _Merger(BulkStore(connection), exponent, update)
    expected = size // BYTES_PER_ROW_ESTIMATE
    deferred = stack.enter_context(postgres_load(connection, expected))
    merger = PgMerger(connection, exponent, update, expected_rows=expected, deferred=deferred)
    return stack.enter_context(merger)


def _row_parser(
    columns: dict[str, int],
    money: MoneyText,
    dates: DateParser,
    timestamp: Callable[[datetime], Any],
    day: Callable[[date], Any],
) -> Callable[[list[str]], OrderRow]:
    """Parses one row; `timestamp` and `day` write an instant and a day as the store's
    merger wants them."""
    i_order, i_customer = columns["order_id"], columns["customer_id"]
    i_date, i_amount = columns["ordered_at"], columns["amount"]
    i_email, i_name = columns.get("email"), columns.get("name")

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
    """Merges parsed batches into a SQLite store, remembering customers across batches."""

    def __init__(self, bulk: BulkStore, exponent: int, update_existing: bool) -> None:
        self.bulk = bulk
        self.exponent = exponent
        self.update_existing = update_existing
        self.customers = CustomerCache(bulk)
        self.max_order_id: int | None = None  # the largest order row id so far
        self.expect_new = True  # the last batch brought new orders: insert before looking up

    def merge(self, batch: Batch[OrderRow], run: ImportRun) -> None:
        latest = latest_in_batch(batch, run, update_existing=self.update_existing)
        self.customers.for_rows([(r.customer_id, r.email, r.name) for _, _, r in latest.values()])
        items = [(line, fields, row, self._values(row)) for line, fields, row in latest.values()]
        new = self._settle(items, self.bulk.stored_orders(list(latest)), run)
        self.bulk.insert_orders(new)
        run.report.imported += len(new)

    def merge_columns(self, batch: OrderColumns, run: ImportRun) -> bool:
        """Merge a clean batch without per-row objects; False if an order is in it twice."""
        ids = batch.order_ids
        if len(set(ids)) != len(ids):
            return False
        self.customers.for_columns(batch)
        cids = list(map(self.customers.known.__getitem__, batch.customer_ids))
        values = list(
            zip(ids, cids, batch.ordered_at, batch.ordered_on, batch.amounts, strict=True)
        )
        report = run.report
        if self.expect_new:
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
        customer = self.customers.known[row.customer_id]
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
                column = self._conflict_column(old, row)
                stored_as = (stored_ids[old[0]], old[1], old[2])
                reason = conflict_reason(row, stored_as, exponent=self.exponent)
                run.reject(line, column, reason, fields)
        if changed:
            self.bulk.update_orders(changed)
            report.updated += len(changed)
        return new

    def _conflict_column(self, old: tuple[int, Any, int], row: OrderRow) -> str:
        customer_row, at, _ = old
        if customer_row != self.customers.known[row.customer_id]:
            return "customer_id"
        return "ordered_at" if at != row.ordered_at else "amount"
