"""`clvbot stats`: what the store holds."""

from __future__ import annotations

import json

import typer

from bot.cli.context import load_settings, open_store, out
from clv.ingest.parsing import format_money
from clv.store import read_snapshot
from clv.store.stats import store_stats


def stats(json_output: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Counts of customers and orders, the date range and total revenue."""
    settings = load_settings()
    with read_snapshot(open_store(settings)) as session:
        result = store_stats(session=session)
    if json_output:
        data = result.as_dict()
        data["currency"] = settings.currency
        data["revenue"] = format_money(result.revenue_minor, exponent=settings.currency_exponent)
        out.print_json(json.dumps(data))
        return
    span = f"{result.first_order} to {result.last_order}" if result.first_order else "no orders"
    revenue = format_money(result.revenue_minor, exponent=settings.currency_exponent)
    out.print(f"customers  {result.customers:,}")
    out.print(f"orders     {result.orders:,} ({result.refunds:,} refunds)")
    out.print(f"dates      {span}")
    out.print(f"revenue    {revenue} {settings.currency} (net of refunds)")
