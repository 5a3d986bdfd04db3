"""Importing orders from CSV: `clvbot import orders FILE`.

Negative amounts are refunds (kept; they reduce revenue and never count as a purchase); zero
amounts are purchases. An `order_id` already stored with the same content is unchanged; with
different content it is a reported conflict unless `update` is set.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, bindparam, insert, select, update

from clv.ingest.customer_keys import chunks, ensure_customers
from clv.ingest.parsing import DateParser, FieldError, format_money, parse_email, parse_money
from clv.ingest.report import ImportReport
from clv.ingest.runner import ImportRun, Parsed, ProgressCallback, run_import
from clv.ingest.source import open_csv, parse_column_map
from clv.settings import Settings
from clv.store.tables import customers_table as customers
from clv.store.tables import orders_table as orders

REQUIRED = ("order_id", "customer_id", "ordered_at", "amount")
OPTIONAL = ("email", "name")


class OrderRow(NamedTuple):
    order_id: str
    customer_id: str
    ordered_at: datetime
    ordered_on: date
    amount_minor: int
    email: str | None
    name: str | None

    def content(self) -> tuple[str, datetime, int]:
        return self.customer_id, self.ordered_at, self.amount_minor


def import_orders(
    engine: Engine,
    path: Path,
    settings: Settings,
    *,
    column_map: str | None = None,
    date_format: str | None = None,
    strict: bool = False,
    update_existing: bool = False,
    rejects_path: Path | None = None,
    progress: ProgressCallback | None = None,
    batch_size: int = 20_000,
) -> ImportReport:
    """Import the orders in `path` in one transaction; see the module docstring for the rules."""
    mapping = parse_column_map(column_map, (*REQUIRED, *OPTIONAL))
    source = open_csv(path, required=REQUIRED, optional=OPTIONAL, mapping=mapping)
    parse_row = _row_parser(source.columns, settings, DateParser(settings.tzinfo, date_format))

    def merge(connection: Connection, batch: list[Parsed[OrderRow]], run: ImportRun) -> None:
        _merge_batch(
            connection,
            batch,
            run,
            update_existing=update_existing,
            exponent=settings.currency_exponent,
        )

    return run_import(
        engine,
        source,
        parse_row=parse_row,
        merge_batch=merge,
        strict=strict,
        mapping=mapping,
        rejects_path=rejects_path,
        progress=progress,
        batch_size=batch_size,
    )


def _row_parser(
    columns: dict[str, int], settings: Settings, dates: DateParser
) -> Callable[[list[str]], OrderRow]:
    i_order, i_customer = columns["order_id"], columns["customer_id"]
    i_date, i_amount = columns["ordered_at"], columns["amount"]
    i_email, i_name = columns.get("email"), columns.get("name")
    exponent, currency = settings.currency_exponent, settings.currency

    def parse(fields: list[str]) -> OrderRow:
        order_id = _identifier(fields[i_order], "order_id")
        customer_id = _identifier(fields[i_customer], "customer_id")
        ordered_at, ordered_on = dates(fields[i_date], column="ordered_at")
        amount = parse_money(
            fields[i_amount], column="amount", exponent=exponent, currency=currency
        )
        email = fields[i_email].strip() if i_email is not None else ""
        name = fields[i_name].strip() if i_name is not None else ""
        if len(name) > 256:
            raise FieldError("name", f"longer than 256 characters ({len(name)})")
        return OrderRow(
            order_id,
            customer_id,
            ordered_at,
            ordered_on,
            amount,
            parse_email(email) if email else None,
            name or None,
        )

    return parse


def _identifier(text: str, column: str) -> str:
    value = text.strip()
    if not value:
        raise FieldError(column, "missing" if column == "order_id" else "missing customer")
    if len(value) > 128:
        raise FieldError(column, f"longer than 128 characters ({len(value)})")
    return value


def _merge_batch(
    connection: Connection,
    batch: list[Parsed[OrderRow]],
    run: ImportRun,
    *,
    update_existing: bool,
    exponent: int,
) -> None:
    report = run.report
    latest: dict[str, Parsed[OrderRow]] = {}
    for item in batch:  # the same order twice in one batch: compare with the earlier row
        earlier = latest.get(item.row.order_id)
        if earlier is None:
            latest[item.row.order_id] = item
        elif earlier.row.content() == item.row.content():
            report.unchanged += 1
        elif update_existing:
            latest[item.row.order_id] = item
            report.updated += 1
        else:
            report.conflicts += 1
            run.reject(
                item.line,
                "order_id",
                f"conflict: order {item.row.order_id} appears "
                f"earlier in this file (line {earlier.line}) with different content; "
                "use --update to keep the later row",
                item.fields,
            )
    stored = _stored_orders(connection, list(latest))
    new: list[OrderRow] = []
    changed: list[OrderRow] = []
    for order_id, item in latest.items():
        old = stored.get(order_id)
        if old is None:
            new.append(item.row)
        elif old == item.row.content():
            report.unchanged += 1
        elif update_existing:
            changed.append(item.row)
        else:
            report.conflicts += 1
            run.reject(
                item.line,
                _differing_column(old, item.row),
                "conflict: order "
                f"{order_id} is stored as {_describe(old, exponent)}; this row has "
                f"{_describe(item.row.content(), exponent)} (use --update to replace it)",
                item.fields,
            )
    contacts: dict[str, tuple[str | None, str | None]] = {}
    for row in (*new, *changed):
        email, name = contacts.get(row.customer_id, (None, None))
        contacts[row.customer_id] = (email or row.email, name or row.name)
    customer_ids = ensure_customers(connection, contacts) if contacts else {}
    if new:
        connection.execute(insert(orders), [_values(row, customer_ids) for row in new])
        report.imported += len(new)
    if changed:
        statement = (
            update(orders)
            .where(orders.c.external_id == bindparam("oid"))
            .values(
                customer_id=bindparam("cid"),
                ordered_at=bindparam("at"),
                ordered_on=bindparam("on"),
                amount_minor=bindparam("amount"),
            )
        )
        connection.execute(
            statement,
            [
                {
                    "oid": r.order_id,
                    "cid": customer_ids[r.customer_id],
                    "at": r.ordered_at,
                    "on": r.ordered_on,
                    "amount": r.amount_minor,
                }
                for r in changed
            ],
        )
        report.updated += len(changed)


def _stored_orders(
    connection: Connection, order_ids: list[str]
) -> dict[str, tuple[str, datetime, int]]:
    stored: dict[str, tuple[str, datetime, int]] = {}
    for part in chunks(order_ids):
        query = (
            select(
                orders.c.external_id,
                customers.c.external_id,
                orders.c.ordered_at,
                orders.c.amount_minor,
            )
            .join(customers, customers.c.id == orders.c.customer_id)
            .where(orders.c.external_id.in_(part))
        )
        for order_id, customer_id, ordered_at, amount in connection.execute(query):
            stored[order_id] = (customer_id, ordered_at, amount)
    return stored


def _values(row: OrderRow, customer_ids: dict[str, int]) -> dict[str, Any]:
    return {
        "external_id": row.order_id,
        "customer_id": customer_ids[row.customer_id],
        "ordered_at": row.ordered_at,
        "ordered_on": row.ordered_on,
        "amount_minor": row.amount_minor,
    }


def _differing_column(old: tuple[str, datetime, int], row: OrderRow) -> str:
    for column, before, after in zip(
        ("customer_id", "ordered_at", "amount"), old, row.content(), strict=True
    ):
        if before != after:
            return column
    return "order_id"


def _describe(content: tuple[str, datetime, int], exponent: int) -> str:
    customer_id, ordered_at, amount = content
    return (
        f"customer {customer_id}, ordered_at {ordered_at.isoformat()}, "
        f"amount {format_money(amount, exponent=exponent)}"
    )
