"""`clvbot import orders|customers FILE`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from bot.cli.context import (
    err,
    fail,
    interactive,
    load_settings,
    open_store,
    out,
    print_json,
    user_errors,
)
from bot.cli.lazy import FlagCommand, FlagGroup
from clv.ingest import ImportReport, import_customers, import_orders

app = typer.Typer(
    help="Import customers or orders from CSV files.", no_args_is_help=True, cls=FlagGroup
)

FILE = typer.Argument(..., help="CSV file with a header line.", dir_okay=False)
ORDERS_FILE = typer.Argument(
    None, help="CSV file with a header line (or --from-sql).", dir_okay=False
)
FROM_SQL = typer.Option(
    None,
    "--from-sql",
    help="Read the orders from this database (a SQLAlchemy URL) instead of a file.",
    envvar="CLVBOT_FROM_SQL",
)
QUERY = typer.Option(
    None, "--query", help="With --from-sql: the SELECT whose columns are the file's."
)
MAP = typer.Option(None, "--map", help="Rename columns: order_id=OrderNo,amount=Total")
DATE_FORMAT = typer.Option(
    None, "--date-format", help="strptime format for non-ISO dates, e.g. %d/%m/%Y"
)
STRICT = typer.Option(False, "--strict", help="Stop at the first bad row and import nothing.")
UPDATE = typer.Option(False, "--update", help="Replace stored rows that differ from the file.")
REJECTS = typer.Option(None, "--rejects", help="Where to write rejected rows.")
JSON = typer.Option(False, "--json", help="Print the summary as JSON.")
DECIMAL_COMMA = typer.Option(
    False, "--decimal-comma", help="Amounts are written 1.296,00 (a comma before the decimals)."
)
ORDER_FORMAT = typer.Option(
    "auto",
    "--format",
    help="auto (recognised from the header), generic, shopify, woocommerce, stripe or lines.",
)
CUSTOMER_FORMAT = typer.Option(
    "auto", "--format", help="auto (recognised from the header), generic or shopify."
)
CHANNEL_TAGS = typer.Option(
    None,
    "--channel-tags",
    help="Shopify tags naming the acquisition channel: instagram=Instagram,google-ads=Ads",
)
ENCODING = typer.Option(
    "utf-8", "--encoding", help="The file's text encoding, e.g. cp1252 or latin-1 for old exports."
)


@app.command("orders", cls=FlagCommand)
def orders(
    file: Path | None = ORDERS_FILE,
    from_sql: str | None = FROM_SQL,
    query: str | None = QUERY,
    export_format: str = ORDER_FORMAT,
    column_map: str | None = MAP,
    date_format: str | None = DATE_FORMAT,
    strict: bool = STRICT,
    update_existing: bool = UPDATE,
    rejects_path: Path | None = REJECTS,
    encoding: str = ENCODING,
    decimal_comma: bool = DECIMAL_COMMA,
    json_output: bool = JSON,
) -> None:
    """Import orders: order_id, customer_id, ordered_at, amount (+ email, name), or a Shopify,
    WooCommerce or Stripe export, or a line-item file; or the rows of a SQL query."""
    options = locals()
    del options["file"], options["from_sql"], options["query"]
    if from_sql is None:
        if file is None:
            fail('give the orders file, or --from-sql URL --query "SELECT ..."')
        _import(import_orders, file, **options)  # the parameters are the importer's options
    elif file is not None or not query:
        fail("--from-sql reads the orders of --query, instead of a file: give one or the other")
    else:
        if options["export_format"] == "auto":
            options["export_format"] = "generic"
        del options["encoding"]  # the database's driver decodes the text
        _import_query(from_sql, query, **options)


@app.command("customers", cls=FlagCommand)
def customers(
    file: Path = FILE,
    export_format: str = CUSTOMER_FORMAT,
    column_map: str | None = MAP,
    channel_tags: str | None = CHANNEL_TAGS,
    date_format: str | None = DATE_FORMAT,
    strict: bool = STRICT,
    update_existing: bool = UPDATE,
    rejects_path: Path | None = REJECTS,
    encoding: str = ENCODING,
    decimal_comma: bool = DECIMAL_COMMA,
    json_output: bool = JSON,
) -> None:
    """Import customers: customer_id (+ email, name, acquired_at, acquisition_cost, channel,
    opted_out, nps)."""
    _import(import_customers, **locals())  # the parameters are the importer's options


def _import_query(url: str, query: str, json_output: bool, **options: Any) -> None:
    """`--from-sql`: import the rows of `query`; the URL's password is never printed."""
    from clv.ingest import import_orders_from_sql

    settings = load_settings()
    engine = open_store(settings)
    with user_errors(), _rows_progress() as progress:
        report = import_orders_from_sql(
            engine, url, query, settings, progress=progress, reader_process=True, **options
        )
    _print(report, json_output)


@contextmanager
def _rows_progress() -> Iterator[Callable[[int], None] | None]:
    """A count of the rows read so far, on a terminal (a query's size is not known ahead)."""
    if not interactive():
        yield None
        return
    columns = (TextColumn("importing"), TextColumn("{task.completed:,} rows read"))
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("import", total=None)
        yield lambda done: bar.update(task, completed=done)


def _import(
    importer: Callable[..., ImportReport], file: Path, json_output: bool, **options: Any
) -> None:
    """Run `importer` on `file` with the command's `options`, with a progress bar."""
    settings = load_settings()
    engine = open_store(settings)
    with user_errors(), _progress(file) as progress:
        report = importer(engine, file, settings, progress=progress, **options)
    _print(report, json_output)


@contextmanager
def _progress(file: Path) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on a terminal for files worth one (over 5 MB); nothing otherwise."""
    size = file.stat().st_size if file.is_file() else 0
    if not interactive() or size < 5_000_000:
        yield None
        return
    columns = (
        TextColumn("importing"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("import", total=size)
        yield lambda done: bar.update(task, completed=done)


def _print(report: ImportReport, json_output: bool) -> None:
    if json_output:
        print_json(report.as_dict())
    else:
        for reject in report.first_rejects[:10]:
            err.print(f"rejected {reject.describe(report.path)}", markup=False)
        if report.rejected > 10:
            err.print(f"... and {report.rejected - 10:,} more rejected rows", markup=False)
        out.print(report.summary(), markup=False)
    if report.rejected:
        raise typer.Exit(3)
