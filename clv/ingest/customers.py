"""Importing customers from CSV: `clvbot import customers FILE`.

A value the file gives fills an empty field; a value that differs from a stored one is a
reported conflict unless `update` is set. Opting out always applies: consent is never lost to a
conflict, while opting back in needs `update`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, bindparam, insert, select, update

from clv.ingest.formats import CUSTOMER_FORMATS, choose_format, reshape_source
from clv.ingest.formats.base import CUSTOMER_LAYOUT, FormatOptions
from clv.ingest.parsing import (
    DateParser,
    FieldError,
    MoneyText,
    parse_bool,
    parse_email,
    parse_int_between,
)
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
    ImportFileError,
    map_header,
    open_csv_header,
    parse_column_map,
)
from clv.settings import Settings
from clv.store.engine import in_chunks
from clv.store.tables import customers_table as customers

REQUIRED = ("customer_id",)
OPTIONAL = ("email", "name", "acquired_at", "acquisition_cost", "channel", "opted_out", "nps")
# file column -> table column, for the fields a file may give
FIELDS = {
    "email": "email",
    "name": "name",
    "acquired_at": "acquired_at",
    "acquisition_cost": "acquisition_cost_minor",
    "channel": "channel",
    "opted_out": "opted_out",
    "nps": "nps",
}


class CustomerRow(NamedTuple):
    customer_id: str
    given: dict[str, Any]  # table column -> value, only the fields the row fills


def import_customers(
    engine: Engine,
    path: Path,
    settings: Settings,
    *,
    export_format: str = "auto",
    column_map: str | None = None,
    channel_tags: str | None = None,
    date_format: str | None = None,
    encoding: str = DEFAULT_ENCODING,
    decimal_comma: bool = False,
    strict: bool = False,
    update_existing: bool = False,
    rejects_path: Path | None = None,
    progress: ProgressCallback | None = None,
    batch_size: int = 10_000,
) -> ImportReport:
    """Import the customers in `path` in one transaction; see the module docstring.

    `export_format`: `generic`, `shopify` (its customers export) or `auto`; `channel_tags`
    (`instagram=Instagram,...`): which Shopify tags name the acquisition channel.
    """
    money = MoneyText(settings.currency_exponent, settings.currency, decimal_comma)
    source = open_csv_header(path, encoding)
    try:
        chosen, mapping = choose_format(export_format, source, column_map, CUSTOMER_FORMATS)
        if chosen.reshaper is None:
            mapping = parse_column_map(column_map, (*REQUIRED, *OPTIONAL))
            source.columns = map_header(path, source.header, REQUIRED, OPTIONAL, mapping)
        else:
            options = FormatOptions(money, date_format, parse_tag_channels(channel_tags))
            mapping = reshape_source(source, chosen, mapping, options, batch_size, CUSTOMER_LAYOUT)
    except ImportFileError:
        source.close()
        raise
    parse_row = _row_parser(source.columns, money, DateParser(settings.tzinfo, date_format))

    width = source.width

    def prepare(connection: Connection, _: ExitStack) -> Merge:
        def handle(lines: Lines, _: object, run: ImportRun) -> None:
            batch = parse_rows(lines, run, parse_row, width)
            _merge_batch(connection, batch, run, update_existing=update_existing)

        return Merge(None, handle)

    report = run_import(
        engine,
        source,
        prepare=prepare,
        strict=strict,
        mapping=mapping,
        rejects_path=rejects_path,
        progress=progress,
        batch_size=batch_size,
    )
    report.format = chosen.name
    report.format_note = "recognised from the header" if export_format == "auto" else None
    return report


def parse_tag_channels(spec: str | None) -> dict[str, str]:
    """`'instagram=Instagram,google-ads=Paid search'` -> {tag: channel}."""
    channels: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in (spec or "").split(","))):
        tag, eq, channel = (s.strip() for s in part.partition("="))
        if not eq or not tag or not channel:
            raise ImportFileError(f"--channel-tags: expected tag=Channel pairs, got {part!r}")
        channels[tag] = channel
    return channels


def _row_parser(
    columns: dict[str, int], money: MoneyText, dates: DateParser
) -> Callable[[list[str]], CustomerRow]:
    readers: dict[str, Callable[[str], Any]] = {
        "email": parse_email,
        "name": lambda text: _bounded(text, "name", 256),
        "acquired_at": lambda text: dates(text, column="acquired_at")[0],
        "acquisition_cost": lambda text: _cost(text, money),
        "channel": lambda text: _bounded(text, "channel", 64),
        "opted_out": lambda text: parse_bool(text, column="opted_out"),
        "nps": lambda text: parse_int_between(text, column="nps", low=0, high=10),
    }
    present = [(FIELDS[name], columns[name], readers[name]) for name in OPTIONAL if name in columns]
    i_customer = columns["customer_id"]

    def parse(fields: list[str]) -> CustomerRow:
        customer_id = fields[i_customer].strip()
        if not customer_id:
            raise FieldError("customer_id", "missing customer")
        if len(customer_id) > 128:
            raise FieldError("customer_id", f"longer than 128 characters ({len(customer_id)})")
        given = {
            column: read(fields[index].strip())
            for column, index, read in present
            if fields[index].strip()
        }
        return CustomerRow(customer_id, given)

    return parse


def _bounded(text: str, column: str, limit: int) -> str:
    if len(text) > limit:
        raise FieldError(column, f"longer than {limit} characters ({len(text)})")
    return text


def _cost(text: str, money: MoneyText) -> int:
    cost = money.parse(text, column="acquisition_cost")
    if cost < 0:
        raise FieldError("acquisition_cost", f"must not be negative, got {text!r}")
    return cost


def _merge_batch(
    connection: Connection,
    batch: Batch[CustomerRow],
    run: ImportRun,
    *,
    update_existing: bool,
) -> None:
    """One row per customer of the batch, compared with the store, then written."""
    latest = _latest_rows(batch, run, update_existing=update_existing)
    new, changes = _against_store(connection, latest, run, update_existing=update_existing)
    report = run.report
    if new:
        connection.execute(insert(customers), new)
        report.imported += len(new)
    if changes:
        values: dict[str, Any] = {column: bindparam(column) for column in FIELDS.values()}
        statement = update(customers).where(customers.c.id == bindparam("rid")).values(values)
        connection.execute(statement, changes)
        report.updated += len(changes)


Item = tuple[int, list[str], CustomerRow]


def _latest_rows(batch: Batch[CustomerRow], run: ImportRun, *, update_existing: bool
                 ) -> dict[str, Item]:  # fmt: skip
    """The row kept for each customer of the batch: the first (a different later one is a
    conflict), or with --update the last."""
    report = run.report
    latest: dict[str, Item] = {}
    for line, fields, row in batch:
        earlier = latest.get(row.customer_id)
        if earlier is None or update_existing:
            if earlier is not None:
                report.unchanged += 1  # superseded by the later row of the same customer
            latest[row.customer_id] = (line, fields, row)
        elif earlier[2].given == row.given:
            report.unchanged += 1
        else:
            report.conflicts += 1
            run.reject(
                line,
                "customer_id",
                f"conflict: customer {row.customer_id} "
                f"appears earlier in this file (line {earlier[0]}) with different "
                "values; use --update to keep the later row",
                fields,
            )
    return latest


def _against_store(
    connection: Connection, latest: dict[str, Item], run: ImportRun, *, update_existing: bool
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(rows to insert, rows to update); conflicts with stored values are rejected."""
    stored = _stored_customers(connection, list(latest))
    new: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for customer_id, (line, fields, row) in latest.items():
        old = stored.get(customer_id)
        if old is None:
            blank = {**dict.fromkeys(FIELDS.values()), "opted_out": False}
            new.append({**blank, **row.given, "external_id": customer_id})
            continue
        change, conflict = _compare(old, row.given, update_existing)
        if conflict is not None:
            run.report.conflicts += 1
            name = _file_column(conflict)
            run.reject(
                line,
                name,
                f"conflict: customer {customer_id} is stored with "
                f"{name}={old[conflict]!r}, this row has "
                f"{row.given[conflict]!r} (use --update to replace it)",
                fields,
            )
        elif change:
            changes.append({**{c: old[c] for c in FIELDS.values()}, **change, "rid": old["id"]})
        else:
            run.report.unchanged += 1
    return new, changes


def _compare(
    old: dict[str, Any], given: dict[str, Any], update_existing: bool
) -> tuple[dict[str, Any], str | None]:
    """The table columns to write, or the first conflicting table column."""
    change: dict[str, Any] = {}
    for column, value in given.items():
        before = old[column]
        if before == value:
            continue
        fills = before is None or (column == "opted_out" and value is True)
        if not fills and not update_existing:
            return {}, column
        change[column] = value
    return change, None


def _file_column(column: str) -> str:
    return next(name for name, table_column in FIELDS.items() if table_column == column)


def _stored_customers(connection: Connection, ids: list[str]) -> dict[str, dict[str, Any]]:
    stored: dict[str, dict[str, Any]] = {}
    wanted = [customers.c.id, customers.c.external_id, *(customers.c[c] for c in FIELDS.values())]
    for part in in_chunks(ids):
        for row in connection.execute(select(*wanted).where(customers.c.external_id.in_(part))):
            stored[row.external_id] = dict(row._mapping)
    return stored
